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

void
of_req_publish(struct openflow *of, struct px_topic *reply,
               const struct px_of_reply *r)
{
    px_publish(of->p, reply, r, sizeof *r);
}

int
of_req_expect(struct of_conn *c, uint32_t xid, struct px_topic *reply,
              uint64_t request_id)
{
    if (c->n_awaiting == c->awaiting_cap) {
        size_t cap = c->awaiting_cap ? 2 * c->awaiting_cap : 8;
        struct of_pending *p;

        if (c->awaiting_cap >= OF_MAX_PENDING) {
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
        .xid = xid, .reply = reply, .request_id = request_id};
    return 0;
}

int
of_req_answer(struct of_conn *c, uint32_t xid, uint32_t type,
              const struct px_of_error *error)
{
    struct px_of_reply r;
    struct of_pending p;
    size_t i;

    /* Few requests wait at once, and a switch answers them in order: the
     * oldest is first, so the scan is short. */
    for (i = 0; i < c->n_awaiting; i++) {
        if (c->awaiting[i].xid == xid) {
            break;
        }
    }
    if (i == c->n_awaiting) {
        return 0;
    }
    p = c->awaiting[i];
    memmove(&c->awaiting[i], &c->awaiting[i + 1],
            (c->n_awaiting - i - 1) * sizeof *c->awaiting);
    c->n_awaiting--;
    r = (struct px_of_reply){.request_id = p.request_id,
                             .dpid = c->features.dpid,
                             .type = type,
                             .error = error};
    of_req_publish(c->of, p.reply, &r);
    return 1;
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
    for (i = 0; i < n; i++) {
        struct px_of_reply r = {.request_id = pending[i].request_id,
                                .dpid = c->features.dpid,
                                .type = PX_OF_REPLY_GONE,
                                .cause = cause};

        of_req_publish(c->of, pending[i].reply, &r);
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
