/*
 * The interface map of vns_server (vs_plugin.h): which switch port is
 * which router interface.  The IP configuration file names ports and their
 * addresses ("sw0-eth1 192.168.2.1"); when the switch comes up, each of
 * its ports named there becomes an interface, called after the part of the
 * port's name behind its last '-' ("eth1"), with the port's MAC.  The map
 * is indexed both ways, by name for a router's frames and by port for a
 * switch's, and routers get HWInfo as soon as it is known.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "plexus/hash.h"
#include "vs_plugin.h"

/* Reads the lab's IP configuration: "NAME ADDRESS [MASK]" per line; names
 * that are not switch ports (the hosts') are kept too and simply never
 * match a port. */
int
vs_iface_read_config(struct px_plugin *p, struct vns_server *vs)
{
    char path[4096], line[256];
    int lineno = 0, error;
    FILE *f;

    error = px_config_path(p, "ip_config", path, sizeof path);
    if (error) {
        return error;
    }
    f = fopen(path, "re");
    if (!f) {
        error = errno;
        px_error(p, "cannot read IP configuration %s: %s", path,
                 strerror(error));
        return error;
    }
    while (fgets(line, sizeof line, f)) {
        char name[64], ip[64], mask[64] = "255.255.255.0";
        struct in_addr a, m;
        int n;

        lineno++;
        n = sscanf(line, "%63s %63s %63s", name, ip, mask);
        if (n <= 0 || name[0] == '#') {
            continue;
        }
        if (n < 2 || inet_pton(AF_INET, ip, &a) != 1 ||
            inet_pton(AF_INET, mask, &m) != 1 || strlen(name) > 15) {
            px_error(p, "%s:%d: expected 'NAME ADDRESS [MASK]'", path, lineno);
            fclose(f);
            return EINVAL;
        }
        if (vs->n_addrs < VNS_MAX_IFACES) {
            /* Checked above: the name fits with its NUL. */
            memcpy(vs->addrs[vs->n_addrs].port, name, strlen(name) + 1);
            vs->addrs[vs->n_addrs].ip = a.s_addr;
            vs->addrs[vs->n_addrs].mask = m.s_addr;
            vs->n_addrs++;
        }
    }
    fclose(f);
    return 0;
}

/* "sw0-eth1" -> "eth1": the lab names router interfaces after the part of
 * the switch port's name behind its last '-'. */
static const char *
iface_name(const char *port)
{
    const char *dash = strrchr(port, '-');

    return dash ? dash + 1 : port;
}

static void
build_ifaces(struct vns_server *vs, const struct px_of_switch *sw)
{
    size_t i, j;

    vs->n_ifaces = 0;
    for (i = 0; i < sw->n_ports && vs->n_ifaces < VNS_MAX_IFACES; i++) {
        const struct px_of_port *port = &sw->ports[i];

        for (j = 0; j < vs->n_addrs; j++) {
            if (!strncmp(vs->addrs[j].port, port->name, sizeof port->name)) {
                struct iface *f = &vs->ifaces[vs->n_ifaces++];

                memset(f, 0, sizeof *f);
                snprintf(f->vi.name, sizeof f->vi.name, "%s",
                         iface_name(port->name));
                memcpy(f->vi.mac, port->hw_addr, 6);
                f->vi.ip = vs->addrs[j].ip;
                f->vi.mask = vs->addrs[j].mask;
                f->port_no = port->port_no;
                break;
            }
        }
    }
}

/* Names are compared within an interface's name field, whose end a blob
 * of a previous generation might not have terminated. */
#define IFACE_NAME_SIZE (VNS_IFACE_LEN + 1)
_Static_assert(sizeof(((struct vns_iface *)0)->name) == IFACE_NAME_SIZE,
               "an interface's name field is not VNS_IFACE_LEN + 1 bytes");

static uint64_t
iface_name_hash(const char *name)
{
    return px_hash_bytes(name, strnlen(name, IFACE_NAME_SIZE), 0);
}

const struct iface *
vs_iface_by_port(const struct vns_server *vs, uint32_t port_no)
{
    const struct iface_index *x;

    PX_HMAP_FOR_EACH_WITH_HASH (x, by_port, px_hash_u64(port_no),
                                &vs->ifaces_by_port) {
        const struct iface *f = &vs->ifaces[x - vs->index];

        if (f->port_no == port_no) {
            return f;
        }
    }
    return NULL;
}

const struct iface *
vs_iface_by_name(const struct vns_server *vs, const char *name)
{
    const struct iface_index *x;

    PX_HMAP_FOR_EACH_WITH_HASH (x, by_name, iface_name_hash(name),
                                &vs->ifaces_by_name) {
        const struct iface *f = &vs->ifaces[x - vs->index];

        if (!strncmp(f->vi.name, name, IFACE_NAME_SIZE)) {
            return f;
        }
    }
    return NULL;
}

void
vs_iface_index(struct vns_server *vs)
{
    size_t i;

    px_hmap_clear(&vs->ifaces_by_name);
    px_hmap_clear(&vs->ifaces_by_port);
    for (i = 0; i < vs->n_ifaces; i++) {
        const struct iface *f = &vs->ifaces[i];

        if (!vs_iface_by_name(vs, f->vi.name)) {
            px_hmap_insert(&vs->ifaces_by_name, &vs->index[i].by_name,
                           iface_name_hash(f->vi.name));
        }
        if (!vs_iface_by_port(vs, f->port_no)) {
            px_hmap_insert(&vs->ifaces_by_port, &vs->index[i].by_port,
                           px_hash_u64(f->port_no));
        }
    }
}

int
vs_iface_on_switch_up(struct px_plugin *p, const struct px_event *ev,
                      void *arg)
{
    struct vns_server *vs = px_get_data(p);
    const struct px_of_switch *sw = ev->payload;
    struct router *r, *next;

    (void)arg;
    if (ev->len < sizeof *sw || (vs->dpid && sw->dpid != vs->dpid) ||
        (vs->switch_up && sw->dpid != vs->up_dpid)) {
        return PX_EVENT_CONTINUE;
    }
    vs->switch_up = 1;
    vs->up_dpid = sw->dpid;
    build_ifaces(vs, sw);
    vs_iface_index(vs);
    px_info(p, "serving switch %016llx: %zu router interfaces",
            (unsigned long long)sw->dpid, vs->n_ifaces);
    vs_prefer_update(vs, 0);
    /* A router whose socket fails on HWInfo is closed, which moves it to
     * the graveyard: its 'next' is taken first. */
    for (r = vs->routers; r; r = next) {
        next = r->next;
        r->hwinfo_sent = 0;
        vs_router_send_hwinfo(r);
    }
    return PX_EVENT_CONTINUE;
}

int
vs_iface_on_switch_down(struct px_plugin *p, const struct px_event *ev,
                        void *arg)
{
    struct vns_server *vs = px_get_data(p);
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw && vs->switch_up && sw->dpid == vs->up_dpid) {
        vs->switch_up = 0;
        px_info(p, "switch %016llx down: frames to routers stop",
                (unsigned long long)sw->dpid);
        vs_prefer_update(vs, 0);
    }
    return PX_EVENT_CONTINUE;
}
