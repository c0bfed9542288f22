/*
 * vns_server: bridges a switch's traffic to software routers over the VNS
 * protocol of the Stanford "simple router" lab.
 *
 * A router connects (port 8888 by default) and is greeted with an
 * AuthRequest; it answers, gets an AuthStatus, sends Open and receives
 * HWInfo: one interface per switch port named in the IP configuration file
 * ("sw0-eth1 192.168.2.1": port sw0-eth1 becomes interface eth1 with the
 * port's MAC and that address).  From then on every packet-in from a mapped
 * port goes to every router as a VNS Packet, and every Packet a router sends
 * on a known interface goes out of that port as a packet-out.  HWInfo goes
 * out as soon as both the router has opened and the switch is up, whichever
 * comes first.
 *
 * A router that closes, crashes or sends garbage is dropped with the reason
 * logged; output to a slow router is bounded and drops are counted.  Router
 * connections and the counters survive a reload of this plugin through the
 * handoff.  The counters answer stats.collect: one "router" report per
 * connection and one "vns_server" report for the plugin.
 *
 * This file is the plugin itself: its descriptor and configuration, init
 * and fini, and what it hands to the next generation on a reload.  The
 * connections, the interface map, the packet path, the command and the
 * stats are modules of their own (vs_plugin.h lists them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plexus/topics/host.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"
#include "plexus/topics/vns.h"
#include "vs_plugin.h"

#define VNS_SERVER_VERSION "1.0.0"

static const struct px_config_key vns_keys[] = {
    {.key = "address",
     .type = PX_CONFIG_IPV4,
     .default_value = "127.0.0.1",
     .help = "IPv4 address to listen on for routers (loopback: the lab's "
             "router runs beside the controller)"},
    {.key = "port",
     .type = PX_CONFIG_PORT,
     .default_value = "8888",
     .min = 1,
     .max = 65535,
     .help = "VNS port"},
    {.key = "ip_config",
     .type = PX_CONFIG_STRING,
     .default_value = "ip_config",
     .help = "file of 'NAME ADDRESS [MASK]' lines; switch port names become "
             "router interfaces"},
    {.key = "dpid",
     .type = PX_CONFIG_STRING,
     .default_value = "0",
     .help = "datapath id to serve (hex), 0 for the first switch up"},
    {.key = "auth",
     .type = PX_CONFIG_BOOL,
     .default_value = "false",
     .help = "check AuthReply against the key file (off: accept any)"},
    {.key = "auth_key",
     .type = PX_CONFIG_STRING,
     .default_value = "auth_key",
     .help = "file holding the key, with auth = true"},
    {.key = "banner",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "text sent to a router after it opens (empty: none)"},
    {.key = "out_buffer",
     .type = PX_CONFIG_INT,
     .default_value = "1048576",
     .min = 65536,
     .max = 268435456,
     .help = "bytes queued per router before frames are dropped"},
    {.key = "max_routers",
     .type = PX_CONFIG_INT,
     .default_value = "16",
     .min = 1,
     .max = VS_MAX_ROUTERS,
     .help = "routers connected at once"},
    {.key = "transport",
     .type = PX_CONFIG_STRING,
     .default_value = "tcp",
     .help = "how routers connect: tcp, or tls (ssl) with the three files "
             "below"},
    {.key = "private_key",
     .type = PX_CONFIG_STRING,
     .default_value = "ctl-privkey.pem",
     .help = "with transport = tls: this server's private key (PEM)"},
    {.key = "certificate",
     .type = PX_CONFIG_STRING,
     .default_value = "ctl-cert.pem",
     .help = "with transport = tls: this server's certificate (PEM)"},
    {.key = "ca_cert",
     .type = PX_CONFIG_STRING,
     .default_value = "pki/switchca/cacert.pem",
     .help = "with transport = tls: the CA certificate routers' "
             "certificates must be signed by"},
    {.key = NULL},
};

/* ---------------------------------------------------------------------- */
/* Configuration.                                                         */

static int
read_key(struct px_plugin *p, struct vns_server *vs)
{
    char path[4096];
    ssize_t n;
    int fd, error = px_config_path(p, "auth_key", path, sizeof path);

    if (error) {
        return error;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = errno;
        px_error(p, "auth = true but the key file %s cannot be read: %s", path,
                 strerror(error));
        return error;
    }
    n = read(fd, vs->key, sizeof vs->key - 1);
    close(fd);
    if (n <= 0) {
        px_error(p, "key file %s is empty", path);
        return EINVAL;
    }
    /* The lab's key files end with a newline that is not part of the
     * key. */
    while (n > 0 && (vs->key[n - 1] == '\n' || vs->key[n - 1] == '\r')) {
        n--;
    }
    vs->key_len = (size_t)n;
    return 0;
}

/* With transport = tls, the TLS context: the key, certificate and CA
 * certificate named in the configuration, relative to its directory. */
static int
read_tls(struct px_plugin *p, struct vns_server *vs)
{
    char key[4096], cert[4096], ca[4096], why[512];
    int error;

    if ((error = px_config_path(p, "private_key", key, sizeof key)) ||
        (error = px_config_path(p, "certificate", cert, sizeof cert)) ||
        (error = px_config_path(p, "ca_cert", ca, sizeof ca))) {
        return error;
    }
    error = px_tls_create_server(key, cert, ca, &vs->tls, why, sizeof why);
    if (error) {
        px_error(p, "transport = tls: %s", why);
    }
    return error;
}

static int
read_transport(struct px_plugin *p, struct vns_server *vs)
{
    const char *name;
    int error = px_config_string(p, "transport", &name);

    if (error) {
        return error;
    }
    if (px_transport_parse(name, &vs->transport) ||
        vs->transport == PX_TRANSPORT_UNIX) {
        px_error(p, "transport '%s': expected tcp or tls", name);
        return EINVAL;
    }
    if (vs->transport == PX_TRANSPORT_TLS && (error = read_tls(p, vs))) {
        return error;
    }
    /* VNS frames by its first 4 bytes: the whole message's length. */
    vs->options = (struct px_conn_options){
        .transport = vs->transport,
        .tls = vs->tls,
        .server = 1,
        .in_limit = ROUTER_IN_CAP,
        .out_limit = (size_t)vs->out_buffer,
        .framing = {.length_offset = 0,
                    .length_size = 4,
                    .min_len = VNS_HEADER_LEN,
                    .max_len = VNS_MAX_MESSAGE},
    };
    return 0;
}

static int
listen_on(struct vns_server *vs, const char *address, int port)
{
    struct px_endpoint ep = {.transport = PX_TRANSPORT_TCP, .port = port};
    char why[256];
    int error;

    /* The listening socket is plain TCP either way: TLS starts on each
     * accepted connection. */
    snprintf(ep.host, sizeof ep.host, "%s", address);
    error = px_listen(&ep, 16, &vs->listen_fd, why, sizeof why);
    if (error) {
        px_error(vs->p, "%s", why);
    }
    return error;
}

/* ---------------------------------------------------------------------- */
/* Handoff across a reload: the listener, every router connection, what we
 * know of the switch (it will not announce itself again) and the counters,
 * in the explicit serialization of vs_handoff.c.  A blob of another
 * version (an older build's copies of structs) is not read: its routers
 * are dropped and reconnect. */

static void
save_router(const struct router *r, struct vs_saved_router *out)
{
    memset(out, 0, sizeof *out);
    out->id = r->id;
    out->state = r->state;
    out->hwinfo_sent = r->hwinfo_sent;
    memcpy(out->salt, r->salt, sizeof out->salt);
    memcpy(out->user, r->user, sizeof out->user);
    memcpy(out->vhost, r->vhost, sizeof out->vhost);
    out->connected_since = r->connected_since;
    out->frames_in = r->frames_in;
    out->frames_out = r->frames_out;
    memcpy(out->dropped, r->dropped, sizeof out->dropped);
}

/* Frees the TLS sessions the first 'n' saved routers' states hold: for a
 * handoff that will never be read. */
static void
forget_sessions(const struct vs_saved *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct px_cursor c;

        px_cursor_init(&c, s->routers[i].conn, s->routers[i].conn_len);
        px_conn_forget_saved(&c);
    }
}

static void
give_handoff(struct vns_server *vs)
{
    struct px_plugin *p = vs->p;
    struct px_buf conns = PX_BUF_INITIALIZER(SIZE_MAX);
    struct px_buf blob = PX_BUF_INITIALIZER(SIZE_MAX);
    struct vs_saved *s = calloc(1, sizeof *s);
    size_t *offsets = NULL, n = 0, i;
    struct router *r;

    for (r = vs->routers; r; r = r->next) {
        n++;
    }
    if (s) {
        s->routers = calloc(n ? n : 1, sizeof *s->routers);
        offsets = calloc(n ? n : 1, sizeof *offsets);
    }
    if (!s || !s->routers || !offsets) {
        px_warn(p, "out of memory: routers and counters not handed over");
        goto out;
    }
    s->next_id = vs->next_id;
    s->switch_up = vs->switch_up;
    s->up_dpid = vs->up_dpid;
    s->unmapped_packet_ins = vs->unmapped_packet_ins;
    s->routers_accepted = vs->routers_accepted;
    memcpy(s->ifaces, vs->ifaces, sizeof s->ifaces);
    s->n_ifaces = vs->n_ifaces;
    for (r = vs->routers; r; r = r->next) {
        struct vs_saved_router *sr = &s->routers[s->n_routers];
        size_t start = conns.len;
        char name[32];
        int fd = -1, error;

        snprintf(name, sizeof name, "router.%u", r->id);
        error = px_conn_save(r->conn, &conns, &fd);
        if (!error && (error = px_handoff_put_fd(p, name, fd))) {
            struct px_cursor c;

            /* Saved, so the socket and any TLS session are ours now. */
            px_cursor_init(&c, conns.data + start, conns.len - start);
            px_conn_forget_saved(&c);
            close(fd);
            conns.len = start;
        }
        if (error) {
            /* vns_free closes what is still open. */
            px_warn(p, "router %s cannot be handed off (%s): dropped",
                    px_conn_peer(r->conn), strerror(error));
            vs->disconnects[PX_CONN_OTHER]++;
            continue;
        }
        save_router(r, sr);
        offsets[s->n_routers] = start;
        sr->conn_len = conns.len - start;
        s->n_routers++;
    }
    /* The states' bytes, now that the buffer has stopped moving. */
    for (i = 0; i < s->n_routers; i++) {
        s->routers[i].conn = conns.data + offsets[i];
    }
    memcpy(s->disconnects, vs->disconnects, sizeof s->disconnects);
    if (vs_handoff_write(s, &blob) ||
        px_handoff_put_blob(p, VS_HANDOFF_BLOB, VS_HANDOFF_VERSION, blob.data,
                            blob.len)) {
        px_warn(p, "the handoff could not be written: %zu router%s dropped",
                s->n_routers, s->n_routers == 1 ? "" : "s");
        forget_sessions(s, s->n_routers);
    }

out:
    free(offsets);
    vs_saved_clear(s);
    free(s);
    px_buf_destroy(&conns);
    px_buf_destroy(&blob);
}

/* Rebuilds router 'sr' on its socket from the last generation.  On failure
 * the socket is closed and the reason returned. */
static int
restore_router(struct vns_server *vs, const struct vs_saved_router *sr)
{
    struct px_conn *conn;
    struct px_cursor c;
    struct router *r;
    char name[32];
    int fd, error;

    snprintf(name, sizeof name, "router.%u", sr->id);
    px_cursor_init(&c, sr->conn, sr->conn_len);
    error = px_handoff_take_fd(vs->p, name, &fd);
    if (error) {
        px_conn_forget_saved(&c);
        return error;
    }
    error = px_conn_restore(&c, fd, &vs->options, &conn);
    if (error || (error = vs_router_add(vs, conn, &r))) {
        return error;
    }
    r->id = sr->id;
    r->state = sr->state;
    r->hwinfo_sent = sr->hwinfo_sent;
    memcpy(r->salt, sr->salt, sizeof r->salt);
    memcpy(r->user, sr->user, sizeof r->user);
    memcpy(r->vhost, sr->vhost, sizeof r->vhost);
    r->connected_since = sr->connected_since;
    r->frames_in = sr->frames_in;
    r->frames_out = sr->frames_out;
    memcpy(r->dropped, sr->dropped, sizeof r->dropped);
    if (px_conn_queued(conn)) {
        vs_router_mark_dirty(r);
    }
    return 0;
}

static void
take_handoff(struct vns_server *vs)
{
    struct vs_saved *s;
    const void *data;
    uint32_t version;
    size_t len, i;
    int error;

    if (px_handoff_get_blob(vs->p, VS_HANDOFF_BLOB, &version, &data, &len)) {
        return;
    }
    if (version != VS_HANDOFF_VERSION) {
        px_warn(vs->p,
                "handoff of version %u, not %d: routers and counters "
                "start afresh",
                version, VS_HANDOFF_VERSION);
        return;
    }
    s = malloc(sizeof *s);
    if (!s) {
        px_warn(vs->p, "out of memory: routers and counters start afresh");
        return;
    }
    error = vs_handoff_read(data, len, s);
    if (error) {
        px_warn(vs->p,
                "handoff refused (%s): routers and counters start "
                "afresh",
                strerror(error));
        free(s);
        return;
    }
    vs->next_id = s->next_id;
    vs->switch_up = s->switch_up;
    vs->up_dpid = s->up_dpid;
    vs->unmapped_packet_ins = s->unmapped_packet_ins;
    vs->routers_accepted = s->routers_accepted;
    memcpy(vs->disconnects, s->disconnects, sizeof vs->disconnects);
    memcpy(vs->ifaces, s->ifaces, sizeof vs->ifaces);
    vs->n_ifaces = s->n_ifaces;
    vs_iface_index(vs);
    for (i = 0; i < s->n_routers; i++) {
        error = restore_router(vs, &s->routers[i]);
        if (error) {
            px_warn(vs->p, "router connection %u could not be taken over: %s",
                    s->routers[i].id, strerror(error));
            vs->disconnects[PX_CONN_OTHER]++;
        }
    }
    px_info(vs->p, "took over %zu router connection%s and switch %016llx",
            s->n_routers, s->n_routers == 1 ? "" : "s",
            (unsigned long long)vs->up_dpid);
    vs_saved_clear(s);
    free(s);
}

static void
vns_free(struct vns_server *vs)
{
    vs_router_reap_all(vs);
    while (vs->routers) {
        struct router *r = vs->routers;

        vs->routers = r->next;
        vs_router_free(r);
    }
    if (vs->listen_fd >= 0) {
        close(vs->listen_fd);
    }
    px_tls_unref(vs->tls);
    px_hmap_destroy(&vs->ifaces_by_name);
    px_hmap_destroy(&vs->ifaces_by_port);
    free(vs);
}

/* Anyone who can reach an open VNS port can act as the router: receive
 * every frame the switch sends to the controller and inject frames of
 * their own.  Listening beyond loopback without authentication is allowed
 * (a classroom may want it) but never quietly. */
static void
warn_if_exposed(struct vns_server *vs)
{
    if (vs->exposed) {
        px_warn(vs->p,
                "listening on %s without authentication: anyone who can "
                "reach this port can act as the router (set auth = true "
                "with an auth_key, or address = 127.0.0.1)",
                vs->address);
    }
}

static int
on_reload_done(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct vns_server *vs = px_get_data(p);

    (void)ev;
    (void)arg;
    if (vs) {
        warn_if_exposed(vs);
    }
    return PX_EVENT_CONTINUE;
}

/* The cluster plugin came up after us: tell it our preference again. */
static int
on_cluster_started(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    (void)ev, (void)arg;
    vs_prefer_update(px_get_data(p), 1);
    return PX_EVENT_CONTINUE;
}

static int
vns_init(struct px_plugin *p)
{
    struct vns_server *vs = calloc(1, sizeof *vs);
    struct px_ratelimit rl = PX_RATELIMIT_INIT(1.0, 5);
    const char *address, *dpid, *banner;
    long long port;
    int error;

    if (!vs) {
        return ENOMEM;
    }
    vs->p = p;
    vs->listen_fd = -1;
    vs->rl = rl;
    px_hmap_init(&vs->ifaces_by_name);
    px_hmap_init(&vs->ifaces_by_port);
    px_set_data(p, vs);
    if ((error = px_config_string(p, "address", &address)) ||
        (error = px_config_int(p, "port", &port)) ||
        (error = px_config_string(p, "dpid", &dpid)) ||
        (error = px_config_bool(p, "auth", &vs->auth)) ||
        (error = px_config_string(p, "banner", &banner)) ||
        (error = px_config_int(p, "out_buffer", &vs->out_buffer)) ||
        (error = px_config_int(p, "max_routers", &vs->max_routers)) ||
        (error = read_transport(p, vs)) ||
        (error = vs_iface_read_config(p, vs)) ||
        (vs->auth && (error = read_key(p, vs)))) {
        goto fail;
    }
    vs->dpid = strtoull(dpid, NULL, 16);
    snprintf(vs->banner, sizeof vs->banner, "%s", banner);
    snprintf(vs->address, sizeof vs->address, "%s", address);
    /* Over TLS a router is known by its certificate, which the CA must
     * have signed: that is authentication too. */
    vs->exposed = !vs->auth && vs->transport != PX_TRANSPORT_TLS &&
                  strncmp(address, "127.", 4);
    if ((error = px_topic_declare(p, PX_TOPIC_OF_PACKET_OUT,
                                  PX_TOPIC_OF_VERSION, &vs->t_packet_out)) ||
        (error = px_topic_declare(p, PX_TOPIC_VNS_ROUTER_UP,
                                  PX_TOPIC_VNS_VERSION, &vs->t_router_up)) ||
        (error = px_topic_declare(p, PX_TOPIC_VNS_ROUTER_DOWN,
                                  PX_TOPIC_VNS_VERSION, &vs->t_router_down)) ||
        (error = px_topic_declare(p, PX_TOPIC_VNS_FRAME,
                                  PX_TOPIC_VNS_FRAME_VERSION, &vs->t_frame)) ||
        (error = px_topic_declare(p, PX_TOPIC_CLUSTER_PREFER,
                                  PX_TOPIC_CLUSTER_VERSION, &vs->t_prefer)) ||
        (error = px_subscribe(p, PX_TOPIC_CLUSTER_STARTED,
                              PX_TOPIC_CLUSTER_VERSION, PX_PRIO_DEFAULT,
                              on_cluster_started, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, vs_iface_on_switch_up, NULL,
                              NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, vs_iface_on_switch_down, NULL,
                              NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_PACKET_IN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, vs_packet_on_packet_in, NULL,
                              NULL)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &vs->t_stats_report)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, vs_stats_on_collect, NULL, NULL))) {
        goto fail;
    }
    take_handoff(vs);
    if (px_handoff_take_fd(p, "listen", &vs->listen_fd) &&
        (error = listen_on(vs, address, (int)port))) {
        goto fail;
    }
    error = px_io_start(p, vs->listen_fd, PX_IO_READ, vs_router_on_accept,
                        NULL, &vs->listen_io);
    if (error) {
        goto fail;
    }
    error = px_subscribe(p, PX_TOPIC_HOST_RELOAD_DONE,
                         PX_TOPIC_HOST_RELOAD_DONE_VERSION, PX_PRIO_DEFAULT,
                         on_reload_done, NULL, NULL);
    if (error) {
        goto fail;
    }
    /* Without the command (a second instance finds the name taken; the
     * host logs it) routers are still served. */
    vs_commands_register(vs);
    /* Routers handed over by a reload: the cluster hears it again. */
    vs_prefer_update(vs, 1);
    px_info(p, "VNS server on %s:%lld%s, %zu addresses configured%s", address,
            port, vs->transport == PX_TRANSPORT_TLS ? " (TLS)" : "",
            vs->n_addrs, vs->auth ? ", authentication on" : "");
    warn_if_exposed(vs);
    return 0;

fail:
    px_set_data(p, NULL);
    vns_free(vs);
    return error;
}

static void
vns_fini(struct px_plugin *p)
{
    struct vns_server *vs = px_get_data(p);

    if (!vs) {
        return;
    }
    if (vs->preferring) {
        /* A reload's next generation says it again at once. */
        struct px_cluster_prefer pr = {vs->preferred_dpid, 0};

        px_publish(p, vs->t_prefer, &pr, sizeof pr);
    }
    if (vs->listen_fd >= 0 && !px_handoff_put_fd(p, "listen", vs->listen_fd)) {
        vs->listen_fd = -1;
    }
    give_handoff(vs);
    px_set_data(p, NULL);
    vns_free(vs);
}

PX_PLUGIN_DEFINE(.name = "vns_server", .version = VNS_SERVER_VERSION,
                 .description = "VNS server: a switch's ports as a software "
                                "router's interfaces",
                 .config_keys = vns_keys, .init = vns_init, .fini = vns_fini);
