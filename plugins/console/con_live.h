/*
 * The console's live WebSocket (/ws): every browser tab that has the
 * console open holds one, and everything that changes (reloads, plugins,
 * topology, journeys, switch counters, the event stream) reaches it as one
 * JSON text message with a sequence number.
 *
 * Messages go into a ring shared by every client (bounded in messages and
 * bytes), and from there to each client whose filter wants them: event
 * summaries only to clients that asked for them with a matching topic
 * prefix, a switch's counters only to clients watching it.  A client that
 * reconnects with ?since=SEQ gets what it missed from the ring if the ring
 * still has it ("resumed": true in its hello), or else a hello saying it
 * must fetch its snapshots again.  Each client has a bounded queue (its
 * px_ws session's); a client that does not read loses the messages that do
 * not fit (counted), is told how many it skipped once it drains, and is
 * closed by the session's idle timeout if it stops answering pings: a
 * stalled browser never holds more than its queue, and never slows the
 * loop.
 *
 * Ownership: the caller owns the struct con_live; messages given to
 * con_live_broadcast are borrowed (serialized during the call).
 */
#ifndef CON_LIVE_H
#define CON_LIVE_H 1

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct px_plugin;
struct con_live;

/* Which clients a message is for. */
enum con_live_kind {
    CON_LIVE_ALL = 0, /* Everyone. */
    CON_LIVE_EVENT,   /* Clients whose event prefix the key starts with. */
    CON_LIVE_SWITCH,  /* Clients watching the switch named by the key. */
};

struct con_live_config {
    size_t max_clients;  /* More are refused (close 1013). */
    size_t ring_msgs;    /* Messages kept for resuming. */
    size_t ring_bytes;   /* ...and their bytes. */
    size_t client_queue; /* Bytes queued per client. */
    double ping_interval;
    double idle_timeout;
};

struct con_live_hooks {
    /* The number of clients that want event summaries changed. */
    void (*events_wanted)(void *arg, size_t clients);
    /* A client started (on) or stopped watching switch 'dpid'. */
    void (*watch)(void *arg, uint64_t dpid, int on);
    void *arg;
};

struct con_live_stats {
    uint64_t clients_accepted;
    uint64_t clients_refused; /* Over max_clients. */
    uint64_t resumed;         /* Reconnects served from the ring. */
    uint64_t resets;          /* Reconnects told to start over. */
    uint64_t messages;        /* Broadcast. */
    uint64_t skipped;         /* Messages a slow client lost. */
    uint64_t bad_requests;    /* Client messages that made no sense. */
    uint64_t ring_evicted;
    size_t clients;
};

int con_live_create(struct px_plugin *p, const struct con_live_config *cfg,
                    const struct con_live_hooks *hooks, struct con_live **out);
/* Closes every client (1001, going away).  Accepts NULL. */
void con_live_destroy(struct con_live *live);

/* Takes an upgraded socket (ownership passes): 'query_since' is the
 * client's ?since= text or NULL. */
void con_live_accept(struct con_live *live, int fd, const void *early,
                     size_t early_len, const char *query_since);

/* Adds "seq" and "t" to 'msg' (an object), keeps it in the ring and sends
 * it to the clients it is for.  'key' is the event topic or the switch's
 * datapath id text for those kinds, NULL for CON_LIVE_ALL. */
void con_live_broadcast(struct con_live *live, enum con_live_kind kind,
                        const char *key, json_t *msg);

void con_live_get_stats(const struct con_live *live,
                        struct con_live_stats *stats);

/* Wall-clock seconds, to the nanosecond: the "t" of every message and of
 * every journey hop (the loop's clock stands still within a pass, and
 * the hops of one frame take microseconds). */
double con_wall_now(void);

#endif /* CON_LIVE_H */
