/*
 * inventory: a test plugin that learns the switches connected before it
 * was loaded and asks each for a barrier, as a plugin enabled by a reload
 * after switches came up does.
 *
 * In init it subscribes to its reply topic ("<instance>.openflow"), then
 * publishes openflow.inventory (request id 1) and, for every switch the
 * inventory names, openflow.barrier (request ids 100, 101...), and later
 * one more barrier for each switch that comes up.  It logs one line per
 * reply, which the integration tests parse:
 *   inventory 1: switch DPID version V ports N: NAME,NAME,...
 *   inventory 1: done, N switches (outcome CODE: CAUSE)
 *   barrier ID for DPID: queued|refused CODE: CAUSE
 *   reply ID for DPID: barrier
 *   reply ID for DPID: error type T code C
 *   reply ID for DPID: gone: CAUSE
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"

struct inventory {
    char reply_to[128];
    struct px_topic *t_inventory;
    struct px_topic *t_barrier;
    uint64_t next_id; /* Of the next barrier. */
};

static void
barrier(struct px_plugin *p, struct inventory *inv, uint64_t dpid)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_barrier b = {.dpid = dpid,
                              .reply_to = inv->reply_to,
                              .request_id = inv->next_id++,
                              .outcome = &outcome};

    px_publish(p, inv->t_barrier, &b, sizeof b);
    if (outcome.code) {
        px_info(p, "barrier %" PRIu64 " for %016" PRIx64 ": refused %d: %s",
                b.request_id, dpid, outcome.code, outcome.cause);
    } else {
        px_info(p, "barrier %" PRIu64 " for %016" PRIx64 ": queued",
                b.request_id, dpid);
    }
}

static int
on_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;
    char names[512];
    size_t i, n = 0;

    (void)arg;
    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    switch (r->type) {
    case PX_OF_REPLY_SWITCH:
        names[0] = '\0';
        for (i = 0; i < r->sw->n_ports && n < sizeof names - 20; i++) {
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s",
                                  i ? "," : "", r->sw->ports[i].name);
        }
        px_info(p,
                "inventory %" PRIu64 ": switch %016" PRIx64
                " version %u ports %zu: %s",
                r->request_id, r->dpid, r->sw->version, r->sw->n_ports, names);
        break;
    case PX_OF_REPLY_DONE:
        break; /* Logged by init, with the request's outcome. */
    case PX_OF_REPLY_BARRIER:
        px_info(p, "reply %" PRIu64 " for %016" PRIx64 ": barrier",
                r->request_id, r->dpid);
        break;
    case PX_OF_REPLY_ERROR:
        px_info(p,
                "reply %" PRIu64 " for %016" PRIx64 ": error type %u code %u",
                r->request_id, r->dpid, r->error->type, r->error->code);
        break;
    case PX_OF_REPLY_GONE:
        px_info(p, "reply %" PRIu64 " for %016" PRIx64 ": gone: %s",
                r->request_id, r->dpid, r->cause);
        break;
    default:
        px_warn(p, "reply %" PRIu64 ": unknown type %u", r->request_id,
                r->type);
        break;
    }
    return PX_EVENT_CONTINUE;
}

/* Collects the inventory's switches, to ask them for barriers once the
 * inventory is over (not from inside its replies). */
struct collected {
    uint64_t dpids[64];
    size_t n;
    uint32_t done_count;
    int done;
};

static int
on_inventory_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;
    struct collected *col = arg;

    if (ev->len >= sizeof *r && r->request_id == 1) {
        if (r->type == PX_OF_REPLY_SWITCH && col->n < 64) {
            col->dpids[col->n++] = r->dpid;
        } else if (r->type == PX_OF_REPLY_DONE) {
            col->done = 1;
            col->done_count = r->count;
        }
    }
    (void)p;
    return PX_EVENT_CONTINUE;
}

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw) {
        barrier(p, px_get_data(p), sw->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static int
inventory_init(struct px_plugin *p)
{
    struct inventory *inv = calloc(1, sizeof *inv);
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct collected col = {.n = 0};
    struct px_of_inventory req;
    struct px_sub *collector = NULL;
    int error;
    size_t i;

    if (!inv) {
        return ENOMEM;
    }
    px_set_data(p, inv);
    inv->next_id = 100;
    snprintf(inv->reply_to, sizeof inv->reply_to, "%s.openflow",
             px_instance_name(p));
    if ((error = px_subscribe(p, inv->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, NULL, NULL)) ||
        (error = px_subscribe(p, inv->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_inventory_reply, &col,
                              &collector)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &inv->t_inventory)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_BARRIER, PX_TOPIC_OF_VERSION,
                                  &inv->t_barrier))) {
        free(inv);
        px_set_data(p, NULL);
        return error;
    }
    req = (struct px_of_inventory){
        .reply_to = inv->reply_to, .request_id = 1, .outcome = &outcome};
    px_publish(p, inv->t_inventory, &req, sizeof req);
    /* Every reply came during the publish; 'col' lives on this stack. */
    px_unsubscribe(p, collector);
    px_info(p, "inventory 1: done%s, %u switches (outcome %d: %s)",
            col.done ? "" : " NOT", col.done_count, outcome.code,
            outcome.cause);
    for (i = 0; i < col.n; i++) {
        barrier(p, inv, col.dpids[i]);
    }
    return 0;
}

static void
inventory_fini(struct px_plugin *p)
{
    free(px_get_data(p));
}

PX_PLUGIN_DEFINE(.name = "inventory", .version = "1.0",
                 .description = "test: the inventory and barriers of the "
                                "switches connected before it",
                 .init = inventory_init, .fini = inventory_fini);
