/*
 * The multipath plugin's rule parser (see mp_rules.h for the syntax).
 * It walks the text once, rule by rule, and stops at the first thing
 * wrong, which it names with the rule's number and text: a configuration
 * is refused at init, so the operator needs to see the one rule to fix.
 */
#include "mp_rules.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plexus/topics/openflow.h"

/* A piece of the text: 'len' bytes at 's', not terminated. */
struct mp_span {
    const char *s;
    size_t len;
};

/* The longest part of a rule quoted in a message: a rule pasted by
 * mistake can be a whole line long. */
#define MP_QUOTE_MAX 60

static int
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct mp_span
trim(const char *s, size_t len)
{
    struct mp_span sp;

    while (len && is_blank(*s)) {
        s++;
        len--;
    }
    while (len && is_blank(s[len - 1])) {
        len--;
    }
    sp.s = s;
    sp.len = len;
    return sp;
}

/* Finds 'c' in 'sp': its offset, or sp.len if it is not there. */
static size_t
find(struct mp_span sp, char c)
{
    const char *hit = memchr(sp.s, c, sp.len);

    return hit ? (size_t)(hit - sp.s) : sp.len;
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Parses the whole of 'sp' (blanks trimmed) as a decimal number, or a
 * hexadecimal one after "0x", no greater than 'max'.  Not strtoull: it
 * takes signs, blanks and octal, none of which belongs in a port
 * number. */
static int
parse_number(struct mp_span sp, uint64_t max, uint64_t *out)
{
    unsigned int base = 10;
    uint64_t v = 0;
    size_t i = 0;

    sp = trim(sp.s, sp.len);
    if (sp.len > 2 && sp.s[0] == '0' && (sp.s[1] == 'x' || sp.s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == sp.len) {
        return EINVAL;
    }
    for (; i < sp.len; i++) {
        int d = hex_value(sp.s[i]);

        if (d < 0 || (unsigned int)d >= base) {
            return EINVAL;
        }
        if (v > (max - (uint64_t)d) / base) {
            return ERANGE;
        }
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* Writes "rule N 'TEXT': " and the message to 'err'; returns EINVAL. */
__attribute__((format(printf, 5, 6))) static int
refuse(char *err, size_t err_size, size_t number, struct mp_span rule,
       const char *fmt, ...)
{
    va_list args;
    int n;

    if (!err_size) {
        return EINVAL;
    }
    n = snprintf(err, err_size, "rule %zu '%.*s%s': ", number,
                 (int)(rule.len > MP_QUOTE_MAX ? MP_QUOTE_MAX : rule.len),
                 rule.s, rule.len > MP_QUOTE_MAX ? "..." : "");
    if (n >= 0 && (size_t)n < err_size) {
        va_start(args, fmt);
        vsnprintf(err + n, err_size - (size_t)n, fmt, args);
        va_end(args);
    }
    return EINVAL;
}

/* Quotes a part of a rule in a message, cut to MP_QUOTE_MAX. */
#define MP_QUOTE(SP)                                                          \
    (int)((SP).len > MP_QUOTE_MAX ? MP_QUOTE_MAX : (SP).len), (SP).s

/* Parses one port number, for the message 'what' ("in port", "out
 * port"). */
static int
parse_port(struct mp_span sp, const char *what, uint32_t *port, char *err,
           size_t err_size, size_t number, struct mp_span rule)
{
    uint64_t v;
    int error;

    sp = trim(sp.s, sp.len);
    if (!sp.len) {
        return refuse(err, err_size, number, rule, "no %s", what);
    }
    error = parse_number(sp, PX_OF_PORT_MAX, &v);
    if (error || v == 0) {
        return refuse(err, err_size, number, rule,
                      "%s '%.*s' is not a number from 1 to %" PRIu32, what,
                      MP_QUOTE(sp), (uint32_t)PX_OF_PORT_MAX);
    }
    *port = (uint32_t)v;
    return 0;
}

/* Parses rule 'number', 'rule' (trimmed, not empty), into 'r'. */
static int
parse_rule(struct mp_span rule, size_t number, struct mp_rule *r, char *err,
           size_t err_size)
{
    struct mp_span dpid, in, outs;
    size_t colon, gt;
    int error;

    colon = find(rule, ':');
    if (colon == rule.len) {
        return refuse(err, err_size, number, rule,
                      "no ':' between the datapath id and the in port "
                      "(DPID:IN_PORT>OUT,...)");
    }
    dpid = trim(rule.s, colon);
    if (!dpid.len) {
        return refuse(err, err_size, number, rule, "no datapath id");
    }
    if (parse_number(dpid, UINT64_MAX, &r->dpid)) {
        return refuse(err, err_size, number, rule,
                      "datapath id '%.*s' is not a number (decimal, or "
                      "hexadecimal after 0x, up to 64 bits)",
                      MP_QUOTE(dpid));
    }
    in.s = rule.s + colon + 1;
    in.len = rule.len - colon - 1;
    gt = find(in, '>');
    if (gt == in.len) {
        return refuse(err, err_size, number, rule,
                      "no '>' between the in port and the out ports "
                      "(DPID:IN_PORT>OUT,...)");
    }
    outs.s = in.s + gt + 1;
    outs.len = in.len - gt - 1;
    in.len = gt;
    if ((error = parse_port(in, "in port", &r->in_port, err, err_size, number,
                            rule))) {
        return error;
    }
    r->n_out = 0;
    for (;;) {
        size_t comma = find(outs, ',');
        struct mp_span one = {outs.s, comma};
        uint32_t port, i;

        if ((error = parse_port(one, "out port", &port, err, err_size, number,
                                rule))) {
            return error;
        }
        if (port == r->in_port) {
            return refuse(err, err_size, number, rule,
                          "out port %" PRIu32 " is the in port (a switch "
                          "does not send a frame back where it came from)",
                          port);
        }
        for (i = 0; i < r->n_out; i++) {
            if (r->out[i] == port) {
                return refuse(err, err_size, number, rule,
                              "out port %" PRIu32 " is listed twice", port);
            }
        }
        if (r->n_out == MP_MAX_OUT) {
            return refuse(err, err_size, number, rule,
                          "more than %d out ports", MP_MAX_OUT);
        }
        r->out[r->n_out++] = port;
        if (comma == outs.len) {
            break;
        }
        outs.s += comma + 1;
        outs.len -= comma + 1;
    }
    return 0;
}

size_t
mp_rules_count(const char *text)
{
    size_t n = 1;

    for (; *text; text++) {
        n += *text == ';';
    }
    return n;
}

int
mp_rules_parse(const char *text, struct mp_rule *rules, size_t max, size_t *n,
               char *err, size_t err_size)
{
    const char *p = text;
    size_t count = 0, number = 0;

    *n = 0;
    if (err_size) {
        err[0] = '\0';
    }
    if (max > MP_MAX_RULES) {
        max = MP_MAX_RULES;
    }
    for (;;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        struct mp_span rule = trim(p, len);

        if (rule.len) {
            struct mp_rule *r;
            size_t i;
            int error;

            number++;
            if (count == max) {
                return refuse(err, err_size, number, rule,
                              "more than %zu rules", max);
            }
            r = &rules[count];
            if ((error = parse_rule(rule, number, r, err, err_size))) {
                return error;
            }
            for (i = 0; i < count; i++) {
                if (rules[i].dpid == r->dpid &&
                    rules[i].in_port == r->in_port) {
                    return refuse(
                        err, err_size, number, rule,
                        "switch %" PRIu64 " in port %" PRIu32
                        " already has a rule ('%.*s')",
                        r->dpid, r->in_port,
                        MP_QUOTE(((struct mp_span){text + rules[i].text_offset,
                                                   rules[i].text_len})));
                }
            }
            r->text_offset = (size_t)(rule.s - text);
            r->text_len = rule.len;
            count++;
        }
        if (!end) {
            break;
        }
        p = end + 1;
    }
    *n = count;
    return 0;
}
