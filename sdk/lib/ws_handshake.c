/*
 * The HTTP side of a WebSocket handshake (RFC 6455 section 4.2): checking
 * an upgrade request's headers and computing Sec-WebSocket-Accept.  Pure
 * functions, apart from libcrypto's SHA-1, kept out of ws.c so that the
 * plugin owning the HTTP listener can use them without linking wslay.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "plexus/ws.h"

/* RFC 6455 section 1.3. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static int
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Nonzero if the comma-separated header value 'list' has the token
 * 'token', compared case-insensitively with optional white space around
 * each element (RFC 9110 section 5.6.1). */
static int
has_token(const char *list, const char *token)
{
    size_t tlen = strlen(token);
    const char *s = list;

    while (*s) {
        const char *end;

        while (is_ows(*s) || *s == ',') {
            s++;
        }
        end = s;
        while (*end && *end != ',') {
            end++;
        }
        /* [s, end) is one element; drop its trailing white space. */
        {
            const char *e = end;

            while (e > s && is_ows(e[-1])) {
                e--;
            }
            if ((size_t)(e - s) == tlen && !strncasecmp(s, token, tlen)) {
                return 1;
            }
        }
        s = end;
    }
    return 0;
}

static int
is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* A key is 16 bytes in base64: 22 characters and "==". */
static int
key_valid(const char *key)
{
    size_t i;

    if (!key || strlen(key) != 24 || key[22] != '=' || key[23] != '=') {
        return 0;
    }
    for (i = 0; i < 22; i++) {
        if (!is_b64(key[i])) {
            return 0;
        }
    }
    return 1;
}

int
px_ws_handshake_check(const char *method, const char *upgrade,
                      const char *connection, const char *version,
                      const char *key)
{
    /* HTTP methods are case-sensitive. */
    if (!method || strcmp(method, "GET")) {
        return EINVAL;
    }
    if (!upgrade || !has_token(upgrade, "websocket")) {
        return EINVAL;
    }
    if (!connection || !has_token(connection, "upgrade")) {
        return EINVAL;
    }
    if (!key_valid(key)) {
        return EINVAL;
    }
    if (!version || !version[0]) {
        return EINVAL;
    }
    /* Any other version, well-formed or not, gets the 426 that tells the
     * client which one we speak (section 4.4). */
    if (strcmp(version, "13")) {
        return EPROTONOSUPPORT;
    }
    return 0;
}

int
px_ws_accept_key(const char *key, char accept[29])
{
    unsigned char in[24 + sizeof ws_guid];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (!key_valid(key)) {
        return EINVAL;
    }
    memcpy(in, key, 24);
    memcpy(in + 24, ws_guid, sizeof ws_guid - 1);
    if (!EVP_Digest(in, 24 + sizeof ws_guid - 1, md, &md_len, EVP_sha1(),
                    NULL) ||
        md_len != 20) {
        return EIO;
    }
    /* 20 bytes give 28 characters; EVP_EncodeBlock adds the NUL. */
    if (EVP_EncodeBlock((unsigned char *)accept, md, 20) != 28) {
        return EIO;
    }
    return 0;
}
