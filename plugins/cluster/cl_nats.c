/*
 * The cluster's connection to NATS (see cl_nats.h for why it is threads).
 */
#include "cl_nats.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

/* A write waiting for the worker. */
struct wreq {
    struct wreq *next;
    struct cl_write w;
};

struct cl_nats {
    char *urls, *bucket, *name, *subjects;
    int replicas;
    int64_t timeout_ms;
    size_t max_events, max_writes;

    int efd;
    bool locks; /* mu and cond are initialised. */
    pthread_mutex_t mu;
    pthread_cond_t cond; /* Writes queued, or stopping. */
    struct cl_nats_event *ev_head, **ev_tail;
    size_t n_events;
    struct wreq *w_head, **w_tail;
    size_t n_writes;
    atomic_bool stopping;
    atomic_bool resync; /* Events were dropped: watch from the start. */
    /* Monotonic seconds of the first write the bucket took since the
     * watcher last gave an entry (0: none): a watcher that misses our own
     * writes for a second is stale (its consumer was lost with the
     * servers) and starts over. */
    _Atomic double unseen_write;

    pthread_t worker, watcher;
    bool worker_started, watcher_started;
    natsConnection *_Atomic nc; /* Set once connected, until stop. */
    jsCtx *js;
    kvStore *_Atomic kv;
    kvWatcher *_Atomic w;
    natsSubscription *sub;

    struct cl_nats_counters c;
};

static double
mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
wake(struct cl_nats *n)
{
    uint64_t one = 1;

    if (write(n->efd, &one, sizeof one) < 0) {
        /* The counter is full only if nobody reads: nothing to do. */
    }
}

/* Queues 'e' (taken) for the loop; drops it if the queue is full, and
 * then has the watcher replay the bucket, since an entry may be lost. */
static void
push(struct cl_nats *n, struct cl_nats_event *e)
{
    bool must_keep = e->type == CL_NATS_WRITTEN;

    pthread_mutex_lock(&n->mu);
    /* A write's end is never dropped: the state waits for it. */
    if (n->n_events >= n->max_events && !must_keep) {
        n->c.events_dropped++;
        pthread_mutex_unlock(&n->mu);
        if (e->type == CL_NATS_ENTRY || e->type == CL_NATS_SYNCED) {
            atomic_store(&n->resync, true);
        }
        cl_nats_event_free(e);
        return;
    }
    e->next = NULL;
    *n->ev_tail = e;
    n->ev_tail = &e->next;
    n->n_events++;
    pthread_mutex_unlock(&n->mu);
    wake(n);
}

static struct cl_nats_event *
event_new(enum cl_nats_event_type type, const void *data, size_t len)
{
    struct cl_nats_event *e = calloc(1, sizeof *e);

    if (!e) {
        return NULL;
    }
    e->type = type;
    if (data) {
        e->data = malloc(len + 1);
        if (!e->data) {
            free(e);
            return NULL;
        }
        memcpy(e->data, data, len);
        e->data[len] = '\0';
        e->len = len;
    }
    return e;
}

static void notice(struct cl_nats *n, bool warn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
notice(struct cl_nats *n, bool warn, const char *fmt, ...)
{
    char text[512];
    struct cl_nats_event *e;
    va_list args;
    int len;

    va_start(args, fmt);
    len = vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    if (len < 0) {
        return;
    }
    e = event_new(CL_NATS_NOTICE, text, strlen(text));
    if (e) {
        e->warn = warn;
        push(n, e);
    }
}

static void
push_simple(struct cl_nats *n, enum cl_nats_event_type type)
{
    struct cl_nats_event *e = event_new(type, NULL, 0);

    if (e) {
        push(n, e);
    }
}

void
cl_nats_event_free(struct cl_nats_event *e)
{
    if (e) {
        free(e->data);
        free(e);
    }
}

/* Sleeps up to 'ms' unless stopping. */
static void
pause_ms(struct cl_nats *n, int ms)
{
    struct timespec ts;

    pthread_mutex_lock(&n->mu);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += (long)ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    while (!atomic_load(&n->stopping) &&
           pthread_cond_timedwait(&n->cond, &n->mu, &ts) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&n->mu);
}

/* ---------------------------------------------------------------------- */
/* libnats callbacks (on its threads). */

static void
on_disconnected(natsConnection *nc, void *arg)
{
    struct cl_nats *n = arg;

    (void)nc;
    pthread_mutex_lock(&n->mu);
    n->c.disconnects++;
    pthread_mutex_unlock(&n->mu);
    push_simple(n, CL_NATS_DOWN);
}

static void
on_reconnected(natsConnection *nc, void *arg)
{
    struct cl_nats *n = arg;
    char url[256] = "";

    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    /* The watcher is not started over here: libnats resets its ordered
     * consumer itself after a reconnect, and destroying the watcher while
     * it does races with it.  If the consumer did not survive, the
     * watcher misses our next heartbeat and watcher_main starts over a
     * second later. */
    pthread_mutex_lock(&n->mu);
    n->c.reconnects++;
    pthread_mutex_unlock(&n->mu);
    notice(n, false, "reconnected to NATS at %s", url);
    push_simple(n, CL_NATS_UP);
}

static void
on_message(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
    struct cl_nats *n = arg;
    struct cl_nats_event *e;

    (void)nc;
    (void)sub;
    e = event_new(CL_NATS_MESSAGE, natsMsg_GetData(msg),
                  (size_t)natsMsg_GetDataLength(msg));
    if (e) {
        snprintf(e->key, sizeof e->key, "%s", natsMsg_GetSubject(msg));
        pthread_mutex_lock(&n->mu);
        n->c.messages++;
        pthread_mutex_unlock(&n->mu);
        push(n, e);
    }
    natsMsg_Destroy(msg);
}

/* ---------------------------------------------------------------------- */
/* The watcher thread. */

static void *
watcher_main(void *arg)
{
    struct cl_nats *n = arg;
    kvWatcher *w = NULL;

    while (!atomic_load(&n->stopping)) {
        kvEntry *e = NULL;
        natsStatus s;

        if (w && atomic_exchange(&n->resync, false)) {
            atomic_store(&n->w, NULL);
            kvWatcher_Destroy(w);
            w = NULL;
            pthread_mutex_lock(&n->mu);
            n->c.watch_restarts++;
            pthread_mutex_unlock(&n->mu);
        }
        if (!w) {
            kvWatchOptions o;

            kvWatchOptions_Init(&o);
            s = kvStore_WatchAll(&w, atomic_load(&n->kv), &o);
            if (s != NATS_OK) {
                w = NULL;
                pause_ms(n, 250);
                continue;
            }
            atomic_store(&n->w, w);
            if (atomic_load(&n->stopping)) {
                break;
            }
        }
        s = kvWatcher_Next(&e, w, 250);
        if (s == NATS_TIMEOUT) {
            double written = atomic_load(&n->unseen_write);

            if (written > 0 && mono() - written > 1.0) {
                notice(n, true,
                       "bucket watcher missed our own write; "
                       "watching again");
                atomic_store(&n->resync, true);
                atomic_store(&n->unseen_write, 0.0);
            }
            continue;
        }
        if (s != NATS_OK) {
            /* Stopped, or the subscription broke: start over, which
             * replays every current value (the state ignores old
             * revisions). */
            if (!atomic_load(&n->stopping)) {
                notice(n, true, "bucket watcher: %s; watching again",
                       natsStatus_GetText(s));
                atomic_store(&n->resync, true);
            }
            continue;
        }
        if (!e) {
            push_simple(n, CL_NATS_SYNCED);
            continue;
        }
        {
            kvOperation op = kvEntry_Operation(e);
            struct cl_nats_event *ev = event_new(
                CL_NATS_ENTRY, op == kvOp_Put ? kvEntry_Value(e) : NULL,
                op == kvOp_Put ? (size_t)kvEntry_ValueLen(e) : 0);

            atomic_store(&n->unseen_write, 0.0);
            if (ev) {
                snprintf(ev->key, sizeof ev->key, "%s", kvEntry_Key(e));
                ev->rev = kvEntry_Revision(e);
                push(n, ev);
            } else {
                atomic_store(&n->resync, true);
            }
        }
        kvEntry_Destroy(e);
    }
    atomic_store(&n->w, NULL);
    kvWatcher_Destroy(w);
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* The worker thread. */

static natsStatus
connect_nats(struct cl_nats *n)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    natsStatus s;

    const char *urls[16];
    char *copy = strdup(n->urls), *save = NULL;
    int count = 0;

    if (!copy) {
        return NATS_NO_MEMORY;
    }
    for (char *u = strtok_r(copy, ", ", &save); u && count < 16;
         u = strtok_r(NULL, ", ", &save)) {
        urls[count++] = u;
    }
    s = natsOptions_Create(&o);
    if (s == NATS_OK) {
        /* Every server of the NATS cluster, tried in turn (SetURL takes
         * one). */
        s = count ? natsOptions_SetServers(o, urls, count) : NATS_INVALID_ARG;
    }
    if (s == NATS_OK) {
        s = natsOptions_SetName(o, n->name);
    }
    if (s == NATS_OK) {
        /* Reconnect for ever, quickly: a controller that lost NATS must be
         * back as soon as a server is. */
        s = natsOptions_SetMaxReconnect(o, -1);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetReconnectWait(o, 100);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetTimeout(o, 1000);
    }
    if (s == NATS_OK) {
        /* A hung server (SIGSTOP) is noticed within two seconds. */
        s = natsOptions_SetPingInterval(o, 1000);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetMaxPingsOut(o, 2);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetDisconnectedCB(o, on_disconnected, n);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetReconnectedCB(o, on_reconnected, n);
    }
    if (s == NATS_OK) {
        s = natsConnection_Connect(&nc, o);
    }
    natsOptions_Destroy(o);
    free(copy);
    if (s != NATS_OK) {
        return s;
    }
    atomic_store(&n->nc, nc);
    return NATS_OK;
}

static natsStatus
bind_bucket(struct cl_nats *n)
{
    jsOptions jo;
    kvConfig kc;
    kvStore *kv = NULL;
    natsStatus s;

    if (!n->js) {
        jsOptions_Init(&jo);
        jo.Wait = n->timeout_ms;
        s = natsConnection_JetStream(&n->js, atomic_load(&n->nc), &jo);
        if (s != NATS_OK) {
            return s;
        }
    }
    s = js_KeyValue(&kv, n->js, n->bucket);
    if (s == NATS_NOT_FOUND) {
        kvConfig_Init(&kc);
        kc.Bucket = n->bucket;
        kc.Description = "Plexus cluster: members and switch masters";
        kc.History = 1;
        /* No TTL: leases are timed by the members (cl_state.h), and a
         * record must outlive a NATS outage. */
        kc.TTL = 0;
        /* On disk, so that revisions (generation ids) keep growing after
         * every nats-server has restarted. */
        kc.StorageType = js_FileStorage;
        kc.Replicas = n->replicas;
        s = js_CreateKeyValue(&kv, n->js, &kc);
    }
    if (s == NATS_OK) {
        atomic_store(&n->kv, kv);
    }
    return s;
}

static void
do_write(struct cl_nats *n, const struct cl_write *w)
{
    struct cl_nats_event *e = event_new(CL_NATS_WRITTEN, NULL, 0);
    uint64_t rev = 0;
    natsStatus s;

    if (w->last) {
        s = kvStore_Update(&rev, atomic_load(&n->kv), w->key, w->value,
                           (int)w->len, w->last);
    } else {
        s = kvStore_Create(&rev, atomic_load(&n->kv), w->key, w->value,
                           (int)w->len);
    }
    if (!e) {
        return; /* Out of memory: the state will wait for ever. */
    }
    e->write_id = w->id;
    e->rev = rev;
    if (s == NATS_OK) {
        e->result = CL_WRITE_OK;
        double none = 0.0;

        atomic_compare_exchange_strong(&n->unseen_write, &none, mono());
    } else {
        const char *text = nats_GetLastError(NULL);

        /* JetStream's refusal of an expected last subject sequence: the
         * compare-and-set lost. */
        e->result = text && strstr(text, "wrong last sequence")
                        ? CL_WRITE_CONFLICT
                        : CL_WRITE_FAILED;
        if (e->result == CL_WRITE_FAILED) {
            snprintf(e->key, sizeof e->key, "%s", natsStatus_GetText(s));
        }
    }
    push(n, e);
}

static void *
worker_main(void *arg)
{
    struct cl_nats *n = arg;
    bool said = false;
    natsStatus s;

    /* Connect, then bind the bucket, each retried until it works. */
    while (!atomic_load(&n->stopping)) {
        s = atomic_load(&n->nc) ? NATS_OK : connect_nats(n);
        if (s == NATS_OK) {
            s = bind_bucket(n);
            if (s == NATS_OK) {
                break;
            }
        }
        if (!said) {
            notice(n, true, "NATS at %s: %s (%s); retrying", n->urls,
                   natsStatus_GetText(s), nats_GetLastError(NULL) ?: "");
            said = true;
        }
        pause_ms(n, 250);
    }
    if (atomic_load(&n->stopping)) {
        return NULL;
    }
    {
        char url[256] = "";

        natsConnection_GetConnectedUrl(atomic_load(&n->nc), url, sizeof url);
        notice(n, false, "connected to NATS at %s, bucket %s", url, n->bucket);
    }
    if (n->subjects && *n->subjects) {
        s = natsConnection_Subscribe(&n->sub, atomic_load(&n->nc), n->subjects,
                                     on_message, n);
        if (s != NATS_OK) {
            notice(n, true, "cannot subscribe to %s: %s", n->subjects,
                   natsStatus_GetText(s));
        }
    }
    if (pthread_create(&n->watcher, NULL, watcher_main, n) == 0) {
        n->watcher_started = true;
    } else {
        notice(n, true, "cannot start the bucket watcher");
    }
    push_simple(n, CL_NATS_UP);

    for (;;) {
        struct wreq *r;

        pthread_mutex_lock(&n->mu);
        while (!n->w_head && !atomic_load(&n->stopping)) {
            pthread_cond_wait(&n->cond, &n->mu);
        }
        if (atomic_load(&n->stopping)) {
            pthread_mutex_unlock(&n->mu);
            break;
        }
        r = n->w_head;
        n->w_head = r->next;
        if (!n->w_head) {
            n->w_tail = &n->w_head;
        }
        n->n_writes--;
        pthread_mutex_unlock(&n->mu);
        do_write(n, &r->w);
        free(r);
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* The loop's side. */

int
cl_nats_start(const struct cl_nats_config *config, struct cl_nats **out)
{
    struct cl_nats *n = calloc(1, sizeof *n);
    pthread_condattr_t ca;
    natsStatus s;

    if (!n) {
        return ENOMEM;
    }
    n->urls = strdup(config->urls);
    n->bucket = strdup(config->bucket);
    n->name = strdup(config->name);
    n->subjects = config->subjects ? strdup(config->subjects) : NULL;
    n->replicas = config->replicas;
    n->timeout_ms = (int64_t)(config->timeout * 1000);
    n->max_events = config->max_events;
    n->max_writes = config->max_writes;
    n->ev_tail = &n->ev_head;
    n->w_tail = &n->w_head;
    n->efd = -1;
    n->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!n->urls || !n->bucket || !n->name ||
        (config->subjects && !n->subjects) || n->efd < 0) {
        int error = n->efd < 0 ? errno : ENOMEM;

        cl_nats_stop(n);
        return error;
    }
    pthread_mutex_init(&n->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->cond, &ca);
    pthread_condattr_destroy(&ca);
    n->locks = true;
    s = nats_Open(-1);
    if (s != NATS_OK) {
        cl_nats_stop(n);
        return EIO;
    }
    if (pthread_create(&n->worker, NULL, worker_main, n)) {
        cl_nats_stop(n);
        return EAGAIN;
    }
    n->worker_started = true;
    *out = n;
    return 0;
}

void
cl_nats_stop(struct cl_nats *n)
{
    struct cl_nats_event *e;
    kvWatcher *w;

    if (!n) {
        return;
    }
    if (n->locks) {
        pthread_mutex_lock(&n->mu);
        atomic_store(&n->stopping, true);
        pthread_cond_broadcast(&n->cond);
        pthread_mutex_unlock(&n->mu);
    }
    w = atomic_load(&n->w);
    if (w) {
        kvWatcher_Stop(w);
    }
    if (n->worker_started) {
        pthread_join(n->worker, NULL);
    }
    if (n->watcher_started) {
        pthread_join(n->watcher, NULL);
    }
    natsSubscription_Destroy(n->sub);
    kvStore_Destroy(atomic_load(&n->kv));
    jsCtx_Destroy(n->js);
    if (atomic_load(&n->nc)) {
        natsConnection_Close(atomic_load(&n->nc));
        natsConnection_Destroy(atomic_load(&n->nc));
    }
    if (n->worker_started) {
        /* Joins libnats's own threads: the plugin's code may be unmapped
         * after this returns. */
        nats_CloseAndWait(2000);
    }
    while ((e = n->ev_head)) {
        n->ev_head = e->next;
        cl_nats_event_free(e);
    }
    while (n->w_head) {
        struct wreq *r = n->w_head;

        n->w_head = r->next;
        free(r);
    }
    if (n->efd >= 0) {
        close(n->efd);
    }
    if (n->locks) {
        pthread_mutex_destroy(&n->mu);
        pthread_cond_destroy(&n->cond);
    }
    free(n->urls);
    free(n->bucket);
    free(n->name);
    free(n->subjects);
    free(n);
}

int
cl_nats_fd(const struct cl_nats *n)
{
    return n->efd;
}

struct cl_nats_event *
cl_nats_next(struct cl_nats *n)
{
    struct cl_nats_event *e;
    uint64_t count;

    pthread_mutex_lock(&n->mu);
    e = n->ev_head;
    if (e) {
        n->ev_head = e->next;
        if (!n->ev_head) {
            n->ev_tail = &n->ev_head;
        }
        n->n_events--;
    } else if (read(n->efd, &count, sizeof count) < 0) {
        /* Nothing was signalled: fine. */
    }
    pthread_mutex_unlock(&n->mu);
    return e;
}

void
cl_nats_wait(struct cl_nats *n, double timeout)
{
    struct pollfd pfd = {.fd = n->efd, .events = POLLIN};

    pthread_mutex_lock(&n->mu);
    if (n->ev_head) {
        pthread_mutex_unlock(&n->mu);
        return;
    }
    pthread_mutex_unlock(&n->mu);
    poll(&pfd, 1, (int)(timeout * 1000));
}

void
cl_nats_write(struct cl_nats *n, const struct cl_write *w)
{
    struct wreq *r = malloc(sizeof *r);

    pthread_mutex_lock(&n->mu);
    if (!r || n->n_writes >= n->max_writes) {
        struct cl_nats_event *e;

        n->c.writes_dropped++;
        pthread_mutex_unlock(&n->mu);
        free(r);
        e = event_new(CL_NATS_WRITTEN, NULL, 0);
        if (e) {
            e->write_id = w->id;
            e->result = CL_WRITE_FAILED;
            snprintf(e->key, sizeof e->key, "write queue full");
            push(n, e);
        }
        return;
    }
    r->next = NULL;
    r->w = *w;
    *n->w_tail = r;
    n->w_tail = &r->next;
    n->n_writes++;
    pthread_cond_broadcast(&n->cond);
    pthread_mutex_unlock(&n->mu);
}

int
cl_nats_publish(struct cl_nats *n, const char *subject, const void *data,
                size_t len)
{
    natsConnection *nc = atomic_load(&n->nc);
    natsStatus s;

    if (!nc) {
        return ENOTCONN;
    }
    s = natsConnection_Publish(nc, subject, data, (int)len);
    pthread_mutex_lock(&n->mu);
    if (s == NATS_OK) {
        n->c.published++;
    } else {
        n->c.publish_failures++;
    }
    pthread_mutex_unlock(&n->mu);
    return s == NATS_OK ? 0 : EAGAIN;
}

void
cl_nats_counters(struct cl_nats *n, struct cl_nats_counters *out)
{
    pthread_mutex_lock(&n->mu);
    *out = n->c;
    pthread_mutex_unlock(&n->mu);
}
