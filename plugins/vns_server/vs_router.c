/*
 * One router connection of vns_server (vs_plugin.h): accepting it, the
 * handshake (AuthRequest, AuthReply checked against the key, AuthStatus,
 * Open), HWInfo, and the end of it, with its reason logged and counted.
 * Packets, once the router is open, go to vs_packet.c.
 *
 * The connection itself is a px_conn (plexus/conn.h): it reads, cuts the
 * input into VNS messages by their length field, bounds the output, runs
 * the TLS handshake when routers connect over TLS, and says why it closed.
 * What is queued for routers during a loop pass goes out in one write per
 * router at the end of the pass (vs_router_after_pass).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "plexus/topics/vns.h"
#include "vs_plugin.h"

const char *const vs_drop_names[N_ROUTER_DROPS] = {
    [DROP_OUTPUT_FULL] = "output_full",
    [DROP_UNKNOWN_INTERFACE] = "unknown_interface",
    [DROP_NO_SWITCH] = "no_switch",
    [DROP_UNENCODABLE] = "unencodable",
    [DROP_SWITCH_FULL] = "switch_output_full",
    [DROP_REFUSED] = "refused",
};

/* ---------------------------------------------------------------------- */
/* The end of a loop pass: output, and the routers that went away.        */

static void drop(struct router *r);

/* Watches the socket for what the connection waits for next. */
static void
update_events(struct router *r)
{
    if (r->io) {
        px_io_modify(r->vs->p, r->io, px_conn_events(r->conn));
    }
}

static void
after_pass(struct px_plugin *p, void *arg)
{
    struct vns_server *vs = px_get_data(p);

    (void)arg;
    vs->after_pass_scheduled = 0;
    while (vs->dirty) {
        struct router *r = vs->dirty;

        vs->dirty = r->dirty_next;
        r->dirty = 0;
        r->dirty_next = NULL;
        if (r->dropped_already) {
            continue;
        }
        if (px_conn_flush(r->conn)) {
            drop(r);
        } else {
            update_events(r);
        }
    }
    vs_router_reap_all(vs);
}

static void
schedule_after_pass(struct vns_server *vs)
{
    if (!vs->after_pass_scheduled && !px_defer(vs->p, after_pass, NULL)) {
        vs->after_pass_scheduled = 1;
    }
}

void
vs_router_mark_dirty(struct router *r)
{
    if (!r->dirty && !r->dropped_already) {
        r->dirty = 1;
        r->dirty_next = r->vs->dirty;
        r->vs->dirty = r;
    }
    schedule_after_pass(r->vs);
}

void
vs_router_send_hwinfo(struct router *r)
{
    struct vns_server *vs = r->vs;
    struct vns_iface vis[VNS_MAX_IFACES];
    size_t i;

    if (r->state != R_READY || r->hwinfo_sent || !vs->switch_up) {
        return;
    }
    for (i = 0; i < vs->n_ifaces; i++) {
        vis[i] = vs->ifaces[i].vi;
    }
    if (!ROUTER_SEND(r, vns_encode_hwinfo, vis, vs->n_ifaces)) {
        r->hwinfo_sent = 1;
        px_info(vs->p, "router %s (%s): HWInfo sent, %zu interfaces",
                px_conn_peer(r->conn), r->vhost, vs->n_ifaces);
    }
}

/* ---------------------------------------------------------------------- */
/* Life and death of a connection.                                        */

static void
publish_router(struct vns_server *vs, struct router *r, int up,
               const char *reason)
{
    struct px_vns_router ev = {
        .id = r->id,
        .peer = px_conn_peer(r->conn),
        .vhost = r->vhost,
        .user = r->user,
        .n_ifaces = vs->n_ifaces,
        .reason = reason,
    };

    px_publish(vs->p, up ? vs->t_router_up : vs->t_router_down, &ev,
               sizeof ev);
}

void
vs_router_free(struct router *r)
{
    if (r) {
        px_io_stop(r->vs->p, r->io);
        px_timer_stop(r->vs->p, r->hs_timer);
        px_conn_destroy(r->conn);
        free(r);
    }
}

void
vs_router_reap_all(struct vns_server *vs)
{
    while (vs->graveyard) {
        struct router *r = vs->graveyard;

        vs->graveyard = r->next;
        vs_router_free(r);
    }
}

/* The words of a close for the log: a message the codec refused, or whose
 * length the framing refused, is "malformed message: " and why. */
static void
close_words(const struct router *r, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s",
             px_conn_reason(r->conn) == PX_CONN_MALFORMED
                 ? "malformed message: "
                 : "",
             px_conn_why(r->conn));
}

/* Takes the router whose connection has closed off vs->routers, logs and
 * counts why, tells the others if it was open, and leaves it in the
 * graveyard until the end of the pass: the code up the stack may still
 * hold it. */
static void
drop(struct router *r)
{
    struct vns_server *vs = r->vs;
    enum px_conn_reason reason = px_conn_reason(r->conn);
    struct router **pp;
    char words[256];

    if (r->dropped_already) {
        return;
    }
    r->dropped_already = 1;
    /* The connection closed the socket; the watcher goes before any other
     * socket can take its number. */
    px_io_stop(vs->p, r->io);
    r->io = NULL;
    px_timer_stop(vs->p, r->hs_timer);
    r->hs_timer = NULL;
    close_words(r, words, sizeof words);
    px_info(vs->p, "router %s dropped: %s", px_conn_peer(r->conn), words);
    vs->disconnects[reason < PX_CONN_N_REASONS ? reason : PX_CONN_OTHER]++;
    if (r->state == R_READY) {
        publish_router(vs, r, 0, words);
    }
    for (pp = &vs->routers; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    r->next = vs->graveyard;
    vs->graveyard = r;
    schedule_after_pass(vs);
    vs_prefer_update(vs, 0);
}

void
vs_prefer_update(struct vns_server *vs, int again)
{
    struct px_cluster_prefer pr;
    const struct router *r;
    int want = 0;

    for (r = vs->routers; r && vs->switch_up; r = r->next) {
        want |= r->state == R_READY;
    }
    if (!again && want == vs->preferring &&
        (!want || vs->preferred_dpid == vs->up_dpid)) {
        return;
    }
    if (vs->preferring && (!want || vs->preferred_dpid != vs->up_dpid)) {
        pr.dpid = vs->preferred_dpid;
        pr.prefer = 0;
        px_publish(vs->p, vs->t_prefer, &pr, sizeof pr);
    }
    if (want) {
        pr.dpid = vs->up_dpid;
        pr.prefer = 1;
        px_publish(vs->p, vs->t_prefer, &pr, sizeof pr);
    }
    vs->preferring = want;
    vs->preferred_dpid = vs->up_dpid;
}

void
vs_router_close(struct router *r, enum px_conn_reason reason,
                const char *detail)
{
    if (px_conn_is_open(r->conn)) {
        /* Best effort, and a failure here closes it with its own reason,
         * which is then the one counted. */
        px_conn_flush(r->conn);
        px_conn_close(r->conn, reason, detail);
    }
    drop(r);
}

/* ---------------------------------------------------------------------- */
/* Input.                                                                 */

static int
handle_auth_reply(struct router *r, const uint8_t *msg, size_t len,
                  const char **why)
{
    struct vns_server *vs = r->vs;
    uint8_t sha[VNS_SHA1_LEN], want[VNS_SHA1_LEN];
    int ok = 1, error;

    if (r->state != R_AUTH) {
        *why = "AuthReply out of order";
        return EPROTO;
    }
    error = vns_decode_auth_reply(msg, len, r->user, sizeof r->user, sha, why);
    if (error) {
        return error;
    }
    if (vs->auth) {
        /* Without the expected digest nothing can be checked: the router
         * is dropped, not let in. */
        error = vns_auth_digest(r->salt, sizeof r->salt,
                                (const uint8_t *)vs->key, vs->key_len, want);
        if (error) {
            *why = "cannot compute the expected SHA-1";
            return error;
        }
        ok = !memcmp(sha, want, sizeof want);
    }
    ROUTER_SEND(r, vns_encode_auth_status, ok,
                ok ? "authenticated" : "authentication failed");
    if (!ok) {
        *why = "authentication failed";
        return EACCES;
    }
    r->state = R_OPEN;
    return 0;
}

static int
handle_open(struct router *r, const uint8_t *msg, size_t len, const char **why)
{
    struct vns_server *vs = r->vs;
    struct vns_open o;
    int error;

    if (r->state != R_OPEN) {
        *why = "Open before authentication";
        return EPROTO;
    }
    error = vns_decode_open(msg, len, &o, why);
    if (error) {
        return error;
    }
    memcpy(r->vhost, o.vhost, sizeof r->vhost);
    if (!r->user[0]) {
        memcpy(r->user, o.user, sizeof r->user);
    }
    r->state = R_READY;
    px_info(vs->p, "router %s opened vhost '%s' as '%s'",
            px_conn_peer(r->conn), r->vhost, r->user);
    publish_router(vs, r, 1, NULL);
    vs_prefer_update(vs, 0);
    if (vs->banner[0]) {
        ROUTER_SEND(r, vns_encode_banner, vs->banner);
    }
    vs_router_send_hwinfo(r);
    return 0;
}

/* Handles one whole message.  Returns 0, or the errno that ends the
 * session with '*why': EPROTO (malformed or out of order), EACCES (a wrong
 * key), ECONNRESET (the router said Close), or another. */
static int
handle(struct router *r, const uint8_t *msg, size_t len, const char **why)
{
    struct vns_header h;
    int error = vns_frame(msg, len, &h, why);

    if (error) {
        /* The connection framed it by the same length field. */
        return error == EAGAIN ? EPROTO : error;
    }
    switch (h.type) {
    case VNS_AUTH_REPLY:
        return handle_auth_reply(r, msg, len, why);
    case VNS_OPEN:
        return handle_open(r, msg, len, why);
    case VNS_PACKET:
        if (r->state != R_READY) {
            *why = "Packet before Open";
            return EPROTO;
        }
        return vs_packet_from_router(r, msg, len, why);
    case VNS_CLOSE: {
        char reason[VNS_CLOSE_LEN + 1];

        if (!vns_decode_close(msg, len, reason, sizeof reason, why)) {
            *why = "router closed the session";
        }
        return ECONNRESET;
    }
    default:
        *why = "unexpected message type";
        return EPROTO;
    }
}

/* The close reason of an error from handle(). */
static enum px_conn_reason
reason_of(int error)
{
    return error == EPROTO       ? PX_CONN_MALFORMED
           : error == EACCES     ? PX_CONN_AUTH_FAILED
           : error == ECONNRESET ? PX_CONN_PEER_CLOSED
                                 : PX_CONN_OTHER;
}

static void
router_io(struct px_plugin *p, struct px_io *io, int fd, int revents,
          void *arg)
{
    struct router *r = arg;
    const uint8_t *msg;
    size_t len;
    int error;

    (void)p;
    (void)io;
    (void)fd;
    error = px_conn_run(r->conn, revents);
    if (!error && r->hs_timer && px_conn_is_established(r->conn)) {
        px_timer_stop(r->vs->p, r->hs_timer);
        r->hs_timer = NULL;
    }
    while (!error && !(error = px_conn_next(r->conn, &msg, &len))) {
        const char *why = NULL;

        error = handle(r, msg, len, &why);
        if (error) {
            vs_router_close(r, reason_of(error), why ? why : strerror(error));
        }
    }
    if (!px_conn_is_open(r->conn)) {
        drop(r);
        return;
    }
    update_events(r);
}

static void
handshake_timeout(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct router *r = arg;
    char words[64];

    (void)p;
    (void)t;
    /* A one-shot timer is gone once it has fired. */
    r->hs_timer = NULL;
    if (!px_conn_is_established(r->conn)) {
        snprintf(words, sizeof words, "TLS handshake not done in %.0f s",
                 VS_TLS_HANDSHAKE_TIMEOUT);
        vs_router_close(r, PX_CONN_HANDSHAKE_TIMEOUT, words);
    }
}

int
vs_router_add(struct vns_server *vs, struct px_conn *conn, struct router **out)
{
    struct router *r = calloc(1, sizeof *r);
    int error;

    if (!r) {
        px_conn_destroy(conn);
        return ENOMEM;
    }
    r->vs = vs;
    r->conn = conn;
    r->connected_since = px_now(vs->p);
    error = px_io_start(vs->p, px_conn_fd(conn), px_conn_events(conn),
                        router_io, r, &r->io);
    if (!error && !px_conn_is_established(conn)) {
        /* Until its handshake is done a router holds a place that others
         * may need: it has a deadline. */
        error = px_timer_start(vs->p, VS_TLS_HANDSHAKE_TIMEOUT, 0,
                               handshake_timeout, r, &r->hs_timer);
    }
    if (error) {
        vs_router_free(r);
        return error;
    }
    r->next = vs->routers;
    vs->routers = r;
    *out = r;
    return 0;
}

/* A new router on the accepted socket 's': its connection, id and salt,
 * and the AuthRequest queued (it goes out once any TLS handshake is
 * done). */
static int
accept_router(struct vns_server *vs, int s, const char *peer)
{
    struct px_conn *conn;
    struct router *r;
    uint8_t salt[VNS_SALT_LEN];
    int error;

    /* The salt: the lab's server sends 20 random bytes.  A predictable
     * salt would let a recorded AuthReply be replayed, so without a
     * working random source the router is refused. */
    if (RAND_bytes(salt, (int)sizeof salt) != 1) {
        ERR_clear_error();
        close(s);
        return EIO;
    }
    error = px_conn_create(s, peer, &vs->options, &conn);
    if (error) {
        return error;
    }
    error = vs_router_add(vs, conn, &r);
    if (error) {
        return error;
    }
    r->id = vs->next_id++;
    memcpy(r->salt, salt, sizeof salt);
    px_info(vs->p, "router connected from %s%s", peer,
            vs->transport == PX_TRANSPORT_TLS ? " (TLS)" : "");
    ROUTER_SEND(r, vns_encode_auth_request, r->salt, sizeof r->salt);
    return 0;
}

void
vs_router_on_accept(struct px_plugin *p, struct px_io *io, int fd, int revents,
                    void *arg)
{
    struct vns_server *vs = px_get_data(p);

    (void)io;
    (void)revents;
    (void)arg;
    for (;;) {
        char peer[64];
        struct router *x;
        unsigned int n = 0;
        int s = -1, error = px_listen_accept(fd, &s, peer, sizeof peer);

        if (error) {
            if (error != EAGAIN && error != EINTR) {
                px_log_rl(p, &vs->rl, PX_LOG_WARN, "accept: %s",
                          strerror(error));
            }
            return;
        }
        vs->routers_accepted++;
        for (x = vs->routers; x; x = x->next) {
            n++;
        }
        if (n >= (unsigned int)vs->max_routers) {
            px_log_rl(p, &vs->rl, PX_LOG_WARN,
                      "router %s refused: %u connected already", peer, n);
            vs->disconnects[PX_CONN_OVER_LIMIT]++;
            /* Never a connection: nothing was read or written on it. */
            close(s);
            continue;
        }
        error = accept_router(vs, s, peer);
        if (error) {
            px_log_rl(p, &vs->rl, PX_LOG_WARN, "router %s refused: %s", peer,
                      strerror(error));
            vs->disconnects[PX_CONN_OTHER]++;
        }
    }
}

int
vs_router_id_cmp(const void *a_, const void *b_)
{
    const struct router *const *a = a_, *const *b = b_;

    return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}
