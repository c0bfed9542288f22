/*
 * stats: the controller's counters over HTTP, as Prometheus text on
 * /metrics and as JSON on /stats.json (see sdk/include/plexus/topics/
 * stats.h and the schema it follows).
 *
 * Each request publishes stats.collect with a fresh id; every counter
 * owner answers inside that publish with one stats.report per entity, so
 * when px_publish returns the collection is complete and is rendered.
 * The plugin adds an entity of its own, `stats`, and keeps the last
 * host.reload_done outcomes for /stats.json.
 *
 * Across a reload of this plugin the listening socket is handed to the
 * next generation (clients that connect meanwhile wait in the backlog),
 * together with the plugin's counters and the reload history in the
 * explicit serialization of stats_handoff.c, so those keep growing.  Open
 * HTTP connections are closed.
 *
 * With transport = tls the listener speaks HTTPS: tls_relay.c accepts,
 * runs TLS on the SDK's px_conn and hands libmicrohttpd the plain bytes
 * over a socketpair; a reload closes those connections too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "plexus/conn.h"
#include "plexus/plugin.h"
#include "plexus/topics/host.h"
#include "plexus/topics/stats.h"
#include "render.h"
#include "routes.h"
#include "stats_handoff.h"
#include "tls_relay.h"

#define STATS_VERSION "1.0.0"

#define STR_(X) #X
#define STR(X)  STR_(X)

static const struct px_config_key stats_keys[] = {
    {.key = "address",
     .type = PX_CONFIG_STRING,
     .default_value = PX_STATS_DEFAULT_ADDRESS,
     .help = "IPv4 or IPv6 address to listen on (\"::1\", no brackets)"},
    {.key = "port",
     .type = PX_CONFIG_PORT,
     .default_value = STR(PX_STATS_DEFAULT_PORT),
     .min = 1,
     .max = 65535,
     .help = "TCP port to listen on"},
    {.key = "max_connections",
     .type = PX_CONFIG_INT,
     .default_value = "1024",
     .min = 1,
     .max = 65536,
     .help = "open HTTP connections at most (with tls: TLS connections, "
             "WebSockets included); more wait in the backlog"},
    {.key = "idle_timeout",
     .type = PX_CONFIG_INT,
     .default_value = "10",
     .min = 1,
     .max = 3600,
     .help = "seconds a connection may stay silent"},
    {.key = "request_timeout",
     .type = PX_CONFIG_INT,
     .default_value = "10",
     .min = 1,
     .max = 3600,
     .help = "seconds a client has to send a request's headers"},
    {.key = "max_header",
     .type = PX_CONFIG_INT,
     .default_value = "16384",
     .min = 4096,
     .max = 1048576,
     .help = "bytes of memory per connection; larger request headers are "
             "refused"},
    {.key = "max_entities",
     .type = PX_CONFIG_INT,
     .default_value = "100000",
     .min = 1,
     .max = 10000000,
     .help = "reports kept per collection; more are dropped and counted"},
    {.key = "transport",
     .type = PX_CONFIG_STRING,
     .default_value = "tcp",
     .choices = "tcp|tls|ssl",
     .help = "tcp: plain HTTP; tls (or ssl): HTTPS, with key and cert"},
    {.key = "key",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "with tls: the server's private key (PEM), relative to the "
             "configuration directory"},
    {.key = "cert",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "with tls: the server's certificate (PEM; its chain may "
             "follow it in the file)"},
    {.key = "ca",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "with tls: clients must present a certificate signed by this "
             "CA (PEM); empty: no client certificate is asked for"},
    {.key = NULL},
};

struct stats {
    struct px_plugin *p;
    struct px_topic *t_collect;
    struct stats_http *http;
    struct stats_tls *relay;     /* With transport = tls. */
    struct px_tls *tls;          /* Its context. */
    struct stats_routes *routes; /* http.request, the console token. */
    int listen_fd;
    struct px_endpoint endpoint; /* Where to listen: tcp, numeric. */
    size_t max_entities;

    /* The collection being filled while stats.collect is published. */
    struct stats_collection *coll;
    uint64_t coll_id;

    struct stats_state state;
    struct px_ratelimit rl;
};

static int
on_report(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct stats *s = arg;
    const struct px_stats_report *r = ev->payload;
    const char *why;
    int error;

    (void)p;
    if (!s->coll || ev->len < sizeof *r || r->collect_id != s->coll_id) {
        return PX_EVENT_CONTINUE;
    }
    if (stats_collection_count(s->coll) >= s->max_entities) {
        error = ENOSPC;
        why = "more than max_entities reports";
    } else {
        error = stats_collection_add(s->coll, r, &why);
    }
    if (error) {
        s->state.reports_dropped++;
        px_log_rl(s->p, &s->rl, PX_LOG_WARN,
                  "dropped a report of %s from %s: %s",
                  stats_name_valid(r->entity) ? r->entity : "(invalid)",
                  ev->publisher, why);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_reload_done(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_host_reload_done *e = ev->payload;
    struct stats *s = arg;
    struct stats_state *st = &s->state;
    struct stats_reload *r;

    if (ev->len < sizeof *e) {
        return PX_EVENT_CONTINUE;
    }
    if (st->n_reloads == STATS_MAX_RELOADS) {
        memmove(&st->reloads[0], &st->reloads[1],
                (STATS_MAX_RELOADS - 1) * sizeof st->reloads[0]);
        st->n_reloads--;
    }
    r = &st->reloads[st->n_reloads++];
    memset(r, 0, sizeof *r);
    r->id = e->reload_id;
    r->outcome = e->outcome;
    r->time = px_now(p);
#define COPY(FIELD)                                                           \
    snprintf(r->FIELD, sizeof r->FIELD, "%s", e->FIELD ? e->FIELD : "")
    COPY(added);
    COPY(removed);
    COPY(reloaded);
    COPY(reconfigured);
    COPY(refused);
    COPY(error);
#undef COPY
    return PX_EVENT_CONTINUE;
}

/* Adds the plugin's own entity to the collection. */
static int
add_self(struct stats *s)
{
    const struct stats_http_counters *k = &s->state.http;
    const struct stats_tls_counters *tk = &s->state.tls;
    struct px_stats_field f[STATS_HTTP_MAX_CODES + 5 + 3 + STATS_TLS_N_CLOSES];
    char codes[STATS_HTTP_MAX_CODES][16];
    struct px_stats_report r;
    const char *why;
    size_t n = 0;
    uint32_t i;

    for (i = 0; i < k->n_codes; i++) {
        snprintf(codes[i], sizeof codes[i], "%u", k->requests[i].code);
        f[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "http_requests", "HTTP requests answered, by status code.", "code",
            codes[i], k->requests[i].count);
    }
    if (k->other_codes) {
        f[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "http_requests", "HTTP requests answered, by status code.", "code",
            "other", k->other_codes);
    }
    f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "http_connections", "HTTP connections accepted.", k->connections);
    f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "http_timeouts",
        "HTTP connections closed because request headers did not arrive "
        "within request_timeout.",
        k->timeouts);
    f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "collections", "Collections of stats.report (one per scrape).",
        s->state.collections);
    f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "reports_dropped",
        "Reports dropped: over max_entities, invalid or duplicate.",
        s->state.reports_dropped);
    if (s->relay || tk->accepted) {
        f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
            "tls_connections", "TLS connections accepted (HTTPS).",
            tk->accepted);
        f[n++] = (struct px_stats_field)PX_STATS_GAUGE_FIELD(
            "tls_open", "TLS connections open, in their handshake or not.",
            s->relay ? stats_tls_connections(s->relay) : 0);
        f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
            "tls_handshake_failures",
            "TLS connections that ended before their handshake completed: "
            "refused by TLS (plain HTTP, a bad certificate), timed out, or "
            "closed by the client.",
            tk->handshake_failures);
        for (i = 0; i < STATS_TLS_N_CLOSES; i++) {
            f[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
                "tls_closed", "TLS connections closed, by reason.", "reason",
                stats_tls_close_name((enum stats_tls_close)i), tk->closes[i]);
        }
    }
    memset(&r, 0, sizeof r);
    r.collect_id = s->coll_id;
    r.entity = "stats";
    r.n_fields = n;
    r.fields = f;
    return stats_collection_add(s->coll, &r, &why);
}

static int
render(void *s_, enum stats_http_route route, char **body, size_t *len)
{
    struct stats *s = s_;
    struct px_stats_collect collect;
    struct px_buf out;
    int error;

    s->coll =
        stats_collection_create(s->max_entities + 1, STATS_COLLECTION_LIMIT);
    if (!s->coll) {
        return ENOMEM;
    }
    s->coll_id = ++s->state.next_id;
    collect.id = s->coll_id;
    collect.now = px_now(s->p);
    error = px_publish(s->p, s->t_collect, &collect, sizeof collect);
    if (error) {
        /* Not every reporter answered: render nothing partial. */
        px_log_rl(s->p, &s->rl, PX_LOG_WARN, "cannot publish %s: %s",
                  PX_TOPIC_STATS_COLLECT, strerror(error));
        goto out;
    }
    s->state.collections++;
    if ((error = add_self(s))) {
        goto out;
    }
    px_buf_init(&out, STATS_RENDER_LIMIT);
    error = route == STATS_ROUTE_METRICS
                ? stats_render_prometheus(s->coll, &out)
                : stats_render_json(s->coll, collect.now, s->state.reloads,
                                    s->state.n_reloads, &out);
    if (!error && out.len) {
        *body = (char *)px_buf_steal(&out, len);
    } else if (!error) {
        /* An empty document is still a body the server can free. */
        *body = strdup("");
        *len = 0;
        error = *body ? 0 : ENOMEM;
    }
    px_buf_destroy(&out);
out:
    stats_collection_destroy(s->coll);
    s->coll = NULL;
    return error;
}

static void
stats_free(struct stats *s)
{
    if (!s) {
        return;
    }
    stats_tls_stop(s->relay);
    stats_http_stop(s->http);
    px_tls_unref(s->tls);
    stats_routes_destroy(s->routes, 0);
    stats_collection_destroy(s->coll);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    free(s);
}

/* Nonzero if 'fd' is bound to the address and port of 'ep'. */
static int
bound_to(int fd, const struct px_endpoint *ep)
{
    struct sockaddr_storage ss;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
    socklen_t len = sizeof ss;
    struct in6_addr a6;
    struct in_addr a4;

    if (getsockname(fd, (struct sockaddr *)&ss, &len)) {
        return 0;
    }
    if (ss.ss_family == AF_INET) {
        return inet_pton(AF_INET, ep->host, &a4) == 1 &&
               sin->sin_addr.s_addr == a4.s_addr &&
               ntohs(sin->sin_port) == ep->port;
    }
    if (ss.ss_family == AF_INET6) {
        return inet_pton(AF_INET6, ep->host, &a6) == 1 &&
               !memcmp(&sin6->sin6_addr, &a6, sizeof a6) &&
               ntohs(sin6->sin6_port) == ep->port;
    }
    return 0;
}

/* Takes the previous generation's state, and its listening socket when it
 * is bound where this configuration says.  The socket is asked rather
 * than the blob, so that it is kept even when the state is refused: the
 * port it holds could not be listened on again while it is open.  A blob
 * that cannot be read is said in the log, and the counters and history
 * start afresh. */
static void
take_handoff(struct stats *s)
{
    const void *data;
    uint32_t version;
    size_t len;
    int fd, error;

    if (!px_handoff_get_blob(s->p, STATS_HANDOFF_BLOB, &version, &data,
                             &len)) {
        if (version < STATS_HANDOFF_MIN_VERSION ||
            version > STATS_HANDOFF_VERSION) {
            px_warn(s->p,
                    "handoff of version %u, not %d to %d: counters and "
                    "reload history start afresh",
                    version, STATS_HANDOFF_MIN_VERSION, STATS_HANDOFF_VERSION);
        } else if ((error = stats_handoff_read(data, len, &s->state))) {
            px_warn(s->p,
                    "handoff refused (%s): counters and reload history "
                    "start afresh",
                    strerror(error));
        }
    }
    if (!px_handoff_take_fd(s->p, "listen", &fd)) {
        if (bound_to(fd, &s->endpoint)) {
            s->listen_fd = fd;
        } else {
            close(fd); /* The host closes the original. */
        }
    }
}

/* Reads 'address' and 'port' into s->endpoint: a numeric IPv4 or IPv6
 * address, as px_listen takes it. */
static int
parse_endpoint(struct stats *s, const char *address, int port)
{
    char spec[128], why[256];
    struct in6_addr a6;
    struct in_addr a4;
    int v6 = inet_pton(AF_INET6, address, &a6) == 1;

    if (!v6 && inet_pton(AF_INET, address, &a4) != 1) {
        px_error(s->p, "address '%s' is not an IPv4 or IPv6 address", address);
        return EINVAL;
    }
    snprintf(spec, sizeof spec, v6 ? "tcp:[%s]:%d" : "tcp:%s:%d", address,
             port);
    if (px_endpoint_parse(spec, &s->endpoint, why, sizeof why)) {
        px_error(s->p, "address: %s", why);
        return EINVAL;
    }
    return 0;
}

/* The configuration key a px_tls_create_server reason is about, by the
 * words it starts with. */
static const char *
tls_key_of(const char *why)
{
    if (!strncmp(why, "certificate ", 12)) {
        return "cert";
    }
    if (!strncmp(why, "private key ", 12)) {
        return "key";
    }
    if (!strncmp(why, "CA certificate ", 15)) {
        return "ca";
    }
    return "transport";
}

/* With transport = tls, the server's context from 'key', 'cert' and 'ca',
 * each relative to the configuration directory; files missing, unreadable
 * or refused by OpenSSL are refused here, naming the key. */
static int
read_tls(struct stats *s)
{
    char key[4096], cert[4096], ca[4096], why[512];
    const char *value, *ca_value;
    int error;

    if ((error = px_config_string(s->p, "key", &value))) {
        return error;
    }
    if (!*value) {
        px_error(s->p, "transport tls needs key (the server's private "
                       "key) and cert (its certificate)");
        return EINVAL;
    }
    if ((error = px_config_string(s->p, "cert", &value))) {
        return error;
    }
    if (!*value) {
        px_error(s->p, "transport tls needs cert (the server's "
                       "certificate) beside key");
        return EINVAL;
    }
    if ((error = px_config_string(s->p, "ca", &ca_value)) ||
        (error = px_config_path(s->p, "key", key, sizeof key)) ||
        (error = px_config_path(s->p, "cert", cert, sizeof cert)) ||
        (*ca_value && (error = px_config_path(s->p, "ca", ca, sizeof ca)))) {
        px_error(s->p, "key, cert, ca: %s", strerror(error));
        return error;
    }
    error = px_tls_create_server(key, cert, *ca_value ? ca : NULL, &s->tls,
                                 why, sizeof why);
    if (error) {
        px_error(s->p, "%s: %s", tls_key_of(why), why);
    }
    return error;
}

static int
stats_init(struct px_plugin *p)
{
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct stats_http_config cfg = {0};
    struct stats_tls_config tcfg = {0};
    long long port, max_conns, idle, request, max_header, max_entities;
    struct stats *s = calloc(1, sizeof *s);
    enum px_transport transport;
    const char *address, *transport_name, *scheme;
    char why[256], url[128];
    int error;

    if (!s) {
        return ENOMEM;
    }
    s->p = p;
    s->listen_fd = -1;
    s->rl = rl;
    if ((error = px_config_string(p, "address", &address)) ||
        (error = px_config_int(p, "port", &port)) ||
        (error = px_config_int(p, "max_connections", &max_conns)) ||
        (error = px_config_int(p, "idle_timeout", &idle)) ||
        (error = px_config_int(p, "request_timeout", &request)) ||
        (error = px_config_int(p, "max_header", &max_header)) ||
        (error = px_config_int(p, "max_entities", &max_entities)) ||
        (error = px_config_string(p, "transport", &transport_name))) {
        goto fail;
    }
    if (px_transport_parse(transport_name, &transport) ||
        transport == PX_TRANSPORT_UNIX) {
        px_error(p, "transport '%s': tcp or tls", transport_name);
        error = EINVAL;
        goto fail;
    }
    if ((error = parse_endpoint(s, address, (int)port)) ||
        (transport == PX_TRANSPORT_TLS && (error = read_tls(s)))) {
        goto fail;
    }
    scheme = s->tls ? "https" : "http";
    s->max_entities = (size_t)max_entities;
    take_handoff(s);

    if ((error = px_topic_declare(p, PX_TOPIC_STATS_COLLECT,
                                  PX_TOPIC_STATS_VERSION, &s->t_collect)) ||
        (error = px_subscribe(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              PX_PRIO_DEFAULT, on_report, s, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_HOST_RELOAD_DONE,
                              PX_TOPIC_HOST_RELOAD_DONE_VERSION,
                              PX_PRIO_DEFAULT, on_reload_done, s, NULL))) {
        goto fail;
    }
    if (s->listen_fd < 0 &&
        (error =
             px_listen(&s->endpoint, 1024, &s->listen_fd, why, sizeof why))) {
        px_error(p, "%s", why);
        goto fail;
    }
    snprintf(url, sizeof url,
             strchr(s->endpoint.host, ':') ? "%s://[%s]:%d/" : "%s://%s:%d/",
             scheme, s->endpoint.host, s->endpoint.port);
    if ((error = stats_routes_create(p, url, &s->routes))) {
        goto fail;
    }
    cfg.token = stats_routes_token(s->routes);
    cfg.route = stats_routes_route;
    cfg.upgraded = stats_routes_upgraded;
    cfg.aux_routes = s->routes;
    /* Over TLS the relay accepts, and libmicrohttpd listens on nothing. */
    cfg.listen_fd = s->tls ? -1 : s->listen_fd;
    cfg.scheme = scheme;
    cfg.max_connections = (unsigned int)max_conns;
    cfg.idle_timeout = (unsigned int)idle;
    cfg.request_timeout = (double)request;
    cfg.max_header = (size_t)max_header;
    if ((error =
             stats_http_start(p, &cfg, &s->state.http, render, s, &s->http))) {
        goto fail;
    }
    if (s->tls) {
        tcfg.listen_fd = s->listen_fd;
        tcfg.tls = s->tls;
        tcfg.http = s->http;
        tcfg.max_connections = (unsigned int)max_conns;
        tcfg.handshake_timeout = (double)request;
        tcfg.idle_timeout = (double)idle;
        if ((error = stats_tls_start(p, &tcfg, &s->state.tls, &s->relay))) {
            goto fail;
        }
    }
    px_set_data(p, s);
    px_info(p, "serving /metrics, /stats.json and the plugins' routes on %s",
            url);
    return 0;

fail:
    stats_free(s);
    return error;
}

static void
stats_fini(struct px_plugin *p)
{
    struct stats *s = px_get_data(p);
    struct px_buf blob = PX_BUF_INITIALIZER(SIZE_MAX);

    if (!s) {
        return;
    }
    /* Connections go (TLS ones too, counted as shutdown before the counters
     * are written); the listening socket stays for the next generation. */
    stats_tls_stop(s->relay);
    s->relay = NULL;
    stats_http_stop(s->http);
    s->http = NULL;
    stats_routes_destroy(s->routes, 1);
    s->routes = NULL;
    if (stats_handoff_write(&s->state, &blob) ||
        px_handoff_put_blob(p, STATS_HANDOFF_BLOB, STATS_HANDOFF_VERSION,
                            blob.data, blob.len)) {
        px_warn(p, "the handoff could not be written: counters and reload "
                   "history start afresh");
    }
    px_buf_destroy(&blob);
    if (!px_handoff_put_fd(p, "listen", s->listen_fd)) {
        s->listen_fd = -1; /* The host's now. */
    }
    px_set_data(p, NULL);
    stats_free(s);
}

PX_PLUGIN_DEFINE(.name = "stats", .version = STATS_VERSION,
                 .description = "counters over HTTP: Prometheus /metrics "
                                "and /stats.json",
                 .config_keys = stats_keys, .init = stats_init,
                 .fini = stats_fini);
