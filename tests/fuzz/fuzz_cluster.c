/*
 * libFuzzer target for what the cluster plugin reads from others: the
 * values in the NATS bucket (any NATS client with the bucket's
 * credentials can write them), the bucket's keys, and the handoff blob
 * of a reload.
 *
 * The first input byte chooses:
 *   0  a member value (cl_member_decode): if it decodes, encoding it and
 *      decoding that gives the same value;
 *   1  a switch value (cl_switch_decode), the same;
 *   2  a key (cl_key_parse) of the rest, as a string: a member key's id
 *      is valid, a switch key formats back to itself;
 *   3  a handoff blob (cl_state_restore) into a fresh state: refused, or
 *      taken and saved back to the same bytes;
 *   else  a run of bucket entries into a state (byte: key kind and
 *      revision step, then a value of the next byte's length), with
 *      cl_state_run between them: no crash, no leak, and, since none of
 *      its writes is ever acknowledged, the instance never joins and so
 *      never masters a switch, whatever the bucket says.
 *
 * Build: see the Makefile (fuzz_cluster); run:
 *   build/fuzz/fuzz_cluster -max_total_time=60 build/fuzz/work-fuzz_cluster
 *       tests/fuzz/corpus/cluster
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_state.h"
#include "cl_value.h"
#include "fuzzcheck.h"
#include "plexus/buf.h"

static void
no_write(void *arg, const struct cl_write *w)
{
    (void)arg, (void)w;
}

static void
no_role(void *arg, uint64_t dpid, uint32_t role, uint64_t gen)
{
    (void)arg, (void)dpid, (void)role, (void)gen;
}

static void
no_log(void *arg, enum cl_log_level level, const char *msg)
{
    (void)arg, (void)level;
    check(msg != NULL && strlen(msg) < 256);
}

static uint64_t
fixed(void *arg)
{
    (void)arg;
    return 42;
}

static const struct cl_state_ops ops = {no_write, no_role, no_log, fixed};

static struct cl_state *
new_state(void)
{
    struct cl_state_config c = {.self = "me",
                                .endpoint = "tcp:x",
                                .lease = 2,
                                .margin = 0.2,
                                .max_switches = 16,
                                .max_members = 4};
    struct cl_state *st = NULL;

    check(cl_state_create(&c, &ops, NULL, &st) == 0);
    return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[CL_VALUE_MAX];
    size_t len;

    if (size < 1) {
        return 0;
    }
    switch (data[0]) {
    case 0: {
        struct cl_member_value a, b;

        if (cl_member_decode(data + 1, size - 1, &a) == 0 &&
            cl_member_encode(&a, out, sizeof out, &len) == 0) {
            check(cl_member_decode(out, len, &b) == 0);
            check(
                a.state == b.state && a.inc == b.inc && a.pid == b.pid &&
                !strcmp(a.by, b.by) && !strcmp(a.endpoint, b.endpoint) &&
                a.n_prefer == b.n_prefer && a.n_prefer <= CL_PREFER_MAX &&
                !memcmp(a.prefer, b.prefer, a.n_prefer * sizeof a.prefer[0]));
        }
        break;
    }
    case 1: {
        struct cl_switch_value a, b;

        if (cl_switch_decode(data + 1, size - 1, &a) == 0) {
            check(cl_switch_encode(&a, out, sizeof out, &len) == 0);
            check(cl_switch_decode(out, len, &b) == 0);
            check(a.inc == b.inc && !strcmp(a.holder, b.holder));
        }
        break;
    }
    case 2: {
        char *key = strndup((const char *)data + 1, size - 1);
        char id[CL_ID_MAX], back[80];
        uint64_t dpid;

        check(key != NULL);
        switch (cl_key_parse(key, id, &dpid)) {
        case 'M':
            check(cl_id_valid(id));
            break;
        case 'S':
            cl_key_switch(dpid, back, sizeof back);
            check(!strcmp(back, key));
            break;
        default:
            break;
        }
        free(key);
        break;
    }
    case 3: {
        struct cl_state *st = new_state();
        struct px_buf b;

        if (cl_state_restore(st, data + 1, size - 1) == 0) {
            px_buf_init(&b, 1 << 20);
            check(cl_state_save(st, &b) == 0);
            check(b.len <= size - 1);
            px_buf_destroy(&b);
        }
        cl_state_destroy(st);
        break;
    }
    default: {
        struct cl_state *st = new_state();
        uint64_t rev = 0;
        double now = 100;
        size_t i = 1;

        cl_state_nats(st, now, true);
        cl_state_synced(st, now);
        while (i + 2 <= size) {
            uint8_t kind = data[i], n = data[i + 1];
            char key[80];

            i += 2;
            if (n > size - i) {
                n = (uint8_t)(size - i);
            }
            rev += kind >> 4;
            if (kind & 1) {
                snprintf(key, sizeof key, "member.%s",
                         kind & 2 ? "me" : "peer");
            } else {
                cl_key_switch(kind & 6, key, sizeof key);
            }
            if (kind & 8) {
                cl_state_switch_up(st, now, kind & 6);
            }
            cl_state_entry(st, now, key, rev, n ? data + i : NULL, n);
            i += n;
            now += 0.3;
            cl_state_run(st, now);
            for (uint64_t d = 0; d <= 6; d += 2) {
                uint64_t gen = 0;

                /* Writes are never acknowledged here, so this instance
                 * never joins and must master nothing. */
                check(!cl_state_is_master(st, now, d, &gen));
            }
        }
        cl_state_destroy(st);
        break;
    }
    }
    return 0;
}
