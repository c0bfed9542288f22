/*
 * The control socket's protocol, as pure functions over byte buffers so
 * that the unit tests and the fuzzer reach all of it without a socket:
 * parsing a request line (the daemon's side) and a response line
 * (plexusctl's), encoding both, and the text helpers both sides share.
 *
 * The protocol is JSON-RPC 1.0 as Open vSwitch's unixctl speaks it, one
 * JSON object per line (a compact JSON text never holds a raw newline):
 *   request   {"id":1,"method":"ports","params":["1"],"json":true}
 *   response  {"id":1,"result":{"text":"...","data":{...}},"error":null}
 *   error     {"id":1,"result":null,"error":"unknown command 'prots'"}
 * Every param is a string.  "json" asks for the structured part of the
 * reply ("data"); without it "data" is null.  "text" is what a person
 * reads, lines ending in "\n".
 *
 * Ownership: a parsed request or response owns its strings and JSON
 * values until px_ctl_request_clear or px_ctl_response_clear; encoders
 * store a line the caller frees.
 */
#ifndef PX_CTL_PROTO_H
#define PX_CTL_PROTO_H 1

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "host_util.h"

/* The longest request line the daemon reads, newline excluded. */
#define PX_CTL_MAX_LINE (64u * 1024)
/* The longest method name. */
#define PX_CTL_MAX_METHOD 63
/* The most params of a request (PX_COMMAND_MAX_ARGS). */
#define PX_CTL_MAX_PARAMS 64
/* The longest response line the daemon sends and plexusctl reads. */
#define PX_CTL_MAX_REPLY (16u * 1024 * 1024)

struct px_ctl_request {
    json_t *id;    /* Any JSON value but null; NULL when absent. */
    char *method;  /* At most PX_CTL_MAX_METHOD bytes, no NUL. */
    char **argv;   /* argv[0] = method, then the params; NULL-ended. */
    size_t argc;   /* 1 + the number of params. */
    int want_json; /* "json": true. */
};

/* Parses one request line ('len' bytes, without its newline).  Returns 0,
 * or EINVAL with a reason in 'why' (at least 128 bytes) for anything that
 * is not a well-formed request: invalid JSON, not an object, no id, a
 * method that is not a short string, params that are not strings...  Even
 * then 'req->id' holds the request's id when it had one, so that the error
 * reply can carry it.  Clear 'req' in every case. */
int px_ctl_request_parse(const char *line, size_t len,
                         struct px_ctl_request *req, char *why,
                         size_t why_size);
/* Frees what 'req' owns.  Accepts NULL. */
void px_ctl_request_clear(struct px_ctl_request *req);

/* Encodes a request line ending in "\n".  'params' may be NULL when
 * 'n_params' is 0.  Returns 0, EINVAL (a param or method that is not
 * UTF-8) or ENOMEM. */
int px_ctl_encode_request(long long id, const char *method,
                          const char *const *params, size_t n_params,
                          int want_json, char **out, size_t *len);

/* Encodes a result line ending in "\n": 'text' ('text_len' bytes, may hold
 * any bytes: what is not UTF-8 becomes U+FFFD) and 'data' (may be NULL:
 * null).  'id' may be NULL (null).  Returns 0 or ENOMEM. */
int px_ctl_encode_result(const json_t *id, const char *text, size_t text_len,
                         const json_t *data, char **out, size_t *len);
/* Encodes an error line ending in "\n"; the message is cleaned like
 * 'text' above. */
int px_ctl_encode_error(const json_t *id, const char *message, char **out,
                        size_t *len);

struct px_ctl_response {
    json_t *id; /* NULL for a null id. */
    char *text; /* The result's text, NUL-terminated; NULL on error. */
    size_t text_len;
    json_t *data; /* The result's data; NULL when null. */
    char *error;  /* The error message; NULL on success. */
};

/* Parses one response line ('len' bytes, without its newline).  Exactly
 * one of 'text' and 'error' is set on success.  Returns 0, or EINVAL with
 * a reason in 'why' (at least 128 bytes).  Clear 'resp' in every case. */
int px_ctl_response_parse(const char *line, size_t len,
                          struct px_ctl_response *resp, char *why,
                          size_t why_size);
/* Frees what 'resp' owns.  Accepts NULL. */
void px_ctl_response_clear(struct px_ctl_response *resp);

/* Returns nonzero if 'name' may name a command: [a-z0-9][a-z0-9_.-]*, at
 * most PX_CTL_MAX_METHOD characters. */
int px_ctl_name_valid(const char *name);

/* Writes text from the daemon to a terminal: line feeds stay, a tab
 * becomes a space, other control characters '?', so that a port name
 * cannot put escape sequences on an operator's screen. */
void px_ctl_put_text(FILE *out, const char *s, size_t len);

/* A reload's outcome as the daemon tells it: "reload N: done" ("partial",
 * "refused, nothing changed"), then "  added: a, b" for each non-empty
 * list, "  refused: name: why" per refused entry ('refused' holds them
 * separated by "; "), and the error with its continuation lines aligned
 * under its first.  'outcome' is enum px_reload_outcome. */
struct px_ctl_reload_text {
    unsigned int id;
    int outcome;
    const char *added; /* Comma-separated instance names; may be NULL. */
    const char *removed;
    const char *reloaded;
    const char *reconfigured;
    const char *refused;
    const char *error;
};
void px_ctl_format_reload(struct px_buf *s,
                          const struct px_ctl_reload_text *r);

#endif /* PX_CTL_PROTO_H */
