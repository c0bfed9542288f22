/*
 * requester: a test plugin that asks the openflow plugin for what it cannot
 * do, to show that no such request goes unnoticed.
 *
 * It publishes openflow.packet_out and openflow.flow_mod requests in
 * bursts, each burst one kind of trouble, reads the outcome openflow wrote
 * into each request, and logs one line per burst that the integration
 * tests parse:
 *   burst NAME for DPID: N requests: queued=Q ENODEV=A EINVAL=B
 *   EMSGSIZE=C EOPNOTSUPP=D ENOBUFS=E unhandled=U other=O
 * followed by one line per distinct cause it was given:
 *   burst NAME cause CODE: TEXT (xN)
 *
 * The bursts:
 *  - "unknown", just after init: 'burst' packet-outs and as many flow-mods
 *    for a datapath no switch has (ENODEV; without openflow, unhandled);
 *  - on every openflow.switch_up, for that switch, in one go (so nothing
 *    is written to the switch in between):
 *    "short": payloads shorter than version 1 of the structs: refused
 *      without an outcome (the pointer lies past what was published);
 *    "v1": one packet-out and one flow-mod as long as version 1 of the
 *      structs, as a publisher built before 'outcome' sends them: queued,
 *      and the outcome past the payload left alone;
 *    "v2": the same as long as version 2, before 'reply_to': queued and
 *      told so, the 'reply_to' past the payload (an invalid topic name)
 *      never read;
 *    "malformed": NULL actions with a count, an unknown flow-mod command,
 *      and one frame too long for any OpenFlow message (EINVAL,
 *      EMSGSIZE);
 *    "unsupported": an output port and a match in_port OpenFlow 1.0 has no
 *      number for, and a match on nw_src without dl_type IPv4, which 1.3
 *      cannot express (EOPNOTSUPP for whichever the switch's version
 *      cannot say, queued otherwise);
 *    "full": 'full_count' packet-outs of 1000-byte frames, more than the
 *      switch's output buffer holds (queued until ENOBUFS).
 *
 * 'declare_version' declares the request topics with an older payload
 * version, as a plugin built against an older SDK does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"

/* A datapath id no test switch uses. */
#define REQUESTER_UNKNOWN_DPID 0xdead0000ull

/* The largest frame of the "full" burst, and one too long for any
 * OpenFlow message. */
#define FULL_FRAME_LEN 1000
#define HUGE_FRAME_LEN 70000

struct requester {
    struct px_topic *t_packet_out;
    struct px_topic *t_flow_mod;
    long long burst;
    long long full_count;
    struct px_timer *start;
};

static const struct px_config_key requester_keys[] = {
    {.key = "burst",
     .type = PX_CONFIG_INT,
     .default_value = "5",
     .min = 1,
     .max = 10000,
     .help = "requests of each kind per burst"},
    {.key = "full_count",
     .type = PX_CONFIG_INT,
     .default_value = "100",
     .min = 1,
     .max = 100000,
     .help = "packet-outs of 1000-byte frames in the \"full\" burst"},
    {.key = "declare_version",
     .type = PX_CONFIG_INT,
     .default_value = "2",
     .min = 1,
     .max = PX_TOPIC_OF_VERSION,
     .help = "payload version to declare the request topics with"},
    {.key = NULL},
};

/* What a burst was told. */
enum tally_slot {
    SLOT_QUEUED,
    SLOT_ENODEV,
    SLOT_EINVAL,
    SLOT_EMSGSIZE,
    SLOT_EOPNOTSUPP,
    SLOT_ENOBUFS,
    SLOT_UNHANDLED,
    SLOT_OTHER,
    N_SLOTS
};

static const char *const slot_names[N_SLOTS] = {
    "queued",     "ENODEV",  "EINVAL",    "EMSGSIZE",
    "EOPNOTSUPP", "ENOBUFS", "unhandled", "other",
};

#define MAX_CAUSES 8

struct tally {
    unsigned int n;
    unsigned int by_slot[N_SLOTS];
    struct {
        enum tally_slot slot;
        const char *cause;
        unsigned int n;
    } causes[MAX_CAUSES];
    unsigned int n_causes;
};

static enum tally_slot
slot_of(int code)
{
    switch (code) {
    case 0:
        return SLOT_QUEUED;
    case ENODEV:
        return SLOT_ENODEV;
    case EINVAL:
        return SLOT_EINVAL;
    case EMSGSIZE:
        return SLOT_EMSGSIZE;
    case EOPNOTSUPP:
        return SLOT_EOPNOTSUPP;
    case ENOBUFS:
        return SLOT_ENOBUFS;
    case PX_OF_OUTCOME_UNHANDLED:
        return SLOT_UNHANDLED;
    default:
        return SLOT_OTHER;
    }
}

static void
tally_add(struct tally *t, const struct px_of_outcome *o)
{
    enum tally_slot slot = slot_of(o->code);
    unsigned int i;

    t->n++;
    t->by_slot[slot]++;
    /* Causes are static strings, but compare the text: two causes with
     * the same words are one cause to a reader. */
    for (i = 0; i < t->n_causes; i++) {
        if (t->causes[i].slot == slot &&
            !strcmp(t->causes[i].cause, o->cause ? o->cause : "(null)")) {
            t->causes[i].n++;
            return;
        }
    }
    if (t->n_causes < MAX_CAUSES) {
        t->causes[t->n_causes].slot = slot;
        t->causes[t->n_causes].cause = o->cause ? o->cause : "(null)";
        t->causes[t->n_causes].n = 1;
        t->n_causes++;
    }
}

static void
tally_log(struct px_plugin *p, const char *name, uint64_t dpid,
          const struct tally *t)
{
    unsigned int i;

    px_info(p,
            "burst %s for %016" PRIx64 ": %u requests: queued=%u ENODEV=%u "
            "EINVAL=%u EMSGSIZE=%u EOPNOTSUPP=%u ENOBUFS=%u unhandled=%u "
            "other=%u",
            name, dpid, t->n, t->by_slot[SLOT_QUEUED], t->by_slot[SLOT_ENODEV],
            t->by_slot[SLOT_EINVAL], t->by_slot[SLOT_EMSGSIZE],
            t->by_slot[SLOT_EOPNOTSUPP], t->by_slot[SLOT_ENOBUFS],
            t->by_slot[SLOT_UNHANDLED], t->by_slot[SLOT_OTHER]);
    for (i = 0; i < t->n_causes; i++) {
        px_info(p, "burst %s cause %s: %s (x%u)", name,
                slot_names[t->causes[i].slot], t->causes[i].cause,
                t->causes[i].n);
    }
}

/* Publishes 'po' as a payload of 'len' bytes and tallies its outcome. */
static void
send_po(struct px_plugin *p, struct px_of_packet_out *po, size_t len,
        struct tally *t)
{
    struct requester *rq = px_get_data(p);
    struct px_of_outcome o = PX_OF_OUTCOME_INIT;

    po->outcome = &o;
    px_publish(p, rq->t_packet_out, po, len);
    tally_add(t, &o);
}

static void
send_fm(struct px_plugin *p, struct px_of_flow_mod *fm, size_t len,
        struct tally *t)
{
    struct requester *rq = px_get_data(p);
    struct px_of_outcome o = PX_OF_OUTCOME_INIT;

    fm->outcome = &o;
    px_publish(p, rq->t_flow_mod, fm, len);
    tally_add(t, &o);
}

static const uint8_t *
frame_bytes(void)
{
    static uint8_t frame[HUGE_FRAME_LEN];

    /* Broadcast from a locally administered address, type IPv4. */
    memset(frame, 0xff, 6);
    memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01\x08\x00", 8);
    return frame;
}

static const struct px_of_action flood = {
    .type = PX_OF_ACTION_OUTPUT,
    .port = PX_OF_PORT_FLOOD,
};

static struct px_of_packet_out
packet_out(uint64_t dpid, size_t frame_len)
{
    struct px_of_packet_out po = {
        .dpid = dpid,
        .buffer_id = PX_OF_NO_BUFFER,
        .in_port = PX_OF_PORT_CONTROLLER,
        .n_actions = 1,
        .actions = &flood,
        .frame = frame_bytes(),
        .frame_len = frame_len,
    };

    return po;
}

static struct px_of_flow_mod
flow_mod(uint64_t dpid)
{
    struct px_of_flow_mod fm = {
        .dpid = dpid,
        .command = PX_OF_FLOW_ADD,
        .priority = 10,
        .buffer_id = PX_OF_NO_BUFFER,
        .match = {.fields = PX_OF_MATCH_DL_DST,
                  .dl_dst = {0x02, 0, 0, 0, 0, 0x99}},
        .n_actions = 1,
        .actions = &flood,
    };

    return fm;
}

static void
burst_unknown(struct px_plugin *p, struct requester *rq)
{
    struct tally t = {0};
    long long i;

    for (i = 0; i < rq->burst; i++) {
        struct px_of_packet_out po = packet_out(REQUESTER_UNKNOWN_DPID, 60);
        struct px_of_flow_mod fm = flow_mod(REQUESTER_UNKNOWN_DPID);

        send_po(p, &po, sizeof po, &t);
        send_fm(p, &fm, sizeof fm, &t);
    }
    tally_log(p, "unknown", REQUESTER_UNKNOWN_DPID, &t);
}

static void
burst_short(struct px_plugin *p, struct requester *rq, uint64_t dpid)
{
    struct tally t = {0};
    long long i;

    for (i = 0; i < rq->burst; i++) {
        struct px_of_packet_out po = packet_out(dpid, 60);
        struct px_of_flow_mod fm = flow_mod(dpid);

        send_po(p, &po, PX_OF_PACKET_OUT_V1_LEN - 1, &t);
        /* Long enough for the datapath id, not for the rest. */
        send_fm(p, &fm, offsetof(struct px_of_flow_mod, match), &t);
    }
    tally_log(p, "short", dpid, &t);
}

static void
burst_v1(struct px_plugin *p, uint64_t dpid)
{
    struct px_of_packet_out po = packet_out(dpid, 60);
    struct px_of_flow_mod fm = flow_mod(dpid);
    struct tally t = {0};

    send_po(p, &po, PX_OF_PACKET_OUT_V1_LEN, &t);
    send_fm(p, &fm, PX_OF_FLOW_MOD_V1_LEN, &t);
    tally_log(p, "v1", dpid, &t);
}

static void
burst_v2(struct px_plugin *p, uint64_t dpid)
{
    struct px_of_packet_out po = packet_out(dpid, 60);
    struct px_of_flow_mod fm = flow_mod(dpid);
    struct tally t = {0};

    po.reply_to = "";
    fm.reply_to = "";
    send_po(p, &po, PX_OF_PACKET_OUT_V2_LEN, &t);
    send_fm(p, &fm, PX_OF_FLOW_MOD_V2_LEN, &t);
    tally_log(p, "v2", dpid, &t);
}

static void
burst_malformed(struct px_plugin *p, struct requester *rq, uint64_t dpid)
{
    struct px_of_packet_out po;
    struct px_of_flow_mod fm;
    struct tally t = {0};
    long long i;

    for (i = 0; i < rq->burst; i++) {
        po = packet_out(dpid, 60);
        po.actions = NULL;
        send_po(p, &po, sizeof po, &t);
        fm = flow_mod(dpid);
        fm.command = 9;
        send_fm(p, &fm, sizeof fm, &t);
    }
    po = packet_out(dpid, HUGE_FRAME_LEN);
    send_po(p, &po, sizeof po, &t);
    tally_log(p, "malformed", dpid, &t);
}

static void
burst_unsupported(struct px_plugin *p, struct requester *rq, uint64_t dpid)
{
    /* 1.0 ports are 16 bits: 0x10000 is an ordinary 1.3 port only. */
    static const struct px_of_action far = {
        .type = PX_OF_ACTION_OUTPUT,
        .port = 0x10000,
    };
    struct tally t = {0};
    long long i;

    for (i = 0; i < rq->burst; i++) {
        struct px_of_packet_out po = packet_out(dpid, 60);
        struct px_of_flow_mod fm = flow_mod(dpid);

        po.actions = &far;
        send_po(p, &po, sizeof po, &t);
        fm.match.fields |= PX_OF_MATCH_IN_PORT;
        fm.match.in_port = 0x12345;
        send_fm(p, &fm, sizeof fm, &t);
        /* An IPv4 address without dl_type IPv4: fine on 1.0's wire, an
         * OXM without its prerequisite on 1.3's. */
        fm = flow_mod(dpid);
        fm.match.fields |= PX_OF_MATCH_NW_SRC;
        fm.match.nw_src = 0x0a000001;
        send_fm(p, &fm, sizeof fm, &t);
    }
    tally_log(p, "unsupported", dpid, &t);
}

static void
burst_full(struct px_plugin *p, struct requester *rq, uint64_t dpid)
{
    struct tally t = {0};
    long long i;

    for (i = 0; i < rq->full_count; i++) {
        struct px_of_packet_out po = packet_out(dpid, FULL_FRAME_LEN);

        send_po(p, &po, sizeof po, &t);
    }
    tally_log(p, "full", dpid, &t);
}

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct requester *rq = px_get_data(p);
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len < sizeof *sw) {
        return PX_EVENT_CONTINUE;
    }
    burst_short(p, rq, sw->dpid);
    burst_v1(p, sw->dpid);
    burst_v2(p, sw->dpid);
    burst_malformed(p, rq, sw->dpid);
    burst_unsupported(p, rq, sw->dpid);
    burst_full(p, rq, sw->dpid);
    return PX_EVENT_CONTINUE;
}

static void
on_start(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct requester *rq = px_get_data(p);

    (void)t;
    (void)arg;
    /* A one-shot timer: the host releases it once it has fired. */
    rq->start = NULL;
    burst_unknown(p, rq);
}

static int
requester_init(struct px_plugin *p)
{
    struct requester *rq = calloc(1, sizeof *rq);
    long long version;
    int error;

    if (!rq) {
        return ENOMEM;
    }
    px_set_data(p, rq);
    if ((error = px_config_int(p, "burst", &rq->burst)) ||
        (error = px_config_int(p, "full_count", &rq->full_count)) ||
        (error = px_config_int(p, "declare_version", &version)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_PACKET_OUT, (uint32_t)version,
                                  &rq->t_packet_out)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_FLOW_MOD, (uint32_t)version,
                                  &rq->t_flow_mod)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, 1, PX_PRIO_DEFAULT,
                              on_switch_up, NULL, NULL)) ||
        (error = px_timer_start(p, 0.01, 0, on_start, NULL, &rq->start))) {
        px_set_data(p, NULL);
        free(rq);
        return error;
    }
    px_info(p, "requester up: request topics declared with version %lld",
            version);
    return 0;
}

static void
requester_fini(struct px_plugin *p)
{
    free(px_get_data(p));
}

PX_PLUGIN_DEFINE(.name = "requester", .version = "1.0",
                 .description = "publishes requests openflow must refuse",
                 .config_keys = requester_keys, .init = requester_init,
                 .fini = requester_fini);
