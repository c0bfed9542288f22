/*
 * The console token (token.h).
 */
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

int
stats_token_generate(char token[STATS_TOKEN_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[STATS_TOKEN_LEN / 2];
    size_t i;

    if (RAND_bytes(raw, sizeof raw) != 1) {
        return EIO;
    }
    for (i = 0; i < sizeof raw; i++) {
        token[2 * i] = hex[raw[i] >> 4];
        token[2 * i + 1] = hex[raw[i] & 0xf];
    }
    token[STATS_TOKEN_LEN] = '\0';
    return 0;
}

int
stats_token_valid(const char *text, size_t len)
{
    size_t i;

    if (len != STATS_TOKEN_LEN) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!strchr("0123456789abcdef", text[i]) || !text[i]) {
            return 0;
        }
    }
    return 1;
}

int
stats_token_write(const char *path, const char *token)
{
    size_t len = strlen(token);
    ssize_t n;
    int fd, error = 0;

    /* A stale file (or anything another user left at the name) goes
     * first, so that O_EXCL makes the file ours with our mode. */
    if (unlink(path) && errno != ENOENT) {
        return errno;
    }
    fd =
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        return errno;
    }
    n = write(fd, token, len);
    if (n != (ssize_t)len || write(fd, "\n", 1) != 1) {
        error = n < 0 ? errno : EIO;
    }
    if (close(fd) && !error) {
        error = errno;
    }
    if (error) {
        unlink(path);
    }
    return error;
}
