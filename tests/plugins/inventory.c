/*
 * inventory: a test plugin that learns the switches connected before it
 * was loaded and asks each for a barrier, as a plugin enabled by a reload
 * after switches came up does.
 *
 * In init it subscribes to its reply topic ("<instance>.openflow"), then
 * publishes openflow.inventory (request id 1) and, for every switch the
 * inventory names, openflow.barrier (request ids 100, 101...), and later
 * one more barrier for each switch that comes up ('barriers' of them for
 * each switch, 1 by default: more fill the table of requests awaiting a
 * reply, whose bound is 1024).  With 'raw = true' it
 * also sends each of them, through openflow.send, an ECHO_REQUEST with a
 * reply (request ids 200...), a SET_CONFIG without one (300...), a
 * message of the other OpenFlow version (400...) and a multipart (1.3
 * PORT_DESC) or stats (1.0 DESC) request (500...); and through
 * openflow.flow_mod with a 'reply_to', a flow (in_port 1, drop, cookie
 * 0x600: 600...) and one for table 254, which no OVS has (table 0 for
 * a 1.0 switch, which has one table; cookie 0xbad:
 * 700...); and through openflow.role, MASTER with generation id 5
 * (800...), then MASTER with 3, which is stale (900...).  With 'flows =
 * true' it installs on each switch a catalog of flow_mods that use topic
 * version 4 (match fields with masks, instructions, the actions 1.0 or 1.3
 * has, strict commands, filters, cookie masks), ids 1000 and up, each
 * with a 'reply_to' (see flow_catalog).  It logs one line per
 * request and reply, which the integration tests parse:
 *   inventory 1: switch DPID version V ports N: NAME,NAME,...
 *   inventory 1: done, N switches (outcome CODE: CAUSE)
 *   barrier ID for DPID: queued|refused CODE: CAUSE
 *   reply ID for DPID: barrier
 *   reply ID for DPID: error type T code C
 *   reply ID for DPID: gone: CAUSE
 *   send ID for DPID: queued|refused CODE: CAUSE
 *   reply ID for DPID: message type T len N more M
 *   reply ID for DPID: ok
 *   flow_mod ID for DPID: queued|refused CODE: CAUSE
 *   role ID for DPID: queued|refused CODE: CAUSE
 *   reply ID for DPID: role R generation G
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
    struct px_topic *t_send;
    struct px_topic *t_flow_mod;
    struct px_topic *t_role;
    struct px_topic *t_group_mod;
    struct px_topic *t_meter_mod;
    struct px_topic *t_async;
    struct px_topic *t_stats;
    uint64_t next_id;   /* Of the next barrier. */
    uint64_t next_send; /* Of the next raw message, by 100s per kind. */
    long long barriers;
    int raw;
    int flows;
    int slave;
    int slave_hold;
    int probe;
};

static const struct px_config_key inventory_keys[] = {
    {.key = "barriers",
     .type = PX_CONFIG_INT,
     .default_value = "1",
     .min = 1,
     .max = 100000,
     .help = "barriers asked of each switch"},
    {.key = "raw",
     .type = PX_CONFIG_BOOL,
     .default_value = "false",
     .help = "also send raw messages through openflow.send"},
    {.key = "flows",
     .type = PX_CONFIG_BOOL,
     .default_value = "false",
     .help = "also install the catalog of version 4 flow_mods"},
    {.key = "slave",
     .type = PX_CONFIG_BOOL,
     .default_value = "false",
     .help = "also become SLAVE, try a flow_mod, then become MASTER"},
    {.key = "slave_hold",
     .type = PX_CONFIG_BOOL,
     .default_value = "false",
     .help = "also become SLAVE, and stay"},
    {.key = "probe",
     .type = PX_CONFIG_BOOL,
     .default_value = "false",
     .help = "in init, send each switch a flow_mod (cookie 0x5b)"},
    {.key = NULL},
};

/* Logs what became of request 'id' of kind 'what' for 'dpid'. */
static void
tell(struct px_plugin *p, const char *what, uint64_t id, uint64_t dpid,
     const struct px_of_outcome *outcome)
{
    if (outcome->code) {
        px_info(p, "%s %" PRIu64 " for %016" PRIx64 ": refused %d: %s", what,
                id, dpid, outcome->code, outcome->cause);
    } else {
        px_info(p, "%s %" PRIu64 " for %016" PRIx64 ": queued", what, id,
                dpid);
    }
}

static void
send_raw(struct px_plugin *p, struct inventory *inv, uint64_t dpid,
         uint64_t id, const uint8_t *msg, size_t len, uint32_t flags)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_send s = {.dpid = dpid,
                           .msg = msg,
                           .len = len,
                           .flags = flags,
                           .reply_to = inv->reply_to,
                           .request_id = id,
                           .outcome = &outcome};

    px_publish(p, inv->t_send, &s, sizeof s);
    tell(p, "send", id, dpid, &outcome);
}

static void
flow(struct px_plugin *p, struct inventory *inv, uint64_t dpid, uint64_t id,
     uint64_t cookie, uint8_t table_id)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_flow_mod fm = {
        .dpid = dpid,
        .command = PX_OF_FLOW_ADD,
        .table_id = table_id,
        .priority = 1,
        .buffer_id = PX_OF_NO_BUFFER,
        .cookie = cookie,
        .match = {.fields = PX_OF_MATCH_IN_PORT, .in_port = 1},
        .outcome = &outcome,
        .reply_to = inv->reply_to,
        .request_id = id,
    };

    px_publish(p, inv->t_flow_mod, &fm, sizeof fm);
    tell(p, "flow_mod", id, dpid, &outcome);
}

/* Publishes flow_mod 'fm' for 'dpid' with id 'id' and a reply_to. */
static void
catalog_flow(struct px_plugin *p, struct inventory *inv, uint64_t dpid,
             uint64_t id, struct px_of_flow_mod *fm)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;

    fm->dpid = dpid;
    fm->buffer_id = PX_OF_NO_BUFFER;
    fm->outcome = &outcome;
    fm->reply_to = inv->reply_to;
    fm->request_id = id;
    px_publish(p, inv->t_flow_mod, fm, sizeof *fm);
    tell(p, "flow_mod", id, dpid, &outcome);
}

/* The catalog of 'flows = true' for a 1.3 switch; the e2e test
 * (test_flow_mod_catalog) finds each flow in ovs-ofctl's dump by its
 * cookie:
 *   0x1001 IPv6 TCP, masked MAC and prefix, VLAN, metadata; pop_vlan,
 *          push_mpls, set mpls_label, set_mpls_ttl, output 2; write
 *          set_queue and dec_ttl; write_metadata; goto_table 1;
 *   0x1002 ARP with a masked target in table 1, send_flow_rem; NORMAL;
 *   0x1003 ICMPv6 neighbour solicitation for a target with its source
 *          MAC; push_vlan, set vlan_vid, output 1;
 *   0x1004 tunnel_id and UDP ports, set ip_dscp and the UDP source port;
 *   0x1005 added, then its actions changed by MODIFY_STRICT (id 1006) to
 *          output 2;
 *   0x1007 and 0x1008 added, then deleted by a DELETE whose cookie mask
 *          takes 0x1007 alone (id 1009);
 *   group 7 (SELECT, buckets of weight 60 and 40 to ports 1 and 2; id
 *          1011), meter 9 (kb/s with a burst, a drop band at 1000; id
 *          1012), and 0x100c, a flow that goes through both (id 1013);
 *          meter 10 with a DSCP remark band too, which Open vSwitch
 *          refuses (id 1015: its ERROR, METER_MOD_FAILED BAD_BAND);
 *   0x100d with a hard timeout of 1 s and SEND_FLOW_REM, whose
 *          FLOW_REMOVED the plugin logs (id 1014);
 *   the asynchronous configuration set (id 1016: packet_in 0x3/0,
 *          port_status 0x7/0x5, flow_removed 0xf/0x1) and read back (id
 *          1017);
 *   once that is read back, the catalog's flows (cookies 0x1000 to
 *          0x1fff: id 1018) and groups (id 1019) asked for, and each sent
 *          back as the statistics decoded it: a flow without timeouts as
 *          cookie 0x10000 + C, priority + 1000 (ids 2000...), a group as
 *          id + 100 (ids 2100...), which the e2e test finds equal to the
 *          original in OVS's dump (see copy_flows);
 * and, refused by openflow before the switch: a field without its
 * prerequisite (id 1010, EOPNOTSUPP). */
static void
flow_catalog13(struct px_plugin *p, struct inventory *inv, uint64_t dpid)
{
    static const uint8_t oui[6] = {0x02, 0x11, 0x22};
    static const uint8_t oui_mask[6] = {0xff, 0xff, 0xff};
    static const uint8_t net6[16] = {0x20, 0x01, 0x0d, 0xb8};
    static const uint8_t mask64[16] = {0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff};
    static const uint8_t target[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};
    static const uint8_t sll[6] = {0x02, 0, 0, 0, 0, 0x09};
    struct px_of_field f[8], set[2];
    struct px_of_action a[6];
    struct px_of_action w[2];
    struct px_of_instruction in[4];
    struct px_of_flow_mod fm;

    memset(&fm, 0, sizeof fm);
    f[0] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x86dd);
    f[1] = px_of_field_u64(PX_OF_F_IP_PROTO, 6);
    f[2] = px_of_field_u64(PX_OF_F_TCP_DST, 443);
    f[3] = px_of_field_bytes(PX_OF_F_IPV6_SRC, net6, mask64);
    f[4] = px_of_field_bytes(PX_OF_F_ETH_DST, oui, oui_mask);
    f[5] = px_of_field_u64(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT | 10);
    f[6] = px_of_field_u64_masked(PX_OF_F_METADATA, 0x10, 0xf0);
    memset(a, 0, sizeof a);
    a[0].type = PX_OF_ACTION_POP_VLAN;
    a[1].type = PX_OF_ACTION_PUSH_MPLS;
    a[1].ethertype = 0x8847;
    a[2].type = PX_OF_ACTION_SET_FIELD;
    set[0] = px_of_field_u64(PX_OF_F_MPLS_LABEL, 100);
    a[2].field = &set[0];
    a[3].type = PX_OF_ACTION_SET_MPLS_TTL;
    a[3].arg = 9;
    a[4].type = PX_OF_ACTION_OUTPUT;
    a[4].port = 2;
    memset(w, 0, sizeof w);
    w[0].type = PX_OF_ACTION_SET_QUEUE;
    w[0].arg = 7;
    w[1].type = PX_OF_ACTION_DEC_NW_TTL;
    memset(in, 0, sizeof in);
    in[0].type = PX_OF_INSTR_APPLY_ACTIONS;
    in[0].n_actions = 5;
    in[0].actions = a;
    in[1].type = PX_OF_INSTR_WRITE_ACTIONS;
    in[1].n_actions = 2;
    in[1].actions = w;
    in[2].type = PX_OF_INSTR_WRITE_METADATA;
    in[2].metadata = 0x100;
    in[2].metadata_mask = 0xf00;
    in[3].type = PX_OF_INSTR_GOTO_TABLE;
    in[3].table_id = 1;
    fm.command = PX_OF_FLOW_ADD;
    fm.priority = 300;
    fm.cookie = 0x1001;
    fm.n_fields = 7;
    fm.fields = f;
    fm.n_instructions = 4;
    fm.instructions = in;
    catalog_flow(p, inv, dpid, 1001, &fm);

    memset(&fm, 0, sizeof fm);
    f[0] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0806);
    f[1] = px_of_field_u64_masked(PX_OF_F_ARP_TPA, 0x0a000100, 0xffffff00);
    f[2] = px_of_field_u64(PX_OF_F_ARP_OP, 1);
    memset(a, 0, sizeof a);
    a[0].type = PX_OF_ACTION_OUTPUT;
    a[0].port = PX_OF_PORT_NORMAL;
    fm.command = PX_OF_FLOW_ADD;
    fm.table_id = 1;
    fm.priority = 20;
    fm.cookie = 0x1002;
    fm.flags = PX_OF_FF_SEND_FLOW_REM;
    fm.n_fields = 3;
    fm.fields = f;
    fm.n_actions = 1;
    fm.actions = a;
    catalog_flow(p, inv, dpid, 1002, &fm);

    memset(&fm, 0, sizeof fm);
    f[0] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x86dd);
    f[1] = px_of_field_u64(PX_OF_F_IP_PROTO, 58);
    f[2] = px_of_field_u64(PX_OF_F_ICMPV6_TYPE, 135);
    f[3] = px_of_field_bytes(PX_OF_F_IPV6_ND_TARGET, target, NULL);
    f[4] = px_of_field_bytes(PX_OF_F_IPV6_ND_SLL, sll, NULL);
    memset(a, 0, sizeof a);
    a[0].type = PX_OF_ACTION_PUSH_VLAN;
    a[0].ethertype = 0x8100;
    a[1].type = PX_OF_ACTION_SET_FIELD;
    set[0] = px_of_field_u64(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT | 20);
    a[1].field = &set[0];
    a[2].type = PX_OF_ACTION_OUTPUT;
    a[2].port = 1;
    fm.command = PX_OF_FLOW_ADD;
    fm.priority = 30;
    fm.cookie = 0x1003;
    fm.n_fields = 5;
    fm.fields = f;
    fm.n_actions = 3;
    fm.actions = a;
    catalog_flow(p, inv, dpid, 1003, &fm);

    memset(&fm, 0, sizeof fm);
    f[0] = px_of_field_u64(PX_OF_F_TUNNEL_ID, 0x77);
    f[1] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800);
    f[2] = px_of_field_u64(PX_OF_F_IP_PROTO, 17);
    f[3] = px_of_field_u64(PX_OF_F_UDP_DST, 53);
    memset(a, 0, sizeof a);
    a[0].type = PX_OF_ACTION_SET_FIELD;
    set[0] = px_of_field_u64(PX_OF_F_IP_DSCP, 46);
    a[0].field = &set[0];
    a[1].type = PX_OF_ACTION_SET_FIELD;
    set[1] = px_of_field_u64(PX_OF_F_UDP_SRC, 5353);
    a[1].field = &set[1];
    a[2].type = PX_OF_ACTION_OUTPUT;
    a[2].port = 2;
    fm.command = PX_OF_FLOW_ADD;
    fm.priority = 40;
    fm.cookie = 0x1004;
    fm.n_fields = 4;
    fm.fields = f;
    fm.n_actions = 3;
    fm.actions = a;
    catalog_flow(p, inv, dpid, 1004, &fm);

    /* Add, then change its actions with MODIFY_STRICT. */
    memset(&fm, 0, sizeof fm);
    f[0] = px_of_field_u64(PX_OF_F_IN_PORT, 1);
    f[1] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800);
    f[2] = px_of_field_u64_masked(PX_OF_F_IPV4_DST, 0x0a000000, 0xff000000);
    memset(a, 0, sizeof a);
    a[0].type = PX_OF_ACTION_OUTPUT;
    a[0].port = 1;
    fm.command = PX_OF_FLOW_ADD;
    fm.priority = 50;
    fm.cookie = 0x1005;
    fm.n_fields = 3;
    fm.fields = f;
    fm.n_actions = 1;
    fm.actions = a;
    catalog_flow(p, inv, dpid, 1005, &fm);
    a[0].port = 2;
    fm.command = PX_OF_FLOW_MODIFY_STRICT;
    catalog_flow(p, inv, dpid, 1006, &fm);

    /* Two flows, and a DELETE whose cookie mask takes the first alone. */
    memset(&fm, 0, sizeof fm);
    memset(a, 0, sizeof a);
    a[0].type = PX_OF_ACTION_OUTPUT;
    a[0].port = 2;
    fm.command = PX_OF_FLOW_ADD;
    fm.n_actions = 1;
    fm.actions = a;
    f[0] = px_of_field_u64(PX_OF_F_IN_PORT, 2);
    fm.n_fields = 1;
    fm.fields = f;
    fm.priority = 60;
    fm.cookie = 0x1007;
    catalog_flow(p, inv, dpid, 1007, &fm);
    fm.priority = 61;
    fm.cookie = 0x1008;
    catalog_flow(p, inv, dpid, 1008, &fm);
    memset(&fm, 0, sizeof fm);
    fm.command = PX_OF_FLOW_DELETE;
    fm.table_id = 0xff;
    fm.cookie = 0x1007;
    fm.cookie_mask = 0xffff;
    catalog_flow(p, inv, dpid, 1009, &fm);

    /* A group and a meter, and a flow through both. */
    {
        struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
        struct px_of_action outs[2];
        struct px_of_bucket buckets[2];
        struct px_of_meter_band bands[2];
        struct px_of_group_mod gm;
        struct px_of_meter_mod mm;

        memset(outs, 0, sizeof outs);
        memset(buckets, 0, sizeof buckets);
        outs[0].type = outs[1].type = PX_OF_ACTION_OUTPUT;
        outs[0].port = 1;
        outs[1].port = 2;
        buckets[0].weight = 60;
        buckets[1].weight = 40;
        buckets[0].watch_port = buckets[1].watch_port = PX_OF_PORT_ANY;
        buckets[0].watch_group = buckets[1].watch_group = PX_OF_GROUP_ANY;
        buckets[0].n_actions = buckets[1].n_actions = 1;
        buckets[0].actions = &outs[0];
        buckets[1].actions = &outs[1];
        memset(&gm, 0, sizeof gm);
        gm.dpid = dpid;
        gm.command = PX_OF_GROUP_ADD;
        gm.type = PX_OF_GROUP_SELECT;
        gm.group_id = 7;
        gm.n_buckets = 2;
        gm.buckets = buckets;
        gm.outcome = &outcome;
        gm.reply_to = inv->reply_to;
        gm.request_id = 1011;
        px_publish(p, inv->t_group_mod, &gm, sizeof gm);
        tell(p, "group_mod", 1011, dpid, &outcome);

        memset(bands, 0, sizeof bands);
        bands[0].type = PX_OF_BAND_DROP;
        bands[0].rate = 1000;
        bands[0].burst_size = 100;
        bands[1].type = PX_OF_BAND_DSCP_REMARK;
        bands[1].rate = 500;
        bands[1].burst_size = 50;
        bands[1].prec_level = 1;
        memset(&mm, 0, sizeof mm);
        mm.dpid = dpid;
        mm.command = PX_OF_METER_ADD;
        mm.flags = PX_OF_METER_KBPS | PX_OF_METER_BURST;
        mm.meter_id = 9;
        mm.n_bands = 1;
        mm.bands = bands;
        outcome = (struct px_of_outcome)PX_OF_OUTCOME_INIT;
        mm.outcome = &outcome;
        mm.reply_to = inv->reply_to;
        mm.request_id = 1012;
        px_publish(p, inv->t_meter_mod, &mm, sizeof mm);
        tell(p, "meter_mod", 1012, dpid, &outcome);
        /* Open vSwitch has no DSCP remark band: its ERROR comes back. */
        mm.meter_id = 10;
        mm.n_bands = 2;
        outcome = (struct px_of_outcome)PX_OF_OUTCOME_INIT;
        mm.request_id = 1015;
        px_publish(p, inv->t_meter_mod, &mm, sizeof mm);
        tell(p, "meter_mod", 1015, dpid, &outcome);
    }
    memset(&fm, 0, sizeof fm);
    memset(a, 0, sizeof a);
    memset(in, 0, sizeof in);
    a[0].type = PX_OF_ACTION_GROUP;
    a[0].arg = 7;
    in[0].type = PX_OF_INSTR_METER;
    in[0].meter_id = 9;
    in[1].type = PX_OF_INSTR_APPLY_ACTIONS;
    in[1].n_actions = 1;
    in[1].actions = a;
    f[0] = px_of_field_u64(PX_OF_F_IN_PORT, 1);
    f[1] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0806);
    fm.command = PX_OF_FLOW_ADD;
    fm.priority = 80;
    fm.cookie = 0x100c;
    fm.n_fields = 2;
    fm.fields = f;
    fm.n_instructions = 2;
    fm.instructions = in;
    catalog_flow(p, inv, dpid, 1013, &fm);

    /* A flow that lives one second, and says so when it goes. */
    memset(&fm, 0, sizeof fm);
    f[0] = px_of_field_u64(PX_OF_F_IN_PORT, 2);
    f[1] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800);
    fm.command = PX_OF_FLOW_ADD;
    fm.priority = 90;
    fm.cookie = 0x100d;
    fm.hard_timeout = 1;
    fm.flags = PX_OF_FF_SEND_FLOW_REM;
    fm.n_fields = 2;
    fm.fields = f;
    catalog_flow(p, inv, dpid, 1014, &fm);

    /* The asynchronous configuration set, then read back. */
    {
        struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
        struct px_of_async as;

        memset(&as, 0, sizeof as);
        as.dpid = dpid;
        as.config.packet_in_mask[0] = 0x3;
        as.config.port_status_mask[0] = 0x7;
        as.config.port_status_mask[1] = 0x5;
        as.config.flow_removed_mask[0] = 0xf;
        as.config.flow_removed_mask[1] = 0x1;
        as.reply_to = inv->reply_to;
        as.request_id = 1016;
        as.outcome = &outcome;
        px_publish(p, inv->t_async, &as, sizeof as);
        tell(p, "async", 1016, dpid, &outcome);
        outcome = (struct px_of_outcome)PX_OF_OUTCOME_INIT;
        as.get = 1;
        as.request_id = 1017;
        px_publish(p, inv->t_async, &as, sizeof as);
        tell(p, "async", 1017, dpid, &outcome);
    }

    /* IPV4_SRC without ETH_TYPE: refused before the switch. */
    memset(&fm, 0, sizeof fm);
    f[0] = px_of_field_u64(PX_OF_F_IPV4_SRC, 0x0a000001);
    fm.command = PX_OF_FLOW_ADD;
    fm.n_fields = 1;
    fm.fields = f;
    catalog_flow(p, inv, dpid, 1010, &fm);
}

/* Asks for the catalog's flows and groups, which on_reply sends back. */
static void
ask_catalog(struct px_plugin *p, struct inventory *inv, uint64_t dpid)
{
    struct px_of_stats_request rq;
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;

    memset(&rq, 0, sizeof rq);
    rq.dpid = dpid;
    rq.type = PX_OF_STATS_FLOW;
    rq.table_id = PX_OF_TABLE_ALL;
    rq.cookie = 0x1000;
    rq.cookie_mask = 0xfffff000;
    rq.reply_to = inv->reply_to;
    rq.request_id = 1018;
    rq.outcome = &outcome;
    px_publish(p, inv->t_stats, &rq, sizeof rq);
    tell(p, "stats", 1018, dpid, &outcome);
    outcome = (struct px_of_outcome)PX_OF_OUTCOME_INIT;
    rq.type = PX_OF_STATS_GROUP_DESC;
    rq.request_id = 1019;
    px_publish(p, inv->t_stats, &rq, sizeof rq);
    tell(p, "stats", 1019, dpid, &outcome);
}

/* Sends back the flows and groups of a FLOW or GROUP_DESC reply as they
 * were decoded: matches, instructions and buckets as given, so that
 * what reaches OVS shows whether the decoding lost or changed anything.
 * Logs "copies DPID: N flows" or "copies DPID: N groups". */
static void
copy_back(struct px_plugin *p, struct inventory *inv, uint64_t dpid,
          const struct px_of_stats *st)
{
    size_t i, n = 0;

    for (i = 0; st->type == PX_OF_STATS_FLOW && i < st->n; i++) {
        const struct px_of_flow_stats *f = &st->flows[i];
        struct px_of_flow_mod fm;

        if (f->idle_timeout || f->hard_timeout) {
            continue; /* It may be gone before its copy comes. */
        }
        memset(&fm, 0, sizeof fm);
        fm.command = PX_OF_FLOW_ADD;
        fm.table_id = f->table_id;
        fm.priority = (uint16_t)(f->priority + 1000);
        fm.cookie = f->cookie + 0x10000;
        fm.flags = f->flags;
        fm.n_fields = f->n_match;
        fm.fields = f->match;
        fm.n_instructions = f->n_instructions;
        fm.instructions = f->instructions;
        catalog_flow(p, inv, dpid, 2000 + n++, &fm);
    }
    for (i = 0; st->type == PX_OF_STATS_GROUP_DESC && i < st->n; i++) {
        const struct px_of_group_desc *g = &st->group_descs[i];
        struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
        struct px_of_group_mod gm;

        memset(&gm, 0, sizeof gm);
        gm.dpid = dpid;
        gm.command = PX_OF_GROUP_ADD;
        gm.type = g->type;
        gm.group_id = g->group_id + 100;
        gm.n_buckets = g->n_buckets;
        gm.buckets = g->buckets;
        gm.outcome = &outcome;
        gm.reply_to = inv->reply_to;
        gm.request_id = 2100 + n++;
        px_publish(p, inv->t_group_mod, &gm, sizeof gm);
        tell(p, "group_mod", gm.request_id, dpid, &outcome);
    }
    px_info(p, "copies %016" PRIx64 ": %zu %s", dpid, n,
            st->type == PX_OF_STATS_FLOW ? "flows" : "groups");
}

/* The catalog is for 1.3 switches; 1.0's expression of the same
 * requests is checked byte by byte in tests/unit/test_ofp.c. */
static void
flow_catalog(struct px_plugin *p, struct inventory *inv, uint64_t dpid,
             uint8_t version)
{
    if (version == PX_OF_VERSION_13) {
        flow_catalog13(p, inv, dpid);
    }
}

static void
role_as(struct px_plugin *p, struct inventory *inv, uint64_t dpid, uint64_t id,
        uint32_t role, uint64_t generation_id)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_role rq = {.dpid = dpid,
                            .role = role,
                            .generation_id = generation_id,
                            .reply_to = inv->reply_to,
                            .request_id = id,
                            .outcome = &outcome};

    px_publish(p, inv->t_role, &rq, sizeof rq);
    tell(p, "role", id, dpid, &outcome);
}

static void
role(struct px_plugin *p, struct inventory *inv, uint64_t dpid, uint64_t id,
     uint64_t generation_id)
{
    role_as(p, inv, dpid, id, PX_OF_ROLE_MASTER, generation_id);
}

/* An ECHO_REQUEST with "raw" (a reply), a SET_CONFIG (none: OK after
 * openflow's barrier) and a message of the other version (refused). */
static void
raw_messages(struct px_plugin *p, struct inventory *inv, uint64_t dpid,
             uint8_t version)
{
    uint8_t echo[11] = {version, 2,    0,   11,  0xab, 0xcd,
                        0xef,    0x01, 'r', 'a', 'w'};
    uint8_t set_config[12] = {version, 9,    0, 12, 0xab, 0xcd,
                              0xef,    0x02, 0, 0,  0,    0x80};
    uint8_t other[8] = {version == PX_OF_VERSION_13 ? PX_OF_VERSION_10
                                                    : PX_OF_VERSION_13,
                        2,
                        0,
                        8,
                        0,
                        0,
                        0,
                        3};
    uint8_t multipart13[16] = {
        PX_OF_VERSION_13, 18, 0, 16, 0, 0, 0, 4, 0, 13}; /* MULTIPART_REQUEST,
                                                            PORT_DESC. */
    uint8_t stats10[12] = {PX_OF_VERSION_10,
                           16,
                           0,
                           12,
                           0,
                           0,
                           0,
                           4,
                           0,
                           0}; /* STATS_REQUEST, DESC. */
    uint64_t n = inv->next_send++;

    send_raw(p, inv, dpid, 200 + n, echo, sizeof echo, PX_OF_SEND_REPLY);
    send_raw(p, inv, dpid, 300 + n, set_config, sizeof set_config, 0);
    send_raw(p, inv, dpid, 400 + n, other, sizeof other, PX_OF_SEND_REPLY);
    if (version == PX_OF_VERSION_13) {
        send_raw(p, inv, dpid, 500 + n, multipart13, sizeof multipart13,
                 PX_OF_SEND_REPLY);
    } else {
        send_raw(p, inv, dpid, 500 + n, stats10, sizeof stats10,
                 PX_OF_SEND_REPLY);
    }
    flow(p, inv, dpid, 600 + n, 0x600, 0);
    /* 1.0 has one table, and openflow refuses any other itself: there the
     * scripted switch of the integration tests refuses the cookie. */
    flow(p, inv, dpid, 700 + n, 0xbad, version == PX_OF_VERSION_13 ? 254 : 0);
    role(p, inv, dpid, 800 + n, 5);
    role(p, inv, dpid, 900 + n, 3);
}

static void
barrier(struct px_plugin *p, struct inventory *inv, uint64_t dpid)
{
    unsigned int queued = 0, refused = 0;
    const char *cause = "";
    long long i;

    for (i = 0; i < inv->barriers; i++) {
        struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
        struct px_of_barrier b = {.dpid = dpid,
                                  .reply_to = inv->reply_to,
                                  .request_id = inv->next_id++,
                                  .outcome = &outcome};

        px_publish(p, inv->t_barrier, &b, sizeof b);
        if (inv->barriers == 1) {
            tell(p, "barrier", b.request_id, dpid, &outcome);
        } else if (outcome.code) {
            refused++;
            cause = outcome.cause;
        } else {
            queued++;
        }
    }
    if (inv->barriers > 1) {
        px_info(p, "barriers for %016" PRIx64 ": %u queued, %u refused (%s)",
                dpid, queued, refused, cause);
    }
}

/* Logs a FLOW_REMOVED:
 *   flow_removed DPID: cookie C reason R priority P hard H packets N
 *   bytes B match M fields */
static int
on_flow_removed(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_flow_removed *fr = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *fr) {
        px_info(p,
                "flow_removed %016" PRIx64 ": cookie %#" PRIx64
                " reason %u priority %u hard %u packets %" PRIu64
                " bytes %" PRIu64 " match %zu fields",
                fr->dpid, fr->cookie, fr->reason, fr->priority,
                fr->hard_timeout, fr->packet_count, fr->byte_count,
                fr->n_match);
    }
    return PX_EVENT_CONTINUE;
}

/* With 'slave = true': once a switch holds this controller as SLAVE (role
 * request 1100 + n), a flow_mod (cookie 0x5a: 1200 + n), which openflow
 * refuses itself; then MASTER with generation 8 (1300 + n) and, once
 * granted, the same flow_mod (1400 + n), which goes through.  With
 * 'slave_hold = true' it asks for SLAVE alone; with 'probe = true' its init
 * sends every switch of the inventory a flow_mod (cookie 0x5b: 1500 + n),
 * which tells whether the role survived a reload of openflow. */
static void
slave_step(struct px_plugin *p, struct inventory *inv,
           const struct px_of_reply *r)
{
    uint64_t n = r->request_id % 100;

    if (!inv->slave) {
        return;
    }
    if (r->request_id / 100 == 11 && r->role == PX_OF_ROLE_SLAVE) {
        flow(p, inv, r->dpid, 1200 + n, 0x5a, 0);
        role_as(p, inv, r->dpid, 1300 + n, PX_OF_ROLE_MASTER, 8);
    } else if (r->request_id / 100 == 13 && r->role == PX_OF_ROLE_MASTER) {
        flow(p, inv, r->dpid, 1400 + n, 0x5a, 0);
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
    case PX_OF_REPLY_MESSAGE:
        px_info(p,
                "reply %" PRIu64 " for %016" PRIx64
                ": message type %u len %zu more %d",
                r->request_id, r->dpid, r->msg[1], r->msg_len, r->more);
        break;
    case PX_OF_REPLY_ROLE:
        px_info(p,
                "reply %" PRIu64 " for %016" PRIx64
                ": role %u generation %" PRIu64,
                r->request_id, r->dpid, r->role, r->generation_id);
        slave_step(p, px_get_data(p), r);
        break;
    case PX_OF_REPLY_STATS:
        if (r->request_id == 1018 || r->request_id == 1019) {
            copy_back(p, px_get_data(p), r->dpid, r->stats);
        }
        break;
    case PX_OF_REPLY_ASYNC:
        if (r->request_id == 1017) {
            ask_catalog(p, px_get_data(p), r->dpid);
        }
        px_info(p,
                "reply %" PRIu64 " for %016" PRIx64
                ": async packet_in %#x/%#x port_status %#x/%#x "
                "flow_removed %#x/%#x",
                r->request_id, r->dpid, r->async->packet_in_mask[0],
                r->async->packet_in_mask[1], r->async->port_status_mask[0],
                r->async->port_status_mask[1], r->async->flow_removed_mask[0],
                r->async->flow_removed_mask[1]);
        break;
    case PX_OF_REPLY_OK:
        px_info(p, "reply %" PRIu64 " for %016" PRIx64 ": ok", r->request_id,
                r->dpid);
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
    uint8_t versions[64];
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
            col->versions[col->n] = r->sw->version;
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
        struct inventory *inv = px_get_data(p);

        barrier(p, inv, sw->dpid);
        if (inv->raw) {
            raw_messages(p, inv, sw->dpid, sw->version);
        }
        if (inv->flows) {
            flow_catalog(p, inv, sw->dpid, sw->version);
        }
        if ((inv->slave || inv->slave_hold) &&
            sw->version == PX_OF_VERSION_13) {
            role_as(p, inv, sw->dpid, 1100 + inv->next_send++,
                    PX_OF_ROLE_SLAVE, 7);
        }
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
    if ((error = px_config_bool(p, "raw", &inv->raw)) ||
        (error = px_config_bool(p, "flows", &inv->flows)) ||
        (error = px_config_bool(p, "slave", &inv->slave)) ||
        (error = px_config_bool(p, "slave_hold", &inv->slave_hold)) ||
        (error = px_config_bool(p, "probe", &inv->probe)) ||
        (error = px_config_int(p, "barriers", &inv->barriers))) {
        free(inv);
        px_set_data(p, NULL);
        return error;
    }
    snprintf(inv->reply_to, sizeof inv->reply_to, "%s.openflow",
             px_instance_name(p));
    if ((error = px_subscribe(p, inv->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, NULL, NULL)) ||
        (error = px_subscribe(p, inv->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_inventory_reply, &col,
                              &collector)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_FLOW_REMOVED, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_flow_removed, NULL, NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_GROUP_MOD,
                                  PX_TOPIC_OF_VERSION, &inv->t_group_mod)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_METER_MOD,
                                  PX_TOPIC_OF_VERSION, &inv->t_meter_mod)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_ASYNC, PX_TOPIC_OF_VERSION,
                                  &inv->t_async)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_STATS, PX_TOPIC_OF_VERSION,
                                  &inv->t_stats)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &inv->t_inventory)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_BARRIER, PX_TOPIC_OF_VERSION,
                                  &inv->t_barrier)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_SEND, PX_TOPIC_OF_VERSION,
                                  &inv->t_send)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_FLOW_MOD, PX_TOPIC_OF_VERSION,
                                  &inv->t_flow_mod)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_ROLE, PX_TOPIC_OF_VERSION,
                                  &inv->t_role))) {
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
        if (inv->raw) {
            raw_messages(p, inv, col.dpids[i], col.versions[i]);
        }
        if (inv->flows) {
            flow_catalog(p, inv, col.dpids[i], col.versions[i]);
        }
        if (inv->probe) {
            flow(p, inv, col.dpids[i], 1500 + i, 0x5b, 0);
        }
        if ((inv->slave || inv->slave_hold) &&
            col.versions[i] == PX_OF_VERSION_13) {
            role_as(p, inv, col.dpids[i], 1100 + inv->next_send++,
                    PX_OF_ROLE_SLAVE, 7);
        }
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
                 .config_keys = inventory_keys, .init = inventory_init,
                 .fini = inventory_fini);
