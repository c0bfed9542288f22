/*
 * The console token: what a browser or script shows to change the running
 * controller or open a terminal through the HTTP listener.  A fresh one is
 * made when the daemon starts (the stats plugin's first generation) and
 * handed to every later generation, so a reload of the plugin does not
 * log anyone out; it is written, mode 0600, to a file in the daemon's
 * private run directory, and the "console" command prints the console's
 * URL with it for whoever may use the control socket.
 *
 * Pure apart from the file: no host calls.
 */
#ifndef STATS_TOKEN_H
#define STATS_TOKEN_H 1

#include <stddef.h>

/* 32 random bytes as lowercase hex, and its NUL. */
#define STATS_TOKEN_LEN  64
#define STATS_TOKEN_SIZE (STATS_TOKEN_LEN + 1)

/* The token file's name in the run directory. */
#define STATS_TOKEN_FILE "console.token"

/* Fills 'token' with a fresh random token (OpenSSL's RAND_bytes).
 * Returns 0 or EIO. */
int stats_token_generate(char token[STATS_TOKEN_SIZE]);

/* Nonzero if 'text' of 'len' bytes is a well-formed token. */
int stats_token_valid(const char *text, size_t len);

/* Writes 'token' and a newline to 'path', created with mode 0600 (an
 * existing file is replaced, never followed if it is a link).  Returns 0
 * or an errno value. */
int stats_token_write(const char *path, const char *token);

#endif /* STATS_TOKEN_H */
