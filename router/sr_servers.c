/*
 * router/sr's list of VNS servers: parsing of the -s values (see
 * sr_servers.h for the forms accepted).
 */
#include "sr_servers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLANKS " \t"

/* Characters of a host name or a numeric address: what DNS names and IPv4
 * and IPv6 addresses use, '%' for an IPv6 zone ("fe80::1%eth0"). */
#define HOST_CHARS                                                            \
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_:%"

int
sr_port_check(const char *port)
{
    char *end;
    long v;

    /* strtol takes blanks and a sign, which a port never has. */
    if (port[0] < '0' || port[0] > '9') {
        return EINVAL;
    }
    errno = 0;
    v = strtol(port, &end, 10);
    return *end || errno || v <= 0 || v > 65535 ? EINVAL : 0;
}

/* Writes the reason for refusing 'entry' ('len' bytes) of -s 'value'; the
 * entry is named only when the value has others and it is not empty. */
static int
refuse(int error, const char *value, const char *entry, size_t len, char *why,
       size_t why_size, const char *reason)
{
    if (!len || len == strlen(value)) {
        snprintf(why, why_size, "-s '%s': %s", value, reason);
    } else {
        snprintf(why, why_size, "-s '%s': '%.*s': %s", value, (int)len, entry,
                 reason);
    }
    return error;
}

/* Parses one entry, 'len' bytes at 'entry' without the blanks around it,
 * into 'sv'.  Returns 0, or EINVAL with the reason in 'why'. */
static int
parse_entry(const char *value, const char *entry, size_t len,
            const char *default_port, struct sr_server *sv, char *why,
            size_t why_size)
{
    const char *host = entry, *port = NULL, *colon;
    size_t host_len = len, port_len = 0, colons = 0, i;
    char reason[128];

    if (!len) {
        return refuse(EINVAL, value, entry, len, why, why_size,
                      "empty server name (a comma too many?)");
    }
    for (i = 0; i < len; i++) {
        colons += entry[i] == ':';
    }
    if (entry[0] == '[') {
        const char *close = memchr(entry, ']', len);

        if (!close) {
            return refuse(EINVAL, value, entry, len, why, why_size,
                          "expected [IPV6] or [IPV6]:PORT");
        }
        host = entry + 1;
        host_len = (size_t)(close - host);
        if (close + 1 < entry + len) {
            if (close[1] != ':') {
                return refuse(EINVAL, value, entry, len, why, why_size,
                              "expected [IPV6] or [IPV6]:PORT");
            }
            port = close + 2;
            port_len = (size_t)(entry + len - port);
        }
        /* Brackets hold an IPv6 address and nothing else. */
        if (!memchr(host, ':', host_len)) {
            return refuse(EINVAL, value, entry, len, why, why_size,
                          "brackets hold an IPv6 address");
        }
    } else if (colons == 1) {
        colon = memchr(entry, ':', len);
        host_len = (size_t)(colon - entry);
        port = colon + 1;
        port_len = (size_t)(entry + len - port);
    }
    /* Otherwise a host without a port: a name, an IPv4 address or, with
     * two colons or more, an IPv6 address. */
    if (!host_len) {
        return refuse(EINVAL, value, entry, len, why, why_size,
                      "empty host name");
    }
    if (host_len > SR_SERVER_HOST_MAX) {
        snprintf(reason, sizeof reason, "host name longer than %d bytes",
                 SR_SERVER_HOST_MAX);
        return refuse(EINVAL, value, entry, len, why, why_size, reason);
    }
    for (i = 0; i < host_len; i++) {
        if (!host[i] || !strchr(HOST_CHARS, host[i])) {
            snprintf(reason, sizeof reason,
                     "bad character '%c' in the host name", host[i]);
            return refuse(EINVAL, value, entry, len, why, why_size, reason);
        }
    }
    memcpy(sv->host, host, host_len);
    sv->host[host_len] = '\0';
    if (strchr(sv->host, ':')) {
        char addr[SR_SERVER_HOST_MAX + 1];
        struct in6_addr in6;

        /* A colon in a host is an IPv6 address's, so it must be one: what
         * else is a host name with a port that was meant for brackets. */
        snprintf(addr, sizeof addr, "%s", sv->host);
        addr[strcspn(addr, "%")] = '\0';
        if (inet_pton(AF_INET6, addr, &in6) != 1) {
            return refuse(EINVAL, value, entry, len, why, why_size,
                          entry[0] == '['
                              ? "not an IPv6 address in the brackets"
                              : "not an IPv6 address (HOST:PORT has one "
                                "colon; an IPv6 address with a port goes in "
                                "brackets)");
        }
    } else if (strchr(sv->host, '%')) {
        return refuse(EINVAL, value, entry, len, why, why_size,
                      "bad character '%' in the host name");
    }
    if (port) {
        if (!port_len || port_len >= sizeof sv->port) {
            snprintf(reason, sizeof reason, "bad port '%.*s' (1 to 65535)",
                     port_len < 16 ? (int)port_len : 16, port);
            return refuse(EINVAL, value, entry, len, why, why_size, reason);
        }
        memcpy(sv->port, port, port_len);
        sv->port[port_len] = '\0';
        if (sr_port_check(sv->port)) {
            snprintf(reason, sizeof reason, "bad port '%s' (1 to 65535)",
                     sv->port);
            return refuse(EINVAL, value, entry, len, why, why_size, reason);
        }
    } else {
        snprintf(sv->port, sizeof sv->port, "%s", default_port);
    }
    snprintf(sv->label, sizeof sv->label,
             strchr(sv->host, ':') ? "[%s]:%s" : "%s:%s", sv->host, sv->port);
    return 0;
}

int
sr_servers_add(struct sr_servers *s, const char *value,
               const char *default_port, char *why, size_t why_size)
{
    size_t before = s->n;
    const char *p = value;

    if (sr_port_check(default_port)) {
        snprintf(why, why_size, "-p '%s': bad port (1 to 65535)",
                 default_port);
        return EINVAL;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        int error;

        p += strspn(p, BLANKS);
        while (end > p && strchr(BLANKS, end[-1])) {
            end--;
        }
        if (s->n == SR_SERVERS_MAX) {
            snprintf(why, why_size, "-s: more than %d VNS servers",
                     SR_SERVERS_MAX);
            s->n = before;
            return ENOSPC;
        }
        error = parse_entry(value, p, (size_t)(end - p), default_port,
                            &s->list[s->n], why, why_size);
        if (error) {
            s->n = before;
            return error;
        }
        s->n++;
        if (!comma) {
            return 0;
        }
        p = comma + 1;
    }
}
