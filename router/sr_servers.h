/*
 * router/sr's list of VNS servers: the values of its -s options, each a
 * comma-separated list of "HOST" or "HOST:PORT" ("[IPV6]:PORT" for an
 * IPv6 address with a port), parsed in the order given into host and port
 * strings for getaddrinfo.  sr connects to the first and, when the
 * connection fails or goes away, to the next, round robin (sr.c).
 *
 * Pure: no I/O and no allocation, so the unit tests (tests/unit/test_sr.c)
 * cover every form and every refusal.
 */
#ifndef SR_SERVERS_H
#define SR_SERVERS_H 1

#include <stddef.h>

/* Servers in all, over every -s: a cluster has a handful of controllers,
 * and a bound keeps a typo (a pasted file) from meaning a long pass. */
#define SR_SERVERS_MAX 16
/* The longest DNS name is 253 characters; an IPv6 address with a zone
 * fits too. */
#define SR_SERVER_HOST_MAX 255

struct sr_server {
    /* A name or a numeric address, IPv6 without its brackets. */
    char host[SR_SERVER_HOST_MAX + 1];
    char port[6]; /* Decimal, 1 to 65535. */
    /* "HOST:PORT", or "[IPV6]:PORT", for the log. */
    char label[SR_SERVER_HOST_MAX + 9];
};

struct sr_servers {
    struct sr_server list[SR_SERVERS_MAX];
    size_t n;
};

/* Returns 0 when 'port' is a decimal number from 1 to 65535, EINVAL
 * otherwise. */
int sr_port_check(const char *port);

/*
 * Appends the servers of 'value', the argument of one -s option, to 's':
 * comma-separated entries, each "HOST", "HOST:PORT", "[IPV6]" or
 * "[IPV6]:PORT", blanks around an entry ignored; an entry without a port
 * gets 'default_port' (-p's).  An address with more than one colon and no
 * brackets is an IPv6 address without a port ("-s ::1" as before), so an
 * IPv6 address with a port must be in brackets.
 *
 * Returns 0; EINVAL for an empty entry, a bad host or a bad port; ENOSPC
 * beyond SR_SERVERS_MAX servers in all.  On failure 'why' says which entry
 * and why, naming the option (for "sr: " and a newline around it), and 's'
 * is left as it was.
 */
int sr_servers_add(struct sr_servers *s, const char *value,
                   const char *default_port, char *why, size_t why_size);

#endif /* sr_servers.h */
