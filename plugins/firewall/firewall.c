/*
 * firewall: IPv4 ACL rules from the configuration, installed as flows on
 * every switch, like Ryu's rest_firewall without the REST part.
 *
 * Each rule of the 'rules' key (syntax in fw_rules.h) becomes one flow in
 * table 0 at the rule's priority: a deny rule's flow has no actions (the
 * switch drops what it matches), an allow rule's outputs to NORMAL, the
 * switch's own L2 forwarding, as rest_firewall's ALLOW does.  With
 * default_policy = allow a flow of priority 1 that matches everything
 * outputs to NORMAL too; with none, traffic no rule matches goes on to
 * whatever else is in the table: a forwarding plugin's flows (l2_learning's
 * at priority 100) or the table-miss flow (priority 0), so the firewall
 * sits above a forwarding app.
 *
 * The flows go to every switch that comes up (openflow.switch_up), and in
 * init to every switch connected before (openflow.inventory), so a
 * firewall enabled or changed by a reload, and a switch that reconnects,
 * get the rule set at once.  Every flow_mod has a reply_to: the switch's
 * ERROR for it is logged with the rule it refused.
 *
 * Every 'stats_interval' seconds each switch is asked for its firewall
 * flows (openflow.stats FLOW, filtered by the cookie tag under a cookie
 * mask on OpenFlow 1.3; 1.0 has no cookie mask, so all flows are asked
 * for and sorted here).  The reply gives each rule's packet and byte
 * counts, reported at stats.collect from the last completed poll; it also
 * keeps the switch in line with the rule set: a firewall flow of another
 * rule set (an earlier configuration's, found by its cookie's fingerprint)
 * is deleted, and a rule whose flow is missing (deleted by hand, or
 * refused) is installed again.  The same poll is sent right after a
 * switch gets its flows, so a changed rule set replaces the old one
 * without a moment in which neither is installed.
 *
 * Unloading the plugin leaves its flows in the switches (a firewall that
 * vanished on shutdown would open the network); an empty 'rules' with
 * default_policy = none, reloaded, removes them all.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_rules.h"
#include "plexus/hash.h"
#include "plexus/hmap.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"

#define FW_VERSION "1.0.0"

/* Request ids: the kind in the top byte, below it a rule number (flow
 * mods), a sequence number (deletes) or a sequence number and the
 * switch's OpenFlow version in the low byte (polls). */
#define FW_REQ_RULE      1ull
#define FW_REQ_POLL      2ull
#define FW_REQ_DELETE    3ull
#define FW_REQ_INVENTORY 4ull
#define FW_REQ(KIND, N)  ((KIND) << 56 | ((N)&0x00ffffffffffffffull))
#define FW_REQ_KIND(ID)  ((ID) >> 56)
#define FW_REQ_N(ID)     ((ID)&0x00ffffffffffffffull)

/* One rule's counts on one switch, from the last completed poll. */
struct fw_count {
    uint64_t packets;
    uint64_t bytes;
    int seen; /* Its flow was in the reply. */
};

/* A switch the firewall tracks for its counters.  Allocated one by one. */
struct fw_switch {
    struct px_hmap_node node; /* In fw.switches, by px_hash_u64(dpid). */
    uint64_t dpid;
    uint8_t version;
    int poll_pending;        /* A poll is out; the next tick skips it. */
    int have_counts;         /* A poll completed since it came up. */
    struct fw_count *counts; /* By rule number, 0 the default flow. */
    double asked_at;         /* px_now() when the pending poll was asked. */
    double counts_at;        /* The same, for the poll 'counts' came from. */
    uint64_t polls;          /* Completed since it came up. */
};

struct fw {
    char reply_to[128];
    struct px_topic *t_flow_mod;
    struct px_topic *t_stats;
    struct px_topic *t_inventory;
    struct px_topic *t_stats_report;
    struct px_timer *timer;
    struct fw_ruleset rules;
    int default_allow;
    double interval;
    long long max_switches;
    struct px_hmap switches; /* Owns its struct fw_switch. */
    uint64_t next_seq;
    /* Counters, for the "firewall" report and the log at unload. */
    uint64_t flow_mods;     /* Queued for a switch. */
    uint64_t refused;       /* Refused by openflow (outcome). */
    uint64_t switch_errors; /* Refused by a switch (ERROR). */
    uint64_t stale_removed; /* Flows of another rule set deleted. */
    uint64_t restored;      /* Missing flows installed again. */
    uint64_t polls;         /* Completed. */
    uint64_t poll_failures; /* Refused, ERROR or GONE. */
    uint64_t untracked;     /* Switches past max_switches. */
    struct px_ratelimit rl;
};

static const struct px_config_key fw_keys[] = {
    {.key = "rules",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "rules separated by ';', each 'allow|deny [src=PREFIX] "
             "[dst=PREFIX] [proto=tcp|udp|icmp|any] [sport=PORT] "
             "[dport=PORT] [priority=N]'"},
    {.key = "default_policy",
     .type = PX_CONFIG_STRING,
     .default_value = "none",
     .choices = "allow|none",
     .help = "allow: a priority-1 flow sends what no rule matched to "
             "NORMAL; none: it goes on to other plugins' flows"},
    {.key = "priority",
     .type = PX_CONFIG_INT,
     .default_value = "1000",
     .min = FW_MIN_PRIORITY,
     .max = 65535,
     .help = "priority of the first rule without priority=; the next "
             "such rule gets one less, and so on"},
    {.key = "stats_interval",
     .type = PX_CONFIG_DURATION,
     .default_value = "10",
     .min = 0.05,
     .max = 86400,
     .help = "seconds between polls of each switch's firewall flows"},
    {.key = "max_switches",
     .type = PX_CONFIG_INT,
     .default_value = "4096",
     .min = 1,
     .max = 1048576,
     .help = "switches whose counters are kept (all get the rules)"},
    {.key = NULL},
};

static struct fw_switch *
find_switch(const struct fw *fw, uint64_t dpid)
{
    struct fw_switch *sw;

    PX_HMAP_FOR_EACH_WITH_HASH (sw, node, px_hash_u64(dpid), &fw->switches) {
        if (sw->dpid == dpid) {
            break;
        }
    }
    return sw;
}

static void
free_switch(struct fw_switch *sw)
{
    if (sw) {
        free(sw->counts);
        free(sw);
    }
}

/* The entry of 'dpid', made afresh (a switch that came up again starts
 * with no counts), or NULL past max_switches or when memory is short. */
static struct fw_switch *
track_switch(struct fw *fw, uint64_t dpid, uint8_t version)
{
    struct fw_switch *sw = find_switch(fw, dpid);

    if (!sw) {
        if (px_hmap_count(&fw->switches) >= (size_t)fw->max_switches) {
            fw->untracked++;
            return NULL;
        }
        sw = calloc(1, sizeof *sw);
        if (!sw) {
            return NULL;
        }
        sw->counts = calloc(fw->rules.n + 1, sizeof *sw->counts);
        if (!sw->counts) {
            free(sw);
            return NULL;
        }
        sw->dpid = dpid;
        px_hmap_insert(&fw->switches, &sw->node, px_hash_u64(dpid));
    }
    sw->version = version;
    sw->have_counts = 0;
    /* A poll still out for the previous session ends GONE. */
    sw->poll_pending = 0;
    return sw;
}

static void
forget_switch(struct fw *fw, uint64_t dpid)
{
    struct fw_switch *sw = find_switch(fw, dpid);

    if (sw) {
        px_hmap_remove(&fw->switches, &sw->node);
        px_hmap_shrink(&fw->switches);
        free_switch(sw);
    }
}

/* The rule with 'number', or NULL for the default flow. */
static const struct fw_rule *
rule_of(const struct fw *fw, unsigned int number)
{
    return number ? &fw->rules.rules[number - 1] : NULL;
}

/* Whether a flow with rule number 'number' and this rule set's
 * fingerprint is one the rule set has. */
static int
is_current(const struct fw *fw, unsigned int number)
{
    return number ? number <= fw->rules.n : fw->default_allow;
}

/* Writes which flow rule 'number' is, for log lines. */
static void
describe(const struct fw *fw, unsigned int number, char *buf, size_t size)
{
    const struct fw_rule *r = rule_of(fw, number);

    if (r) {
        char text[160];

        fw_rule_format(r, text, sizeof text);
        snprintf(buf, size, "rule %u (%s)", number, text);
    } else {
        snprintf(buf, size, "the default policy's flow");
    }
}

/* Returns nonzero if openflow took the request 'what' for 'dpid'; else
 * counts and logs why not. */
static int
taken(struct px_plugin *p, struct fw *fw, const char *what, uint64_t dpid,
      const struct px_of_outcome *outcome)
{
    if (!outcome->code) {
        return 1;
    }
    fw->refused++;
    px_log_rl(p, &fw->rl, PX_LOG_WARN,
              "%s for switch %016" PRIx64 " not sent: %s", what, dpid,
              outcome->cause);
    return 0;
}

/* Installs the flow of rule 'number' (0: the default flow) on 'dpid'. */
static void
add_flow(struct px_plugin *p, struct fw *fw, uint64_t dpid,
         unsigned int number)
{
    const struct fw_rule *r = rule_of(fw, number);
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_action normal = {.type = PX_OF_ACTION_OUTPUT,
                                  .port = PX_OF_PORT_NORMAL};
    struct px_of_field fields[FW_MAX_FIELDS];
    struct px_of_flow_mod fm;
    char what[200];

    memset(&fm, 0, sizeof fm);
    fm.dpid = dpid;
    fm.command = PX_OF_FLOW_ADD;
    fm.priority = r ? r->priority : FW_DEFAULT_PRIORITY;
    fm.buffer_id = PX_OF_NO_BUFFER;
    fm.cookie = fw_cookie(fw->rules.fingerprint, number);
    fm.n_fields = r ? fw_rule_fields(r, fields) : 0;
    fm.fields = fields;
    if (!r || r->action == FW_ALLOW) {
        fm.n_actions = 1;
        fm.actions = &normal;
    }
    fm.outcome = &outcome;
    fm.reply_to = fw->reply_to;
    fm.request_id = FW_REQ(FW_REQ_RULE, number);
    px_publish(p, fw->t_flow_mod, &fm, sizeof fm);
    describe(fw, number, what, sizeof what);
    if (taken(p, fw, what, dpid, &outcome)) {
        fw->flow_mods++;
    }
}

/* Asks 'dpid' for its firewall flows. */
static void
poll_switch(struct px_plugin *p, struct fw *fw, uint64_t dpid, uint8_t version,
            struct fw_switch *sw)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_stats_request rq;

    memset(&rq, 0, sizeof rq);
    rq.dpid = dpid;
    rq.type = PX_OF_STATS_FLOW;
    rq.table_id = PX_OF_TABLE_ALL;
    if (version == PX_OF_VERSION_13) {
        rq.cookie = FW_COOKIE_TAG;
        rq.cookie_mask = FW_COOKIE_TAG_MASK;
    }
    rq.port_no = PX_OF_PORT_ANY;
    rq.reply_to = fw->reply_to;
    /* The version rides in the id: the reply must know how to delete,
     * also for a switch that is not tracked. */
    rq.request_id = FW_REQ(FW_REQ_POLL, fw->next_seq++ << 8 | version);
    rq.outcome = &outcome;
    px_publish(p, fw->t_stats, &rq, sizeof rq);
    if (taken(p, fw, "flow statistics request", dpid, &outcome)) {
        if (sw) {
            sw->poll_pending = 1;
            sw->asked_at = px_now(p);
        }
    } else {
        fw->poll_failures++;
    }
}

/* Gives 'dpid' the rule set, then polls it (which also removes the flows
 * of earlier rule sets). */
static void
install(struct px_plugin *p, struct fw *fw, uint64_t dpid, uint8_t version)
{
    struct fw_switch *sw = track_switch(fw, dpid, version);
    size_t i;

    if (fw->default_allow) {
        add_flow(p, fw, dpid, 0);
    }
    for (i = 1; i <= fw->rules.n; i++) {
        add_flow(p, fw, dpid, (unsigned int)i);
    }
    px_info(p, "switch %016" PRIx64 " (OpenFlow %s): %zu rules%s sent", dpid,
            version == PX_OF_VERSION_13 ? "1.3" : "1.0", fw->rules.n,
            fw->default_allow ? " and the default flow" : "");
    poll_switch(p, fw, dpid, version, sw);
}

/* Deletes flow 'f' of 'dpid', a firewall flow of another rule set. */
static void
delete_stale(struct px_plugin *p, struct fw *fw, uint64_t dpid,
             uint8_t version, const struct px_of_flow_stats *f)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_flow_mod fm;

    memset(&fm, 0, sizeof fm);
    fm.dpid = dpid;
    fm.buffer_id = PX_OF_NO_BUFFER;
    fm.table_id = PX_OF_TABLE_ALL;
    if (version == PX_OF_VERSION_13) {
        /* Every flow with exactly this cookie. */
        fm.command = PX_OF_FLOW_DELETE;
        fm.cookie = f->cookie;
        fm.cookie_mask = UINT64_MAX;
    } else {
        /* 1.0 has no cookie mask: this flow by its match and priority. */
        fm.command = PX_OF_FLOW_DELETE_STRICT;
        fm.priority = f->priority;
        fm.n_fields = f->n_match;
        fm.fields = f->match;
    }
    fm.outcome = &outcome;
    fm.reply_to = fw->reply_to;
    fm.request_id = FW_REQ(FW_REQ_DELETE, fw->next_seq++);
    px_publish(p, fw->t_flow_mod, &fm, sizeof fm);
    if (taken(p, fw, "delete of an old firewall flow", dpid, &outcome)) {
        fw->stale_removed++;
        px_info(p,
                "switch %016" PRIx64 ": removed a flow of an earlier rule "
                "set (cookie %#" PRIx64 ", priority %u)",
                dpid, f->cookie, f->priority);
    }
}

/* A poll's reply: counts, old flows removed, missing ones restored. */
static void
on_flows(struct px_plugin *p, struct fw *fw, uint64_t dpid, uint8_t version,
         const struct px_of_stats *st)
{
    struct fw_switch *sw = find_switch(fw, dpid);
    size_t i, n = fw->rules.n;
    unsigned char *seen = calloc(n + 1, 1);

    if (!seen) {
        return;
    }
    if (sw) {
        sw->poll_pending = 0;
        memset(sw->counts, 0, (n + 1) * sizeof *sw->counts);
    }
    for (i = 0; i < st->n; i++) {
        const struct px_of_flow_stats *f = &st->flows[i];
        unsigned int number;
        uint32_t fp;

        if (!fw_cookie_split(f->cookie, &fp, &number)) {
            continue; /* Another plugin's (1.0 asks for every flow). */
        }
        if (fp != fw->rules.fingerprint || !is_current(fw, number)) {
            delete_stale(p, fw, dpid, version, f);
            continue;
        }
        seen[number] = 1;
        if (sw) {
            sw->counts[number].packets += f->packet_count;
            sw->counts[number].bytes += f->byte_count;
            sw->counts[number].seen = 1;
        }
    }
    for (i = 0; i <= n; i++) {
        if (is_current(fw, (unsigned int)i) && !seen[i]) {
            char what[200];

            describe(fw, (unsigned int)i, what, sizeof what);
            px_log_rl(p, &fw->rl, PX_LOG_WARN,
                      "switch %016" PRIx64 " lacks the flow of %s: "
                      "installing it again",
                      dpid, what);
            fw->restored++;
            add_flow(p, fw, dpid, (unsigned int)i);
        }
    }
    free(seen);
    if (sw) {
        sw->have_counts = 1;
        sw->counts_at = sw->asked_at;
        sw->polls++;
    }
    fw->polls++;
}

static int
on_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;
    struct fw *fw = px_get_data(p);
    uint64_t kind;

    (void)arg;
    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    kind = FW_REQ_KIND(r->request_id);
    if (kind == FW_REQ_POLL) {
        if (r->type == PX_OF_REPLY_STATS &&
            r->stats->type == PX_OF_STATS_FLOW) {
            on_flows(p, fw, r->dpid, (uint8_t)(FW_REQ_N(r->request_id) & 0xff),
                     r->stats);
        } else {
            struct fw_switch *sw = find_switch(fw, r->dpid);

            if (sw) {
                sw->poll_pending = 0;
            }
            fw->poll_failures++;
            if (r->type == PX_OF_REPLY_ERROR) {
                px_log_rl(p, &fw->rl, PX_LOG_WARN,
                          "switch %016" PRIx64 " refused the flow "
                          "statistics request: error type %u code %u",
                          r->dpid, r->error->type, r->error->code);
            }
        }
    } else if ((kind == FW_REQ_RULE || kind == FW_REQ_DELETE) &&
               r->type == PX_OF_REPLY_ERROR) {
        char what[200];

        fw->switch_errors++;
        if (kind == FW_REQ_RULE && FW_REQ_N(r->request_id) <= fw->rules.n) {
            describe(fw, (unsigned int)FW_REQ_N(r->request_id), what,
                     sizeof what);
        } else {
            snprintf(what, sizeof what, "a delete of an old firewall flow");
        }
        px_log_rl(p, &fw->rl, PX_LOG_WARN,
                  "switch %016" PRIx64 " refused %s: error type %u code %u",
                  r->dpid, what, r->error->type, r->error->code);
    }
    return PX_EVENT_CONTINUE;
}

/* The switches openflow.inventory names during init, collected to be
 * given their flows once the inventory is over (not from inside its
 * replies). */
struct fw_found {
    uint64_t *dpids;
    uint8_t *versions;
    size_t n;
    size_t cap;
    int failed; /* Out of memory: some were not collected. */
};

static int
on_inventory_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;
    struct fw_found *found = arg;

    (void)p;
    if (ev->len < sizeof *r || r->type != PX_OF_REPLY_SWITCH ||
        FW_REQ_KIND(r->request_id) != FW_REQ_INVENTORY) {
        return PX_EVENT_CONTINUE;
    }
    if (found->n == found->cap) {
        size_t cap = found->cap ? found->cap * 2 : 16;
        uint64_t *d = realloc(found->dpids, cap * sizeof *d);
        uint8_t *v;

        if (!d) {
            found->failed = 1;
            return PX_EVENT_CONTINUE;
        }
        found->dpids = d;
        v = realloc(found->versions, cap * sizeof *v);
        if (!v) {
            found->failed = 1;
            return PX_EVENT_CONTINUE;
        }
        found->versions = v;
        found->cap = cap;
    }
    found->dpids[found->n] = r->dpid;
    found->versions[found->n++] = r->sw->version;
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
on_switch_down(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw) {
        forget_switch(px_get_data(p), sw->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static void
on_timer(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct fw *fw = arg;
    struct fw_switch *sw;

    (void)t;
    PX_HMAP_FOR_EACH (sw, node, &fw->switches) {
        if (!sw->poll_pending) {
            poll_switch(p, fw, sw->dpid, sw->version, sw);
        }
    }
}

static void
report_rule(struct px_plugin *p, struct fw *fw, uint64_t collect_id,
            const char *dpid, const struct fw_count *c, unsigned int number)
{
    const struct fw_rule *r = rule_of(fw, number);
    char num[16], text[160];
    const struct px_stats_label keys[] = {
        {.name = "switch", .value = dpid},
        {.name = "rule", .value = num},
    };
    const struct px_stats_field fields[] = {
        PX_STATS_COUNTER_FIELD("packets",
                               "Packets the rule's flow matched (from the "
                               "switch's flow statistics)",
                               c->packets),
        PX_STATS_COUNTER_FIELD("bytes", "Bytes the rule's flow matched",
                               c->bytes),
        PX_STATS_TEXT_FIELD("action", "allow or deny",
                            !r || r->action == FW_ALLOW ? "allow" : "deny"),
        PX_STATS_TEXT_FIELD("text", "The rule, as the firewall read it", text),
    };

    if (r) {
        snprintf(num, sizeof num, "%u", number);
        fw_rule_format(r, text, sizeof text);
    } else {
        snprintf(num, sizeof num, "default");
        snprintf(text, sizeof text, "allow priority=%d", FW_DEFAULT_PRIORITY);
    }
    px_stats_publish(p, fw->t_stats_report, collect_id, "firewall_rule", keys,
                     2, fields, sizeof fields / sizeof fields[0]);
}

static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct fw *fw = px_get_data(p);
    const struct px_stats_collect *c = ev->payload;
    const struct fw_switch *sw;

    (void)arg;
    if (ev->len < sizeof *c) {
        return PX_EVENT_CONTINUE;
    }
    PX_HMAP_FOR_EACH (sw, node, &fw->switches) {
        char dpid[17];
        size_t i;

        if (!sw->have_counts) {
            continue;
        }
        snprintf(dpid, sizeof dpid, "%016" PRIx64, sw->dpid);
        for (i = 0; i <= fw->rules.n; i++) {
            if (is_current(fw, (unsigned int)i)) {
                report_rule(p, fw, c->id, dpid, &sw->counts[i],
                            (unsigned int)i);
            }
        }
        {
            const struct px_stats_label key = {.name = "switch",
                                               .value = dpid};
            const struct px_stats_field fields[] = {
                PX_STATS_COUNTER_FIELD("polls",
                                       "Polls of the switch's firewall flows "
                                       "completed since it came up",
                                       sw->polls),
                PX_STATS_GAUGE_FIELD("polled_at_seconds",
                                     "When the poll the rule counters come "
                                     "from was asked (Unix time)",
                                     sw->counts_at),
            };

            px_stats_publish(p, fw->t_stats_report, c->id, "firewall_switch",
                             &key, 1, fields,
                             sizeof fields / sizeof fields[0]);
        }
    }
    {
        struct px_stats_field fields[] = {
            PX_STATS_GAUGE_FIELD("rules", "Rules in the rule set",
                                 fw->rules.n),
            PX_STATS_GAUGE_FIELD("switches", "Switches tracked",
                                 px_hmap_count(&fw->switches)),
            PX_STATS_COUNTER_FIELD("flow_mods",
                                   "Flows sent to switches (rules, the "
                                   "default flow, restored ones)",
                                   fw->flow_mods),
            PX_STATS_COUNTER_FIELD("requests_refused",
                                   "Requests openflow did not send (the "
                                   "log says why)",
                                   fw->refused),
            PX_STATS_COUNTER_FIELD("switch_errors",
                                   "Flow-mods a switch answered with an "
                                   "ERROR (the log names the rule)",
                                   fw->switch_errors),
            PX_STATS_COUNTER_FIELD("stale_flows_removed",
                                   "Firewall flows of an earlier rule set "
                                   "deleted",
                                   fw->stale_removed),
            PX_STATS_COUNTER_FIELD("flows_restored",
                                   "Rule flows found missing in a switch "
                                   "and installed again",
                                   fw->restored),
            PX_STATS_COUNTER_FIELD("polls", "Flow statistics replies read",
                                   fw->polls),
            PX_STATS_COUNTER_FIELD("poll_failures",
                                   "Flow statistics requests refused, "
                                   "answered with an ERROR or cut short",
                                   fw->poll_failures),
            PX_STATS_COUNTER_FIELD("switches_untracked",
                                   "Switches past max_switches: given the "
                                   "rules, not polled",
                                   fw->untracked),
        };

        px_stats_publish(p, fw->t_stats_report, c->id, "firewall", NULL, 0,
                         fields, sizeof fields / sizeof fields[0]);
    }
    return PX_EVENT_CONTINUE;
}

static void
fw_free(struct fw *fw)
{
    struct fw_switch *sw;

    if (!fw) {
        return;
    }
    PX_HMAP_FOR_EACH_SAFE (sw, node, &fw->switches) {
        free_switch(sw);
    }
    px_hmap_destroy(&fw->switches);
    fw_ruleset_destroy(&fw->rules);
    free(fw);
}

/* Reads the configuration into 'fw'; a bad rule is logged, named. */
static int
read_config(struct px_plugin *p, struct fw *fw)
{
    const char *rules, *policy;
    long long top;
    char err[512];
    int error;

    if ((error = px_config_string(p, "rules", &rules)) ||
        (error = px_config_string(p, "default_policy", &policy)) ||
        (error = px_config_int(p, "priority", &top)) ||
        (error = px_config_double(p, "stats_interval", &fw->interval)) ||
        (error = px_config_int(p, "max_switches", &fw->max_switches))) {
        return error;
    }
    fw->default_allow = !strcmp(policy, "allow");
    error =
        fw_rules_parse(rules, (unsigned int)top, &fw->rules, err, sizeof err);
    if (error == EINVAL) {
        px_error(p, "rules: %s", err);
    }
    return error;
}

static int
fw_init(struct px_plugin *p)
{
    struct fw *fw = calloc(1, sizeof *fw);
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct fw_found found = {.n = 0};
    struct px_of_inventory req;
    struct px_sub *collector = NULL;
    size_t i;
    int error;

    if (!fw) {
        return ENOMEM;
    }
    fw->rl = rl;
    px_hmap_init(&fw->switches);
    px_set_data(p, fw);
    snprintf(fw->reply_to, sizeof fw->reply_to, "%s.openflow",
             px_instance_name(p));
    if ((error = read_config(p, fw)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_FLOW_MOD, PX_TOPIC_OF_VERSION,
                                  &fw->t_flow_mod)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_STATS, PX_TOPIC_OF_VERSION,
                                  &fw->t_stats)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &fw->t_inventory)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &fw->t_stats_report)) ||
        (error = px_subscribe(p, fw->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, NULL, NULL)) ||
        (error = px_subscribe(p, fw->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_inventory_reply, &found,
                              &collector)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_down, NULL, NULL)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL)) ||
        (error = px_timer_start(p, fw->interval, fw->interval, on_timer, fw,
                                &fw->timer))) {
        px_set_data(p, NULL);
        fw_free(fw);
        return error;
    }
    px_info(p,
            "%zu rules (fingerprint %08" PRIx32 "), default policy %s, "
            "polled every %.3g s",
            fw->rules.n, fw->rules.fingerprint,
            fw->default_allow ? "allow" : "none", fw->interval);
    for (i = 0; i < fw->rules.n; i++) {
        char what[200];

        describe(fw, (unsigned int)i + 1, what, sizeof what);
        px_info(p, "%s", what);
    }

    /* The switches that connected before this generation. */
    req = (struct px_of_inventory){
        .reply_to = fw->reply_to,
        .request_id = FW_REQ(FW_REQ_INVENTORY, 0),
        .outcome = &outcome,
    };
    px_publish(p, fw->t_inventory, &req, sizeof req);
    px_unsubscribe(p, collector);
    if (found.failed) {
        /* Refused rather than leave a switch without its rules. */
        px_error(p, "out of memory collecting the connected switches");
        free(found.dpids);
        free(found.versions);
        px_set_data(p, NULL);
        fw_free(fw);
        return ENOMEM;
    }
    for (i = 0; i < found.n; i++) {
        install(p, fw, found.dpids[i], found.versions[i]);
    }
    if (found.n) {
        px_info(p, "rules sent to %zu switches connected before", found.n);
    }
    free(found.dpids);
    free(found.versions);
    return 0;
}

static void
fw_fini(struct px_plugin *p)
{
    struct fw *fw = px_get_data(p);

    if (!fw) {
        return;
    }
    px_info(p,
            "%" PRIu64 " flows sent, %" PRIu64 " refused by openflow, "
            "%" PRIu64 " by switches; %" PRIu64 " old flows removed, "
            "%" PRIu64 " restored",
            fw->flow_mods, fw->refused, fw->switch_errors, fw->stale_removed,
            fw->restored);
    fw_free(fw);
}

PX_PLUGIN_DEFINE(.name = "firewall", .version = FW_VERSION,
                 .description = "IPv4 ACL rules installed as flows on every "
                                "switch (like Ryu's rest_firewall)",
                 .config_keys = fw_keys, .init = fw_init, .fini = fw_fini);
