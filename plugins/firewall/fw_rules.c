/*
 * The firewall's rule parser and the flows rules become; see fw_rules.h.
 */
#include "fw_rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plexus/hash.h"

/* How much of a bad rule's text an error message quotes. */
#define FW_QUOTE_MAX 120

static const char *const blanks = " \t\r\n\v\f";

/* Parses decimal 'text' (digits only, no sign, no blanks) into '*out' if
 * it is at most 'max'. */
static int
parse_uint(const char *text, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    const char *s;

    if (!*text) {
        return EINVAL;
    }
    for (s = text; *s; s++) {
        if (*s < '0' || *s > '9') {
            return EINVAL;
        }
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max) {
            return ERANGE;
        }
    }
    *out = v;
    return 0;
}

/* Parses an IPv4 prefix ("10.0.0.0/8", "10.0.0.1", "any") of key 'key'
 * into '*addr' and '*len'; on error writes why into 'why'. */
static int
parse_prefix(const char *key, const char *value, uint32_t *addr, uint8_t *len,
             char *why, size_t size)
{
    char host[INET_ADDRSTRLEN];
    const char *slash = strchr(value, '/');
    unsigned long bits = 32;
    size_t n = slash ? (size_t)(slash - value) : strlen(value);
    struct in_addr a;
    uint32_t mask, v;

    if (!strcasecmp(value, "any")) {
        *addr = 0;
        *len = 0;
        return 0;
    }
    if (n >= sizeof host) {
        goto bad;
    }
    memcpy(host, value, n);
    host[n] = '\0';
    if (inet_pton(AF_INET, host, &a) != 1) {
        goto bad;
    }
    if (slash && parse_uint(slash + 1, 32, &bits)) {
        snprintf(why, size,
                 "%s: '%s': the prefix length must be 0 to 32 (\"/%s\")", key,
                 value, slash + 1);
        return EINVAL;
    }
    v = ntohl(a.s_addr);
    mask = bits ? 0xffffffffu << (32 - bits) : 0;
    if (v & ~mask) {
        struct in_addr net = {.s_addr = htonl(v & mask)};
        char text[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &net, text, sizeof text);
        snprintf(why, size,
                 "%s: '%s' has bits set past its /%lu (did you mean "
                 "%s/%lu?)",
                 key, value, bits, text, bits);
        return EINVAL;
    }
    *addr = v;
    *len = (uint8_t)bits;
    return 0;

bad:
    snprintf(why, size, "%s: '%s' is not an IPv4 address or prefix", key,
             value);
    return EINVAL;
}

/* Which word of a rule each key sets, for "given twice". */
enum fw_word {
    W_SRC = 1 << 0,
    W_DST = 1 << 1,
    W_PROTO = 1 << 2,
    W_SPORT = 1 << 3,
    W_DPORT = 1 << 4,
    W_PRIORITY = 1 << 5,
};

struct fw_key {
    const char *name;
    const char *alias; /* Ryu's rest_firewall name. */
    enum fw_word word;
};

static const struct fw_key fw_keys[] = {
    {"src", "nw_src", W_SRC},       {"dst", "nw_dst", W_DST},
    {"proto", "nw_proto", W_PROTO}, {"sport", "tp_src", W_SPORT},
    {"dport", "tp_dst", W_DPORT},   {"priority", NULL, W_PRIORITY},
};

/* Parses one KEY=VALUE word into 'r'; 'seen' holds the words given so
 * far. */
static int
parse_word(char *word, struct fw_rule *r, unsigned int *seen, char *why,
           size_t size)
{
    char *eq = strchr(word, '=');
    const struct fw_key *k = NULL;
    const char *value;
    unsigned long v;
    size_t i;

    if (!eq) {
        snprintf(why, size,
                 "'%s' is not KEY=VALUE (keys: src, dst, proto, sport, "
                 "dport, priority)",
                 word);
        return EINVAL;
    }
    *eq = '\0';
    value = eq + 1;
    for (i = 0; i < sizeof fw_keys / sizeof fw_keys[0]; i++) {
        if (!strcmp(word, fw_keys[i].name) ||
            (fw_keys[i].alias && !strcmp(word, fw_keys[i].alias))) {
            k = &fw_keys[i];
            break;
        }
    }
    if (!k) {
        snprintf(why, size,
                 "unknown key '%s' (keys: src, dst, proto, sport, dport, "
                 "priority)",
                 word);
        return EINVAL;
    }
    if (*seen & k->word) {
        snprintf(why, size, "%s given twice", k->name);
        return EINVAL;
    }
    *seen |= k->word;
    if (!*value) {
        snprintf(why, size, "%s has no value", k->name);
        return EINVAL;
    }
    switch (k->word) {
    case W_SRC:
        return parse_prefix("src", value, &r->src, &r->src_len, why, size);
    case W_DST:
        return parse_prefix("dst", value, &r->dst, &r->dst_len, why, size);
    case W_PROTO:
        if (!strcasecmp(value, "tcp")) {
            r->proto = FW_PROTO_TCP;
        } else if (!strcasecmp(value, "udp")) {
            r->proto = FW_PROTO_UDP;
        } else if (!strcasecmp(value, "icmp")) {
            r->proto = FW_PROTO_ICMP;
        } else if (!strcasecmp(value, "any")) {
            r->proto = FW_PROTO_ANY;
        } else {
            snprintf(why, size,
                     "proto: '%s' is not one of tcp, udp, icmp, any", value);
            return EINVAL;
        }
        return 0;
    case W_SPORT:
    case W_DPORT:
        if (parse_uint(value, 65535, &v)) {
            snprintf(why, size, "%s: '%s' is not a port (0 to 65535)", k->name,
                     value);
            return EINVAL;
        }
        if (k->word == W_SPORT) {
            r->has_sport = 1;
            r->sport = (uint16_t)v;
        } else {
            r->has_dport = 1;
            r->dport = (uint16_t)v;
        }
        return 0;
    case W_PRIORITY:
        if (parse_uint(value, 65535, &v) || v < FW_MIN_PRIORITY) {
            snprintf(why, size,
                     "priority: '%s' is not a number from %d to 65535 (1 is "
                     "the default policy's)",
                     value, FW_MIN_PRIORITY);
            return EINVAL;
        }
        r->priority = (uint16_t)v;
        return 0;
    }
    return EINVAL;
}

/* Parses the rule 'text' (trimmed, not empty; modified) at 'position'. */
static int
parse_rule(char *text, unsigned int position, unsigned int top,
           struct fw_rule *r, char *why, size_t size)
{
    unsigned int seen = 0;
    char *save = NULL;
    char *word = strtok_r(text, blanks, &save);
    long priority;
    int error;

    memset(r, 0, sizeof *r);
    r->number = position;
    if (!strcasecmp(word, "allow")) {
        r->action = FW_ALLOW;
    } else if (!strcasecmp(word, "deny")) {
        r->action = FW_DENY;
    } else {
        snprintf(why, size, "'%s': a rule starts with allow or deny", word);
        return EINVAL;
    }
    while ((word = strtok_r(NULL, blanks, &save))) {
        if ((error = parse_word(word, r, &seen, why, size))) {
            return error;
        }
    }
    if ((r->has_sport || r->has_dport) && r->proto != FW_PROTO_TCP &&
        r->proto != FW_PROTO_UDP) {
        snprintf(why, size, "sport and dport need proto=tcp or proto=udp");
        return EINVAL;
    }
    if (!(seen & W_PRIORITY)) {
        priority = (long)top - (long)(position - 1);
        if (priority < FW_MIN_PRIORITY) {
            snprintf(why, size,
                     "without priority= its position gives it %ld, below "
                     "%d (raise the 'priority' key or give priority=)",
                     priority, FW_MIN_PRIORITY);
            return EINVAL;
        }
        r->priority = (uint16_t)priority;
    }
    return 0;
}

/* Quotes the rule 'text' (trimmed) into 'buf' for an error message,
 * shortened with "..." when long. */
static void
quote_rule(const char *text, char *buf, size_t size)
{
    size_t n = strlen(text);

    if (n > FW_QUOTE_MAX) {
        snprintf(buf, size, "%.*s...", FW_QUOTE_MAX, text);
    } else {
        snprintf(buf, size, "%s", text);
    }
}

void
fw_ruleset_destroy(struct fw_ruleset *rs)
{
    if (rs) {
        free(rs->rules);
        memset(rs, 0, sizeof *rs);
    }
}

int
fw_rules_parse(const char *text, unsigned int top, struct fw_ruleset *out,
               char *err, size_t size)
{
    char *copy = strdup(text ? text : "");
    char *item, *save = NULL;
    uint64_t hash = 0;
    size_t cap = 0;
    int error = 0;

    memset(out, 0, sizeof *out);
    if (size) {
        err[0] = '\0';
    }
    if (!copy) {
        return ENOMEM;
    }
    /* strtok_r would merge ";;": empty rules are skipped either way. */
    for (item = strtok_r(copy, ";", &save); item;
         item = strtok_r(NULL, ";", &save)) {
        char quoted[FW_QUOTE_MAX + 4], why[256], canon[160];
        struct fw_rule *r;
        char *end;

        item += strspn(item, blanks);
        end = item + strlen(item);
        while (end > item && strchr(blanks, end[-1])) {
            *--end = '\0';
        }
        if (!*item) {
            continue;
        }
        if (out->n == FW_MAX_RULES) {
            snprintf(err, size, "more than %d rules", FW_MAX_RULES);
            error = EINVAL;
            break;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct fw_rule *nr = realloc(out->rules, ncap * sizeof *nr);

            if (!nr) {
                error = ENOMEM;
                break;
            }
            out->rules = nr;
            cap = ncap;
        }
        r = &out->rules[out->n];
        quote_rule(item, quoted, sizeof quoted);
        if ((error = parse_rule(item, (unsigned int)out->n + 1, top, r, why,
                                sizeof why))) {
            snprintf(err, size, "rule %zu (%s): %s", out->n + 1, quoted, why);
            break;
        }
        out->n++;
        fw_rule_format(r, canon, sizeof canon);
        hash = px_hash_bytes(canon, strlen(canon) + 1, hash);
    }
    free(copy);
    if (error) {
        fw_ruleset_destroy(out);
        return error;
    }
    out->fingerprint = (uint32_t)(hash >> 32);
    return 0;
}

size_t
fw_rule_fields(const struct fw_rule *r, struct px_of_field *f)
{
    size_t n = 0;

    f[n++] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800);
    if (r->proto != FW_PROTO_ANY) {
        f[n++] = px_of_field_u64(PX_OF_F_IP_PROTO, r->proto);
    }
    if (r->src_len == 32) {
        f[n++] = px_of_field_u64(PX_OF_F_IPV4_SRC, r->src);
    } else if (r->src_len) {
        f[n++] = px_of_field_u64_masked(PX_OF_F_IPV4_SRC, r->src,
                                        0xffffffffu << (32 - r->src_len));
    }
    if (r->dst_len == 32) {
        f[n++] = px_of_field_u64(PX_OF_F_IPV4_DST, r->dst);
    } else if (r->dst_len) {
        f[n++] = px_of_field_u64_masked(PX_OF_F_IPV4_DST, r->dst,
                                        0xffffffffu << (32 - r->dst_len));
    }
    if (r->has_sport) {
        f[n++] = px_of_field_u64(r->proto == FW_PROTO_TCP ? PX_OF_F_TCP_SRC
                                                          : PX_OF_F_UDP_SRC,
                                 r->sport);
    }
    if (r->has_dport) {
        f[n++] = px_of_field_u64(r->proto == FW_PROTO_TCP ? PX_OF_F_TCP_DST
                                                          : PX_OF_F_UDP_DST,
                                 r->dport);
    }
    return n;
}

int
fw_rule_format(const struct fw_rule *r, char *buf, size_t size)
{
    char src[32] = "", dst[32] = "", sport[16] = "", dport[16] = "";
    const char *proto = "";

    if (r->src_len) {
        snprintf(src, sizeof src, " src=%u.%u.%u.%u/%u", r->src >> 24,
                 (r->src >> 16) & 0xff, (r->src >> 8) & 0xff, r->src & 0xff,
                 r->src_len);
    }
    if (r->dst_len) {
        snprintf(dst, sizeof dst, " dst=%u.%u.%u.%u/%u", r->dst >> 24,
                 (r->dst >> 16) & 0xff, (r->dst >> 8) & 0xff, r->dst & 0xff,
                 r->dst_len);
    }
    switch (r->proto) {
    case FW_PROTO_TCP:
        proto = " proto=tcp";
        break;
    case FW_PROTO_UDP:
        proto = " proto=udp";
        break;
    case FW_PROTO_ICMP:
        proto = " proto=icmp";
        break;
    }
    if (r->has_sport) {
        snprintf(sport, sizeof sport, " sport=%u", r->sport);
    }
    if (r->has_dport) {
        snprintf(dport, sizeof dport, " dport=%u", r->dport);
    }
    return snprintf(buf, size, "%s priority=%u%s%s%s%s%s",
                    r->action == FW_ALLOW ? "allow" : "deny", r->priority, src,
                    dst, proto, sport, dport);
}
