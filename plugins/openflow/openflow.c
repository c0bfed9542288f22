/*
 * openflow: the plugin that talks to switches.
 *
 * It listens for switches (OpenFlow 1.0 and 1.3), publishes what they say
 * (openflow.switch_up, switch_down, port_status, packet_in, error) and turns
 * requests from any plugin (openflow.packet_out, openflow.flow_mod) into
 * messages for the right switch.  Connection handling is in of_conn.c, the
 * wire format in ofp.c.
 *
 * Across a reload it hands its listening sockets and every live connection
 * (socket, handshake state, buffered bytes) to the next generation, so
 * switches see no disconnect, and its counters (swstats.h), so they last
 * as long as the process.  It answers stats.collect with one stats.report
 * per switch, one per port of each switch and one for itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "of_conn.h"
#include "of_request.h"
#include "of_plugin.h"
#include "ofp_stats.h"
#include "plexus/byteorder.h"
#include "plexus/hash.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"

#define OPENFLOW_VERSION "1.0.0"

/* Name of the handoff blob of the counters. */
#define OPENFLOW_STATS_BLOB "ofstats"

static const struct px_config_key openflow_keys[] = {
    {.key = "transport",
     .type = PX_CONFIG_STRING,
     .default_value = "tcp",
     .help = "tcp, tls (also ssl) or unix"},
    {.key = "address",
     .type = PX_CONFIG_STRING,
     .default_value = "0.0.0.0",
     .help = "IPv4 or IPv6 address to listen on; for unix, the socket's "
             "path"},
    {.key = "port",
     .type = PX_CONFIG_PORT,
     .default_value = "6653",
     .min = 1,
     .max = 65535,
     .help = "TCP port for switches"},
    {.key = "port2",
     .type = PX_CONFIG_PORT,
     .default_value = "0",
     .min = 0,
     .max = 65535,
     .help = "a second port (e.g. 6633), 0 for none"},
    {.key = "private_key",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "tls: the controller's private key (PEM), relative to this "
             "file's directory, e.g. ovs-pki's ctl-privkey.pem"},
    {.key = "certificate",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "tls: the controller's certificate (PEM), e.g. ctl-cert.pem"},
    {.key = "ca_cert",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "tls: the CA certificate switches' certificates must chain "
             "to, e.g. pki/switchca/cacert.pem"},
    {.key = "echo_interval",
     .type = PX_CONFIG_DURATION,
     .default_value = "5",
     .min = 0.05,
     .max = 3600,
     .help = "seconds of silence before a switch is probed"},
    {.key = "echo_misses",
     .type = PX_CONFIG_INT,
     .default_value = "2",
     .min = 1,
     .max = 100,
     .help = "unanswered probes before a switch is dropped"},
    {.key = "out_buffer",
     .type = PX_CONFIG_INT,
     .default_value = "4194304",
     .min = 65536,
     .max = 268435456,
     .help = "bytes queued per switch before messages are dropped"},
    {.key = "max_per_pass",
     .type = PX_CONFIG_INT,
     .default_value = "4096",
     .min = 1,
     .max = 1000000,
     .help = "messages handled per switch per loop pass"},
    {.key = "max_switches",
     .type = PX_CONFIG_INT,
     .default_value = "1024",
     .min = 1,
     .max = 65536,
     .help = "connections accepted at once"},
    {.key = NULL},
};

/* What a generation hands to the next besides the sockets, written by
 * put_handoff field by field (big-endian):
 *
 *   u32 next_id, str endpoint ("tls:0.0.0.0"), u32 port[2],
 *   u32 n_conns, then n_conns u32 connection ids. */
#define OPENFLOW_BLOB_VERSION 2

struct of_conn *
openflow_find(struct openflow *of, uint64_t dpid)
{
    struct of_conn *c = of->last_found;

    /* Requests come in runs for one switch (a plugin answers a packet-in
     * with a flow-mod and a packet-out for the same switch): the last
     * answer is checked before the map. */
    if (c && c->features.dpid == dpid) {
        return c;
    }
    /* A switch owns its datapath id once its features are known: from the
     * PORT_DESC exchange (1.3) or READY on.  A connection enters the map
     * when its FEATURES_REPLY is accepted, just before it reaches either
     * state, so the state is still checked here. */
    PX_HMAP_FOR_EACH_WITH_HASH (c, dpid_node, px_hash_u64(dpid),
                                &of->by_dpid) {
        if (c->features.dpid == dpid && c->state >= OF_CONN_PORTS &&
            !c->closing) {
            of->last_found = c;
            break;
        }
    }
    return c;
}

void
openflow_claim_dpid(struct openflow *of, struct of_conn *c)
{
    if (!c->in_by_dpid) {
        px_hmap_insert(&of->by_dpid, &c->dpid_node,
                       px_hash_u64(c->features.dpid));
        c->in_by_dpid = 1;
    }
}

static void
flush_all(struct px_plugin *p, void *arg)
{
    struct openflow *of = px_get_data(p);
    unsigned int i;

    (void)arg;
    of->flush_scheduled = 0;
    /* Flushing may close connections (write errors), which only moves
     * them to the graveyard, so the array stays valid. */
    for (i = 0; i < of->n_dirty; i++) {
        of_conn_flush(of->dirty[i]);
    }
    of->n_dirty = 0;
    while (of->graveyard) {
        struct of_conn *c = of->graveyard;

        of->graveyard = c->next;
        of_conn_free(c);
    }
}

void
openflow_mark_dirty(struct openflow *of, struct of_conn *c)
{
    if (c) {
        if (of->n_dirty == of->dirty_cap) {
            /* Grows with the number of connections, not per message: a
             * connection is on the list at most once per pass. */
            unsigned int cap = of->dirty_cap ? 2 * of->dirty_cap : 16;
            struct of_conn **d = realloc(of->dirty, cap * sizeof *d);

            if (!d) {
                c->dirty = 0; /* Flushed when it next becomes dirty. */
                return;
            }
            of->dirty = d;
            of->dirty_cap = cap;
        }
        of->dirty[of->n_dirty++] = c;
    }
    if (!of->flush_scheduled && !px_defer(of->p, flush_all, NULL)) {
        of->flush_scheduled = 1;
    }
}

static void
on_accept(struct px_plugin *p, struct px_io *io, int fd, int revents,
          void *arg)
{
    struct openflow *of = px_get_data(p);

    (void)io;
    (void)revents;
    (void)arg;
    for (;;) {
        char peer[64];
        struct of_conn *c;
        int s = -1, error = px_listen_accept(fd, &s, peer, sizeof peer);

        if (error) {
            if (error != EAGAIN && error != EINTR) {
                px_log_rl(p, &of->rl_error, PX_LOG_WARN, "accept: %s",
                          strerror(error));
            }
            return;
        }
        if (of->n_conns >= (unsigned int)of->max_conns) {
            px_log_rl(p, &of->rl_error, PX_LOG_WARN,
                      "%s refused: %lld switches connected already", peer,
                      of->max_conns);
            close(s);
            of->stats->connections_refused++;
            continue;
        }
        if (!of_conn_create(of, s, peer, &c)) {
            of->stats->connections_accepted++;
            px_debug(p, "connection from %s", peer);
        }
    }
}

static int
listen_on(struct openflow *of, int port, int *fdp)
{
    struct px_endpoint ep = of->endpoint;
    char why[256];
    int error;

    ep.port = port;
    error = px_listen(&ep, 128, fdp, why, sizeof why);
    if (error) {
        px_error(of->p, "%s", why);
    }
    return error;
}

/* Reads where and how to listen: the endpoint (port aside) and, for TLS,
 * the context every switch connection will use. */
static int
configure_transport(struct openflow *of)
{
    char spec[160], why[512];
    char key[PATH_MAX], cert[PATH_MAX], ca[PATH_MAX];
    const char *transport, *address;
    int error;

    if ((error = px_config_string(of->p, "transport", &transport)) ||
        (error = px_config_string(of->p, "address", &address))) {
        return error;
    }
    if (px_transport_parse(transport, &of->transport)) {
        px_error(of->p, "transport '%s': expected tcp, tls or unix",
                 transport);
        return EINVAL;
    }
    if (of->transport == PX_TRANSPORT_UNIX) {
        snprintf(spec, sizeof spec, "unix:%s", address);
    } else if (strchr(address, ':')) {
        snprintf(spec, sizeof spec, "%s:[%s]:0", transport, address);
    } else {
        snprintf(spec, sizeof spec, "%s:%s:0", transport, address);
    }
    if (px_endpoint_parse(spec, &of->endpoint, why, sizeof why)) {
        px_error(of->p, "address: %s", why);
        return EINVAL;
    }
    if (of->transport != PX_TRANSPORT_TLS) {
        return 0;
    }
    if ((error = px_config_string(of->p, "private_key", &transport)) ||
        !*transport ||
        (error = px_config_string(of->p, "certificate", &transport)) ||
        !*transport ||
        (error = px_config_string(of->p, "ca_cert", &transport)) ||
        !*transport) {
        px_error(of->p, "transport tls needs private_key, certificate and "
                        "ca_cert");
        return error ? error : EINVAL;
    }
    if ((error = px_config_path(of->p, "private_key", key, sizeof key)) ||
        (error = px_config_path(of->p, "certificate", cert, sizeof cert)) ||
        (error = px_config_path(of->p, "ca_cert", ca, sizeof ca))) {
        return error;
    }
    error = px_tls_create_server(key, cert, ca, &of->tls, why, sizeof why);
    if (error) {
        px_error(of->p, "tls: %s", why);
    }
    return error;
}

/* ---------------------------------------------------------------------- */
/* Requests from other plugins.                                           */

/* A request is never dropped silently: every one that is not queued for
 * its switch is counted by cause (on the switch when there is one, else
 * on the plugin), logged once per cause and rate limit with the
 * publisher's name, and told to the publisher through the request's
 * 'outcome' when it has one. */

static void
set_outcome(struct px_of_outcome *outcome, int code, const char *cause)
{
    if (outcome) {
        outcome->code = code;
        outcome->cause = cause;
    }
}

/* Counts and logs a 'what' request too short to say which switch, or
 * where to write an outcome.  Out of line: it is the rare case of a check
 * every request makes. */
static __attribute__((noinline)) int
request_too_short(struct openflow *of, const struct px_event *ev,
                  const char *what, size_t v1_len)
{
    of->stats->requests_malformed++;
    px_log_rl(of->p, &of->rl_refused[OF_REFUSED_MALFORMED], PX_LOG_WARN,
              "%s from %s refused (malformed): payload of %zu bytes, at "
              "least %zu expected (%llu such so far)",
              what, ev->publisher, ev->len, v1_len,
              (unsigned long long)of->stats->requests_malformed);
    return 0;
}

/* Checks that the payload of a 'what' request holds at least the
 * version 1 struct ('v1_len' bytes), which old publishers still send. */
static inline int
request_long_enough(struct openflow *of, const struct px_event *ev,
                    const char *what, size_t v1_len)
{
    if (__builtin_expect(ev->payload && ev->len >= v1_len, 1)) {
        return 1;
    }
    return request_too_short(of, ev, what, v1_len);
}

/* Counts, logs and tells a 'what' request for a switch not connected.
 * Out of line, like request_too_short: request_conn inlines into every
 * request handler, the packet path's included. */
static __attribute__((noinline)) void
request_unknown_dpid(struct openflow *of, const struct px_event *ev,
                     const char *what, uint64_t dpid,
                     struct px_of_outcome *outcome)
{
    static const char cause[] = "no switch with this datapath id is "
                                "connected";

    of->stats->requests_unknown_dpid++;
    set_outcome(outcome, ENODEV, cause);
    px_log_rl(of->p, &of->rl_refused[OF_REFUSED_UNKNOWN_DPID], PX_LOG_WARN,
              "%s from %s for switch %016llx refused (unknown_dpid): "
              "%s (%llu such so far)",
              what, ev->publisher, (unsigned long long)dpid, cause,
              (unsigned long long)of->stats->requests_unknown_dpid);
}

/* The connection of the switch a 'what' request is for, or NULL, the
 * refusal counted and told, when no such switch is connected. */
static inline struct of_conn *
request_conn(struct openflow *of, const struct px_event *ev, const char *what,
             uint64_t dpid, struct px_of_outcome *outcome)
{
    struct of_conn *c = of->last_found;

    /* openflow_find's first check, inline: a packet-in's answers are for
     * the switch of the request before, and the call cost more than the
     * comparison it returns after. */
    if (!c || c->features.dpid != dpid) {
        c = openflow_find(of, dpid);
    }

    if (__builtin_expect(!c, 0)) {
        request_unknown_dpid(of, ev, what, dpid, outcome);
    }
    return c;
}

/* Why a SLAVE may not send what changes the switch (1.3 6.3.5), for the
 * requests refused here rather than by the switch. */
static const char slave_refused[] =
    "the switch holds this controller as SLAVE (openflow.role), which may "
    "not change it";

/* Whether a message of 'type' changes the switch, and so is refused to a
 * SLAVE: PACKET_OUT, FLOW_MOD, GROUP_MOD (1.0's PORT_MOD, the same
 * number), PORT_MOD, TABLE_MOD and METER_MOD. */
static bool
changes_switch(uint8_t version, uint8_t type)
{
    return type == OF_PACKET_OUT || type == OF_FLOW_MOD ||
           type == OF_GROUP_MOD_13 ||
           (version == PX_OF_VERSION_13 &&
            (type == OF_PORT_MOD_13 || type == OF_TABLE_MOD_13 ||
             type == OF_METER_MOD_13));
}

/* EPERM, with 'why', when 'c' holds this controller as SLAVE and so may
 * not be sent a request that changes it; else 0.  Every such request
 * handler asks before it encodes. */
static inline int
slave_refusal(const struct of_conn *c, const char **why)
{
    if (__builtin_expect(c->role == PX_OF_ROLE_SLAVE, 0)) {
        *why = slave_refused;
        return EPERM;
    }
    return 0;
}

/* request_done's refusal: counts and logs it by cause and tells the
 * publisher.  Out of line, so that the request handlers, the packet
 * path's included, carry only the queued case. */
static __attribute__((noinline)) void
request_refused(struct openflow *of, const struct px_event *ev,
                const char *what, struct of_conn *c,
                struct px_of_outcome *outcome, int error, const char *why)
{
    enum of_refusal cause;

    switch (error) {
    case EOPNOTSUPP:
        cause = OF_REFUSED_UNSUPPORTED;
        break;
    case EPERM:
        cause = OF_REFUSED_ROLE;
        break;
    case ENOBUFS:
        cause = OF_REFUSED_OUTPUT_FULL;
        why = "output buffer full";
        /* A message dropped for want of room, like the controller's own. */
        c->cnt->out_drops++;
        break;
    default: /* EINVAL, EMSGSIZE. */
        cause = OF_REFUSED_MALFORMED;
        break;
    }
    c->cnt->refused[cause]++;
    set_outcome(outcome, error, why);
    px_log_rl(of->p, &of->rl_refused[cause], PX_LOG_WARN,
              "%s from %s for switch %016llx (%s, OpenFlow %s) refused (%s): "
              "%s (%llu such so far)",
              what, ev->publisher, (unsigned long long)c->features.dpid,
              c->peer, c->version == PX_OF_VERSION_13 ? "1.3" : "1.0",
              of_stats_refusal_name(cause), why,
              (unsigned long long)c->cnt->refused[cause]);
}

/* Ends a 'what' request for 'c' that an encoder wrote into the output
 * buffer ('len' bytes) or refused ('error', 'why'): commits it, or counts
 * and logs the refusal by cause; tells the publisher either way.  Returns
 * nonzero if it was queued.  Inline: as a call it took eight arguments,
 * two on the stack, and saved six registers, for what the common case
 * does: a commit and three stores. */
static inline int
request_done(struct openflow *of, const struct px_event *ev, const char *what,
             struct of_conn *c, struct px_of_outcome *outcome, int error,
             const char *why, size_t len)
{
    if (__builtin_expect(!error, 1)) {
        of_conn_commit(c, len);
        c->xid++;
        set_outcome(outcome, 0, "queued");
        return 1;
    }
    request_refused(of, ev, what, c, outcome, error, why);
    return 0;
}

/* The topic a request's replies go to, declared by this plugin too so that
 * it may publish there; NULL, the refusal counted, logged and told, when
 * 'reply_to' is not a topic name. */
static struct px_topic *
request_reply_topic(struct openflow *of, const struct px_event *ev,
                    const char *what, const char *reply_to,
                    struct px_of_outcome *outcome)
{
    struct px_topic *t = NULL;

    if (!reply_to ||
        px_topic_declare(of->p, reply_to, PX_TOPIC_OF_VERSION, &t)) {
        static const char cause[] = "reply_to is not a topic name";

        of->stats->requests_malformed++;
        set_outcome(outcome, EINVAL, cause);
        px_log_rl(of->p, &of->rl_refused[OF_REFUSED_MALFORMED], PX_LOG_WARN,
                  "%s from %s refused (malformed): %s (%llu such so far)",
                  what, ev->publisher, cause,
                  (unsigned long long)of->stats->requests_malformed);
        return NULL;
    }
    return t;
}

/* Whether 'c' can owe one more reply; if not, the refusal is counted (with
 * the output buffer's, another bounded queue), logged and told. */
static int
request_room_for_reply(struct openflow *of, const struct px_event *ev,
                       const char *what, struct of_conn *c,
                       struct px_of_outcome *outcome)
{
    static const char cause[] = "too many requests awaiting a reply";

    if (!of_req_full(c)) {
        return 1;
    }
    c->cnt->refused[OF_REFUSED_OUTPUT_FULL]++;
    set_outcome(outcome, ENOBUFS, cause);
    px_log_rl(of->p, &of->rl_refused[OF_REFUSED_OUTPUT_FULL], PX_LOG_WARN,
              "%s from %s for switch %016llx refused (output_full): %s (%d)",
              what, ev->publisher, (unsigned long long)c->features.dpid, cause,
              OF_MAX_PENDING);
    return 0;
}

/* What a request whose reply 'c' will owe needs before its message is
 * encoded: room in the table of replies 'c' owes (request_room_for_reply),
 * and an xid that is not 0.  Returns nonzero, or 0 when it was refused
 * (counted, logged, told). */
static int
request_slot(struct openflow *of, const struct px_event *ev, const char *what,
             struct of_conn *c, struct px_of_outcome *outcome)
{
    if (!request_room_for_reply(of, ev, what, c, outcome)) {
        return 0;
    }
    of_req_xid(c);
    return 1;
}

/* For a request with a 'reply_to' that has no reply of its own
 * (packet_out, flow_mod): its topic, and a slot in 'c'; NULL when it was
 * refused.  Out of line: the packet path's requests have no 'reply_to'. */
static __attribute__((noinline)) struct px_topic *
request_ack_topic(struct openflow *of, const struct px_event *ev,
                  const char *what, struct of_conn *c, const char *reply_to,
                  struct px_of_outcome *outcome)
{
    struct px_topic *t = request_reply_topic(of, ev, what, reply_to, outcome);

    return t && request_slot(of, ev, what, c, outcome) ? t : NULL;
}

static int
on_packet_out(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "packet_out";
    struct openflow *of = px_get_data(p);
    const struct px_of_packet_out *po = ev->payload;
    struct px_of_outcome *outcome;
    struct px_topic *reply = NULL;
    const char *why = NULL;
    struct of_conn *c;
    size_t room, len;
    uint8_t *buf;
    int error;

    (void)arg;
    if (!request_long_enough(of, ev, what, PX_OF_PACKET_OUT_V1_LEN)) {
        return PX_EVENT_CONTINUE;
    }
    outcome = ev->len >= PX_OF_PACKET_OUT_V2_LEN ? po->outcome : NULL;
    c = request_conn(of, ev, what, po->dpid, outcome);
    if (!c) {
        return PX_EVENT_CONTINUE;
    }
    if (__builtin_expect(ev->len >= PX_OF_PACKET_OUT_V3_LEN && po->reply_to,
                         0) &&
        !(reply = request_ack_topic(of, ev, what, c, po->reply_to, outcome))) {
        return PX_EVENT_CONTINUE;
    }
    buf = of_conn_reserve(c, &room);
    error = slave_refusal(c, &why);
    if (!error) {
        error = of_encode_packet_out(buf, room, c->version, c->xid, po,
                                     ev->len, &len, &why);
    }
    if (!error && reply) {
        error = of_req_expect(c, c->xid, OF_AWAIT_ACK, reply, po->request_id);
    }
    if (request_done(of, ev, what, c, outcome, error, why, len)) {
        c->cnt->packet_outs++;
        if (c->sw) {
            size_t stride = ev->len >= sizeof *po ? sizeof *po->actions
                                                  : PX_OF_ACTION_V3_LEN;
            size_t i;

            /* The encoder took the actions, so there are not too many. */
            for (i = 0; i < po->n_actions; i++) {
                const struct px_of_action *a =
                    (const void *)((const uint8_t *)po->actions + i * stride);

                if (a->type == PX_OF_ACTION_OUTPUT) {
                    struct of_port_stats *ps = of_stats_port(c->sw, a->port);

                    if (ps) {
                        ps->packet_outs++;
                    }
                }
            }
        }
    }
    return PX_EVENT_CONTINUE;
}

static int
on_flow_mod(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "flow_mod";
    struct openflow *of = px_get_data(p);
    const struct px_of_flow_mod *fm = ev->payload;
    struct px_of_outcome *outcome;
    struct px_topic *reply = NULL;
    const char *why = NULL;
    struct of_conn *c;
    size_t room, len;
    uint8_t *buf;
    int error;

    (void)arg;
    if (!request_long_enough(of, ev, what, PX_OF_FLOW_MOD_V1_LEN)) {
        return PX_EVENT_CONTINUE;
    }
    outcome = ev->len >= PX_OF_FLOW_MOD_V2_LEN ? fm->outcome : NULL;
    c = request_conn(of, ev, what, fm->dpid, outcome);
    if (!c) {
        return PX_EVENT_CONTINUE;
    }
    if (__builtin_expect(ev->len >= PX_OF_FLOW_MOD_V3_LEN && fm->reply_to,
                         0) &&
        !(reply = request_ack_topic(of, ev, what, c, fm->reply_to, outcome))) {
        return PX_EVENT_CONTINUE;
    }
    buf = of_conn_reserve(c, &room);
    error = slave_refusal(c, &why);
    if (!error) {
        error = of_encode_flow_mod(buf, room, c->version, c->xid, fm, ev->len,
                                   &len, &why);
    }
    if (!error && reply) {
        error = of_req_expect(c, c->xid, OF_AWAIT_ACK, reply, fm->request_id);
    }
    if (request_done(of, ev, what, c, outcome, error, why, len)) {
        c->cnt->flow_mods++;
    }
    return PX_EVENT_CONTINUE;
}

/* What the group_mod and meter_mod handlers share: the request's switch,
 * its reply topic and slot when it names one, its encoding by 'encode',
 * and the outcome.  Returns nonzero if it was queued. */
static int
request_encoded(struct openflow *of, const struct px_event *ev,
                const char *what, uint64_t dpid, const char *reply_to,
                uint64_t request_id, struct px_of_outcome *outcome,
                int (*encode)(uint8_t *buf, size_t cap, uint8_t version,
                              uint32_t xid, const void *req, size_t *len,
                              const char **why))
{
    struct px_topic *reply = NULL;
    const char *why = NULL;
    struct of_conn *c = request_conn(of, ev, what, dpid, outcome);
    size_t room, len;
    uint8_t *buf;
    int error;

    if (!c || (reply_to && !(reply = request_ack_topic(of, ev, what, c,
                                                       reply_to, outcome)))) {
        return 0;
    }
    buf = of_conn_reserve(c, &room);
    error = slave_refusal(c, &why);
    if (!error) {
        error = encode(buf, room, c->version, c->xid, ev->payload, &len, &why);
    }
    if (!error && reply) {
        error = of_req_expect(c, c->xid, OF_AWAIT_ACK, reply, request_id);
    }
    return request_done(of, ev, what, c, outcome, error, why, len);
}

static int
encode_group_mod(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                 const void *req, size_t *len, const char **why)
{
    return of_encode_group_mod(buf, cap, version, xid, req, len, why);
}

static int
encode_meter_mod(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                 const void *req, size_t *len, const char **why)
{
    return of_encode_meter_mod(buf, cap, version, xid, req, len, why);
}

static int
on_group_mod(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "group_mod";
    struct openflow *of = px_get_data(p);
    const struct px_of_group_mod *gm = ev->payload;

    (void)arg;
    if (request_long_enough(of, ev, what, sizeof *gm)) {
        request_encoded(of, ev, what, gm->dpid, gm->reply_to, gm->request_id,
                        gm->outcome, encode_group_mod);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_meter_mod(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "meter_mod";
    struct openflow *of = px_get_data(p);
    const struct px_of_meter_mod *mm = ev->payload;

    (void)arg;
    if (request_long_enough(of, ev, what, sizeof *mm)) {
        request_encoded(of, ev, what, mm->dpid, mm->reply_to, mm->request_id,
                        mm->outcome, encode_meter_mod);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_inventory(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "inventory";
    struct openflow *of = px_get_data(p);
    const struct px_of_inventory *inv = ev->payload;
    struct px_of_reply r = {.type = PX_OF_REPLY_SWITCH};
    struct of_conn *c, **snapshot;
    struct px_topic *reply;
    uint32_t count = 0;
    size_t i, n = 0;

    (void)arg;
    if (!request_long_enough(of, ev, what, sizeof *inv)) {
        return PX_EVENT_CONTINUE;
    }
    reply = request_reply_topic(of, ev, what, inv->reply_to, inv->outcome);
    if (!reply) {
        return PX_EVENT_CONTINUE;
    }
    /* A subscriber may close a switch from its callback, which moves the
     * connection from of->conns to the graveyard (freed when the pass
     * ends): walk a copy of the list, not the list. */
    snapshot = malloc((of->n_conns + 1) * sizeof *snapshot);
    if (!snapshot) {
        set_outcome(inv->outcome, ENOMEM, "out of memory");
        return PX_EVENT_CONTINUE;
    }
    for (c = of->conns; c && n <= of->n_conns; c = c->next) {
        snapshot[n++] = c;
    }
    set_outcome(inv->outcome, 0, "answered");
    r.request_id = inv->request_id;
    for (i = 0; i < n; i++) {
        struct px_of_switch sw;

        c = snapshot[i];
        if (c->state != OF_CONN_READY || c->closing) {
            continue;
        }
        of_conn_describe(c, &sw, NULL);
        r.dpid = sw.dpid;
        r.sw = &sw;
        of_req_publish(of, reply, &r);
        count++;
    }
    free(snapshot);
    r = (struct px_of_reply){.request_id = inv->request_id,
                             .type = PX_OF_REPLY_DONE,
                             .count = count};
    of_req_publish(of, reply, &r);
    return PX_EVENT_CONTINUE;
}

static int
on_barrier(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "barrier";
    struct openflow *of = px_get_data(p);
    const struct px_of_barrier *b = ev->payload;
    struct px_topic *reply;
    struct of_conn *c;
    size_t room, len;
    uint8_t *buf;
    int error;

    (void)arg;
    if (!request_long_enough(of, ev, what, sizeof *b)) {
        return PX_EVENT_CONTINUE;
    }
    reply = request_reply_topic(of, ev, what, b->reply_to, b->outcome);
    c = reply ? request_conn(of, ev, what, b->dpid, b->outcome) : NULL;
    if (!c || !request_slot(of, ev, what, c, b->outcome)) {
        return PX_EVENT_CONTINUE;
    }
    buf = of_conn_reserve(c, &room);
    len = buf ? of_encode_barrier_request(buf, room, c->version, c->xid) : 0;
    error =
        len ? of_req_expect(c, c->xid, OF_AWAIT_BARRIER, reply, b->request_id)
            : ENOBUFS;
    request_done(of, ev, what, c, b->outcome, error, NULL, len);
    return PX_EVENT_CONTINUE;
}

static int
on_role(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "role";
    struct openflow *of = px_get_data(p);
    const struct px_of_role *rq = ev->payload;
    struct px_topic *reply;
    const char *why = NULL;
    struct of_conn *c;
    size_t room, len = 0;
    uint8_t *buf;
    int error;

    (void)arg;
    if (!request_long_enough(of, ev, what, sizeof *rq)) {
        return PX_EVENT_CONTINUE;
    }
    reply = request_reply_topic(of, ev, what, rq->reply_to, rq->outcome);
    c = reply ? request_conn(of, ev, what, rq->dpid, rq->outcome) : NULL;
    if (!c || !request_slot(of, ev, what, c, rq->outcome)) {
        return PX_EVENT_CONTINUE;
    }
    if (c->version != PX_OF_VERSION_13) {
        error = EOPNOTSUPP;
        why = "roles are OpenFlow 1.3's";
    } else if (rq->role > PX_OF_ROLE_SLAVE) {
        error = EINVAL;
        why = "unknown role";
    } else {
        buf = of_conn_reserve(c, &room);
        len = buf ? of_encode_role_request(buf, room, c->xid, rq->role,
                                           rq->generation_id)
                  : 0;
        error = len ? of_req_expect(c, c->xid, OF_AWAIT_ROLE, reply,
                                    rq->request_id)
                    : ENOBUFS;
    }
    request_done(of, ev, what, c, rq->outcome, error, why, len);
    return PX_EVENT_CONTINUE;
}

static int
on_async(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "async";
    struct openflow *of = px_get_data(p);
    const struct px_of_async *rq = ev->payload;
    struct px_topic *reply = NULL;
    const char *why = NULL;
    struct of_conn *c;
    size_t room, len = 0;
    uint8_t *buf;
    int error;

    (void)arg;
    if (!request_long_enough(of, ev, what, sizeof *rq)) {
        return PX_EVENT_CONTINUE;
    }
    if (rq->get || rq->reply_to) {
        reply = request_reply_topic(of, ev, what, rq->reply_to, rq->outcome);
        if (!reply) {
            return PX_EVENT_CONTINUE;
        }
    }
    c = request_conn(of, ev, what, rq->dpid, rq->outcome);
    if (!c || (reply && !request_slot(of, ev, what, c, rq->outcome))) {
        return PX_EVENT_CONTINUE;
    }
    if (c->version != PX_OF_VERSION_13) {
        error = EOPNOTSUPP;
        why = "asynchronous configuration is OpenFlow 1.3's";
    } else {
        buf = of_conn_reserve(c, &room);
        len = buf ? of_encode_async(buf, room, c->xid,
                                    rq->get ? NULL : &rq->config)
                  : 0;
        error = !len ? ENOBUFS
                : reply
                    ? of_req_expect(c, c->xid,
                                    rq->get ? OF_AWAIT_ASYNC : OF_AWAIT_ACK,
                                    reply, rq->request_id)
                    : 0;
    }
    request_done(of, ev, what, c, rq->outcome, error, why, len);
    return PX_EVENT_CONTINUE;
}

static int
on_stats(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "stats";
    struct openflow *of = px_get_data(p);
    const struct px_of_stats_request *rq = ev->payload;
    struct px_topic *reply;
    const char *why = NULL;
    struct of_conn *c;
    size_t room, len = 0;
    uint8_t *buf;
    int error;

    (void)arg;
    if (!request_long_enough(of, ev, what, sizeof *rq)) {
        return PX_EVENT_CONTINUE;
    }
    reply = request_reply_topic(of, ev, what, rq->reply_to, rq->outcome);
    c = reply ? request_conn(of, ev, what, rq->dpid, rq->outcome) : NULL;
    if (!c || !request_slot(of, ev, what, c, rq->outcome)) {
        return PX_EVENT_CONTINUE;
    }
    buf = of_conn_reserve(c, &room);
    error =
        of_encode_stats_request(buf, room, c->version, c->xid, rq, &len, &why);
    if (!error) {
        error =
            of_req_expect_stats(c, c->xid, reply, rq->request_id, rq->type);
    }
    request_done(of, ev, what, c, rq->outcome, error, why, len);
    return PX_EVENT_CONTINUE;
}

/* Checks a message a plugin encoded: NULL, or why it cannot be sent to
 * 'c' as it is, and with which errno in '*error'. */
static const char *
send_check(const struct of_conn *c, const struct px_of_send *s, int *error)
{
    const char *why = NULL;

    *error = EINVAL;
    if (!s->msg || s->len < OF_HEADER_LEN) {
        return "shorter than an OpenFlow header";
    }
    if (s->len > OF_MAX_MESSAGE || (size_t)px_get_be16(s->msg + 2) != s->len) {
        return "header length is not the message's length";
    }
    if (s->msg[1] == OF_HELLO) {
        return "HELLO is openflow's to send";
    }
    if (s->msg[0] != c->version) {
        *error = EOPNOTSUPP;
        return "message version is not the switch's";
    }
    if (changes_switch(c->version, s->msg[1]) &&
        (*error = slave_refusal(c, &why))) {
        return why;
    }
    return NULL;
}

static int
on_send(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    static const char what[] = "send";
    struct openflow *of = px_get_data(p);
    const struct px_of_send *s = ev->payload;
    struct px_topic *reply = NULL;
    const char *why;
    struct of_conn *c;
    size_t room;
    uint8_t *buf;
    int error;

    (void)arg;
    if (!request_long_enough(of, ev, what, sizeof *s)) {
        return PX_EVENT_CONTINUE;
    }
    if (s->reply_to) {
        reply = request_reply_topic(of, ev, what, s->reply_to, s->outcome);
        if (!reply) {
            return PX_EVENT_CONTINUE;
        }
    }
    c = request_conn(of, ev, what, s->dpid, s->outcome);
    if (!c || (reply && !request_slot(of, ev, what, c, s->outcome))) {
        return PX_EVENT_CONTINUE;
    }
    why = send_check(c, s, &error);
    if (!why) {
        buf = of_conn_reserve(c, &room);
        if (!buf || room < s->len) {
            error = ENOBUFS;
        } else {
            memcpy(buf, s->msg, s->len);
            px_put_be32(buf + 4, c->xid);
            error = reply ? of_req_expect(c, c->xid,
                                          s->flags & PX_OF_SEND_REPLY
                                              ? OF_AWAIT_REPLY
                                              : OF_AWAIT_ACK,
                                          reply, s->request_id)
                          : 0;
        }
    }
    request_done(of, ev, what, c, s->outcome, error, why, error ? 0 : s->len);
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Stats.                                                                 */

const char *
openflow_port_name(uint32_t port_no, char *buf, size_t size)
{
    switch (port_no) {
    case PX_OF_PORT_IN_PORT:
        return "in_port";
    case PX_OF_PORT_TABLE:
        return "table";
    case PX_OF_PORT_NORMAL:
        return "normal";
    case PX_OF_PORT_FLOOD:
        return "flood";
    case PX_OF_PORT_ALL:
        return "all";
    case PX_OF_PORT_CONTROLLER:
        return "controller";
    case PX_OF_PORT_LOCAL:
        return "local";
    case PX_OF_PORT_ANY:
        return "any";
    default:
        snprintf(buf, size, "%" PRIu32, port_no);
        return buf;
    }
}

static const char *
version_text(uint8_t version)
{
    return (version == PX_OF_VERSION_10   ? "1.0"
            : version == PX_OF_VERSION_13 ? "1.3"
                                          : "");
}

static void
report_switch(struct openflow *of, uint64_t id,
              const struct of_switch_stats *sw, const char *key)
{
    const struct px_stats_label keys[] = {{"switch", key}};
    struct px_stats_field f[10 + OF_N_DISCONNECTS + 1 + OF_N_REFUSALS] = {
        PX_STATS_TEXT_FIELD("version", "OpenFlow version of the session",
                            version_text(sw->version)),
        PX_STATS_TEXT_FIELD("peer", "Address of the switch's last session",
                            sw->peer),
        PX_STATS_GAUGE_FIELD("connected", "1 if the switch is connected",
                             sw->connected ? 1 : 0),
        PX_STATS_GAUGE_FIELD("connected_since_seconds",
                             "Start of the current or last session (epoch)",
                             sw->connected_since),
        PX_STATS_COUNTER_FIELD("packet_ins", "Packet-ins from the switch",
                               sw->total.packet_ins),
        PX_STATS_COUNTER_FIELD("packet_outs", "Packet-outs queued for it",
                               sw->total.packet_outs),
        PX_STATS_COUNTER_FIELD("flow_mods", "Flow-mods queued for it",
                               sw->total.flow_mods),
        PX_STATS_COUNTER_FIELD("rx_bytes", "Bytes received from it",
                               sw->total.rx_bytes),
        PX_STATS_COUNTER_FIELD("tx_bytes", "Bytes sent to it",
                               sw->total.tx_bytes),
        PX_STATS_COUNTER_FIELD("output_drops",
                               "Messages for it dropped: output buffer full",
                               sw->total.out_drops),
    };
    size_t n = 10, i;

    for (i = PX_CONN_PEER_CLOSED; i < OF_N_DISCONNECTS; i++) {
        f[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "disconnects", "Sessions of the switch that ended, by reason",
            "reason", px_conn_reason_name(i), sw->disconnects[i]);
    }
    f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "ports_untracked",
        "Per-port counts lost to the bound on ports per switch",
        sw->ports_untracked);
    for (i = 0; i < OF_N_REFUSALS; i++) {
        f[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "requests_refused",
            "Packet-outs and flow-mods for it that were not sent, by cause",
            "cause", of_stats_refusal_name(i), sw->total.refused[i]);
    }
    px_stats_publish(of->p, of->t_stats_report, id, "switch", keys, 1, f, n);
}

/* Reports each port of 'sw', in order of number.  'ports' is scratch space
 * for OF_STATS_MAX_PORTS ports.
 *
 * Each report is published synchronously, and a subscriber could publish
 * a packet-out to this plugin from inside it, adding a port to 'sw' and
 * moving its table: so the ports are walked in a copy. */
static void
report_ports(struct openflow *of, uint64_t id,
             const struct of_switch_stats *sw, const char *key,
             struct of_port_stats *ports)
{
    size_t n_ports = sw->n_ports, i;

    of_stats_ports_sorted(sw, ports);
    for (i = 0; i < n_ports; i++) {
        const struct of_port_stats *ps = &ports[i];
        char buf[16];
        const struct px_stats_label keys[] = {
            {"switch", key},
            {"port", openflow_port_name(ps->port_no, buf, sizeof buf)},
        };
        const struct px_stats_field f[] = {
            PX_STATS_TEXT_FIELD("name", "Name of the port (from the switch)",
                                ps->name),
            PX_STATS_COUNTER_FIELD("packet_ins",
                                   "Packet-ins that arrived on the port",
                                   ps->packet_ins),
            PX_STATS_COUNTER_FIELD("packet_outs",
                                   "Packet-outs with an output to the port",
                                   ps->packet_outs),
        };

        px_stats_publish(of->p, of->t_stats_report, id, "port", keys, 2, f,
                         sizeof f / sizeof f[0]);
    }
}

static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct openflow *of = px_get_data(p);
    const struct px_stats_collect *col = ev->payload;
    struct of_port_stats *ports;
    unsigned int connected = 0;
    struct of_conn *c;
    size_t i;

    (void)arg;
    if (ev->len < sizeof *col) {
        return PX_EVENT_CONTINUE;
    }
    for (c = of->conns; c; c = c->next) {
        connected += c->state == OF_CONN_READY;
    }
    {
        const struct px_stats_field f[] = {
            PX_STATS_GAUGE_FIELD("switches_connected",
                                 "Switches connected and up", connected),
            PX_STATS_COUNTER_FIELD("connections_accepted",
                                   "Switch connections accepted",
                                   of->stats->connections_accepted),
            PX_STATS_COUNTER_FIELD("connections_refused",
                                   "Switch connections refused over "
                                   "max_switches",
                                   of->stats->connections_refused),
            PX_STATS_COUNTER_FIELD("handshake_failures",
                                   "Connections closed before the switch "
                                   "was up",
                                   of->stats->handshake_failures),
            PX_STATS_COUNTER_FIELD("tls_failures",
                                   "Of those, connections TLS closed "
                                   "(certificate, protocol, bad record)",
                                   of->stats->tls_failures),
            PX_STATS_COUNTER_FIELD("switches_forgotten",
                                   "Switch records evicted by the bound",
                                   of->stats->switches_forgotten),
            PX_STATS_LABELLED_COUNTER(
                "requests_refused",
                "Packet-outs and flow-mods refused with no switch to count "
                "them on, by cause",
                "cause", "unknown_dpid", of->stats->requests_unknown_dpid),
            PX_STATS_LABELLED_COUNTER(
                "requests_refused",
                "Packet-outs and flow-mods refused with no switch to count "
                "them on, by cause",
                "cause", "malformed", of->stats->requests_malformed),
        };

        px_stats_publish(of->p, of->t_stats_report, col->id, "openflow", NULL,
                         0, f, sizeof f / sizeof f[0]);
    }
    ports = malloc(OF_STATS_MAX_PORTS * sizeof *ports);
    if (!ports) {
        px_log_rl(p, &of->rl_stats, PX_LOG_WARN,
                  "out of memory: ports left out of the stats report");
    }
    /* A report's subscribers run inside px_publish; what they could make
     * this plugin do from there (packet-outs, flow-mods) adds to counts and
     * ports but never adds or removes records, which only happens on
     * connections' I/O. */
    for (i = 0; i < of->stats->n; i++) {
        const struct of_switch_stats *sw = of->stats->records[i];
        char key[17];

        snprintf(key, sizeof key, "%016" PRIx64, sw->dpid);
        report_switch(of, col->id, sw, key);
        if (ports) {
            report_ports(of, col->id, sw, key, ports);
        }
    }
    free(ports);
    return PX_EVENT_CONTINUE;
}

/* Takes the previous generation's counters, or starts afresh. */
static int
take_stats(struct openflow *of)
{
    size_t max = 2 * (size_t)of->max_conns;
    const void *data;
    uint32_t version;
    size_t len;
    int error;

    if (!px_handoff_get_blob(of->p, OPENFLOW_STATS_BLOB, &version, &data,
                             &len)) {
        error = version >= OF_STATS_BLOB_MIN_VERSION &&
                        version <= OF_STATS_BLOB_VERSION
                    ? of_stats_restore(data, len, max, &of->stats)
                    : EPROTO;
        if (!error) {
            return 0;
        }
        px_warn(of->p,
                "the previous generation's counters could not be "
                "taken over (%s): starting from zero",
                strerror(error));
    }
    of->stats = of_stats_create(max);
    return of->stats ? 0 : ENOMEM;
}

/* After the connections are taken over: a record that says its switch is
 * connected but that no live connection points at lost its connection in
 * the reload (or the handoff). */
static void
settle_records(struct openflow *of)
{
    size_t i;

    for (i = 0; i < of->stats->n; i++) {
        struct of_switch_stats *sw = of->stats->records[i];
        struct of_conn *c;

        if (sw->connected) {
            c = openflow_find(of, sw->dpid);
            if (!c || c->sw != sw) {
                of_stats_disconnected(of->stats, sw, PX_CONN_OTHER);
            }
        }
    }
}

static void
on_probe(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct openflow *of = px_get_data(p);
    struct of_conn *c, *next;

    (void)t;
    (void)arg;
    for (c = of->conns; c; c = next) {
        next = c->next;
        of_conn_tick(c);
    }
}

static int
declare(struct openflow *of)
{
    struct px_plugin *p = of->p;
    int error;

    if ((error = px_topic_declare(p, PX_TOPIC_OF_SWITCH_UP,
                                  PX_TOPIC_OF_VERSION, &of->t_switch_up)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_SWITCH_DOWN,
                                  PX_TOPIC_OF_VERSION, &of->t_switch_down)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_PORT_STATUS,
                                  PX_TOPIC_OF_VERSION, &of->t_port_status)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_PACKET_IN,
                                  PX_TOPIC_OF_VERSION, &of->t_packet_in)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_ERROR, PX_TOPIC_OF_VERSION,
                                  &of->t_error)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_PACKET_OUT,
                                  PX_TOPIC_OF_VERSION, NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_FLOW_MOD, PX_TOPIC_OF_VERSION,
                                  NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_FLOW_REMOVED,
                                  PX_TOPIC_OF_VERSION, &of->t_flow_removed)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_GROUP_MOD,
                                  PX_TOPIC_OF_VERSION, NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_METER_MOD,
                                  PX_TOPIC_OF_VERSION, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_GROUP_MOD, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_group_mod, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_METER_MOD, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_meter_mod, NULL, NULL)) ||
        /* Requests of every version: the handlers tell them apart by
         * length, so publishers built before 'outcome' keep working. */
        (error = px_subscribe(p, PX_TOPIC_OF_PACKET_OUT, 1, PX_PRIO_DEFAULT,
                              on_packet_out, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_FLOW_MOD, 1, PX_PRIO_DEFAULT,
                              on_flow_mod, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_INVENTORY, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_inventory, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_BARRIER, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_barrier, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SEND, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_send, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_ROLE, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_role, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_STATS, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_stats, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_ASYNC, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_async, NULL, NULL)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &of->t_stats_report)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL))) {
        return error;
    }
    return 0;
}

/* Takes the previous generation's listeners and connections, when it left
 * any.  Listeners are taken when they listen where and how this
 * configuration says; connections always (a connection keeps the
 * transport it was accepted with). */
static void
take_handoff(struct openflow *of, const int port[2])
{
    struct px_cursor cur;
    const uint8_t *data;
    char endpoint[160], mine[160];
    uint32_t version, i, n_conns, old_port[2];
    size_t len;

    if (px_handoff_get_blob(of->p, "openflow", &version, (const void **)&data,
                            &len) ||
        version != OPENFLOW_BLOB_VERSION) {
        return;
    }
    px_cursor_init(&cur, data, len);
    of->next_id = px_cursor_be32(&cur);
    px_cursor_str(&cur, endpoint, sizeof endpoint);
    old_port[0] = px_cursor_be32(&cur);
    old_port[1] = px_cursor_be32(&cur);
    n_conns = px_cursor_be32(&cur);
    if (cur.error || n_conns > cur.left / 4) {
        px_warn(of->p, "the previous generation's state is corrupt: "
                       "starting afresh");
        return;
    }
    /* Compared without the port, which the ports compare. */
    of->endpoint.port = 0;
    px_endpoint_format(&of->endpoint, mine, sizeof mine);
    for (i = 0; i < 2; i++) {
        char name[16];

        snprintf(name, sizeof name, "listen%u", i);
        if (port[i] && old_port[i] == (uint32_t)port[i] &&
            !strcmp(endpoint, mine)) {
            px_handoff_take_fd(of->p, name, &of->listen_fd[i]);
        }
    }
    for (i = 0; i < n_conns; i++) {
        uint32_t id = px_cursor_be32(&cur);
        struct of_conn *c;

        if (of_conn_restore(of, id, &c)) {
            px_warn(of->p, "connection %u could not be taken over", id);
        }
    }
    px_info(of->p, "took over %u switch connection%s from generation %u",
            of->n_conns, of->n_conns == 1 ? "" : "s",
            px_generation(of->p) - 1);
}

/* Hands the listeners, the connections and their ids to the next
 * generation. */
static void
put_handoff(struct openflow *of)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    struct px_buf ids = PX_BUF_INITIALIZER(SIZE_MAX);
    char endpoint[160];
    uint32_t port[2] = {0, 0}, n = 0;
    struct of_conn *c;
    int i;

    for (i = 0; i < 2; i++) {
        char name[16];

        snprintf(name, sizeof name, "listen%u", (unsigned int)i);
        if (of->listen_fd[i] >= 0 &&
            !px_handoff_put_fd(of->p, name, of->listen_fd[i])) {
            port[i] = (uint32_t)of->listen_port[i];
            of->listen_fd[i] = -1; /* The host holds it now. */
        }
    }
    for (c = of->conns; c; c = c->next) {
        if (!of_conn_save(c)) {
            px_buf_put_be32(&ids, c->id);
            n++;
        }
    }
    of->endpoint.port = 0;
    px_endpoint_format(&of->endpoint, endpoint, sizeof endpoint);
    px_buf_put_be32(&b, of->next_id);
    px_buf_put_str(&b, endpoint);
    px_buf_put_be32(&b, port[0]);
    px_buf_put_be32(&b, port[1]);
    px_buf_put_be32(&b, n);
    px_buf_put(&b, ids.data, ids.len);
    if (px_buf_error(&b) || px_buf_error(&ids) ||
        px_handoff_put_blob(of->p, "openflow", OPENFLOW_BLOB_VERSION, b.data,
                            b.len)) {
        px_warn(of->p, "switch connections not handed over: the switches "
                       "will reconnect");
    }
    px_buf_destroy(&b);
    px_buf_destroy(&ids);
}

static void
openflow_free(struct openflow *of)
{
    int i;

    /* A connection handed off no longer owns its socket; the others are
     * closed (reason "shutdown") as they are freed. */
    while (of->conns) {
        struct of_conn *c = of->conns;

        of->conns = c->next;
        of_conn_free(c);
    }
    while (of->graveyard) {
        struct of_conn *c = of->graveyard;

        of->graveyard = c->next;
        of_conn_free(c);
    }
    for (i = 0; i < 2; i++) {
        if (of->listen_fd[i] >= 0) {
            close(of->listen_fd[i]);
        }
    }
    /* The connections were freed above; only the buckets are left. */
    px_hmap_destroy(&of->by_dpid);
    px_tls_unref(of->tls);
    free(of->dirty);
    of_stats_destroy(of->stats);
    free(of);
}

static int
openflow_init(struct px_plugin *p)
{
    struct openflow *of = calloc(1, sizeof *of);
    struct px_ratelimit rl = PX_RATELIMIT_INIT(1.0, 5);
    /* One line per cause of refused requests every 10 s at most: a
     * publisher that keeps asking for the impossible is seen, and counted,
     * without a line per request. */
    struct px_ratelimit rl_refused = PX_RATELIMIT_INIT(10.0, 1);
    long long port, port2;
    char where[160];
    int ports[2], error, i;

    if (!of) {
        return ENOMEM;
    }
    of->p = p;
    px_hmap_init(&of->by_dpid);
    of->listen_fd[0] = of->listen_fd[1] = -1;
    of->rl_drop = rl;
    of->rl_error = rl;
    of->rl_stats = rl;
    for (i = 0; i <= OF_N_REFUSALS; i++) {
        of->rl_refused[i] = rl_refused;
    }
    px_set_data(p, of);
    if ((error = configure_transport(of)) ||
        (error = px_config_int(p, "port", &port)) ||
        (error = px_config_int(p, "port2", &port2)) ||
        (error = px_config_double(p, "echo_interval", &of->echo_interval)) ||
        (error = px_config_int(p, "echo_misses", &of->echo_misses)) ||
        (error = px_config_int(p, "out_buffer", &of->out_buffer)) ||
        (error = px_config_int(p, "max_per_pass", &of->max_per_pass)) ||
        (error = px_config_int(p, "max_switches", &of->max_conns)) ||
        (error = take_stats(of)) || (error = declare(of))) {
        goto fail;
    }
    ports[0] = (int)port;
    ports[1] = (int)port2;
    if (of->transport == PX_TRANSPORT_UNIX && port2) {
        /* One path, one socket: a second "port" would bind it twice. */
        px_error(p, "port2 does not apply to transport unix: set it to 0");
        error = EINVAL;
        goto fail;
    }
    /* The records first: restored connections link to them. */
    take_handoff(of, ports);
    settle_records(of);
    for (i = 0; i < 2; i++) {
        if (!ports[i]) {
            continue;
        }
        if (of->listen_fd[i] < 0 &&
            (error = listen_on(of, ports[i], &of->listen_fd[i]))) {
            goto fail;
        }
        of->listen_port[i] = ports[i];
        if ((error = px_io_start(p, of->listen_fd[i], PX_IO_READ, on_accept,
                                 NULL, &of->listen_io[i]))) {
            goto fail;
        }
    }
    error = px_timer_start(p, of->echo_interval, of->echo_interval, on_probe,
                           NULL, &of->probe);
    if (error) {
        goto fail;
    }
    openflow_commands_register(of);
    if (of->transport == PX_TRANSPORT_UNIX) {
        px_info(p, "listening on %s for OpenFlow 1.0 and 1.3",
                of->endpoint.path);
    } else {
        snprintf(where, sizeof where,
                 strchr(of->endpoint.host, ':') ? "[%s]:%d" : "%s:%d",
                 of->endpoint.host, ports[0]);
        px_info(p, "listening on %s%s%.0d for OpenFlow 1.0 and 1.3%s", where,
                ports[1] ? " and port " : "", ports[1],
                of->transport == PX_TRANSPORT_TLS ? " over TLS" : "");
    }
    return 0;

fail:
    px_set_data(p, NULL);
    openflow_free(of);
    return error;
}

/* Hands the counters to the next generation.  Records of switches whose
 * connection fails to be handed off below still say connected: the next
 * generation's settle_records counts those disconnects. */
static void
put_stats(struct openflow *of)
{
    void *data;
    size_t len;
    int error = of_stats_serialise(of->stats, &data, &len);

    if (!error) {
        error = px_handoff_put_blob(of->p, OPENFLOW_STATS_BLOB,
                                    OF_STATS_BLOB_VERSION, data, len);
        free(data);
    }
    if (error) {
        px_warn(of->p,
                "counters not handed over (%s): they restart from "
                "zero",
                strerror(error));
    }
}

static void
openflow_fini(struct px_plugin *p)
{
    struct openflow *of = px_get_data(p);

    if (!of) {
        return;
    }
    /* Write what is queued first: the next generation starts clean. */
    flush_all(p, NULL);
    put_stats(of);
    put_handoff(of);
    px_set_data(p, NULL);
    openflow_free(of);
}

PX_PLUGIN_DEFINE(.name = "openflow", .version = OPENFLOW_VERSION,
                 .description = "OpenFlow 1.0 and 1.3 switch connections",
                 .config_keys = openflow_keys, .init = openflow_init,
                 .fini = openflow_fini);
