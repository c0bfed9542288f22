/*
 * sharer: a test plugin that shares one topic with the cluster
 * (cluster.share, <plexus/topics/cluster.h>) the way a third-party plugin
 * would, so that the integration tests can watch events cross instances.
 *
 * It shares "test.shared" at init and again on cluster.started, and
 * registers two commands:
 *   share-send TEXT   publishes TEXT on test.shared (origin NULL: ours);
 *   share-log         lists every event it received on test.shared, one
 *                     per line: "ORIGIN TEXT", ORIGIN "-" for its own.
 * Without the cluster plugin its events stay here, which the log shows
 * too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/plugin.h"
#include "plexus/topics/cluster.h"

#define TOPIC   "test.shared"
#define LOG_MAX 64

struct sharer {
    struct px_topic *t_shared, *t_share;
    char log[LOG_MAX][160];
    size_t n_log;
    unsigned shares;
};

static void
share(struct px_plugin *p, struct sharer *s)
{
    struct px_cluster_share sh = {.topic = TOPIC};

    s->shares++;
    px_publish(p, s->t_share, &sh, sizeof sh);
}

static int
on_started(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    (void)ev, (void)arg;
    share(p, px_get_data(p));
    return PX_EVENT_CONTINUE;
}

static int
on_shared(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct sharer *s = px_get_data(p);
    const struct px_cluster_event *ce = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *ce && s->n_log < LOG_MAX) {
        snprintf(s->log[s->n_log++], sizeof s->log[0], "%s %.*s",
                 ce->origin ? ce->origin : "-",
                 (int)(ce->len > 120 ? 120 : ce->len), (const char *)ce->data);
    }
    return PX_EVENT_CONTINUE;
}

static int
cmd_send(struct px_plugin *p, int argc, const char *const *argv,
         struct px_reply *r, void *arg)
{
    struct sharer *s = arg;
    struct px_cluster_event ce = {NULL, argv[1], strlen(argv[1])};

    (void)argc;
    px_publish(p, s->t_shared, &ce, sizeof ce);
    px_reply_printf(r, "sent\n");
    return 0;
}

static int
cmd_log(struct px_plugin *p, int argc, const char *const *argv,
        struct px_reply *r, void *arg)
{
    struct sharer *s = arg;

    (void)p, (void)argc, (void)argv;
    for (size_t i = 0; i < s->n_log; i++) {
        px_reply_printf(r, "%s\n", s->log[i]);
    }
    px_reply_printf(r, "shares %u\n", s->shares);
    return 0;
}

static int
sharer_init(struct px_plugin *p)
{
    struct sharer *s = calloc(1, sizeof *s);
    int error;

    if (!s) {
        return ENOMEM;
    }
    px_set_data(p, s);
    if ((error = px_topic_declare(p, TOPIC, PX_TOPIC_CLUSTER_VERSION,
                                  &s->t_shared)) ||
        (error = px_topic_declare(p, PX_TOPIC_CLUSTER_SHARE,
                                  PX_TOPIC_CLUSTER_VERSION, &s->t_share)) ||
        (error = px_subscribe(p, TOPIC, PX_TOPIC_CLUSTER_VERSION,
                              PX_PRIO_DEFAULT, on_shared, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_CLUSTER_STARTED,
                              PX_TOPIC_CLUSTER_VERSION, PX_PRIO_DEFAULT,
                              on_started, NULL, NULL)) ||
        (error = px_command_register(p, "share-send", "TEXT",
                                     "Publish TEXT on test.shared", 1, 1,
                                     cmd_send, s, NULL)) ||
        (error = px_command_register(p, "share-log", "",
                                     "What came on test.shared", 0, 0, cmd_log,
                                     s, NULL))) {
        free(s);
        px_set_data(p, NULL);
        return error;
    }
    share(p, s);
    return 0;
}

static void
sharer_fini(struct px_plugin *p)
{
    free(px_get_data(p));
    px_set_data(p, NULL);
}

PX_PLUGIN_DEFINE(.name = "sharer", .version = "1.0",
                 .description = "test: a topic shared with the cluster",
                 .init = sharer_init, .fini = sharer_fini);
