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
    if (kind == OF_AWAIT_ACK) {
        c->ack_unsynced = 1;
    }
    return 0;
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

void
of_req_incoming(struct of_conn *c, const struct of_header *h,
                const uint8_t *msg, const struct px_of_error *error)
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
        return;
    }
    p = c->awaiting[i];
    if (p.kind == OF_AWAIT_SYNC) {
        if (error) {
            synced(c, p.xid, PX_OF_REPLY_GONE,
                   "the switch refused openflow's barrier after it");
        } else if (h->type == barrier_reply) {
            synced(c, p.xid, PX_OF_REPLY_OK, NULL);
        }
        return;
    }
    if (error) {
        r.type = PX_OF_REPLY_ERROR;
        r.error = error;
    } else if (p.kind == OF_AWAIT_BARRIER) {
        if (h->type != barrier_reply) {
            return; /* Not an answer to a barrier. */
        }
        r.type = PX_OF_REPLY_BARRIER;
    } else if (p.kind == OF_AWAIT_ROLE) {
        const char *why;

        if (h->type != OF_ROLE_REPLY_13 ||
            of_decode_role_reply(msg, h->length, &r.role, &r.generation_id,
                                 &why)) {
            return; /* Not a ROLE_REPLY, or not one we can read. */
        }
        r.type = PX_OF_REPLY_ROLE;
    } else if (p.kind == OF_AWAIT_REPLY) {
        if (h->type == OF_PACKET_IN || h->type == OF_FLOW_REMOVED ||
            h->type == OF_PORT_STATUS || h->type == OF_ECHO_REQUEST) {
            return; /* The switch's own messages, whatever their xid. */
        }
        r.type = PX_OF_REPLY_MESSAGE;
        r.msg = msg;
        r.msg_len = h->length;
        r.more = h->type == multipart_reply && h->length >= 12 &&
                 (px_get_be16(msg + 10) & OF_REPLY_MORE);
    } else {
        return; /* An OF_AWAIT_ACK message has no reply but an ERROR. */
    }
    if (!r.more) {
        drop(c, i, 1);
    }
    publish(c, &p, &r);
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
    }
    free(pending);
}

void
of_req_free(struct of_conn *c)
{
    if (c) {
        free(c->awaiting);
        c->awaiting = NULL;
        c->n_awaiting = c->awaiting_cap = 0;
    }
}
