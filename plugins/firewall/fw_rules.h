/*
 * The firewall's rules: parsing the 'rules' key, the match fields and
 * cookie of each rule's flow, and the canonical text a rule is shown as.
 * Pure functions over strings and structs, no plugin calls, so that
 * tests/unit/test_firewall.c runs them without a host.
 *
 * The 'rules' key holds rules separated by ';'.  A rule is an action,
 * "allow" or "deny", then KEY=VALUE words separated by blanks:
 *   src=PREFIX, dst=PREFIX   IPv4 source and destination ("10.0.0.1",
 *                            "10.0.0.0/8", "any"); nw_src, nw_dst too
 *   proto=tcp|udp|icmp|any   IP protocol (nw_proto too)
 *   sport=PORT, dport=PORT   TCP or UDP source and destination port, with
 *                            proto tcp or udp (tp_src, tp_dst too)
 *   priority=N               the flow's priority, 2 to 65535
 * A rule matches IPv4 packets only (ARP and IPv6 are never matched).  A
 * rule without priority= takes 'top' minus its position less one, so that
 * of such rules the earlier wins, as in an ACL.  Rules are numbered from 1
 * in the order written; empty ones (";;", a trailing ';') are skipped and
 * not numbered.
 *
 * Cookies: every flow the firewall installs carries
 *   FW_COOKIE_TAG | fingerprint << 16 | rule number
 * (rule number 0 for the default policy's flow), where the fingerprint
 * is 32 bits of a hash of the canonical rule set.  The tag finds every
 * firewall flow in a switch; the fingerprint tells this rule set's flows
 * from those an earlier configuration left behind.
 */
#ifndef FW_RULES_H
#define FW_RULES_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/topics/openflow.h"

/* Most rules in one rule set: rule numbers fit the cookie's 16 bits. */
#define FW_MAX_RULES 4096
/* Lowest priority a rule may have: the default policy's flow has 1. */
#define FW_MIN_PRIORITY     2
#define FW_DEFAULT_PRIORITY 1
/* Most match fields a rule's flow has: ETH_TYPE, IP_PROTO, IPV4_SRC,
 * IPV4_DST and the two ports. */
#define FW_MAX_FIELDS 6

#define FW_COOKIE_TAG      0xf17e000000000000ull
#define FW_COOKIE_TAG_MASK 0xffff000000000000ull

enum fw_action {
    FW_ALLOW = 1,
    FW_DENY,
};

/* IP protocols a rule may name; 0 is any. */
#define FW_PROTO_ANY  0
#define FW_PROTO_ICMP 1
#define FW_PROTO_TCP  6
#define FW_PROTO_UDP  17

struct fw_rule {
    unsigned int number; /* 1-based position among the rules. */
    enum fw_action action;
    uint16_t priority;
    uint32_t src; /* Host byte order; the prefix's host bits are 0. */
    uint32_t dst;
    uint8_t src_len; /* Prefix lengths; 0 is any. */
    uint8_t dst_len;
    uint8_t proto; /* FW_PROTO_*. */
    uint8_t has_sport;
    uint8_t has_dport;
    uint16_t sport;
    uint16_t dport;
};

/* A parsed rule set.  Owns 'rules'. */
struct fw_ruleset {
    struct fw_rule *rules;
    size_t n;
    uint32_t fingerprint;
};

/* Parses 'text' (the 'rules' key) into '*out', numbering the rules and
 * giving those without priority= 'top' - (position - 1).  Returns 0, or
 * EINVAL with one line in 'err' (of 'size' bytes) that names the rule by
 * number and text and says what is wrong ("rule 2 (deny src=10.0.0.999):
 * src: '10.0.0.999' is not an IPv4 address or prefix"), or ENOMEM.  On
 * error '*out' is empty. */
int fw_rules_parse(const char *text, unsigned int top, struct fw_ruleset *out,
                   char *err, size_t size);

/* Frees what 'rs' owns and empties it; accepts NULL. */
void fw_ruleset_destroy(struct fw_ruleset *rs);

/* Writes the match fields of 'r''s flow into 'fields' (FW_MAX_FIELDS of
 * them) and returns how many. */
size_t fw_rule_fields(const struct fw_rule *r, struct px_of_field *fields);

/* Writes 'r' as canonical text ("deny priority=1000 src=10.0.0.1/32
 * dst=10.0.0.0/8 proto=tcp dport=80"; "any" fields left out) into 'buf'
 * of 'size' bytes, truncating.  Returns the length it needed, as
 * snprintf does. */
int fw_rule_format(const struct fw_rule *r, char *buf, size_t size);

/* The cookie of rule 'number' (0: the default flow) of rule sets with
 * 'fingerprint'. */
static inline uint64_t
fw_cookie(uint32_t fingerprint, unsigned int number)
{
    return FW_COOKIE_TAG | (uint64_t)fingerprint << 16 | (number & 0xffffu);
}

/* If 'cookie' is a firewall's, stores its fingerprint and rule number and
 * returns 1; else returns 0. */
static inline int
fw_cookie_split(uint64_t cookie, uint32_t *fingerprint, unsigned int *number)
{
    if ((cookie & FW_COOKIE_TAG_MASK) != FW_COOKIE_TAG) {
        return 0;
    }
    *fingerprint = (uint32_t)(cookie >> 16);
    *number = (unsigned int)(cookie & 0xffffu);
    return 1;
}

#endif /* FW_RULES_H */
