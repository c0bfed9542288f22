/*
 * libFuzzer target for plexusctl's HTTP client parts
 * (host/plexusctl/ctl_http.c): the HTTP/1.x response parser, which reads
 * whatever answers on the stats endpoint's port for "plexusctl metrics", and
 * the endpoint's URL.  (The control socket's protocol and the text plexusctl
 * prints from it are fuzz_ctlsock's.)
 *
 * Each input is used two ways:
 *  - whole, as a response.  libFuzzer's buffer has exactly 'size' bytes and
 *    no NUL, so ASan catches any read past it.  A success must describe a
 *    body inside the input (or inside the decoded copy for chunked ones)
 *    and a status from 100 to 599; a failure must own nothing and explain
 *    itself;
 *  - its first line, NUL-terminated, as a -u URL, whose host and port must
 *    then make a well-formed request.
 *
 * Build: make build/fuzz/fuzz_ctl
 * Run:   build/fuzz/fuzz_ctl -max_total_time=60 build/fuzz/work-fuzz_ctl \
 *            tests/fuzz/corpus/ctl
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzcheck.h"
#include "plexusctl/ctl_http.h"

static void
fuzz_response(const uint8_t *data, size_t size)
{
    struct ctl_http_response resp;
    char *copy = copy_input(data, size);
    char why[256] = "";
    int error;

    error = ctl_http_parse_response(copy, size, &resp, why, sizeof why);
    check(error == 0 || error == EINVAL || error == ENOMEM);
    if (error) {
        check(resp.decoded == NULL && why[0] != '\0');
    } else {
        check(resp.status >= 100 && resp.status <= 599);
        check(resp.minor_version >= 0 && resp.minor_version <= 9);
        check(strlen(resp.reason) < sizeof resp.reason);
        check(resp.body_len <= size && resp.extra <= size);
        if (resp.decoded) {
            check(resp.chunked && resp.body == resp.decoded);
            check(resp.body[resp.body_len] == '\0');
        } else {
            check(resp.body >= copy && resp.body <= copy + size);
            check(resp.body_len + resp.extra ==
                  size - (size_t)(resp.body - copy));
            if (resp.content_length >= 0 && resp.status != 204 &&
                resp.status != 304) {
                check((size_t)resp.content_length == resp.body_len);
            }
        }
        /* Every byte of the body must be readable. */
        if (resp.body_len) {
            volatile char sum = 0;
            size_t i;

            for (i = 0; i < resp.body_len; i++) {
                sum ^= resp.body[i];
            }
            (void)sum;
        }
    }
    ctl_http_response_clear(&resp);
    check(resp.decoded == NULL);
    free(copy);
}

static void
fuzz_url(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t len = nl ? (size_t)(nl - data) : size;
    char url[512], host[256], why[256], request[1024];
    size_t request_len;
    int port = -1;

    if (len >= sizeof url) {
        len = sizeof url - 1;
    }
    memcpy(url, data, len);
    url[len] = '\0';
    if (!ctl_http_parse_url(url, 9330, host, sizeof host, &port, why,
                            sizeof why)) {
        check(host[0] != '\0' && port >= 1 && port <= 65535);
        if (!ctl_http_format_request("/stats.json", host, port, "fuzz",
                                     request, sizeof request, &request_len)) {
            /* One request line, one Host line: nothing injected. */
            check(request_len == strlen(request));
            check(!strncmp(request, "GET /stats.json HTTP/1.0\r\nHost: ", 32));
            check(strstr(request + 32,
                         "\r\nUser-Agent: fuzz\r\n"
                         "Accept: */*\r\n\r\n") == request + request_len - 35);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_response(data, size);
    fuzz_url(data, size);
    return 0;
}
