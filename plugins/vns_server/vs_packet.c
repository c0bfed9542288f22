/*
 * The packet path of vns_server (vs_plugin.h), both ways: a packet-in from
 * a port of the interface map goes to every open router as a VNS Packet
 * naming that interface; a VNS Packet from a router leaves the port of the
 * interface it names as a packet-out.  Every frame that cannot go on is
 * counted by why (enum router_drop) and logged, rate-limited.
 */
#include <errno.h>

#include "vs_plugin.h"

int
vs_packet_on_packet_in(struct px_plugin *p, const struct px_event *ev,
                       void *arg)
{
    struct vns_server *vs = px_get_data(p);
    const struct px_of_packet_in *pi = ev->payload;
    const struct iface *f;
    struct router *r, *next;

    (void)arg;
    if (ev->len < sizeof *pi || !vs->switch_up || pi->dpid != vs->up_dpid) {
        return PX_EVENT_CONTINUE;
    }
    f = vs_iface_by_port(vs, pi->in_port);
    if (!f) {
        vs->unmapped_packet_ins++;
        return PX_EVENT_CONTINUE;
    }
    for (r = vs->routers; r; r = next) {
        next = r->next;
        if (r->state == R_READY && r->hwinfo_sent &&
            !ROUTER_SEND(r, vns_encode_packet, f->vi.name, pi->frame,
                         pi->frame_len)) {
            r->frames_out++;
            vs_packet_publish_frame(vs, r->id, 1, f, pi->frame, pi->frame_len);
        }
    }
    return PX_EVENT_CONTINUE;
}

void
vs_packet_publish_frame(struct vns_server *vs, uint32_t router, int to_router,
                        const struct iface *f, const uint8_t *frame,
                        size_t frame_len)
{
    struct px_vns_frame ev = {
        .router = router,
        .to_router = (uint32_t)to_router,
        .iface = f->vi.name,
        .dpid = vs->up_dpid,
        .port = f->port_no,
        .frame = frame,
        .frame_len = frame_len,
    };

    px_publish(vs->p, vs->t_frame, &ev, sizeof ev);
}

/* The drop reason of a packet-out that openflow did not queue. */
static enum router_drop
drop_of_outcome(int code)
{
    return code == ENOBUFS ? DROP_SWITCH_FULL
           : code == ENODEV || code == PX_OF_OUTCOME_UNHANDLED ? DROP_NO_SWITCH
                                                               : DROP_REFUSED;
}

/* Publishes the packet-out of 'frame' from router 'r' out of the port of
 * 'f' (whose name the router gave as 'name'), and counts it as dropped if
 * openflow did not queue it. */
static void
send_to_switch(struct router *r, const struct iface *f, const char *name,
               const uint8_t *frame, size_t frame_len)
{
    struct vns_server *vs = r->vs;
    struct px_of_action out = {.type = PX_OF_ACTION_OUTPUT,
                               .port = f->port_no};
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_packet_out po = {
        .dpid = vs->up_dpid,
        .buffer_id = PX_OF_NO_BUFFER,
        .in_port = PX_OF_PORT_CONTROLLER,
        .n_actions = 1,
        .actions = &out,
        .frame = frame,
        .frame_len = frame_len,
        .outcome = &outcome,
    };

    px_publish(vs->p, vs->t_packet_out, &po, sizeof po);
    if (outcome.code) {
        enum router_drop d = drop_of_outcome(outcome.code);

        r->dropped[d]++;
        px_log_rl(vs->p, &vs->rl, PX_LOG_WARN,
                  "router %s: frame on '%s' not sent to switch "
                  "%016llx: %s (%llu %s drops so far)",
                  px_conn_peer(r->conn), name, (unsigned long long)vs->up_dpid,
                  outcome.cause, (unsigned long long)r->dropped[d],
                  vs_drop_names[d]);
    }
}

int
vs_packet_from_router(struct router *r, const uint8_t *msg, size_t len,
                      const char **why)
{
    struct vns_server *vs = r->vs;
    char name[VNS_IFACE_LEN + 1];
    const struct iface *f;
    const uint8_t *frame;
    size_t frame_len;
    int error;

    error = vns_decode_packet(msg, len, name, &frame, &frame_len, why);
    if (error) {
        return error;
    }
    f = vs_iface_by_name(vs, name);
    r->frames_in++;
    if (!vs->switch_up) {
        r->dropped[DROP_NO_SWITCH]++;
        px_log_rl(vs->p, &vs->rl, PX_LOG_WARN,
                  "router %s sent a frame on '%s' while no switch is up: "
                  "dropped (%llu so far)",
                  px_conn_peer(r->conn), name,
                  (unsigned long long)r->dropped[DROP_NO_SWITCH]);
        return 0;
    }
    if (!f) {
        r->dropped[DROP_UNKNOWN_INTERFACE]++;
        px_log_rl(vs->p, &vs->rl, PX_LOG_WARN,
                  "router %s sent a frame on unknown interface '%s': "
                  "dropped (%llu so far)",
                  px_conn_peer(r->conn), name,
                  (unsigned long long)r->dropped[DROP_UNKNOWN_INTERFACE]);
        return 0;
    }
    vs_packet_publish_frame(vs, r->id, 0, f, frame, frame_len);
    send_to_switch(r, f, name, frame, frame_len);
    return 0;
}
