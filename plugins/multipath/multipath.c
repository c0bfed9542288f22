/*
 * multipath: static forwarding rules from the configuration, spreading
 * traffic over several ports with OpenFlow 1.3 SELECT groups; the SDK's
 * sample of groups, as simple_switch_13 is its sample of packet-ins.
 *
 * Its one rule key ('rules', parsed by mp_rules.c) says, per switch, where
 * traffic that comes in on a port goes out.  A rule with one out port is
 * a flow (match in_port, output); a rule with several is a SELECT group
 * with one bucket per port (equal weights, each watching its port, so a
 * switch that tracks liveness stops choosing a port that is down) and a
 * flow to the group: the switch hashes each flow's headers to choose a
 * bucket, so distinct connections take distinct paths while each one
 * keeps its own.
 *
 * Rules are installed on every switch whose datapath id they name: in
 * init on the switches already connected (openflow.inventory), so a
 * plugin enabled or reloaded after they came up behaves the same, and on
 * every openflow.switch_up, so a switch that reconnects gets them again.
 * Each group_mod and flow_mod has a reply_to: the switch's ERROR for one
 * is logged with the rule, and the rule counts as installed when its
 * flow is answered OK.  A group the switch already has (it kept its
 * tables across a reconnection or a reload of this plugin) is refused by
 * the switch as GROUP_EXISTS: the group is then modified to the rule's
 * buckets, so that the traffic through it never stops.
 *
 * An OpenFlow 1.0 switch has no groups: its rules with one out port are
 * installed, the others are counted as refused and logged once per
 * connection.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp_rules.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"

#define MP_VERSION "1.0.0"

/* The switch's ERROR for a group_mod ADD of a group it already has
 * (OpenFlow 1.3's OFPET_GROUP_MOD_FAILED, OFPGMFC_GROUP_EXISTS). */
#define MP_ERR_GROUP_MOD_FAILED 6
#define MP_ERR_GROUP_EXISTS     0

/* A request's id is its rule's index times MP_KINDS plus what it asked;
 * the inventory's is one no rule has. */
enum mp_kind { MP_GROUP_ADD, MP_GROUP_MODIFY, MP_FLOW, MP_KINDS };
#define MP_INVENTORY_ID UINT64_MAX

/* One switch the rules name, with its counters.  They count from this
 * plugin's load: a reload starts them over, as the rules may have
 * changed. */
struct mp_switch {
    uint64_t dpid;
    size_t n_rules;     /* Rules for it in the configuration. */
    uint64_t installed; /* Rules whose flow the switch answered OK. */
    uint64_t refused;   /* Requests openflow or the switch refused. */
    /* During the inventory in init: the switch is connected, with this
     * OpenFlow version (0: not connected). */
    uint8_t inventory_version;
};

struct mp {
    char reply_to[128];
    struct px_topic *t_flow_mod;
    struct px_topic *t_group_mod;
    struct px_topic *t_inventory;
    struct px_topic *t_stats_report;
    long long priority;
    long long cookie;
    char *text;            /* The 'rules' value, which rules quote. */
    struct mp_rule *rules; /* n_rules of them. */
    size_t n_rules;
    struct mp_switch *sws; /* One per datapath id the rules name. */
    size_t n_sws;
    struct px_ratelimit rl; /* For refusals. */
};

static const struct px_config_key mp_keys[] = {
    {.key = "rules",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "forwarding rules: DPID:IN_PORT>OUT[,OUT...] separated by ';' "
             "(several out ports: a SELECT group over them)"},
    {.key = "priority",
     .type = PX_CONFIG_INT,
     .default_value = "10",
     .min = 1,
     .max = 65535,
     .help = "priority of the rules' flows"},
    {.key = "cookie",
     .type = PX_CONFIG_INT,
     .default_value = "0",
     .min = 0,
     .max = 9007199254740991.0, /* 2^53 - 1: exact in the schema's double. */
     .help = "cookie of the rules' flows"},
    {.key = NULL},
};

static struct mp_switch *
find_switch(struct mp *mp, uint64_t dpid)
{
    size_t i;

    for (i = 0; i < mp->n_sws; i++) {
        if (mp->sws[i].dpid == dpid) {
            return &mp->sws[i];
        }
    }
    return NULL;
}

/* Rule 'i''s text, for a log line: "%.*s". */
#define MP_RULE_TEXT(MP, I)                                                   \
    (int)(MP)->rules[I].text_len, (MP)->text + (MP)->rules[I].text_offset

static const char *
kind_name(enum mp_kind kind)
{
    return kind == MP_FLOW ? "flow_mod" : "group_mod";
}

/* Counts and logs a request for rule 'i' that openflow did not send. */
static void
check_outcome(struct px_plugin *p, struct mp *mp, struct mp_switch *sw,
              size_t i, enum mp_kind kind, const struct px_of_outcome *o)
{
    if (!o->code) {
        return;
    }
    sw->refused++;
    px_log_rl(p, &mp->rl, PX_LOG_WARN,
              "switch %016" PRIx64 ": rule '%.*s': %s not sent: %s", sw->dpid,
              MP_RULE_TEXT(mp, i), kind_name(kind), o->cause);
}

/* Adds (or, with 'command' PX_OF_GROUP_MODIFY, sets) rule 'i''s group: id
 * the in port, SELECT, a bucket of weight 1 for each out port. */
static void
send_group(struct px_plugin *p, struct mp *mp, struct mp_switch *sw, size_t i,
           uint16_t command)
{
    const struct mp_rule *r = &mp->rules[i];
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_action out[MP_MAX_OUT];
    struct px_of_bucket buckets[MP_MAX_OUT];
    struct px_of_group_mod gm;
    uint32_t k;

    memset(out, 0, sizeof out);
    memset(buckets, 0, sizeof buckets);
    for (k = 0; k < r->n_out; k++) {
        out[k].type = PX_OF_ACTION_OUTPUT;
        out[k].port = r->out[k];
        buckets[k].weight = 1;
        buckets[k].watch_port = r->out[k];
        buckets[k].watch_group = PX_OF_GROUP_ANY;
        buckets[k].n_actions = 1;
        buckets[k].actions = &out[k];
    }
    memset(&gm, 0, sizeof gm);
    gm.dpid = sw->dpid;
    gm.command = command;
    gm.type = PX_OF_GROUP_SELECT;
    gm.group_id = r->in_port;
    gm.n_buckets = r->n_out;
    gm.buckets = buckets;
    gm.outcome = &outcome;
    gm.reply_to = mp->reply_to;
    gm.request_id =
        i * MP_KINDS +
        (command == PX_OF_GROUP_ADD ? MP_GROUP_ADD : MP_GROUP_MODIFY);
    px_publish(p, mp->t_group_mod, &gm, sizeof gm);
    check_outcome(p, mp, sw, i, MP_GROUP_ADD, &outcome);
}

/* Rule 'i''s flow: in_port, to its one out port or to its group. */
static void
send_flow(struct px_plugin *p, struct mp *mp, struct mp_switch *sw, size_t i)
{
    const struct mp_rule *r = &mp->rules[i];
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_field in_port = px_of_field_u64(PX_OF_F_IN_PORT, r->in_port);
    struct px_of_action action;
    struct px_of_instruction apply;
    struct px_of_flow_mod fm;

    memset(&action, 0, sizeof action);
    if (r->n_out == 1) {
        action.type = PX_OF_ACTION_OUTPUT;
        action.port = r->out[0];
    } else {
        action.type = PX_OF_ACTION_GROUP;
        action.arg = r->in_port;
    }
    memset(&apply, 0, sizeof apply);
    apply.type = PX_OF_INSTR_APPLY_ACTIONS;
    apply.n_actions = 1;
    apply.actions = &action;
    memset(&fm, 0, sizeof fm);
    fm.dpid = sw->dpid;
    fm.command = PX_OF_FLOW_ADD;
    fm.priority = (uint16_t)mp->priority;
    fm.cookie = (uint64_t)mp->cookie;
    fm.buffer_id = PX_OF_NO_BUFFER;
    fm.n_fields = 1;
    fm.fields = &in_port;
    fm.n_instructions = 1;
    fm.instructions = &apply;
    fm.outcome = &outcome;
    fm.reply_to = mp->reply_to;
    fm.request_id = i * MP_KINDS + MP_FLOW;
    px_publish(p, mp->t_flow_mod, &fm, sizeof fm);
    check_outcome(p, mp, sw, i, MP_FLOW, &outcome);
}

/* Installs every rule of switch 'dpid', which speaks 'version'. */
static void
install(struct px_plugin *p, struct mp *mp, uint64_t dpid, uint8_t version)
{
    struct mp_switch *sw = find_switch(mp, dpid);
    size_t i, no_groups = 0;

    if (!sw) {
        px_debug(p, "switch %016" PRIx64 ": no rules", dpid);
        return;
    }
    for (i = 0; i < mp->n_rules; i++) {
        if (mp->rules[i].dpid != dpid) {
            continue;
        }
        if (mp->rules[i].n_out > 1) {
            if (version != PX_OF_VERSION_13) {
                no_groups++;
                continue;
            }
            /* The group first: a flow to a group the switch does not have
             * is refused. */
            send_group(p, mp, sw, i, PX_OF_GROUP_ADD);
        }
        send_flow(p, mp, sw, i);
    }
    if (no_groups) {
        sw->refused += no_groups;
        px_warn(p,
                "switch %016" PRIx64 " speaks OpenFlow 1.0, which has no "
                "groups: %zu of its %zu rules (those with several out ports) "
                "not installed",
                dpid, no_groups, sw->n_rules);
    }
    px_info(p, "switch %016" PRIx64 ": installing %zu rules", dpid,
            sw->n_rules - no_groups);
}

static int
on_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct mp *mp = px_get_data(p);
    const struct px_of_reply *r = ev->payload;
    struct mp_switch *sw;
    enum mp_kind kind;
    size_t i;

    (void)arg;
    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    if (r->request_id == MP_INVENTORY_ID) {
        /* Noted now, installed once the inventory is over: init does not
         * publish requests from inside the inventory's replies. */
        if (r->type == PX_OF_REPLY_SWITCH && (sw = find_switch(mp, r->dpid))) {
            sw->inventory_version = r->sw->version;
        }
        return PX_EVENT_CONTINUE;
    }
    i = (size_t)(r->request_id / MP_KINDS);
    kind = (enum mp_kind)(r->request_id % MP_KINDS);
    if (i >= mp->n_rules || !(sw = find_switch(mp, mp->rules[i].dpid))) {
        return PX_EVENT_CONTINUE;
    }
    switch (r->type) {
    case PX_OF_REPLY_OK:
        if (kind == MP_FLOW) {
            sw->installed++;
            px_info(p, "switch %016" PRIx64 ": rule '%.*s' installed",
                    sw->dpid, MP_RULE_TEXT(mp, i));
        }
        break;
    case PX_OF_REPLY_ERROR:
        if (kind == MP_GROUP_ADD &&
            r->error->type == MP_ERR_GROUP_MOD_FAILED &&
            r->error->code == MP_ERR_GROUP_EXISTS) {
            px_info(p,
                    "switch %016" PRIx64 ": rule '%.*s': group %" PRIu32
                    " exists, modifying it",
                    sw->dpid, MP_RULE_TEXT(mp, i), mp->rules[i].in_port);
            send_group(p, mp, sw, i, PX_OF_GROUP_MODIFY);
            break;
        }
        sw->refused++;
        px_log_rl(p, &mp->rl, PX_LOG_WARN,
                  "switch %016" PRIx64 ": rule '%.*s': %s refused by the "
                  "switch: ERROR type %u code %u",
                  sw->dpid, MP_RULE_TEXT(mp, i), kind_name(kind),
                  r->error->type, r->error->code);
        break;
    case PX_OF_REPLY_GONE:
        /* Not a refusal: the rules go again with the next switch_up. */
        px_info(p, "switch %016" PRIx64 ": rule '%.*s': %s unanswered: %s",
                sw->dpid, MP_RULE_TEXT(mp, i), kind_name(kind), r->cause);
        break;
    default:
        break;
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw) {
        install(p, px_get_data(p), sw->dpid, sw->version);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct mp *mp = px_get_data(p);
    const struct px_stats_collect *c = ev->payload;
    size_t i;

    (void)arg;
    if (ev->len < sizeof *c) {
        return PX_EVENT_CONTINUE;
    }
    for (i = 0; i < mp->n_sws; i++) {
        const struct mp_switch *sw = &mp->sws[i];
        struct px_stats_field fields[] = {
            PX_STATS_GAUGE_FIELD("rules",
                                 "Rules for the switch in the "
                                 "configuration",
                                 sw->n_rules),
            PX_STATS_COUNTER_FIELD("rules_installed",
                                   "Rules whose flow the switch confirmed "
                                   "(again at each reconnection)",
                                   sw->installed),
            PX_STATS_COUNTER_FIELD("requests_refused",
                                   "Group-mods and flow-mods that openflow "
                                   "or the switch refused (the log says "
                                   "why)",
                                   sw->refused),
        };
        char dpid[17];
        const struct px_stats_label key = {.name = "switch", .value = dpid};

        snprintf(dpid, sizeof dpid, "%016" PRIx64, sw->dpid);
        px_stats_publish(p, mp->t_stats_report, c->id, "multipath", &key, 1,
                         fields, sizeof fields / sizeof fields[0]);
    }
    return PX_EVENT_CONTINUE;
}

static void
mp_free(struct mp *mp)
{
    if (mp) {
        free(mp->text);
        free(mp->rules);
        free(mp->sws);
        free(mp);
    }
}

/* Parses 'rules' into mp->rules and lists the switches they name. */
static int
load_rules(struct px_plugin *p, struct mp *mp)
{
    const char *text;
    char err[256];
    size_t max, i;
    int error;

    if ((error = px_config_string(p, "rules", &text))) {
        return error;
    }
    if (!(mp->text = strdup(text))) {
        return ENOMEM;
    }
    max = mp_rules_count(mp->text);
    if (max > MP_MAX_RULES + 1) {
        max = MP_MAX_RULES + 1; /* Enough to tell "too many". */
    }
    mp->rules = calloc(max, sizeof *mp->rules);
    mp->sws = calloc(max, sizeof *mp->sws);
    if (!mp->rules || !mp->sws) {
        return ENOMEM;
    }
    if ((error = mp_rules_parse(mp->text, mp->rules, max, &mp->n_rules, err,
                                sizeof err))) {
        px_error(p, "rules: %s", err);
        return error;
    }
    for (i = 0; i < mp->n_rules; i++) {
        struct mp_switch *sw = find_switch(mp, mp->rules[i].dpid);

        if (!sw) {
            sw = &mp->sws[mp->n_sws++];
            sw->dpid = mp->rules[i].dpid;
        }
        sw->n_rules++;
    }
    return 0;
}

static int
mp_init(struct px_plugin *p)
{
    struct mp *mp = calloc(1, sizeof *mp);
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_inventory inv;
    size_t i;
    int error;

    if (!mp) {
        return ENOMEM;
    }
    mp->rl = rl;
    snprintf(mp->reply_to, sizeof mp->reply_to, "%s.openflow",
             px_instance_name(p));
    px_set_data(p, mp);
    if ((error = px_config_int(p, "priority", &mp->priority)) ||
        (error = px_config_int(p, "cookie", &mp->cookie)) ||
        (error = load_rules(p, mp)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_FLOW_MOD, PX_TOPIC_OF_VERSION,
                                  &mp->t_flow_mod)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_GROUP_MOD,
                                  PX_TOPIC_OF_VERSION, &mp->t_group_mod)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &mp->t_inventory)) ||
        (error = px_subscribe(p, mp->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &mp->t_stats_report)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL))) {
        px_set_data(p, NULL);
        mp_free(mp);
        return error;
    }
    if (!mp->n_rules) {
        px_warn(p, "no rules: nothing to install");
    }
    px_info(p, "%zu rules for %zu switches, flows at priority %lld",
            mp->n_rules, mp->n_sws, mp->priority);
    /* The switches that came up before this plugin: they get their rules
     * now, as later ones will on switch_up. */
    inv = (struct px_of_inventory){.reply_to = mp->reply_to,
                                   .request_id = MP_INVENTORY_ID,
                                   .outcome = &outcome};
    px_publish(p, mp->t_inventory, &inv, sizeof inv);
    if (outcome.code) {
        px_warn(p, "the switches already connected are not known: %s",
                outcome.cause);
    }
    for (i = 0; i < mp->n_sws; i++) {
        if (mp->sws[i].inventory_version) {
            install(p, mp, mp->sws[i].dpid, mp->sws[i].inventory_version);
        }
    }
    return 0;
}

static void
mp_fini(struct px_plugin *p)
{
    mp_free(px_get_data(p));
}

PX_PLUGIN_DEFINE(.name = "multipath", .version = MP_VERSION,
                 .description = "static forwarding rules, spread over "
                                "several ports with OpenFlow 1.3 SELECT "
                                "groups",
                 .config_keys = mp_keys, .init = mp_init, .fini = mp_fini);
