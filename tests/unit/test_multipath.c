/*
 * Unit tests of the multipath plugin's rule parser
 * (plugins/multipath/mp_rules.c): the rules it reads, with blanks, empty
 * rules and hexadecimal datapath ids, and each refusal, whose message must
 * name the rule (its number and text) and what is wrong with it.
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

#include "mp_rules.h"

#define ROOM 16

/* Parses 'text' with room for ROOM rules. */
static int
parse(const char *text, struct mp_rule *rules, size_t *n, char *err,
      size_t err_size)
{
    memset(rules, 0xa5, ROOM * sizeof *rules);
    return mp_rules_parse(text, rules, ROOM, n, err, err_size);
}

static void
assert_rule(const struct mp_rule *r, const char *text, uint64_t dpid,
            uint32_t in_port, uint32_t n_out, const uint32_t *out,
            const char *rule_text)
{
    uint32_t i;

    assert_int_equal(r->dpid, dpid);
    assert_int_equal(r->in_port, in_port);
    assert_int_equal(r->n_out, n_out);
    for (i = 0; i < n_out; i++) {
        assert_int_equal(r->out[i], out[i]);
    }
    assert_int_equal(r->text_len, strlen(rule_text));
    assert_memory_equal(text + r->text_offset, rule_text, r->text_len);
}

static void
test_rules(void **state)
{
    static const char text[] = " 1:1>2,3; 1:2>1;1:3 > 1 ;"
                               "0x2a:1> 2 , 3 , 4;;18446744073709551615:"
                               "4294967040>7;";
    static const uint32_t o23[] = {2, 3}, o1[] = {1}, o234[] = {2, 3, 4},
                          o7[] = {7};
    struct mp_rule rules[ROOM];
    char err[256];
    size_t n = 99;

    (void)state;
    assert_int_equal(mp_rules_count(text), 7);
    assert_int_equal(parse(text, rules, &n, err, sizeof err), 0);
    assert_int_equal(n, 5);
    assert_string_equal(err, "");
    assert_rule(&rules[0], text, 1, 1, 2, o23, "1:1>2,3");
    assert_rule(&rules[1], text, 1, 2, 1, o1, "1:2>1");
    assert_rule(&rules[2], text, 1, 3, 1, o1, "1:3 > 1");
    assert_rule(&rules[3], text, 0x2a, 1, 3, o234, "0x2a:1> 2 , 3 , 4");
    assert_rule(&rules[4], text, UINT64_MAX, 0xffffff00u, 1, o7,
                "18446744073709551615:4294967040>7");
}

static void
test_empty(void **state)
{
    struct mp_rule rules[ROOM];
    char err[64];
    size_t n = 99;

    (void)state;
    assert_int_equal(mp_rules_count(""), 1);
    assert_int_equal(parse("", rules, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(parse(" ; ;\t", rules, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
}

static void
test_max_out(void **state)
{
    struct mp_rule rules[ROOM];
    char text[512], err[256];
    size_t n, len;
    int i;

    (void)state;
    len = (size_t)snprintf(text, sizeof text, "7:100>1");
    for (i = 2; i <= MP_MAX_OUT; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, ",%d", i);
    }
    assert_int_equal(parse(text, rules, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rules[0].n_out, MP_MAX_OUT);
    assert_int_equal(rules[0].out[MP_MAX_OUT - 1], MP_MAX_OUT);
    snprintf(text + len, sizeof text - len, ",99");
    assert_int_equal(parse(text, rules, &n, err, sizeof err), EINVAL);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err, "rule 1 '7:100>1,2,3,"));
    assert_non_null(strstr(err, "...': more than 32 out ports"));
}

/* Each malformed rule set and the message it gets. */
static const struct {
    const char *text;
    const char *message;
} bad[] = {
    {"1:1>2; 1-2>1", "rule 2 '1-2>1': no ':' between the datapath id and "
                     "the in port (DPID:IN_PORT>OUT,...)"},
    {":1>2", "rule 1 ':1>2': no datapath id"},
    {"s1:1>2", "rule 1 's1:1>2': datapath id 's1' is not a number (decimal, "
               "or hexadecimal after 0x, up to 64 bits)"},
    {"0x:1>2", "rule 1 '0x:1>2': datapath id '0x' is not a number"},
    {"-1:1>2", "rule 1 '-1:1>2': datapath id '-1' is not a number"},
    {"18446744073709551616:1>2", "datapath id '18446744073709551616' is not "
                                 "a number"},
    {"0x10000000000000000:1>2", "is not a number"},
    {"1:1", "rule 1 '1:1': no '>' between the in port and the out ports"},
    {"1:>2", "rule 1 '1:>2': no in port"},
    {"1:0>2", "rule 1 '1:0>2': in port '0' is not a number from 1 to "
              "4294967040"},
    {"1:4294967041>2", "in port '4294967041' is not a number from 1 to "
                       "4294967040"},
    {"1:1 2>3", "in port '1 2' is not a number"},
    {"1:1>", "rule 1 '1:1>': no out port"},
    {"1:1>2,", "rule 1 '1:1>2,': no out port"},
    {"1:1>2,,3", "rule 1 '1:1>2,,3': no out port"},
    {"1:1>2,x", "rule 1 '1:1>2,x': out port 'x' is not a number from 1 to "
                "4294967040"},
    {"1:1>2>3", "out port '2>3' is not a number"},
    {"1:1>2:3", "out port '2:3' is not a number"},
    {"1:1>+2", "out port '+2' is not a number"},
    {"1:1>2,1", "rule 1 '1:1>2,1': out port 1 is the in port"},
    {"1:1>2,3,2", "rule 1 '1:1>2,3,2': out port 2 is listed twice"},
    {"1:1>2; 2:1>2; 0x1:1>3", "rule 3 '0x1:1>3': switch 1 in port 1 already "
                              "has a rule ('1:1>2')"},
};

static void
test_refused(void **state)
{
    struct mp_rule rules[ROOM];
    char err[256];
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = 99;
        assert_int_equal(parse(bad[i].text, rules, &n, err, sizeof err),
                         EINVAL);
        assert_int_equal(n, 0);
        if (!strstr(err, bad[i].message)) {
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, err,
                     bad[i].message);
        }
    }
}

static void
test_too_many(void **state)
{
    struct mp_rule rules[ROOM];
    char text[512], err[256];
    size_t n, len = 0;
    int i;

    (void)state;
    for (i = 1; i <= ROOM + 1; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "1:%d>99;", i);
    }
    assert_int_equal(mp_rules_parse(text, rules, ROOM, &n, err, sizeof err),
                     EINVAL);
    assert_int_equal(n, 0);
    assert_string_equal(err, "rule 17 '1:17>99': more than 16 rules");
    /* Exactly 'max' fit. */
    text[strlen(text) - strlen("1:17>99;")] = '\0';
    assert_int_equal(mp_rules_parse(text, rules, ROOM, &n, err, sizeof err),
                     0);
    assert_int_equal(n, ROOM);
}

/* A message longer than 'err' is cut, and still terminated; a long rule is
 * quoted in part. */
static void
test_message_bounds(void **state)
{
    struct mp_rule rules[ROOM];
    char err[16], big[256], text[200];
    size_t n;

    (void)state;
    memset(err, 'x', sizeof err);
    assert_int_equal(parse("1:1>2,1", rules, &n, err, sizeof err), EINVAL);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_int_equal(parse("1:1>2,1", rules, &n, NULL, 0), EINVAL);
    memset(text, '1', sizeof text);
    text[sizeof text - 1] = '\0';
    assert_int_equal(parse(text, rules, &n, big, sizeof big), EINVAL);
    assert_non_null(strstr(big, "...': no ':'"));
    assert_true(strlen(big) < 160);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),    cmocka_unit_test(test_empty),
        cmocka_unit_test(test_max_out),  cmocka_unit_test(test_refused),
        cmocka_unit_test(test_too_many), cmocka_unit_test(test_message_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
