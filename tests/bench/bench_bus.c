/*
 * Benchmark of the event table (host/bus.c), run by "make bench" against
 * the release build of host/bus.o.
 *
 * The first table is the cost of synchronous delivery: one topic,
 * "openflow.packet_in", with 1, 4 or 16 subscribers that all subscribe the
 * same way, by the exact name, by the prefix "openflow.*" or by "*".  Each
 * cell publishes a fixed payload in a loop long enough to take about 0.3 s
 * (the count is calibrated first) and reports the median of five runs, as
 * nanoseconds per delivery (time / (publishes * subscribers)) and per
 * publish.  The budget is 50 ns per delivery: a controller delivers every
 * packet-in to several plugins, so the table must cost little more than the
 * indirect call.
 *
 * The second table is the cross-thread path: one producer thread calls
 * px_bus_publish_async into a queue of 4096 events while the main thread
 * drains it, as the host's loop thread does.  A full queue refuses events;
 * the producer counts those drops and does not retry, so the table shows
 * both the throughput and how often a producer outruns the drain.
 *
 * Both tables check their counts (every subscriber saw every publish, every
 * accepted event was delivered once and in order) and the program exits
 * non-zero if one is wrong: a benchmark that loses events measures nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#define DRAIN_BATCH    256

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
    double ns_delivery;
    double ns_publish;
};

static struct cell
run_cell(const struct kind *kind, size_t n_subs)
{
    double per_delivery[RUNS], per_publish[RUNS];
    uint64_t total = 0, n = 1024;
    struct sync_setup s;
    char name[64];
    struct cell c;
    double t;
    int r;

    snprintf(name, sizeof name, "%s x%zu", kind->label, n_subs);
    sync_setup(&s, kind->pattern, n_subs);

    /* Calibrate (which also warms the caches and builds the topic's
     * subscriber array) until a loop takes long enough to time, then scale
     * the count to the cell's duration. */
    while ((t = publish_loop(&s, n)) < CALIBRATE_SECONDS * 1e9) {
        n *= 2;
    }
    check_counts(&s, &total, name);
    n = (uint64_t)((double)n * CELL_SECONDS * 1e9 / t);
    if (n < 1) {
        n = 1;
    }

    for (r = 0; r < RUNS; r++) {
        t = publish_loop(&s, n);
        check_counts(&s, &total, name);
        per_publish[r] = t / (double)n;
        per_delivery[r] = t / ((double)n * (double)n_subs);
    }
    px_bus_destroy(s.bus);
    c.ns_delivery = median(per_delivery, RUNS);
    c.ns_publish = median(per_publish, RUNS);
    return c;
}

static void
sync_table(void)
{
    struct cell cells[N_COUNTS][N_KINDS];
    double worst = 0;
    size_t i, k;

    for (i = 0; i < N_COUNTS; i++) {
        for (k = 0; k < N_KINDS; k++) {
            cells[i][k] = run_cell(&kinds[k], sub_counts[i]);
            if (cells[i][k].ns_delivery > worst) {
                worst = cells[i][k].ns_delivery;
            }
        }
    }

    printf("\nsynchronous publish to \"%s\", 64-byte payload, median of "
           "%d runs of ~%.1f s\n",
           TOPIC, RUNS, CELL_SECONDS);
    printf("subscribers are all exact \"%s\", all prefix \"openflow.*\" or "
           "all \"*\"\n\n",
           TOPIC);
    printf("%-5s", "subs");
    for (k = 0; k < N_KINDS; k++) {
        printf(" | %-19s", kinds[k].label);
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
    atomic_int done;
    atomic_ullong wakes;
    /* Producer side. */
    uint64_t accepted;
    uint64_t dropped;
    int other_error;
    /* Consumer side: every delivery checks the sequence only grows, so a
     * reordered or repeated event is caught. */
    uint64_t delivered;
    uint64_t last_seq;
    uint64_t out_of_order;
};

static void
async_wake(void *aux)
{
    struct async_run *run = aux;

    atomic_fetch_add_explicit(&run->wakes, 1, memory_order_relaxed);
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
        error = px_bus_publish_async(run->bus, run->topic, "producer", payload,
                                     run->payload_len);
        if (!error) {
            run->accepted++;
        } else if (error == ENOBUFS) {
            run->dropped++;
        } else {
            run->other_error = error;
        }
    }
    atomic_store_explicit(&run->done, 1, memory_order_release);
    return NULL;
}

struct async_result {
    double events_per_s;
    double ns_per_event;
    uint64_t accepted;
    uint64_t dropped;
    unsigned long long wakes;
};

static struct async_result
async_once(size_t payload_len)
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
    /* Drain as the loop thread would, without sleeping: this is the upper
     * bound of what the queue can carry.  'done' is read before draining,
     * so an empty queue after the producer finished means nothing is
     * left. */
    for (;;) {
        int done = atomic_load_explicit(&run.done, memory_order_acquire);

        if (!px_bus_drain_async(run.bus, DRAIN_BATCH) && done) {
            break;
        }
    }
    t = now_ns() - t;
    pthread_join(tid, NULL);

    px_bus_get_stats(run.bus, &stats);
    if (run.other_error || run.out_of_order ||
        run.accepted + run.dropped != ASYNC_EVENTS ||
        run.delivered != run.accepted || stats.async_queued != run.accepted ||
        stats.async_drops != run.dropped || stats.async_depth) {
        fprintf(stderr,
                "bench_bus: async, %zu bytes: published %d, accepted %llu, "
                "dropped %llu, delivered %llu, out of order %llu, bus "
                "queued %llu dropped %llu, error %d\n",
                payload_len, ASYNC_EVENTS, (unsigned long long)run.accepted,
                (unsigned long long)run.dropped,
                (unsigned long long)run.delivered,
                (unsigned long long)run.out_of_order,
                (unsigned long long)stats.async_queued,
                (unsigned long long)stats.async_drops, run.other_error);
        failures++;
    }
    px_bus_destroy(run.bus);

    res.events_per_s = (double)run.delivered / (t / 1e9);
    res.ns_per_event = run.delivered ? t / (double)run.delivered : 0;
    res.accepted = run.accepted;
    res.dropped = run.dropped;
    res.wakes = atomic_load(&run.wakes);
    return res;
}

static void
async_table(void)
{
    static const size_t payloads[] = {16, 256, 1500};
    size_t i;

    printf("\npublish_async from 1 producer thread, drained on the main "
           "thread in batches of %d;\nqueue capacity %d, %d events per run, "
           "the run with the median throughput of %d\n\n",
           DRAIN_BATCH, ASYNC_CAPACITY, ASYNC_EVENTS, ASYNC_RUNS);
    printf("%7s | %11s | %8s | %9s | %9s | %9s\n", "payload", "events/s",
           "ns/event", "delivered", "dropped", "wakeups");
    for (i = 0; i < sizeof payloads / sizeof *payloads; i++) {
        struct async_result runs[ASYNC_RUNS], tmp;
        int a, b;

        for (a = 0; a < ASYNC_RUNS; a++) {
            runs[a] = async_once(payloads[i]);
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
        printf("%5zu B | %11.0f | %8.1f | %9llu | %9llu | %9llu\n",
               payloads[i], tmp.events_per_s, tmp.ns_per_event,
               (unsigned long long)tmp.accepted,
               (unsigned long long)tmp.dropped, tmp.wakes);
    }
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
