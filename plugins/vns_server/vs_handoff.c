/*
 * vns_server's handoff blob (vs_plugin.h): what one generation of the
 * plugin leaves the next on a reload, written field by field with px_buf
 * and read back with px_cursor, so that its bytes depend on this file
 * alone and never on the layout of a struct in some header.
 *
 * The layout, all integers big-endian, strings as a u32 length and their
 * bytes (px_buf_put_str):
 *
 *   u32 magic "VNSS", u32 version (VS_HANDOFF_VERSION)
 *   u32 next_id, u8 switch_up, u64 up_dpid
 *   u64 unmapped_packet_ins, u64 routers_accepted
 *   u32 reasons, then that many u64: disconnects by enum px_conn_reason
 *   u32 interfaces (at most VNS_MAX_IFACES), then each:
 *       str name (at most VNS_IFACE_LEN), 6 bytes MAC, 4 bytes IP and
 *       4 bytes mask (network order, as HWInfo carries them),
 *       u32 speed, u32 port
 *   u32 routers (at most VS_MAX_ROUTERS), then each:
 *       u32 id, u8 state, u8 hwinfo_sent, 20 bytes salt,
 *       str user, str vhost (at most VNS_NAME_LEN each),
 *       u64 connected_since (the bits of a double), u64 frames_in,
 *       u64 frames_out, u32 drop reasons, then that many u64,
 *       u32 length, then that many bytes: px_conn_save's serialization
 *
 * Counts of reasons may be smaller than this build's (an older writer:
 * the rest start at zero), never larger.  Pure: no I/O, no host calls, so
 * that tests/unit/test_vns_server.c can feed it every truncation and
 * corruption.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vs_plugin.h"

#define VS_HANDOFF_MAGIC 0x564e5353u /* "VNSS" */

static void
put_router(struct px_buf *b, const struct vs_saved_router *r)
{
    size_t i;

    px_buf_put_be32(b, r->id);
    px_buf_put_u8(b, (uint8_t)r->state);
    px_buf_put_u8(b, r->hwinfo_sent ? 1 : 0);
    px_buf_put(b, r->salt, sizeof r->salt);
    px_buf_put_str(b, r->user);
    px_buf_put_str(b, r->vhost);
    px_buf_put_double(b, r->connected_since);
    px_buf_put_be64(b, r->frames_in);
    px_buf_put_be64(b, r->frames_out);
    px_buf_put_be32(b, N_ROUTER_DROPS);
    for (i = 0; i < N_ROUTER_DROPS; i++) {
        px_buf_put_be64(b, r->dropped[i]);
    }
    px_buf_put_be32(b, (uint32_t)r->conn_len);
    px_buf_put(b, r->conn, r->conn_len);
}

int
vs_handoff_write(const struct vs_saved *s, struct px_buf *b)
{
    size_t i;

    if (s->n_ifaces > VNS_MAX_IFACES || s->n_routers > VS_MAX_ROUTERS) {
        return EINVAL;
    }
    px_buf_put_be32(b, VS_HANDOFF_MAGIC);
    px_buf_put_be32(b, VS_HANDOFF_VERSION);
    px_buf_put_be32(b, s->next_id);
    px_buf_put_u8(b, s->switch_up ? 1 : 0);
    px_buf_put_be64(b, s->up_dpid);
    px_buf_put_be64(b, s->unmapped_packet_ins);
    px_buf_put_be64(b, s->routers_accepted);
    px_buf_put_be32(b, PX_CONN_N_REASONS);
    for (i = 0; i < PX_CONN_N_REASONS; i++) {
        px_buf_put_be64(b, s->disconnects[i]);
    }
    px_buf_put_be32(b, (uint32_t)s->n_ifaces);
    for (i = 0; i < s->n_ifaces; i++) {
        const struct iface *f = &s->ifaces[i];

        px_buf_put_str(b, f->vi.name);
        px_buf_put(b, f->vi.mac, sizeof f->vi.mac);
        px_buf_put(b, &f->vi.ip, sizeof f->vi.ip);
        px_buf_put(b, &f->vi.mask, sizeof f->vi.mask);
        px_buf_put_be32(b, f->vi.speed);
        px_buf_put_be32(b, f->port_no);
    }
    px_buf_put_be32(b, (uint32_t)s->n_routers);
    for (i = 0; i < s->n_routers; i++) {
        put_router(b, &s->routers[i]);
    }
    return px_buf_error(b);
}

/* Reads 'n' bytes into 'dst', or leaves the cursor's error set. */
static void
get_bytes(struct px_cursor *c, void *dst, size_t n)
{
    const void *p = px_cursor_bytes(c, n);

    if (p) {
        memcpy(dst, p, n);
    }
}

/* A u8 that must be 0 or 1. */
static int
get_flag(struct px_cursor *c, int *flag)
{
    uint8_t v = px_cursor_u8(c);

    *flag = v;
    return v <= 1 ? 0 : EPROTO;
}

/* Reads a count of u64 counters written by a build with that many, into
 * 'out' with room for 'max': fewer leave the rest zero, more are
 * corrupt. */
static int
get_counters(struct px_cursor *c, uint64_t *out, size_t max)
{
    uint32_t n = px_cursor_be32(c), i;

    if (c->error || n > max) {
        return EPROTO;
    }
    memset(out, 0, max * sizeof *out);
    for (i = 0; i < n; i++) {
        out[i] = px_cursor_be64(c);
    }
    return c->error;
}

static int
get_router(struct px_cursor *c, struct vs_saved_router *r)
{
    uint8_t state;
    uint32_t conn_len;

    memset(r, 0, sizeof *r);
    r->id = px_cursor_be32(c);
    state = px_cursor_u8(c);
    if (state > R_READY || get_flag(c, &r->hwinfo_sent)) {
        return EPROTO;
    }
    r->state = (enum router_state)state;
    get_bytes(c, r->salt, sizeof r->salt);
    px_cursor_str(c, r->user, sizeof r->user);
    px_cursor_str(c, r->vhost, sizeof r->vhost);
    r->connected_since = px_cursor_double(c);
    r->frames_in = px_cursor_be64(c);
    r->frames_out = px_cursor_be64(c);
    if (c->error || !isfinite(r->connected_since) || r->connected_since < 0 ||
        get_counters(c, r->dropped, N_ROUTER_DROPS)) {
        return EPROTO;
    }
    conn_len = px_cursor_be32(c);
    r->conn = px_cursor_bytes(c, conn_len);
    r->conn_len = conn_len;
    return c->error || !r->conn ? EPROTO : 0;
}

static int
read_saved(struct px_cursor *c, struct vs_saved *s)
{
    uint32_t n_ifaces, n_routers, i, j;

    if (px_cursor_be32(c) != VS_HANDOFF_MAGIC ||
        px_cursor_be32(c) != VS_HANDOFF_VERSION) {
        return EPROTO;
    }
    s->next_id = px_cursor_be32(c);
    if (get_flag(c, &s->switch_up)) {
        return EPROTO;
    }
    s->up_dpid = px_cursor_be64(c);
    s->unmapped_packet_ins = px_cursor_be64(c);
    s->routers_accepted = px_cursor_be64(c);
    /* "open" is no way to end: nothing is ever counted there. */
    if (get_counters(c, s->disconnects, PX_CONN_N_REASONS) ||
        s->disconnects[PX_CONN_OPEN]) {
        return EPROTO;
    }
    n_ifaces = px_cursor_be32(c);
    if (c->error || n_ifaces > VNS_MAX_IFACES) {
        return EPROTO;
    }
    for (i = 0; i < n_ifaces; i++) {
        struct iface *f = &s->ifaces[i];

        px_cursor_str(c, f->vi.name, sizeof f->vi.name);
        get_bytes(c, f->vi.mac, sizeof f->vi.mac);
        get_bytes(c, &f->vi.ip, sizeof f->vi.ip);
        get_bytes(c, &f->vi.mask, sizeof f->vi.mask);
        f->vi.speed = px_cursor_be32(c);
        f->port_no = px_cursor_be32(c);
    }
    s->n_ifaces = n_ifaces;
    n_routers = px_cursor_be32(c);
    if (c->error || n_routers > VS_MAX_ROUTERS) {
        return EPROTO;
    }
    /* Allocated only once the count is known to be in bounds; each router
     * takes dozens of bytes, which a short blob runs out of at once. */
    s->routers = calloc(n_routers ? n_routers : 1, sizeof *s->routers);
    if (!s->routers) {
        return ENOMEM;
    }
    for (i = 0; i < n_routers; i++) {
        struct vs_saved_router *r = &s->routers[i];

        if (get_router(c, r)) {
            return EPROTO;
        }
        /* Ids name the routers' sockets: each one once, and all below the
         * next to be given. */
        if (r->id >= s->next_id) {
            return EPROTO;
        }
        for (j = 0; j < i; j++) {
            if (s->routers[j].id == r->id) {
                return EPROTO;
            }
        }
        s->n_routers = i + 1;
    }
    return px_cursor_finish(c);
}

int
vs_handoff_read(const void *data, size_t len, struct vs_saved *s)
{
    struct px_cursor c;
    int error;

    memset(s, 0, sizeof *s);
    px_cursor_init(&c, data, len);
    error = data ? read_saved(&c, s) : EPROTO;
    if (error) {
        vs_saved_clear(s);
        return error == ENOMEM ? ENOMEM : EPROTO;
    }
    return 0;
}

void
vs_saved_clear(struct vs_saved *s)
{
    if (s) {
        free(s->routers);
        memset(s, 0, sizeof *s);
    }
}
