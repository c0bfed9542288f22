/*
 * The multipath plugin's rule set: the text of its one configuration key,
 * 'rules', parsed into forwarding rules.  Pure functions (no allocation,
 * no I/O), so that tests/unit/test_multipath.c checks every refusal.
 *
 * The syntax, one key because a plugin section has no repeated keys:
 *
 *     rules = 1:1>2,3; 1:2>1; 1:3>1; 0x2:1>2
 *
 * Rules are separated by ';'.  Each is DPID:IN_PORT>OUT[,OUT...]: the
 * switch's datapath id (decimal, or hexadecimal after "0x"), the port the
 * traffic comes in on, and the ports it goes out of.  Blanks around each
 * number are allowed, and so are empty rules (a trailing ';').  A rule
 * with one out port becomes a flow that outputs there; one with several
 * becomes an OpenFlow 1.3 SELECT group with one bucket per port, and a
 * flow to it.
 */
#ifndef MP_RULES_H
#define MP_RULES_H 1

#include <stddef.h>
#include <stdint.h>

/* The most out ports of one rule (buckets of one group). */
#define MP_MAX_OUT 32

/* The most rules of one rule set: bounds what a typo such as a pasted
 * file can make the plugin allocate. */
#define MP_MAX_RULES 4096

struct mp_rule {
    uint64_t dpid;
    uint32_t in_port;
    uint32_t n_out;
    uint32_t out[MP_MAX_OUT];
    /* Where the rule starts in the text and how long it is (blanks
     * trimmed), to name it in log lines. */
    size_t text_offset;
    size_t text_len;
};

/* The number of rules 'text' holds at most: its ';'-separated parts, of
 * which empty ones are later skipped.  What to allocate for
 * mp_rules_parse. */
size_t mp_rules_count(const char *text);

/* Parses 'text' into 'rules', which has room for 'max' of them, and
 * stores how many there are in '*n'.  Returns 0, or EINVAL with '*n' 0 and
 * a message in 'err' ('err_size' bytes, always terminated) that names the
 * rule by its number and text and says what is wrong with it: a number
 * that is missing, not a number or out of range (ports are 1 to
 * 0xffffff00), a missing ':' or '>', an out port repeated or equal to the
 * in port, more than MP_MAX_OUT out ports, a second rule for the same
 * switch and in port, more than 'max' or MP_MAX_RULES rules. */
int mp_rules_parse(const char *text, struct mp_rule *rules, size_t max,
                   size_t *n, char *err, size_t err_size);

#endif /* MP_RULES_H */
