/*
 * of_request: requests awaiting a switch's reply, and the replies openflow
 * publishes for them (see of_request.h).
 */
#include "of_request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "of_conn.h"
#include "of_plugin.h"
#include "ofp.h"
#include "ofp_stats.h"
#include "plexus/byteorder.h"

/* The multipart (1.3) or stats (1.0) reply flag: more parts follow. */
#define OF_REPLY_MORE 0x1u

void
of_req_publish(struct openflow *of, struct px_topic *reply,
               const struct px_of_reply *r)
{
    px_publish(of->p, reply, r, sizeof *r);
}

/* Tells the requester of 'p' reply 'r' (its id and switch filled in). */
static void
publish(struct of_conn *c, const struct of_pending *p, struct px_of_reply *r)
{
    r->request_id = p->request_id;
    r->dpid = c->features.dpid;
    of_req_publish(c->of, p->reply, r);
}

uint32_t
of_req_xid(struct of_conn *c)
{
    if (!c->xid) {
        c->xid = 1;
    }
    return c->xid;
}

int
of_req_full(const struct of_conn *c)
{
    return c->n_awaiting >= OF_MAX_PENDING;
}

int
of_req_expect(struct of_conn *c, uint32_t xid, enum of_await kind,
              struct px_topic *reply, uint64_t request_id)
{
    if (c->n_awaiting == c->awaiting_cap) {
        size_t cap = c->awaiting_cap ? 2 * c->awaiting_cap : 8;
        struct of_pending *p;

        if (of_req_full(c)) {
            return ENOBUFS;
        }
        if (cap > OF_MAX_PENDING) {
            cap = OF_MAX_PENDING;
        }
        p = realloc(c->awaiting, cap * sizeof *p);
        if (!p) {
            return ENOBUFS;
        }
        c->awaiting = p;
        c->awaiting_cap = cap;
    }
    c->awaiting[c->n_awaiting++] = (struct of_pending){
        .xid = xid, .kind = kind, .reply = reply, .request_id = request_id};
    /* 'stats_type' and 'body' are of_req_expect_stats's to set. */
    if (kind == OF_AWAIT_ACK) {
        c->ack_unsynced = 1;
    }
    return 0;
}

int
of_req_expect_stats(struct of_conn *c, uint32_t xid, struct px_topic *reply,
                    uint64_t request_id, uint32_t stats_type)
{
    struct px_buf *body = malloc(sizeof *body);
    int error;

    if (!body) {
        return ENOBUFS;
    }
    px_buf_init(body, OF_MAX_STATS_REPLY);
    error = of_req_expect(c, xid, OF_AWAIT_STATS, reply, request_id);
    if (error) {
        free(body);
        return error;
    }
    c->awaiting[c->n_awaiting - 1].stats_type = stats_type;
    c->awaiting[c->n_awaiting - 1].body = body;
    return 0;
}

/* Frees what an entry owns. */
static void
pending_free(struct of_pending *p)
{
    if (p->body) {
        px_buf_destroy(p->body);
        free(p->body);
        p->body = NULL;
    }
}

/* Removes the entries [i, i + n) of the table. */
static void
drop(struct of_conn *c, size_t i, size_t n)
{
    memmove(&c->awaiting[i], &c->awaiting[i + n],
            (c->n_awaiting - i - n) * sizeof *c->awaiting);
    c->n_awaiting -= n;
}

/* The answer to openflow's own barrier 'sync_xid': every OF_AWAIT_ACK
 * before it succeeded (PX_OF_REPLY_OK), or, should the switch refuse the
 * barrier itself, cannot be known to have (PX_OF_REPLY_GONE with 'cause').
 * Each leaves the table before its requester is told, since a requester
 * may send again from its callback (which appends behind the barrier) or
 * close the switch (which empties the table). */
static void
synced(struct of_conn *c, uint32_t sync_xid, uint32_t type, const char *cause)
{
    size_t j = 0;

    while (j < c->n_awaiting) {
        struct of_pending p = c->awaiting[j];
        struct px_of_reply r = {.type = type, .cause = cause};

        if (p.kind == OF_AWAIT_SYNC && p.xid == sync_xid) {
            drop(c, j, 1);
            return;
        }
        if (p.kind != OF_AWAIT_ACK) {
            j++;
            continue;
        }
        drop(c, j, 1);
        publish(c, &p, &r);
    }
}

/* The last part of the statistics reply awaited by 'p' (taken out of the
 * table) came: decodes the assembled body and tells the requester, who is
 * told GONE when it cannot be read or memory is short.  Returns 0 or
 * EPROTO with 'why'. */
static int
stats_done(struct of_conn *c, struct of_pending *p, const char **why)
{
    struct px_of_reply r = {.type = PX_OF_REPLY_STATS};
    const uint8_t *body = p->body->data;
    size_t len = p->body->len;
    struct of_stats_mem mem = {NULL};
    struct of_stats_room room;
    struct px_of_stats st;
    int error =
        of_stats_count(c->version, p->stats_type, body, len, &room, why);

    if (error) {
        r.type = PX_OF_REPLY_GONE;
        r.cause = "the switch's statistics reply is malformed";
    } else if (of_stats_mem_alloc(p->stats_type, &room, &mem)) {
        r.type = PX_OF_REPLY_GONE;
        r.cause = "out of memory for the statistics reply";
    } else {
        of_stats_decode(c->version, p->stats_type, body, len, &st, &mem);
        r.stats = &st;
    }
    publish(c, p, &r);
    of_stats_mem_free(&mem);
    pending_free(p);
    return error;
}

/* A part of the statistics reply awaited by entry 'i': kept, or, the last,
 * decoded and told.  Returns 0 or EPROTO with 'why'. */
static int
stats_part(struct of_conn *c, size_t i, const uint8_t *msg, size_t len,
           const char **why)
{
    struct of_pending p = c->awaiting[i];
    const uint8_t *body;
    size_t body_len;
    uint16_t type;
    int more, error;

    error = of_stats_part(msg, len, &type, &more, &body, &body_len, why);
    if (!error && type != p.stats_type) {
        *why = "a statistics reply of another kind than was asked";
        error = EPROTO;
    }
    if (error) {
        struct px_of_reply r = {
            .type = PX_OF_REPLY_GONE,
            .cause = "the switch's statistics reply is malformed"};

        drop(c, i, 1);
        publish(c, &p, &r);
        pending_free(&p);
        return error;
    }
    if (px_buf_put(p.body, body, body_len)) {
        struct px_of_reply r = {
            .type = PX_OF_REPLY_GONE,
            .cause = "the statistics reply is longer than openflow "
                     "assembles (OF_MAX_STATS_REPLY)"};

        drop(c, i, 1);
        c->cnt->refused[OF_REFUSED_OUTPUT_FULL]++;
        publish(c, &p, &r);
        pending_free(&p);
        return 0;
    }
    if (more) {
        return 0;
    }
    drop(c, i, 1);
    return stats_done(c, &p, why);
}

int
of_req_incoming(struct of_conn *c, const struct of_header *h,
                const uint8_t *msg, const struct px_of_error *error,
                const char **why)
{
    uint8_t barrier_reply = c->version == PX_OF_VERSION_13
                                ? OF_BARRIER_REPLY_13
                                : OF_BARRIER_REPLY_10;
    uint8_t multipart_reply = c->version == PX_OF_VERSION_13
                                  ? OF_MULTIPART_REPLY_13
                                  : OF_STATS_REPLY_10;
    struct px_of_reply r = {.type = 0};
    struct of_pending p;
    size_t i;

    /* Few requests wait at once, and a switch answers them in order: the
     * one answered is near the front. */
    for (i = 0; i < c->n_awaiting; i++) {
        if (c->awaiting[i].xid == h->xid) {
            break;
        }
    }
    if (i == c->n_awaiting) {
        return 0;
    }
    p = c->awaiting[i];
    if (p.kind == OF_AWAIT_SYNC) {
        if (error) {
            synced(c, p.xid, PX_OF_REPLY_GONE,
                   "the switch refused openflow's barrier after it");
        } else if (h->type == barrier_reply) {
            synced(c, p.xid, PX_OF_REPLY_OK, NULL);
        }
        return 0;
    }
    if (p.kind == OF_AWAIT_STATS && !error) {
        return h->type == multipart_reply
                   ? stats_part(c, i, msg, h->length, why)
                   : 0;
    }
    if (error) {
        r.type = PX_OF_REPLY_ERROR;
        r.error = error;
    } else if (p.kind == OF_AWAIT_BARRIER) {
        if (h->type != barrier_reply) {
            return 0; /* Not an answer to a barrier. */
        }
        r.type = PX_OF_REPLY_BARRIER;
    } else if (p.kind == OF_AWAIT_ROLE) {
        const char *why;

        if (h->type != OF_ROLE_REPLY_13 ||
            of_decode_role_reply(msg, h->length, &r.role, &r.generation_id,
                                 &why)) {
            return 0; /* Not a ROLE_REPLY, or not one we can read. */
        }
        r.type = PX_OF_REPLY_ROLE;
        if (r.role != PX_OF_ROLE_NOCHANGE) {
            c->role = r.role; /* What the switch now holds us as. */
        }
    } else if (p.kind == OF_AWAIT_ASYNC) {
        struct px_of_async_config async;

        if (h->type != OF_GET_ASYNC_REPLY_13) {
            return 0;
        }
        if (of_decode_async_reply(msg, h->length, &async, why)) {
            return EPROTO; /* Closed; the request ends GONE with the rest. */
        }
        r.type = PX_OF_REPLY_ASYNC;
        r.async = &async;
        drop(c, i, 1);
        publish(c, &p, &r);
        return 0;
    } else if (p.kind == OF_AWAIT_REPLY) {
        if (h->type == OF_PACKET_IN || h->type == OF_FLOW_REMOVED ||
            h->type == OF_PORT_STATUS || h->type == OF_ECHO_REQUEST) {
            return 0; /* The switch's own messages, whatever their xid. */
        }
        r.type = PX_OF_REPLY_MESSAGE;
        r.msg = msg;
        r.msg_len = h->length;
        r.more = h->type == multipart_reply && h->length >= 12 &&
                 (px_get_be16(msg + 10) & OF_REPLY_MORE);
    } else {
        return 0; /* An OF_AWAIT_ACK message has no reply but an ERROR. */
    }
    if (!r.more) {
        drop(c, i, 1);
        pending_free(&p);
    }
    publish(c, &p, &r);
    return 0;
}

void
of_req_sync(struct of_conn *c)
{
    uint8_t *buf;
    size_t room, len;

    if (!c->ack_unsynced || c->closing || of_req_full(c)) {
        return;
    }
    buf = of_conn_reserve(c, &room);
    len = buf ? of_encode_barrier_request(buf, room, c->version, of_req_xid(c))
              : 0;
    if (len && !of_req_expect(c, c->xid, OF_AWAIT_SYNC, NULL, 0)) {
        of_conn_commit(c, len);
        c->xid++;
        c->ack_unsynced = 0;
    }
    /* Else no room now: tried again before the next flush. */
}

void
of_req_gone(struct of_conn *c, const char *cause)
{
    /* A subscriber may publish a new request for this switch from its
     * callback: take the table first, so that it is not walked while it
     * grows (and the new request, refused or not, is told on its own). */
    struct of_pending *pending = c->awaiting;
    size_t i, n = c->n_awaiting;

    c->awaiting = NULL;
    c->n_awaiting = c->awaiting_cap = 0;
    c->ack_unsynced = 0;
    for (i = 0; i < n; i++) {
        struct px_of_reply r = {.type = PX_OF_REPLY_GONE, .cause = cause};

        if (pending[i].kind != OF_AWAIT_SYNC) {
            publish(c, &pending[i], &r);
        }
        pending_free(&pending[i]);
    }
    free(pending);
}

void
of_req_free(struct of_conn *c)
{
    if (c) {
        size_t i;

        for (i = 0; i < c->n_awaiting; i++) {
            pending_free(&c->awaiting[i]);
        }
        free(c->awaiting);
        c->awaiting = NULL;
        c->n_awaiting = c->awaiting_cap = 0;
    }
}
