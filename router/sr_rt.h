/*
 * The software router's routing table: the lab's rtable text format,
 * parsed into a table, and longest-prefix match over it.
 *
 * The format is one route per line, "dest gateway mask iface", addresses
 * as dotted quads, fields separated by blanks; blank lines and lines whose
 * first non-blank character is '#' are ignored.  A gateway of 0.0.0.0
 * means the destination is on the link.  Addresses are in host byte order.
 */
#ifndef SR_RT_H
#define SR_RT_H 1

#include <stddef.h>
#include <stdint.h>

#include "sr_proto.h"

struct sr_rt_entry {
    uint32_t dest;
    uint32_t gw;   /* 0 when the destination is on the link. */
    uint32_t mask; /* Contiguous: 0xffffff00 for a /24. */
    char iface[SR_IFNAME_LEN];
};

struct sr_rt;

/* An empty table, or NULL when out of memory. */
struct sr_rt *sr_rt_create(void);
void sr_rt_destroy(struct sr_rt *);

/* Appends a route.  EINVAL for a non-contiguous mask or a bad interface
 * name (empty or too long), ENOMEM. */
int sr_rt_add(struct sr_rt *, uint32_t dest, uint32_t gw, uint32_t mask,
              const char *iface);

/*
 * Parses 'len' bytes of rtable text into a new table in '*rtp'.  On error
 * returns EINVAL (or ENOMEM), stores NULL in '*rtp' and the 1-based number
 * of the offending line in '*line' (when 'line' is not NULL).
 */
int sr_rt_parse(const char *text, size_t len, struct sr_rt **rtp,
                unsigned int *line);

/* The same for a file; an error opening or reading it is its errno, with
 * '*line' 0. */
int sr_rt_load(const char *path, struct sr_rt **rtp, unsigned int *line);

size_t sr_rt_count(const struct sr_rt *);
const struct sr_rt_entry *sr_rt_get(const struct sr_rt *, size_t i);

/*
 * Longest-prefix match: copies into '*entry' the route with the longest
 * mask that covers 'dst' (the first such in the table on a tie) and
 * returns 0, or returns ENOENT when none does.  A NULL table has no
 * routes.
 */
int sr_rt_lookup(const struct sr_rt *, uint32_t dst,
                 struct sr_rt_entry *entry);

#endif /* sr_rt.h */
