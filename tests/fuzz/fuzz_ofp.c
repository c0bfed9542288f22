/*
 * libFuzzer target for the OpenFlow codec (plugins/openflow/ofp.c): the
 * code that reads every byte a switch sends, so it must refuse anything
 * malformed with EPROTO, never crash, over-read or hit undefined behaviour.
 *
 * The input is a byte stream from a switch.  of_frame cuts it into
 * messages as the connection code will; each message is copied into a heap
 * buffer of exactly its length (libFuzzer's buffer goes on past it, so
 * without the copy ASan could not see a decoder reading into the next
 * message) and handed to:
 *  - every decoder, whatever the message's type: the one that applies does
 *    the real work, the others must refuse it;
 *  - every decoder again on a copy retyped to the decoder's own type (the
 *    version byte kept), so that each decoder's body sees every input
 *    rather than the few that happen to carry its type byte;
 *  - the encoders, fed with what was decoded: an ERROR re-encodes to the
 *    very same bytes, an ECHO_REQUEST gets its reply, a PACKET_IN turns
 *    into the packet-out and flow_mod a learning switch would send back.
 *    The message's bytes also fill a flow_mod's match and actions, to
 *    reach every combination of match fields.
 * The incomplete tail of the stream goes to the decoders as well, which
 * must refuse it.
 *
 * Invariants are checked with abort(), which libFuzzer reports as a crash:
 * results are 0 or EPROTO (with a reason), decoded pointers and counts stay
 * inside the message, and every encoder's output is one well-framed
 * message of the length it returned, or nothing.
 *
 * Build: make build/fuzz/fuzz_ofp
 * Run:   build/fuzz/fuzz_ofp -max_total_time=60 -max_len=4096 \
 *            build/fuzz/work-fuzz_ofp tests/fuzz/corpus/ofp
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzcheck.h"
#include "ofp.h"
#include "ofp_actions.h"
#include "ofp_stats.h"
#include "plexus/byteorder.h"

#define MAX_PORTS 16

/* A port as a decoder stores it: a terminated name. */
static void
check_port(const struct px_of_port *p)
{
    check(memchr(p->name, '\0', sizeof p->name) != NULL);
}

/* 'buf' of 'n' bytes is nothing (n == 0) or one whole message of 'type'
 * in 'version'. */
static void
check_encoded(const uint8_t *buf, size_t n, uint8_t version, uint8_t type)
{
    struct of_header h;

    if (!n) {
        return;
    }
    check(of_frame(buf, n, &h, NULL) == 0);
    check(h.length == n && h.version == version && h.type == type);
}

/* A request encoder's result: a message and no reason, or one of its
 * documented errors with a reason and no message. */
static void
check_request(int error, size_t n, const char *why)
{
    check(error == 0 ? n && !why
                     : (error == EINVAL || error == EOPNOTSUPP ||
                        error == EMSGSIZE || error == ENOBUFS) &&
                           !n && why && why[0]);
}

/* An accepted 1.3 packet-in, walked again the simple way: its match is
 * OXM TLVs that exactly fill the match length, with one OpenFlow-basic
 * IN_PORT among them, equal to what was decoded.  This catches a decoder
 * that accepts what it should not, which no sanitizer sees.  The offsets
 * are the spec's numbers (the match at 24, its OXM fields at 28), written
 * out rather than taken from ofp_wire.h, so that a wrong struct there
 * shows up here too. */
static void
check_packet_in_13(const uint8_t *msg, size_t len,
                   const struct px_of_packet_in *pi)
{
    size_t match_len, ofs, n_in_port = 0;

    check(len >= 24 + 4);
    check(px_get_be16(msg + 24) == 1);
    match_len = px_get_be16(msg + 26);
    check(match_len >= 4 && 24 + (match_len + 7) / 8 * 8 + 2 <= len);
    check(pi->frame == msg + 24 + (match_len + 7) / 8 * 8 + 2);
    for (ofs = 4; ofs < match_len; ofs += 4 + msg[24 + ofs + 3]) {
        const uint8_t *tlv = msg + 24 + ofs;

        check(ofs + 4 <= match_len && ofs + 4 + tlv[3] <= match_len);
        if (px_get_be16(tlv) == 0x8000 && tlv[2] >> 1 == 0) {
            check(px_get_be32(tlv + 4) == pi->in_port);
            n_in_port++;
        }
    }
    check(ofs == match_len && n_in_port == 1);
    /* The decoded match: known fields, each once, in_port among them. */
    check(pi->match && pi->n_match >= 1 && pi->n_match <= PX_OF_F_COUNT);
    {
        uint64_t seen = 0;
        size_t i;

        for (i = 0; i < pi->n_match; i++) {
            check(px_of_field_width(pi->match[i].id) != 0);
            check(!(seen & 1ull << pi->match[i].id));
            seen |= 1ull << pi->match[i].id;
        }
        check(seen & 1ull << PX_OF_F_IN_PORT);
    }
}

/* Decoded actions: RAW and EXPERIMENTER ones point at whole actions
 * (their bytes are within the message, checked by ASan when read here),
 * SET_FIELD ones at a known field. */
static void
check_actions(const struct px_of_action *a, size_t n)
{
    size_t i;

    check(!n || a);
    for (i = 0; i < n; i++) {
        if (a[i].type == PX_OF_ACTION_RAW ||
            a[i].type == PX_OF_ACTION_EXPERIMENTER) {
            volatile uint8_t last = a[i].data[a[i].data_len - 1];

            check(a[i].data_len >= 8 && !(a[i].data_len % 8) &&
                  px_get_be16(a[i].data + 2) == a[i].data_len);
            (void)last;
        } else if (a[i].type == PX_OF_ACTION_SET_FIELD) {
            check(a[i].field && px_of_field_width(a[i].field->id) != 0);
        }
    }
}

/* A flow's decoded instructions (or a group's buckets) sent back: our
 * encoder writes them in no more bytes than the switch did (each action
 * and instruction has one length per type, and SET_FIELD is padded to the
 * least multiple of 8), or refuses them with a documented error (a value
 * a switch may send but a plugin may not, such as a VLAN id past 12
 * bits). */
static void
check_resent(uint8_t v, const struct px_of_instruction *in, size_t n,
             size_t raw_len)
{
    static uint8_t out[65536];
    struct writer w = writer_init(out, sizeof out);
    size_t i;

    check(!n || in);
    for (i = 0; i < n; i++) {
        check_actions(in[i].actions, in[i].n_actions);
    }
    of_put_instructions(&w, v, in, n);
    check(w.error ? w.error == EINVAL || w.error == EOPNOTSUPP
                  : w.len <= raw_len);
}

/* A decoded FLOW or GROUP_DESC reply. */
static void
check_decoded(uint8_t v, const struct px_of_stats *st)
{
    size_t i, j;

    for (i = 0; st->flows && i < st->n; i++) {
        check_resent(v, st->flows[i].instructions, st->flows[i].n_instructions,
                     st->flows[i].raw_instructions_len);
    }
    for (i = 0; st->group_descs && i < st->n; i++) {
        const struct px_of_group_desc *g = &st->group_descs[i];

        for (j = 0; j < g->n_buckets; j++) {
            struct px_of_instruction apply = {
                .type = PX_OF_INSTR_APPLY_ACTIONS,
                .n_actions = g->buckets[j].n_actions,
                .actions = g->buckets[j].actions};

            check_resent(v, &apply, 1, g->raw_buckets_len);
        }
    }
}

/* A statistics reply: its body, read as every kind in both versions,
 * either whole entries the decoder fills (each within its array) or
 * EPROTO with a reason. */
static void
check_stats(const uint8_t *msg, size_t len)
{
    static const uint32_t kinds[] = {
        PX_OF_STATS_DESC,      PX_OF_STATS_FLOW,
        PX_OF_STATS_AGGREGATE, PX_OF_STATS_TABLE,
        PX_OF_STATS_PORT,      PX_OF_STATS_QUEUE,
        PX_OF_STATS_GROUP,     PX_OF_STATS_GROUP_DESC,
        PX_OF_STATS_METER,     PX_OF_STATS_METER_CONFIG,
        PX_OF_STATS_PORT_DESC,
    };
    const uint8_t *body;
    const char *why = NULL;
    size_t body_len, k;
    uint16_t type;
    int more, error;

    error = of_stats_part(msg, len, &type, &more, &body, &body_len, &why);
    check_result(error, why);
    if (error) {
        return;
    }
    check(body >= msg && body + body_len == msg + len);
    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        uint8_t v;

        for (v = 1; v <= 4; v += 3) {
            struct of_stats_room room;
            struct of_stats_mem mem;
            struct px_of_stats st;

            why = NULL;
            error = of_stats_count(v, kinds[k], body, body_len, &room, &why);
            check_result(error, why);
            if (error) {
                continue;
            }
            /* Exactly the room counted: ASan sees any write past it. */
            check(of_stats_mem_alloc(kinds[k], &room, &mem) == 0);
            of_stats_decode(v, kinds[k], body, body_len, &st, &mem);
            check(st.n == room.n && st.type == kinds[k]);
            check_decoded(v, &st);
            of_stats_mem_free(&mem);
        }
    }
}

/* The match a 1.3 switch sent, sent back in a flow_mod of each version
 * with every kind of instruction: whatever the fields, the encoders
 * either write a well-framed message or say why not. */
static void
echo_match(const struct px_of_packet_in *pi, uint8_t *out, size_t cap)
{
    struct px_of_action acts[3] = {
        {.type = PX_OF_ACTION_SET_FIELD},
        {.type = PX_OF_ACTION_SET_QUEUE, .arg = 1},
        {.type = PX_OF_ACTION_OUTPUT, .port = 2},
    };
    struct px_of_instruction in[3] = {
        {.type = PX_OF_INSTR_APPLY_ACTIONS, .n_actions = 3, .actions = acts},
        {.type = PX_OF_INSTR_WRITE_METADATA,
         .metadata = 1,
         .metadata_mask = 1},
        {.type = PX_OF_INSTR_GOTO_TABLE, .table_id = 1},
    };
    struct px_of_flow_mod fm = {
        .command = PX_OF_FLOW_MODIFY_STRICT,
        .buffer_id = PX_OF_NO_BUFFER,
        .n_fields = pi->n_match,
        .fields = pi->match,
        .n_instructions = 1,
        .instructions = in,
    };
    const char *why;
    size_t n;
    int error;

    acts[0].field = &pi->match[pi->n_match - 1];
    for (fm.n_instructions = 1; fm.n_instructions <= 3; fm.n_instructions++) {
        error = of_encode_flow_mod(out, cap, PX_OF_VERSION_13, 1, &fm,
                                   sizeof fm, &n, &why);
        check_request(error, n, why);
        check_encoded(out, n, PX_OF_VERSION_13, OF_FLOW_MOD);
        error = of_encode_flow_mod(out, cap, PX_OF_VERSION_10, 1, &fm,
                                   sizeof fm, &n, &why);
        check_request(error, n, why);
        check_encoded(out, n, PX_OF_VERSION_10, OF_FLOW_MOD);
    }
}

/* An accepted HELLO of 1.3 or later: elements of at least 4 bytes, each
 * within the message, padded to 8 bytes except perhaps the last. */
static void
check_hello(const uint8_t *msg, size_t len)
{
    size_t ofs = 8;

    if (msg[0] < PX_OF_VERSION_13) {
        return;
    }
    while (ofs < len) {
        size_t elen;

        check(ofs + 4 <= len);
        elen = px_get_be16(msg + ofs + 2);
        check(elen >= 4 && ofs + elen <= len);
        ofs += (elen + 7) / 8 * 8;
    }
}

/* Whatever a learning switch would send back for a packet-in. */
static void
answer_packet_in(const struct px_of_packet_in *pi, uint8_t *out, size_t cap)
{
    struct px_of_action actions[3] = {
        {.type = PX_OF_ACTION_SET_DL_SRC},
        {.type = PX_OF_ACTION_OUTPUT, .port = PX_OF_PORT_FLOOD},
        {.type = PX_OF_ACTION_OUTPUT,
         .port = PX_OF_PORT_CONTROLLER,
         .max_len = 128},
    };
    struct px_of_packet_out po = {
        .buffer_id = pi->buffer_id,
        .in_port = pi->in_port,
        .n_actions = 3,
        .actions = actions,
        .frame = pi->frame,
        .frame_len = pi->frame_len,
    };
    struct px_of_flow_mod fm = {
        .command = PX_OF_FLOW_ADD,
        .table_id = pi->table_id,
        .idle_timeout = 10,
        .priority = 1,
        .buffer_id = pi->buffer_id,
        .cookie = pi->cookie,
        .match = {.fields = PX_OF_MATCH_IN_PORT, .in_port = pi->in_port},
        .n_actions = 2,
        .actions = actions,
    };
    const char *why;
    size_t n, need;
    int error;

    if (pi->frame_len >= 14) {
        memcpy(actions[0].mac, pi->frame, 6);
        memcpy(fm.match.dl_dst, pi->frame, 6);
        memcpy(fm.match.dl_src, pi->frame + 6, 6);
        fm.match.dl_type = px_get_be16(pi->frame + 12);
        fm.match.fields |=
            PX_OF_MATCH_DL_DST | PX_OF_MATCH_DL_SRC | PX_OF_MATCH_DL_TYPE;
    }

    error = of_encode_packet_out(out, cap, pi->version, 1, &po,
                                 sizeof(struct px_of_packet_out), &n, &why);
    check_request(error, n, why);
    check_encoded(out, n, pi->version, OF_PACKET_OUT);
    /* An in_port that came in fits going out, in the same version: only
     * the length field can be too small, and that is EMSGSIZE. */
    need = (pi->version == PX_OF_VERSION_10 ? 16 + 8 + 16 + 8
                                            : 24 + 16 + 16 + 16) +
           (pi->buffer_id == PX_OF_NO_BUFFER ? pi->frame_len : 0);
    check(n == (need <= OF_MAX_MESSAGE ? need : 0));
    check(error == (need <= OF_MAX_MESSAGE ? 0 : EMSGSIZE));
    if (n && pi->buffer_id == PX_OF_NO_BUFFER) {
        check(n >= pi->frame_len &&
              !memcmp(out + n - pi->frame_len, pi->frame, pi->frame_len));
    }

    error = of_encode_flow_mod(out, cap, pi->version, 2, &fm,
                               sizeof(struct px_of_flow_mod), &n, &why);
    check(error == 0);
    check_request(error, n, why);
    check_encoded(out, n, pi->version, OF_FLOW_MOD);
}

/* A flow_mod whose every field comes from the message's bytes. */
static void
encode_from_bytes(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    struct px_of_action actions[4];
    struct px_of_flow_mod fm;
    struct px_of_packet_out po;
    uint8_t raw[sizeof fm.match + sizeof actions];
    const char *why;
    size_t i, n;
    int error;

    memset(raw, 0, sizeof raw);
    memcpy(raw, msg, len < sizeof raw ? len : sizeof raw);

    memset(&fm, 0, sizeof fm);
    memcpy(&fm.match, raw, sizeof fm.match);
    fm.match.fields &= 0x3ff;
    fm.command = msg[1] % 6;
    fm.table_id = msg[0];
    fm.priority = px_get_be16(msg + 2);
    fm.buffer_id = len > 8 ? PX_OF_NO_BUFFER : 0;
    memcpy(actions, raw + sizeof fm.match, sizeof actions);
    for (i = 0; i < 4; i++) {
        /* Keep the enum in range, but let one in four be unknown. */
        actions[i].type = (enum px_of_action_type)(raw[i] % 4);
    }
    fm.n_actions = msg[4] % 5;
    fm.actions = actions;

    memset(&po, 0, sizeof po);
    po.buffer_id = msg[5] & 1 ? PX_OF_NO_BUFFER : 7;
    po.in_port = fm.match.in_port;
    po.n_actions = fm.n_actions;
    po.actions = actions;
    po.frame = msg;
    po.frame_len = len;

    for (i = 0; i < 2; i++) {
        uint8_t version = i ? PX_OF_VERSION_13 : PX_OF_VERSION_10;

        error = of_encode_flow_mod(out, cap, version, 3, &fm,
                                   sizeof(struct px_of_flow_mod), &n, &why);
        check_request(error, n, why);
        check_encoded(out, n, version, OF_FLOW_MOD);
        error =
            of_encode_packet_out(out, cap, version, 4, &po,
                                 sizeof(struct px_of_packet_out), &n, &why);
        check_request(error, n, why);
        check_encoded(out, n, version, OF_PACKET_OUT);
    }
}

/* Runs every decoder on 'msg' of 'len' bytes (an exact-size buffer) and
 * checks what they return; 'out' of 'cap' bytes takes re-encodings.
 * Returns how many accepted the message. */
static int
decode_all(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    struct px_of_port ports[MAX_PORTS];
    struct px_of_port_status ps;
    struct px_of_packet_in pi;
    static struct px_of_field pif[PX_OF_F_COUNT];
    struct px_of_flow_removed fr;
    struct px_of_async_config ac;
    struct of_features f;
    struct px_of_error e;
    uint64_t generation_id;
    uint32_t role;
    const char *why;
    uint32_t bitmap;
    size_t n_ports, i, n;
    int error, more, accepted = 0;

    why = NULL;
    error = of_decode_hello(msg, len, &bitmap, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        uint8_t v = of_negotiate(bitmap);

        check(v == 0 || v == PX_OF_VERSION_10 || v == PX_OF_VERSION_13);
        check(!v || bitmap & 1u << v);
        check_hello(msg, len);
    }

    why = NULL;
    error = of_decode_features_reply(msg, len, &f, ports, MAX_PORTS, &n_ports,
                                     &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        check(n_ports <= MAX_PORTS);
        check(msg[0] == PX_OF_VERSION_10 ? len == 32 + 48 * n_ports
                                         : len == 32 && n_ports == 0);
        for (i = 0; i < n_ports; i++) {
            check_port(&ports[i]);
        }
    }

    why = NULL;
    n_ports = 3; /* As if earlier parts had brought 3. */
    more = -1;
    error = of_decode_port_desc_reply(msg, len, ports, MAX_PORTS, &n_ports,
                                      &more, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        check(n_ports <= MAX_PORTS && len == 16 + 64 * (n_ports - 3));
        check(more == 0 || more == 1);
        for (i = 3; i < n_ports; i++) {
            check_port(&ports[i]);
        }
    } else {
        check(n_ports == 3);
    }

    why = NULL;
    error = of_decode_packet_in(msg, len, &pi, pif, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        check(pi.version == msg[0]);
        check(pi.frame >= msg + 18 && pi.frame + pi.frame_len == msg + len);
        if (pi.version == PX_OF_VERSION_13) {
            check_packet_in_13(msg, len, &pi);
            echo_match(&pi, out, cap);
        } else {
            check(pi.frame == msg + 18);
        }
        answer_packet_in(&pi, out, cap);
    }

    why = NULL;
    error = of_decode_flow_removed(msg, len, &fr, pif, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        size_t i;

        check(fr.version == msg[0] && fr.match == pif &&
              fr.n_match <= PX_OF_F_COUNT);
        for (i = 0; i < fr.n_match; i++) {
            check(px_of_field_width(pif[i].id) != 0);
        }
    }

    why = NULL;
    check_stats(msg, len);

    why = NULL;
    error = of_decode_async_reply(msg, len, &ac, &why);
    check_result(error, why);
    accepted += !error;
    check(error || (msg[0] == PX_OF_VERSION_13 && len == 32));

    why = NULL;
    error = of_decode_port_status(msg, len, &ps, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        check(ps.reason <= PX_OF_PORT_MODIFY);
        check_port(&ps.port);
    }

    why = NULL;
    error = of_decode_error(msg, len, &e, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        /* Encoding what was decoded gives the message back. */
        check(e.data == msg + 12 && e.data_len == len - 12);
        n = of_encode_error(out, cap, msg[0], px_get_be32(msg + 4), e.type,
                            e.code, e.data, e.data_len);
        check(n == len && !memcmp(out, msg, len));
    }

    why = NULL;
    error = of_decode_role_reply(msg, len, &role, &generation_id, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        /* The request with the same fields is the same bytes, retyped. */
        n = of_encode_role_request(out, cap, px_get_be32(msg + 4), role,
                                   generation_id);
        check(n == len && out[1] == OF_ROLE_REQUEST_13 &&
              !memcmp(out + 2, msg + 2, 6) && !memcmp(out + 8, msg + 8, 4) &&
              !memcmp(out + 16, msg + 16, 8));
    }

    /* Only a whole ECHO_REQUEST gets a reply: the same bytes, retyped. */
    n = of_encode_echo_reply(out, cap, msg, len);
    if (n) {
        check(n == len && msg[1] == OF_ECHO_REQUEST);
        check(out[1] == OF_ECHO_REPLY && !memcmp(out + 2, msg + 2, len - 2));
        accepted++;
    }
    return accepted;
}

/* Runs the decoders on a copy of 'msg' retyped to each one's type. */
static void
decode_retyped(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    static const uint8_t types[] = {
        OF_HELLO,       OF_ERROR,          OF_ECHO_REQUEST,       OF_PACKET_IN,
        OF_PORT_STATUS, OF_FEATURES_REPLY, OF_MULTIPART_REPLY_13,
    };
    uint8_t *copy;
    size_t i;

    if (len < 2) {
        return;
    }
    copy = malloc(len);
    check(copy != NULL);
    for (i = 0; i < sizeof types; i++) {
        if (types[i] != msg[1]) {
            memcpy(copy, msg, len);
            copy[1] = types[i];
            decode_all(copy, len, out, cap); /* Some may accept it. */
        }
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t ofs = 0, cap = OF_MAX_MESSAGE + 64;
    uint8_t *out = malloc(cap);

    check(out != NULL);
    while (ofs <= size) {
        size_t left = size - ofs;
        const char *why = NULL;
        struct of_header h;
        uint8_t *msg;
        int error;

        error = of_frame(data + ofs, left, &h, &why);
        if (error == EPROTO) {
            check(why && h.length < OF_HEADER_LEN);
            break;
        }
        check(error == 0 || error == EAGAIN);
        if (error == EAGAIN) {
            check(left < OF_HEADER_LEN || left < h.length);
        } else {
            check(h.length >= OF_HEADER_LEN && h.length <= left);
        }

        /* The message, or the incomplete tail, in an exact-size buffer. */
        if (!error) {
            left = h.length;
        }
        msg = malloc(left ? left : 1);
        check(msg != NULL);
        if (left) {
            memcpy(msg, data + ofs, left);
        }
        /* An incomplete message is refused by all. */
        check(decode_all(msg, left, out, cap) == 0 || !error);
        decode_retyped(msg, left, out, cap);
        if (left >= OF_HEADER_LEN) {
            size_t small = msg[7] + 8u;
            uint8_t *tight = malloc(small);

            encode_from_bytes(msg, left, out, cap);
            /* Again into a buffer that may be too small, of exactly the
             * capacity given: the encoders must stop at it. */
            check(tight != NULL);
            encode_from_bytes(msg, left, tight, small);
            free(tight);
        }
        free(msg);
        if (error) {
            break;
        }
        ofs += h.length;
    }
    free(out);
    return 0;
}
