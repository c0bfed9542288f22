/*
 * The software router's routing table (see sr_rt.h): a plain array
 * searched linearly.  The lab's tables have a handful of routes, so a trie
 * would only add code to get wrong.
 */
#include "sr_rt.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/buf.h"

struct sr_rt {
    struct sr_rt_entry *entries;
    size_t n;
    size_t cap;
};

struct sr_rt *
sr_rt_create(void)
{
    return calloc(1, sizeof(struct sr_rt));
}

void
sr_rt_destroy(struct sr_rt *rt)
{
    if (rt) {
        free(rt->entries);
        free(rt);
    }
}

static bool
mask_is_contiguous(uint32_t mask)
{
    /* The ones must run from the top bit down: inverted, that is a run of
     * low ones, and x & (x + 1) is zero exactly for such runs. */
    uint32_t inv = ~mask;

    return (inv & (inv + 1)) == 0;
}

int
sr_rt_add(struct sr_rt *rt, uint32_t dest, uint32_t gw, uint32_t mask,
          const char *iface)
{
    struct sr_rt_entry *e;
    size_t ilen = strlen(iface);

    if (!mask_is_contiguous(mask) || ilen == 0 || ilen >= SR_IFNAME_LEN) {
        return EINVAL;
    }
    if (rt->n == rt->cap) {
        size_t cap = rt->cap ? rt->cap * 2 : 8;
        struct sr_rt_entry *p = realloc(rt->entries, cap * sizeof *p);

        if (!p) {
            return ENOMEM;
        }
        rt->entries = p;
        rt->cap = cap;
    }
    e = &rt->entries[rt->n++];
    memset(e, 0, sizeof *e);
    e->dest = dest;
    e->gw = gw;
    e->mask = mask;
    memcpy(e->iface, iface, ilen + 1);
    return 0;
}

/* Parses a strict dotted quad: four decimal numbers 0..255, nothing else
 * (inet_aton would also take "10" or "0x0a.1"). */
static bool
parse_ip(const char *s, uint32_t *ip)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        unsigned int octet = 0;
        int digits = 0;

        while (isdigit((unsigned char)*s) && digits < 4) {
            octet = octet * 10 + (unsigned int)(*s++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || octet > 255) {
            return false;
        }
        v = v << 8 | octet;
        if (i < 3 && *s++ != '.') {
            return false;
        }
    }
    if (*s) {
        return false;
    }
    *ip = v;
    return true;
}

/* Parses one line, NUL-terminated, that is neither blank nor a comment. */
static int
parse_line(struct sr_rt *rt, char *s)
{
    char *fields[5];
    char *save = NULL;
    uint32_t dest, gw, mask;
    int n = 0;
    char *tok;

    for (tok = strtok_r(s, " \t\r", &save); tok;
         tok = strtok_r(NULL, " \t\r", &save)) {
        if (n == 5) {
            return EINVAL;
        }
        fields[n++] = tok;
    }
    if (n != 4 || !parse_ip(fields[0], &dest) || !parse_ip(fields[1], &gw) ||
        !parse_ip(fields[2], &mask)) {
        return EINVAL;
    }
    return sr_rt_add(rt, dest, gw, mask, fields[3]);
}

int
sr_rt_parse(const char *text, size_t len, struct sr_rt **rtp,
            unsigned int *line)
{
    struct sr_rt *rt = sr_rt_create();
    unsigned int lineno = 0;
    size_t pos = 0;
    int error = 0;

    *rtp = NULL;
    if (line) {
        *line = 0;
    }
    if (!rt) {
        return ENOMEM;
    }
    while (pos < len && !error) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char *copy = strndup(text + pos, n);
        const char *p;

        lineno++;
        pos += n + 1;
        if (!copy) {
            error = ENOMEM;
            break;
        }
        /* strndup stops at a NUL, which a text file should not hold. */
        if (strlen(copy) != n) {
            error = EINVAL;
        } else {
            for (p = copy; *p == ' ' || *p == '\t' || *p == '\r'; p++) {
                continue;
            }
            if (*p && *p != '#') {
                error = parse_line(rt, copy);
            }
        }
        free(copy);
    }
    if (error) {
        if (line) {
            *line = lineno;
        }
        sr_rt_destroy(rt);
        return error;
    }
    *rtp = rt;
    return 0;
}

int
sr_rt_load(const char *path, struct sr_rt **rtp, unsigned int *line)
{
    struct px_buf text = PX_BUF_INITIALIZER(SIZE_MAX);
    FILE *f;
    int error;

    *rtp = NULL;
    if (line) {
        *line = 0;
    }
    f = fopen(path, "r");
    if (!f) {
        return errno;
    }
    for (;;) {
        size_t n;
        void *dst = px_buf_reserve(&text, 4096);

        if (!dst) {
            break;
        }
        n = fread(dst, 1, 4096, f);
        px_buf_commit(&text, n);
        if (n == 0) {
            break;
        }
    }
    error = px_buf_error(&text) ? px_buf_error(&text) : ferror(f) ? EIO : 0;
    fclose(f);
    if (!error) {
        error = sr_rt_parse(px_buf_cstr(&text), text.len, rtp, line);
    }
    px_buf_destroy(&text);
    return error;
}

size_t
sr_rt_count(const struct sr_rt *rt)
{
    return rt ? rt->n : 0;
}

const struct sr_rt_entry *
sr_rt_get(const struct sr_rt *rt, size_t i)
{
    return rt && i < rt->n ? &rt->entries[i] : NULL;
}

int
sr_rt_lookup(const struct sr_rt *rt, uint32_t dst, struct sr_rt_entry *entry)
{
    const struct sr_rt_entry *best = NULL;
    size_t i;

    for (i = 0; rt && i < rt->n; i++) {
        const struct sr_rt_entry *e = &rt->entries[i];

        /* Masks are contiguous, so a numerically larger one is longer. */
        if ((dst & e->mask) == (e->dest & e->mask) &&
            (!best || e->mask > best->mask)) {
            best = e;
        }
    }
    if (!best) {
        return ENOENT;
    }
    *entry = *best;
    return 0;
}
