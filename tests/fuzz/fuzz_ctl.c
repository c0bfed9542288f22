/*
 * libFuzzer target for the URL rules of plexusctl's HTTP client
 * (host/plexusctl/ctl_fetch.c): what "plexusctl -u URL metrics" accepts.
 * libcurl parses the URL; plexusctl's checks around it decide, and they
 * must hold for any bytes.  (HTTP answers are parsed by libcurl itself;
 * the control socket's protocol and the text plexusctl prints from it are
 * fuzz_ctlsock's.)
 *
 * Each input's first line, NUL-terminated, is a -u URL.  Accepted, it
 * must give a non-empty host without anything a URL could hide behind
 * (control characters, spaces, '/', '@', '?', '#') and a port from 1 to
 * 65535, and the URL plexusctl then builds from them must be accepted
 * again with the same host and port.  Refused, it must say why.
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
#include "plexusctl/ctl_fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t len = nl ? (size_t)(nl - data) : size;
    char url[512], host[256], host2[256], why[256] = "", again[300];
    int port = -1, port2 = -1, error;
    size_t i;

    if (len >= sizeof url) {
        len = sizeof url - 1;
    }
    memcpy(url, data, len);
    url[len] = '\0';
    error = ctl_fetch_parse_url(url, 9330, host, sizeof host, &port, why,
                                sizeof why);
    check(error == 0 || error == EINVAL || error == ENOMEM);
    if (error) {
        check(error == ENOMEM || why[0] != '\0');
        return 0;
    }
    check(host[0] != '\0' && port >= 1 && port <= 65535);
    for (i = 0; host[i]; i++) {
        unsigned char c = (unsigned char)host[i];

        check(c > 0x20 && c != 0x7f && !strchr("/@?#", c));
    }
    check(!ctl_fetch_format_url(host, port, again, sizeof again));
    check(!ctl_fetch_parse_url(again, 1, host2, sizeof host2, &port2, why,
                               sizeof why));
    check(!strcmp(host, host2) && port == port2);
    return 0;
}
