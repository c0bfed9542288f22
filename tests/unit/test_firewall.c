/*
 * Unit tests of the firewall's rule parser (plugins/firewall/fw_rules.c):
 * rule sets that parse, with every key and its Ryu spelling, numbering,
 * priorities from position, the match fields each rule's flow gets, the
 * canonical text and its fingerprint, the cookie layout; and every kind
 * of bad rule, refused with the rule's number, its text and what is
 * wrong.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fw_rules.h"

/* Parses 'text' with top priority 1000, expecting success. */
static void
parse_ok(const char *text, struct fw_ruleset *rs)
{
    char err[512];
    int error = fw_rules_parse(text, 1000, rs, err, sizeof err);

    if (error) {
        fail_msg("'%s': %s (%d)", text, err, error);
    }
}

/* Parses 'text', expecting EINVAL with 'want' in the message. */
static void
parse_bad(const char *text, const char *want)
{
    struct fw_ruleset rs;
    char err[512];
    int error = fw_rules_parse(text, 1000, &rs, err, sizeof err);

    if (error != EINVAL || !strstr(err, want)) {
        fail_msg("'%s': got %d '%s', want EINVAL with '%s'", text, error, err,
                 want);
    }
    assert_null(rs.rules);
    assert_int_equal(rs.n, 0);
}

static void
test_empty(void **state)
{
    static const char *const texts[] = {"", "   ", ";", " ; ;; \t;"};
    struct fw_ruleset rs;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        parse_ok(texts[i], &rs);
        assert_int_equal(rs.n, 0);
        fw_ruleset_destroy(&rs);
    }
    /* NULL reads as empty. */
    {
        char err[64];

        assert_int_equal(fw_rules_parse(NULL, 1000, &rs, err, sizeof err), 0);
        assert_int_equal(rs.n, 0);
    }
    fw_ruleset_destroy(NULL);
}

static void
test_full_rule(void **state)
{
    struct fw_ruleset rs;
    const struct fw_rule *r;

    (void)state;
    parse_ok("deny src=10.0.0.1 dst=10.1.0.0/16 proto=tcp sport=1234 "
             "dport=80 priority=2000",
             &rs);
    assert_int_equal(rs.n, 1);
    r = &rs.rules[0];
    assert_int_equal(r->number, 1);
    assert_int_equal(r->action, FW_DENY);
    assert_int_equal(r->priority, 2000);
    assert_int_equal(r->src, 0x0a000001);
    assert_int_equal(r->src_len, 32);
    assert_int_equal(r->dst, 0x0a010000);
    assert_int_equal(r->dst_len, 16);
    assert_int_equal(r->proto, FW_PROTO_TCP);
    assert_true(r->has_sport);
    assert_int_equal(r->sport, 1234);
    assert_true(r->has_dport);
    assert_int_equal(r->dport, 80);
    fw_ruleset_destroy(&rs);
    assert_null(rs.rules);
}

/* Ryu's rest_firewall names, upper-case actions and protocols, tabs and
 * blanks around ';'. */
static void
test_ryu_spelling(void **state)
{
    struct fw_ruleset a, b;
    char ta[160], tb[160];

    (void)state;
    parse_ok("  ALLOW\tnw_src=10.0.0.0/8 nw_dst=any nw_proto=UDP tp_src=53 "
             "tp_dst=5353 ; ",
             &a);
    parse_ok("allow src=10.0.0.0/8 proto=udp sport=53 dport=5353", &b);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.rules[0].action, FW_ALLOW);
    assert_int_equal(a.rules[0].dst_len, 0);
    fw_rule_format(&a.rules[0], ta, sizeof ta);
    fw_rule_format(&b.rules[0], tb, sizeof tb);
    assert_string_equal(ta, tb);
    assert_string_equal(ta, "allow priority=1000 src=10.0.0.0/8 proto=udp "
                            "sport=53 dport=5353");
    assert_int_equal(a.fingerprint, b.fingerprint);
    fw_ruleset_destroy(&a);
    fw_ruleset_destroy(&b);
}

/* Rules without priority= take 'top' less their position; empty rules
 * are not numbered. */
static void
test_numbering_and_priorities(void **state)
{
    struct fw_ruleset rs;
    char err[256];

    (void)state;
    parse_ok("deny dst=10.0.0.4;; allow proto=icmp priority=7; ;"
             "deny proto=tcp dport=22;",
             &rs);
    assert_int_equal(rs.n, 3);
    assert_int_equal(rs.rules[0].number, 1);
    assert_int_equal(rs.rules[0].priority, 1000);
    assert_int_equal(rs.rules[1].number, 2);
    assert_int_equal(rs.rules[1].priority, 7);
    assert_int_equal(rs.rules[2].number, 3);
    assert_int_equal(rs.rules[2].priority, 998);
    fw_ruleset_destroy(&rs);

    /* Top 3: the third rule would get 1, the default flow's. */
    assert_int_equal(
        fw_rules_parse("deny; deny; deny", 3, &rs, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "rule 3 (deny): without priority= its "
                                "position gives it 1, below 2"));
    assert_int_equal(
        fw_rules_parse("deny; deny; deny priority=9", 3, &rs, err, sizeof err),
        0);
    fw_ruleset_destroy(&rs);
}

static void
test_bounds(void **state)
{
    struct fw_ruleset rs;

    (void)state;
    parse_ok("allow src=0.0.0.0/0 dst=255.255.255.255/32 proto=tcp sport=0 "
             "dport=65535 priority=65535; deny priority=2",
             &rs);
    assert_int_equal(rs.rules[0].src_len, 0);
    assert_int_equal(rs.rules[0].dst, 0xffffffff);
    assert_int_equal(rs.rules[0].sport, 0);
    assert_int_equal(rs.rules[0].dport, 65535);
    assert_int_equal(rs.rules[0].priority, 65535);
    assert_int_equal(rs.rules[1].priority, 2);
    fw_ruleset_destroy(&rs);
}

static void
test_bad_rules(void **state)
{
    (void)state;
    parse_bad("permit src=10.0.0.1",
              "rule 1 (permit src=10.0.0.1): 'permit': a rule starts with "
              "allow or deny");
    parse_bad("deny; deny src=10.0.0.999",
              "rule 2 (deny src=10.0.0.999): src: '10.0.0.999' is not an "
              "IPv4 address or prefix");
    parse_bad("deny dst=10.0.0.0/33", "dst: '10.0.0.0/33': the prefix "
                                      "length must be 0 to 32");
    parse_bad("deny dst=10.0.0.0/", "the prefix length must be 0 to 32");
    parse_bad("deny dst=10.0.0.0/+8", "the prefix length must be 0 to 32");
    parse_bad("deny src=10.0.0.1/24", "src: '10.0.0.1/24' has bits set past "
                                      "its /24 (did you mean 10.0.0.0/24?)");
    parse_bad("deny src=10.1", "is not an IPv4 address or prefix");
    parse_bad("deny src=2001:db8::1", "is not an IPv4 address or prefix");
    parse_bad("deny src=", "src has no value");
    parse_bad("deny proto=sctp",
              "proto: 'sctp' is not one of tcp, udp, icmp, any");
    parse_bad("deny dport=80", "sport and dport need proto=tcp or "
                               "proto=udp");
    parse_bad("deny proto=icmp sport=1", "sport and dport need proto=tcp");
    parse_bad("deny proto=tcp dport=65536",
              "dport: '65536' is not a port (0 to 65535)");
    parse_bad("deny proto=tcp dport=-1", "dport: '-1' is not a port");
    parse_bad("deny proto=tcp dport=http", "dport: 'http' is not a port");
    parse_bad("deny priority=1", "priority: '1' is not a number from 2 to "
                                 "65535");
    parse_bad("deny priority=65536", "priority: '65536' is not a number");
    parse_bad("deny src=10.0.0.1 nw_src=10.0.0.2", "src given twice");
    parse_bad("deny proto=tcp proto=udp", "proto given twice");
    parse_bad("deny in_port=1", "unknown key 'in_port' (keys: src, dst, "
                                "proto, sport, dport, priority)");
    parse_bad("deny 10.0.0.1", "'10.0.0.1' is not KEY=VALUE");
    parse_bad("allow; deny; allow proto=tcp dport=x",
              "rule 3 (allow proto=tcp dport=x)");
}

/* A long bad rule is quoted shortened. */
static void
test_long_rule_quoted(void **state)
{
    char text[400], err[512];
    struct fw_ruleset rs;

    (void)state;
    snprintf(text, sizeof text, "deny bogus=%0300d", 7);
    assert_int_equal(fw_rules_parse(text, 1000, &rs, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "rule 1 (deny bogus=000"));
    assert_non_null(strstr(err, "...): unknown key"));
    assert_true(strlen(err) < sizeof err - 1);
}

static void
test_too_many_rules(void **state)
{
    size_t per = strlen("deny priority=5;"), i;
    char *text = malloc(per * (FW_MAX_RULES + 1) + 1), err[256];
    struct fw_ruleset rs;

    (void)state;
    assert_non_null(text);
    text[0] = '\0';
    for (i = 0; i < FW_MAX_RULES; i++) {
        strcat(text + i * per, "deny priority=5;");
    }
    assert_int_equal(fw_rules_parse(text, 1000, &rs, err, sizeof err), 0);
    assert_int_equal(rs.n, FW_MAX_RULES);
    assert_int_equal(rs.rules[FW_MAX_RULES - 1].number, FW_MAX_RULES);
    fw_ruleset_destroy(&rs);
    strcat(text + i * per, "deny priority=5;");
    assert_int_equal(fw_rules_parse(text, 1000, &rs, err, sizeof err), EINVAL);
    assert_string_equal(err, "more than 4096 rules");
    free(text);
}

/* The fields of each kind of rule, as openflow will encode them. */
static void
test_fields(void **state)
{
    struct px_of_field f[FW_MAX_FIELDS];
    struct fw_ruleset rs;
    size_t n;

    (void)state;
    parse_ok("deny; allow src=10.0.0.1 dst=192.168.0.0/16 proto=tcp "
             "dport=80; deny proto=udp sport=53; deny proto=icmp "
             "dst=10.0.0.0/8",
             &rs);

    n = fw_rule_fields(&rs.rules[0], f);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].id, PX_OF_F_ETH_TYPE);
    assert_int_equal(f[0].value[0], 0x08);
    assert_int_equal(f[0].value[1], 0x00);
    assert_false(f[0].has_mask);

    n = fw_rule_fields(&rs.rules[1], f);
    assert_int_equal(n, 5);
    assert_int_equal(f[1].id, PX_OF_F_IP_PROTO);
    assert_int_equal(f[1].value[0], 6);
    assert_int_equal(f[2].id, PX_OF_F_IPV4_SRC);
    assert_false(f[2].has_mask);
    assert_memory_equal(f[2].value, "\x0a\x00\x00\x01", 4);
    assert_int_equal(f[3].id, PX_OF_F_IPV4_DST);
    assert_true(f[3].has_mask);
    assert_memory_equal(f[3].value, "\xc0\xa8\x00\x00", 4);
    assert_memory_equal(f[3].mask, "\xff\xff\x00\x00", 4);
    assert_int_equal(f[4].id, PX_OF_F_TCP_DST);
    assert_memory_equal(f[4].value, "\x00\x50", 2);

    n = fw_rule_fields(&rs.rules[2], f);
    assert_int_equal(n, 3);
    assert_int_equal(f[1].value[0], 17);
    assert_int_equal(f[2].id, PX_OF_F_UDP_SRC);
    assert_memory_equal(f[2].value, "\x00\x35", 2);

    n = fw_rule_fields(&rs.rules[3], f);
    assert_int_equal(n, 3);
    assert_int_equal(f[1].value[0], 1);
    assert_int_equal(f[2].id, PX_OF_F_IPV4_DST);
    assert_memory_equal(f[2].mask, "\xff\x00\x00\x00", 4);
    fw_ruleset_destroy(&rs);
}

static void
test_format(void **state)
{
    struct fw_ruleset rs;
    char buf[160], small[12];
    int len;

    (void)state;
    parse_ok("deny; allow proto=icmp dst=10.0.0.3 priority=50", &rs);
    fw_rule_format(&rs.rules[0], buf, sizeof buf);
    assert_string_equal(buf, "deny priority=1000");
    len = fw_rule_format(&rs.rules[1], buf, sizeof buf);
    assert_string_equal(buf, "allow priority=50 dst=10.0.0.3/32 proto=icmp");
    assert_int_equal(len, (int)strlen(buf));
    /* Truncates, and says the length it needed. */
    assert_int_equal(fw_rule_format(&rs.rules[1], small, sizeof small), len);
    assert_string_equal(small, "allow prior");
    fw_ruleset_destroy(&rs);
}

/* The fingerprint follows the canonical rule set: equal for the same
 * rules however spelt, different when a rule, its priority or the order
 * changes. */
static void
test_fingerprint(void **state)
{
    static const char *const differ[] = {
        "deny src=10.0.0.1 dst=10.0.0.4",
        "deny src=10.0.0.1 dst=10.0.0.3",
        "allow src=10.0.0.1 dst=10.0.0.4",
        "deny src=10.0.0.1 dst=10.0.0.4 priority=999",
        "deny src=10.0.0.1 dst=10.0.0.4; deny proto=tcp dport=80",
        "deny proto=tcp dport=80; deny src=10.0.0.1 dst=10.0.0.4",
        "",
    };
    uint32_t fps[sizeof differ / sizeof differ[0]];
    struct fw_ruleset rs;
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof differ / sizeof differ[0]; i++) {
        parse_ok(differ[i], &rs);
        fps[i] = rs.fingerprint;
        fw_ruleset_destroy(&rs);
        for (j = 0; j < i; j++) {
            if (fps[i] == fps[j]) {
                fail_msg("'%s' and '%s' share fingerprint %08x", differ[i],
                         differ[j], fps[i]);
            }
        }
    }
    parse_ok(" DENY nw_dst=10.0.0.4/32  nw_src=10.0.0.1 priority=1000 ;", &rs);
    assert_int_equal(rs.fingerprint, fps[0]);
    fw_ruleset_destroy(&rs);
}

static void
test_cookies(void **state)
{
    unsigned int number;
    uint32_t fp;
    uint64_t c;

    (void)state;
    c = fw_cookie(0x12345678, 3);
    assert_true(c == 0xf17e123456780003ull);
    assert_true(fw_cookie_split(c, &fp, &number));
    assert_int_equal(fp, 0x12345678);
    assert_int_equal(number, 3);
    assert_true(fw_cookie(0xffffffff, 0) == 0xf17effffffff0000ull);
    assert_true(fw_cookie_split(fw_cookie(0, FW_MAX_RULES), &fp, &number));
    assert_int_equal(number, FW_MAX_RULES);
    assert_false(fw_cookie_split(0, &fp, &number));
    assert_false(fw_cookie_split(0xf17f000000000001ull, &fp, &number));
    assert_false(fw_cookie_split(0x600, &fp, &number));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_full_rule),
        cmocka_unit_test(test_ryu_spelling),
        cmocka_unit_test(test_numbering_and_priorities),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_long_rule_quoted),
        cmocka_unit_test(test_too_many_rules),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_cookies),
    };

    return cmocka_run_group_tests_name("firewall", tests, NULL, NULL);
}
