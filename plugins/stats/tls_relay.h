/*
 * HTTPS for the stats plugin's listener, terminated by the SDK's TLS layer
 * (<plexus/conn.h>), not by libmicrohttpd's own (GnuTLS), whose sessions
 * could not leave it when a WebSocket is taken over.
 *
 * The relay accepts on the listening socket (up to max_connections; more
 * wait in the backlog), runs each client's TLS handshake on the loop with
 * a px_conn in stream mode, within 'handshake_timeout' seconds, and then
 * gives libmicrohttpd one end of a socketpair (stats_http_add_connection)
 * and carries the bytes between the other end and the TLS session both
 * ways.  Each direction is bounded by one buffer, the px_conn's input (TLS
 * to HTTP) or its output (HTTP to TLS): while the one is full, the side
 * that fills it is not read, so a client or server that does not read
 * slows the other down instead of growing a queue.  A client that takes
 * nothing of what waits for it for 'idle_timeout' seconds is closed.
 *
 * The HTTP end of the pair is what http.c sees as the client's socket,
 * and a WebSocket that http.c hands to another plugin is a duplicate of
 * that descriptor: the relay keeps carrying its bytes after libmicrohttpd
 * closed its own, and ends only when every descriptor of that end is
 * closed (it reads the end of the stream).  Each end of stream is passed
 * on as a half-close; a connection ends with one close reason, counted.
 *
 * Ownership: the listening socket and the HTTP server are borrowed (they
 * must outlive the relay); the relay takes a reference to the TLS context;
 * the counters are the caller's and must outlive the relay.
 */
#ifndef STATS_TLS_RELAY_H
#define STATS_TLS_RELAY_H 1

#include <stddef.h>
#include <stdint.h>

struct px_plugin;
struct px_tls;
struct stats_http;
struct stats_tls;

/* Why a TLS connection ended.  Counters are kept per reason and handed
 * across a reload by number (stats_handoff.c): append only. */
enum stats_tls_close {
    STATS_TLS_PEER_CLOSED,       /* The client closed or reset. */
    STATS_TLS_SERVER_CLOSED,     /* The HTTP side ended (an answer with
                                  * "Connection: close", its timeouts, a
                                  * WebSocket's end). */
    STATS_TLS_TLS_FAILED,        /* Handshake refused (plain HTTP, a bad
                                  * certificate) or a bad record later. */
    STATS_TLS_HANDSHAKE_TIMEOUT, /* No handshake within the deadline. */
    STATS_TLS_STALLED,           /* The client read nothing of what waited
                                  * for it within idle_timeout. */
    STATS_TLS_REFUSED,           /* The HTTP server could not take it. */
    STATS_TLS_SHUTDOWN,          /* The plugin stopped or reloaded. */
    STATS_TLS_OTHER,             /* Any other socket error. */
    STATS_TLS_N_CLOSES
};

/* "peer_closed", "server_closed", "tls_failed", "handshake_timeout",
 * "stalled", "refused", "shutdown", "other". */
const char *stats_tls_close_name(enum stats_tls_close);

/* Handed across a reload in stats_handoff.c's serialization, which names
 * every field: a field added here must be added there too. */
struct stats_tls_counters {
    uint64_t accepted;           /* TCP connections accepted. */
    uint64_t handshake_failures; /* Ended before the handshake completed,
                                  * for a reason other than shutdown. */
    uint64_t closes[STATS_TLS_N_CLOSES];
};

struct stats_tls_config {
    int listen_fd;                /* Listening, non-blocking. */
    struct px_tls *tls;           /* The server's context. */
    struct stats_http *http;      /* Without a listening socket. */
    unsigned int max_connections; /* TLS connections at once, WebSockets
                                   * included; more wait in the backlog. */
    double handshake_timeout;     /* Seconds from accept. */
    double idle_timeout;          /* Seconds a client may leave what waits
                                   * for it unread. */
};

int stats_tls_start(struct px_plugin *p, const struct stats_tls_config *cfg,
                    struct stats_tls_counters *counters,
                    struct stats_tls **out);
/* Closes every connection (counted as shutdown) and frees; the listening
 * socket stays open.  Accepts NULL. */
void stats_tls_stop(struct stats_tls *);

/* Open TLS connections, in their handshake or relaying. */
size_t stats_tls_connections(const struct stats_tls *);

#endif /* STATS_TLS_RELAY_H */
