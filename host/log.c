/* Host logging; see log.h. */
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <time.h>

#include "plexus/util.h"

static int log_level = PX_LOG_INFO;
/* The sink publishes on the event table, which only the loop thread may
 * touch: records from other threads go straight to the console. */
static pthread_t sink_thread;
static int log_syslog;
static px_log_sink_fn log_sink;
static void *log_sink_aux;
/* Set while the sink runs: a record logged from inside a host.log handler
 * goes straight to the console instead of recursing. */
static int in_sink;

void
px_log_set_level(int level)
{
    log_level = level;
}

int
px_log_get_level(void)
{
    return log_level;
}

void
px_log_set_console(int use_syslog)
{
    if (use_syslog && !log_syslog) {
        openlog("plexusd", LOG_PID, LOG_DAEMON);
    }
    log_syslog = use_syslog;
}

void
px_log_set_sink(px_log_sink_fn fn, void *aux)
{
    log_sink = fn;
    log_sink_aux = aux;
    sink_thread = pthread_self();
}

static void
console(int level, double time, const char *instance, const char *message)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    char ts[48];

    if (log_syslog) {
        syslog(prio[level & 3], "%s: %s", instance, message);
        return;
    }
    px_format_time(time, ts, sizeof ts);
    fprintf(stderr, "%s %-5s %s: %s\n", ts, px_log_level_str(level), instance,
            message);
}

/* The wall clock can step back (NTP, an operator); time stamps within one
 * output must not, or records would seem out of order.  Each stamp is at
 * least the previous one. */
static double
stamp(void)
{
    static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    static double last;
    struct timeval tv;
    double now;

    gettimeofday(&tv, NULL);
    now = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
    pthread_mutex_lock(&mutex);
    if (now < last) {
        now = last;
    }
    last = now;
    pthread_mutex_unlock(&mutex);
    return now;
}

void
px_log_vemit(int level, const char *instance, const char *fmt, va_list args)
{
    char raw[1024], message[1024];
    double now;
    int consumed = 0;

    vsnprintf(raw, sizeof raw, fmt, args);
    px_one_line(message, sizeof message, raw);
    now = stamp();
    if (log_sink && !in_sink && pthread_equal(pthread_self(), sink_thread)) {
        in_sink = 1;
        consumed = log_sink(level, now, instance, message, log_sink_aux);
        in_sink = 0;
    }
    if (!consumed) {
        console(level, now, instance, message);
    }
}

void
px_log_emit(int level, const char *instance, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    px_log_vemit(level, instance, fmt, args);
    va_end(args);
}
