/*
 * Benchmark of the event table (host/bus.c), run by "make bench" against
 * the release build of host/bus.o.
 *
 * The first table is the cost of synchronous delivery: one topic,
 * "openflow.packet_in", with 1, 4 or 16 subscribers that all subscribe the
 * same way, by the exact name, by the prefix "openflow.*" or by "*".  Each
 * cell publishes a fixed payload in a loop long enough to take about 0.3 s
 * (the count is calibrated first) and reports the median of five runs as
 * nanoseconds per delivery (time / (publishes * subscribers)) and per
 * publish.  The runs go round-robin across the cells, so that a burst of
 * noise elsewhere on the machine does not skew one cell.  The budget is 50 ns
 * per delivery: a controller delivers every packet-in to several plugins, so
 * the table must cost little more than the indirect call.
 *
 * The second table is the cross-thread path: one producer thread calls
 * px_bus_publish_async into a queue of 4096 events while the main thread
 * drains it, as the host's loop thread does.  A full queue refuses events
 * with ENOBUFS.  In "drop" mode the producer counts those drops and goes
 * on, as a capture thread that cannot wait would; in "retry" mode it
 * yields and publishes the same event again, which shows what the queue
 * carries when nothing may be lost.  Each run publishes a fixed number of
 * events and is timed until the last one is delivered.  The drain mirrors
 * host/daemon.c: the bus's wake function signals an eventfd (as
 * ev_async_send does), and the draining thread delivers up to 1024 events
 * per pass and sleeps on the eventfd while the queue is empty, rather than
 * polling the queue's mutex, which would slow the producer down.
 *
 * Both tables check their counts (every subscriber saw every publish, every
 * accepted event was delivered once and in order) and the program exits
 * non-zero if one is wrong: a benchmark that loses events measures nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"

#define TOPIC             "openflow.packet_in"
#define CELL_SECONDS      0.3
#define CALIBRATE_SECONDS 0.03
#define RUNS              5
#define MAX_SUBS          16

#define ASYNC_CAPACITY 4096
#define ASYNC_EVENTS   1000000
#define ASYNC_RUNS     3
#define DRAIN_BATCH    1024 /* PX_ASYNC_BATCH in host/daemon.c. */

static const size_t sub_counts[] = {1, 4, 16};

static const struct kind {
    const char *label;
    const char *pattern;
} kinds[] = {
    {"exact", TOPIC},
    {"prefix", "openflow.*"},
    {"all", "*"},
};
#define N_KINDS  (sizeof kinds / sizeof *kinds)
#define N_COUNTS (sizeof sub_counts / sizeof *sub_counts)

static int failures;

static double
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
print_cpu(void)
{
    char line[256], model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");

    if (f) {
        while (fgets(line, sizeof line, f)) {
            char *colon = strchr(line, ':');

            if (!strncmp(line, "model name", 10) && colon) {
                snprintf(model, sizeof model, "%s", colon + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        }
        fclose(f);
    }
    printf("cpu: %s (%ld online)\n", model, sysconf(_SC_NPROCESSORS_ONLN));
}

/* ---------------------------------------------------------------------- */
/* Synchronous delivery.                                                  */

/* The subscriber: counts what it is given.  It is called through a
 * function pointer from bus.o, which the compiler cannot see into, so the
 * call cannot be elided; the empty asm is a barrier against a future
 * link-time optimiser doing so anyway. */
static int
count_event(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    uint64_t *count = arg;

    (void)p;
    __asm__ __volatile__("" : : "r"(ev->payload) : "memory");
    ++*count;
    return PX_EVENT_CONTINUE;
}

struct sync_setup {
    struct px_bus *bus;
    struct px_topic *topic;
    uint64_t counts[MAX_SUBS];
    size_t n_subs;
    uint64_t expected; /* Publishes since the counts were last checked. */
};

static void
die(const char *what, int error)
{
    fprintf(stderr, "bench_bus: %s: %s\n", what, strerror(error));
    exit(1);
}

static void
sync_setup(struct sync_setup *s, const char *pattern, size_t n_subs)
{
    static struct px_plugin plugin; /* The bus only passes it along. */
    int error;
    size_t i;

    memset(s, 0, sizeof *s);
    s->n_subs = n_subs;
    error = px_bus_create(ASYNC_CAPACITY, NULL, NULL, &s->bus);
    if (error) {
        die("px_bus_create", error);
    }
    error = px_bus_declare(s->bus, s, TOPIC, 1, &s->topic);
    if (error) {
        die("px_bus_declare", error);
    }
    for (i = 0; i < n_subs; i++) {
        error = px_bus_subscribe(s->bus, &s->counts[i], &plugin, pattern, 0,
                                 PX_PRIO_DEFAULT, count_event, &s->counts[i],
                                 NULL);
        if (error) {
            die("px_bus_subscribe", error);
        }
    }
}

/* Publishes 'n' times; returns the elapsed nanoseconds. */
static double
publish_loop(struct sync_setup *s, uint64_t n)
{
    static const unsigned char payload[64];
    double start = now_ns();
    uint64_t i;
    int bad = 0;

    for (i = 0; i < n; i++) {
        bad |= px_bus_publish(s->bus, s->topic, "bench", payload,
                              sizeof payload, NULL);
    }
    start = now_ns() - start;
    if (bad) {
        die("px_bus_publish", bad);
    }
    s->expected += n;
    return start;
}

struct topic_total {
    const char *name;
    uint64_t delivered;
};

static void
find_topic(const struct px_bus_topic_stats *st, void *aux)
{
    struct topic_total *t = aux;

    if (!strcmp(st->name, t->name)) {
        t->delivered = st->delivered;
    }
}

/* Every subscriber must have seen every publish since the last check, and
 * the bus's own count must agree. */
static void
check_counts(struct sync_setup *s, uint64_t *total_publishes, const char *cell)
{
    struct topic_total t = {TOPIC, 0};
    size_t i;

    *total_publishes += s->expected;
    for (i = 0; i < s->n_subs; i++) {
        if (s->counts[i] != s->expected) {
            fprintf(stderr,
                    "bench_bus: %s: subscriber %zu saw %llu of %llu "
                    "events\n",
                    cell, i, (unsigned long long)s->counts[i],
                    (unsigned long long)s->expected);
            failures++;
        }
        s->counts[i] = 0;
    }
    s->expected = 0;
    px_bus_foreach_topic(s->bus, find_topic, &t);
    if (t.delivered != *total_publishes * s->n_subs) {
        fprintf(stderr,
                "bench_bus: %s: bus counted %llu deliveries, not %llu\n", cell,
                (unsigned long long)t.delivered,
                (unsigned long long)(*total_publishes * s->n_subs));
        failures++;
    }
}

struct cell {
    const struct kind *kind;
    size_t n_subs;
    char name[64];
    struct sync_setup s;
    uint64_t total; /* Publishes so far, for the bus's delivered count. */
    uint64_t n;     /* Publishes per timed run. */
    double per_delivery[RUNS];
    double per_publish[RUNS];
    double ns_delivery; /* Medians. */
    double ns_publish;
};

/* Sets a cell up and calibrates it: publishes (which also warms the caches
 * and builds the topic's subscriber array) until a loop takes long enough
 * to time, then scales the count to the cell's duration. */
static void
cell_prepare(struct cell *c, const struct kind *kind, size_t n_subs)
{
    uint64_t n = 1024;
    double t;

    c->kind = kind;
    c->n_subs = n_subs;
    c->total = 0;
    snprintf(c->name, sizeof c->name, "%s x%zu", kind->label, n_subs);
    sync_setup(&c->s, kind->pattern, n_subs);
    while ((t = publish_loop(&c->s, n)) < CALIBRATE_SECONDS * 1e9) {
        n *= 2;
    }
    check_counts(&c->s, &c->total, c->name);
    n = (uint64_t)((double)n * CELL_SECONDS * 1e9 / t);
    c->n = n ? n : 1;
}

static void
cell_run(struct cell *c, int r)
{
    double t = publish_loop(&c->s, c->n);

    check_counts(&c->s, &c->total, c->name);
    c->per_publish[r] = t / (double)c->n;
    c->per_delivery[r] = t / ((double)c->n * (double)c->n_subs);
}

/* Runs publishes untimed for a while, so that the first cell is not the
 * one that pays for the CPU leaving its idle clock and for first-touch page
 * faults. */
static void
warm_up(void)
{
    uint64_t total = 0;
    struct sync_setup s;
    double t = 0;

    sync_setup(&s, TOPIC, 4);
    while (t < 0.2e9) {
        t += publish_loop(&s, 100000);
    }
    check_counts(&s, &total, "warm-up");
    px_bus_destroy(s.bus);
}

static void
sync_table(void)
{
    static struct cell cells[N_COUNTS][N_KINDS];
    double worst = 0;
    size_t i, k;
    int r;

    warm_up();
    for (i = 0; i < N_COUNTS; i++) {
        for (k = 0; k < N_KINDS; k++) {
            cell_prepare(&cells[i][k], &kinds[k], sub_counts[i]);
        }
    }
    /* Round-robin: each round times every cell once, so that a burst of
     * noise from elsewhere on the machine costs every cell one run, which
     * the median discards, rather than all runs of one cell. */
    for (r = 0; r < RUNS; r++) {
        for (i = 0; i < N_COUNTS; i++) {
            for (k = 0; k < N_KINDS; k++) {
                cell_run(&cells[i][k], r);
            }
        }
    }
    for (i = 0; i < N_COUNTS; i++) {
        for (k = 0; k < N_KINDS; k++) {
            struct cell *c = &cells[i][k];

            c->ns_delivery = median(c->per_delivery, RUNS);
            c->ns_publish = median(c->per_publish, RUNS);
            if (c->ns_delivery > worst) {
                worst = c->ns_delivery;
            }
            px_bus_destroy(c->s.bus);
        }
    }

    printf("\nsynchronous publish to \"%s\", 64-byte payload, median of "
           "%d runs of ~%.1f s,\ninterleaved across cells\n",
           TOPIC, RUNS, CELL_SECONDS);
    printf("subscribers are all exact \"%s\", all prefix \"openflow.*\" or "
           "all \"*\"\n\n",
           TOPIC);
    printf("%-5s", "subs");
    for (k = 0; k < N_KINDS; k++) {
        printf(k + 1 < N_KINDS ? " | %-19s" : " | %s", kinds[k].label);
    }
    printf("\n%-5s", "");
    for (k = 0; k < N_KINDS; k++) {
        printf(" | %9s %9s", "ns/deliv", "ns/pub");
    }
    printf("\n");
    for (i = 0; i < N_COUNTS; i++) {
        printf("%5zu", sub_counts[i]);
        for (k = 0; k < N_KINDS; k++) {
            printf(" | %9.2f %9.2f", cells[i][k].ns_delivery,
                   cells[i][k].ns_publish);
        }
        printf("\n");
    }
    printf("\nworst cell: %.2f ns per delivery (%s)\n", worst,
           worst < 50 ? "within target" : "OVER TARGET");
}

/* ---------------------------------------------------------------------- */
/* Publishing from another thread.                                        */

struct async_run {
    struct px_bus *bus;
    struct px_topic *topic;
    size_t payload_len;
    int retry; /* On ENOBUFS: 0, count a drop; 1, yield and publish again. */
    atomic_int done;
    atomic_ullong wakes;
    int efd; /* Stands for the host's ev_async. */
    /* Producer side.  'refused' counts every ENOBUFS, so in retry mode it
     * is how often the producer found the queue full. */
    uint64_t accepted;
    uint64_t refused;
    int other_error;
    /* Consumer side: every delivery checks the sequence only grows, so a
     * reordered or repeated event is caught. */
    uint64_t delivered;
    uint64_t last_seq;
    uint64_t out_of_order;
};

static void
signal_efd(int efd)
{
    uint64_t one = 1;

    while (write(efd, &one, sizeof one) < 0 && errno == EINTR) {
        continue;
    }
}

static void
async_wake(void *aux)
{
    struct async_run *run = aux;

    atomic_fetch_add_explicit(&run->wakes, 1, memory_order_relaxed);
    signal_efd(run->efd);
}

static int
async_event(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct async_run *run = arg;
    uint64_t seq;

    (void)p;
    memcpy(&seq, ev->payload, sizeof seq);
    if (ev->len != run->payload_len || seq <= run->last_seq) {
        run->out_of_order++;
    }
    run->last_seq = seq;
    run->delivered++;
    return PX_EVENT_CONTINUE;
}

static void *
producer(void *arg)
{
    struct async_run *run = arg;
    unsigned char payload[2048] = {0};
    uint64_t seq;

    for (seq = 1; seq <= ASYNC_EVENTS; seq++) {
        int error;

        memcpy(payload, &seq, sizeof seq);
        for (;;) {
            error = px_bus_publish_async(run->bus, run->topic, "producer",
                                         payload, run->payload_len);
            if (error != ENOBUFS) {
                break;
            }
            run->refused++;
            if (!run->retry) {
                break;
            }
            sched_yield();
        }
        if (!error) {
            run->accepted++;
        } else if (error != ENOBUFS) {
            run->other_error = error;
        }
    }
    atomic_store_explicit(&run->done, 1, memory_order_release);
    signal_efd(run->efd); /* The drain may be asleep on an empty queue. */
    return NULL;
}

struct async_result {
    double events_per_s;
    double ns_per_event;
    uint64_t accepted;
    uint64_t refused;
    unsigned long long wakes;
};

static struct async_result
async_once(size_t payload_len, int retry)
{
    static struct px_plugin plugin;
    struct async_result res;
    struct px_bus_stats stats;
    struct async_run run;
    pthread_t tid;
    double t;
    int error;

    memset(&run, 0, sizeof run);
    run.payload_len = payload_len;
    run.retry = retry;
    run.efd = eventfd(0, EFD_CLOEXEC);
    if (run.efd < 0) {
        die("eventfd", errno);
    }
    error = px_bus_create(ASYNC_CAPACITY, async_wake, &run, &run.bus);
    if (!error) {
        error = px_bus_declare(run.bus, &run, TOPIC, 1, &run.topic);
    }
    if (!error) {
        error = px_bus_subscribe(run.bus, &run, &plugin, TOPIC, 0,
                                 PX_PRIO_DEFAULT, async_event, &run, NULL);
    }
    if (error) {
        die("async setup", error);
    }

    t = now_ns();
    error = pthread_create(&tid, NULL, producer, &run);
    if (error) {
        die("pthread_create", error);
    }
    /* Drain as the loop thread does.  'done' is read before draining: if
     * the producer had finished by then and the pass leaves the queue
     * empty, nothing more can come.  Otherwise an empty queue means
     * sleeping until the next wake, which the bus sends when the queue goes
     * from empty to non-empty and the producer sends when it finishes. */
    for (;;) {
        int done = atomic_load_explicit(&run.done, memory_order_acquire);
        uint64_t count;

        if (px_bus_drain_async(run.bus, DRAIN_BATCH)) {
            continue;
        }
        if (done) {
            break;
        }
        while (read(run.efd, &count, sizeof count) < 0 && errno == EINTR) {
            continue;
        }
    }
    t = now_ns() - t;
    pthread_join(tid, NULL);

    px_bus_get_stats(run.bus, &stats);
    if (run.other_error || run.out_of_order ||
        run.accepted + (retry ? 0 : run.refused) != ASYNC_EVENTS ||
        run.delivered != run.accepted || stats.async_queued != run.accepted ||
        stats.async_drops != run.refused || stats.async_depth) {
        fprintf(stderr,
                "bench_bus: async, %zu bytes, %s: published %d, accepted "
                "%llu, refused %llu, delivered %llu, out of order %llu, bus "
                "queued %llu dropped %llu, error %d\n",
                payload_len, retry ? "retry" : "drop", ASYNC_EVENTS,
                (unsigned long long)run.accepted,
                (unsigned long long)run.refused,
                (unsigned long long)run.delivered,
                (unsigned long long)run.out_of_order,
                (unsigned long long)stats.async_queued,
                (unsigned long long)stats.async_drops, run.other_error);
        failures++;
    }
    px_bus_destroy(run.bus);
    close(run.efd);

    res.events_per_s = (double)run.delivered / (t / 1e9);
    res.ns_per_event = run.delivered ? t / (double)run.delivered : 0;
    res.accepted = run.accepted;
    res.refused = run.refused;
    res.wakes = atomic_load(&run.wakes);
    return res;
}

static void
async_table(void)
{
    static const size_t payloads[] = {16, 256, 1500};
    int retry;
    size_t i;

    printf("\npublish_async from 1 producer thread, drained on the main "
           "thread in batches of %d;\nqueue capacity %d, %d events per run, "
           "the run with the median throughput of %d\n\n",
           DRAIN_BATCH, ASYNC_CAPACITY, ASYNC_EVENTS, ASYNC_RUNS);
    printf("%-5s | %7s | %10s | %8s | %9s | %9s | %7s\n", "full", "payload",
           "events/s", "ns/event", "delivered", "ENOBUFS", "wakeups");
    for (retry = 0; retry <= 1; retry++) {
        for (i = 0; i < sizeof payloads / sizeof *payloads; i++) {
            struct async_result runs[ASYNC_RUNS], tmp;
            int a, b;

            for (a = 0; a < ASYNC_RUNS; a++) {
                runs[a] = async_once(payloads[i], retry);
            }
            /* Sort by throughput to pick the median run whole, so that its
             * drops and wakeups belong to the rate shown. */
            for (a = 1; a < ASYNC_RUNS; a++) {
                for (b = a;
                     b > 0 && runs[b].events_per_s < runs[b - 1].events_per_s;
                     b--) {
                    tmp = runs[b];
                    runs[b] = runs[b - 1];
                    runs[b - 1] = tmp;
                }
            }
            tmp = runs[ASYNC_RUNS / 2];
            printf("%-5s | %5zu B | %10.0f | %8.1f | %9llu | %9llu | %7llu\n",
                   retry ? "retry" : "drop", payloads[i], tmp.events_per_s,
                   tmp.ns_per_event, (unsigned long long)tmp.accepted,
                   (unsigned long long)tmp.refused, tmp.wakes);
        }
    }
    printf("\nfull: what the producer does on ENOBUFS (drop: count it and "
           "go on; retry: yield\nand publish again).  ENOBUFS: refusals, "
           "i.e. drops in drop mode.  wakeups: times\nthe queue went from "
           "empty to non-empty.\n");
}

int
main(void)
{
    printf("plexus event table benchmark (tests/bench/bench_bus.c)\n");
    print_cpu();
    printf("target: < 50 ns per delivery\n");

    sync_table();
    async_table();

    if (failures) {
        fprintf(stderr, "bench_bus: %d count check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
