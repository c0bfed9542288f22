/*
 * Message connections (<plexus/conn.h>): the socket, its transport (TCP,
 * TLS over TCP, Unix), framing by a length field (or none: a byte
 * stream), bounded input and output buffers, close reasons, and the
 * handoff serialization.
 *
 * The transports differ in four operations (handshake, receive, send,
 * close), which a small table of functions per transport provides; all the
 * rest (buffers, framing, counters, reasons) is common.
 */
#include "plexus/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "plexus/byteorder.h"

struct px_tls {
    SSL_CTX *ctx;
    unsigned int refs;
};

struct px_conn;

/* What differs between transports.  recv and send return bytes moved, or
 * -1 with errno set (EAGAIN: not now; EPIPE with n == 0 from recv: orderly
 * close is signalled by returning 0 instead).  handshake returns 0 when
 * done, EAGAIN while in progress, or an errno after writing the reason into
 * c->why. */
struct transport_class {
    int (*handshake)(struct px_conn *c);
    ssize_t (*recv)(struct px_conn *c, void *buf, size_t n);
    ssize_t (*send)(struct px_conn *c, const void *buf, size_t n);
    void (*close)(struct px_conn *c, int orderly);
};

struct px_conn {
    int fd;
    enum px_transport transport;
    const struct transport_class *class;
    int server;
    SSL *ssl;
    int want;        /* PX_CONN_READ/WRITE the last TLS call asked for. */
    int connecting;  /* A non-blocking connect is in progress. */
    int established; /* Connected, and for TLS the handshake is done. */
    int eof;         /* The peer closed; messages may still be buffered. */
    int full;        /* Reading stopped because the input was full. */
    int given_up;    /* px_conn_save took the socket and session. */
    enum px_conn_reason reason;
    char why[192];
    char peer[64];
    struct px_conn_framing framing;
    /* Bytes px_conn_next's fast path wants buffered before it reads a
     * length: the framing's min_len (which framing_valid makes cover the
     * length field), or SIZE_MAX for a byte stream, so that one compare
     * stands for "framed, and the length field is there". */
    size_t next_min;
    struct px_conn_stats stats;

    uint8_t *in;
    size_t in_start; /* First byte not yet taken by px_conn_next. */
    size_t in_len;   /* Bytes in 'in'. */
    size_t in_cap;
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
};

/* ---------------------------------------------------------------------- */
/* Names.                                                                 */

const char *
px_conn_reason_name(enum px_conn_reason reason)
{
    static const char *const names[PX_CONN_N_REASONS] = {
        [PX_CONN_OPEN] = "open",
        [PX_CONN_PEER_CLOSED] = "peer_closed",
        [PX_CONN_MALFORMED] = "malformed_message",
        [PX_CONN_ECHO_TIMEOUT] = "echo_timeout",
        [PX_CONN_HANDSHAKE_TIMEOUT] = "handshake_timeout",
        [PX_CONN_TLS_FAILED] = "tls_failed",
        [PX_CONN_AUTH_FAILED] = "auth_failed",
        [PX_CONN_DUPLICATE] = "duplicate_dpid",
        [PX_CONN_OVER_LIMIT] = "over_limit",
        [PX_CONN_ADMIN] = "admin",
        [PX_CONN_SHUTDOWN] = "shutdown",
        [PX_CONN_OTHER] = "other",
    };

    return (unsigned int)reason < PX_CONN_N_REASONS ? names[reason] : "other";
}

const char *
px_transport_name(enum px_transport t)
{
    switch (t) {
    case PX_TRANSPORT_TCP:
        return "tcp";
    case PX_TRANSPORT_TLS:
        return "tls";
    case PX_TRANSPORT_UNIX:
        return "unix";
    }
    return "?";
}

int
px_transport_parse(const char *name, enum px_transport *t)
{
    if (!strcmp(name, "tcp")) {
        *t = PX_TRANSPORT_TCP;
    } else if (!strcmp(name, "tls") || !strcmp(name, "ssl")) {
        *t = PX_TRANSPORT_TLS;
    } else if (!strcmp(name, "unix")) {
        *t = PX_TRANSPORT_UNIX;
    } else {
        return EINVAL;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* TLS contexts.                                                          */

/* OpenSSL's most recent error as text, or 'fallback'. */
static void
tls_error_text(char *buf, size_t size, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();

    if (e) {
        char text[160];

        ERR_error_string_n(e, text, sizeof text);
        snprintf(buf, size, "%s", text);
    } else {
        snprintf(buf, size, "%s", fallback);
    }
    ERR_clear_error();
}

/* 0 if 'path' (may be NULL or empty: not given) can be read, else the
 * errno with the file named in 'why'. */
static int
readable(const char *path, const char *what, char *why, size_t why_size)
{
    if (path && *path && access(path, R_OK)) {
        int error = errno;

        snprintf(why, why_size, "%s %s: %s", what, path, strerror(error));
        return error;
    }
    return 0;
}

static int
tls_create(int server, const char *key_file, const char *cert_file,
           const char *ca_file, struct px_tls **out, char *why,
           size_t why_size)
{
    struct px_tls *tls;
    SSL_CTX *ctx;
    char text[200];
    int error;

    *out = NULL;
    ERR_clear_error();
    ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) {
        tls_error_text(text, sizeof text, "out of memory");
        snprintf(why, why_size, "cannot create a TLS context: %s", text);
        return ENOMEM;
    }
    /* TLS 1.2 is the oldest Open vSwitch still offers; renegotiation is
     * refused because nothing here needs it and it has a history of
     * attacks (a peer that tries it is closed by OpenSSL).  A peer that
     * closes TCP without close_notify (Open vSwitch does) has closed, not
     * attacked: it reads as an orderly close. */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* Output is written from a buffer that moves as it drains. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* A missing or unreadable file is the common mistake: say so in the
     * system's words rather than OpenSSL's "system lib". */
    if ((error = readable(cert_file, "certificate", why, why_size)) ||
        (error = readable(key_file, "private key", why, why_size)) ||
        (error = readable(ca_file, "CA certificate", why, why_size))) {
        SSL_CTX_free(ctx);
        return error;
    }
    if (cert_file && *cert_file &&
        SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        tls_error_text(text, sizeof text, "unreadable");
        snprintf(why, why_size, "certificate %s: %s", cert_file, text);
        goto fail;
    }
    if (key_file && *key_file &&
        (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
         SSL_CTX_check_private_key(ctx) != 1)) {
        tls_error_text(text, sizeof text, "unreadable");
        snprintf(why, why_size, "private key %s: %s", key_file, text);
        goto fail;
    }
    if (server && (!cert_file || !*cert_file || !key_file || !*key_file)) {
        snprintf(why, why_size,
                 "a TLS listener needs a private key and a "
                 "certificate");
        goto fail;
    }
    if (!ca_file || !*ca_file) {
        if (server) {
            /* No CA: peers are not asked for a certificate (a browser has
             * none to give); the server's own still proves who it is. */
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
            SSL_CTX_set_session_id_context(ctx,
                                           (const unsigned char *)"plexus", 6);
            goto done;
        }
        snprintf(why, why_size,
                 "a CA certificate is needed to verify the "
                 "peer");
        goto fail;
    }
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        tls_error_text(text, sizeof text, "unreadable");
        snprintf(why, why_size, "CA certificate %s: %s", ca_file, text);
        goto fail;
    }
    /* No verify callback: OpenSSL's own chain check decides, so that a
     * session holds no pointer into a plugin's code and can outlive the
     * generation that made it.  Like Open vSwitch, the peer's certificate
     * must chain to the CA; names in it are not checked. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    if (server) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);

        if (names) {
            SSL_CTX_set_client_CA_list(ctx, names);
        }
        SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"plexus",
                                       6);
    }
done:
    tls = calloc(1, sizeof *tls);
    if (!tls) {
        SSL_CTX_free(ctx);
        snprintf(why, why_size, "out of memory");
        return ENOMEM;
    }
    tls->ctx = ctx;
    tls->refs = 1;
    *out = tls;
    return 0;

fail:
    SSL_CTX_free(ctx);
    return EINVAL;
}

int
px_tls_create_server(const char *key_file, const char *cert_file,
                     const char *ca_file, struct px_tls **out, char *why,
                     size_t why_size)
{
    return tls_create(1, key_file, cert_file, ca_file, out, why, why_size);
}

int
px_tls_create_client(const char *key_file, const char *cert_file,
                     const char *ca_file, struct px_tls **out, char *why,
                     size_t why_size)
{
    return tls_create(0, key_file, cert_file, ca_file, out, why, why_size);
}

struct px_tls *
px_tls_ref(struct px_tls *tls)
{
    if (tls) {
        tls->refs++;
    }
    return tls;
}

void
px_tls_unref(struct px_tls *tls)
{
    if (tls && !--tls->refs) {
        SSL_CTX_free(tls->ctx);
        free(tls);
    }
}

/* ---------------------------------------------------------------------- */
/* Transports.                                                            */

static int
plain_handshake(struct px_conn *c)
{
    (void)c;
    return 0;
}

static ssize_t
plain_recv(struct px_conn *c, void *buf, size_t n)
{
    return recv(c->fd, buf, n, 0);
}

static ssize_t
plain_send(struct px_conn *c, const void *buf, size_t n)
{
    return send(c->fd, buf, n, MSG_NOSIGNAL);
}

static void
plain_close(struct px_conn *c, int orderly)
{
    (void)orderly;
    close(c->fd);
}

static const struct transport_class plain_class = {
    plain_handshake,
    plain_recv,
    plain_send,
    plain_close,
};

/* Interprets a failed SSL call: sets c->want and returns EAGAIN when it
 * only needs the socket to be ready, 0 for an orderly close (recv), or an
 * errno with the reason in c->why. */
static int
tls_failure(struct px_conn *c, int ret, const char *what)
{
    int err = SSL_get_error(c->ssl, ret);
    char text[160];

    switch (err) {
    case SSL_ERROR_WANT_READ:
        c->want = PX_CONN_READ;
        return EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        c->want = PX_CONN_WRITE;
        return EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return 0;
    case SSL_ERROR_SYSCALL:
        if (!ERR_peek_error()) {
            int e = errno;

            if (!e || ret == 0) {
                snprintf(c->why, sizeof c->why, "peer closed during %s", what);
                return EPIPE;
            }
            snprintf(c->why, sizeof c->why, "%s: %s", what, strerror(e));
            return e;
        }
        break;
    default:
        break;
    }
    if (!c->established) {
        long v = SSL_get_verify_result(c->ssl);

        if (v != X509_V_OK) {
            snprintf(c->why, sizeof c->why,
                     "TLS handshake failed: certificate verify failed: %s",
                     X509_verify_cert_error_string(v));
            ERR_clear_error();
            return EPROTO;
        }
    }
    tls_error_text(text, sizeof text, "unknown error");
    snprintf(c->why, sizeof c->why, "%s failed: %s", what, text);
    return EPROTO;
}

static int
tls_handshake(struct px_conn *c)
{
    int ret;

    ERR_clear_error();
    ret = SSL_do_handshake(c->ssl);
    if (ret == 1) {
        c->want = 0;
        return 0;
    }
    ret = tls_failure(c, ret, "TLS handshake");
    return ret ? ret : EPIPE;
}

static ssize_t
tls_recv(struct px_conn *c, void *buf, size_t n)
{
    size_t got = 0;
    int error;

    ERR_clear_error();
    if (SSL_read_ex(c->ssl, buf, n, &got) == 1) {
        c->want = 0;
        return (ssize_t)got;
    }
    error = tls_failure(c, 0, "TLS read");
    if (!error) {
        return 0;
    }
    errno = error;
    return -1;
}

static ssize_t
tls_send(struct px_conn *c, const void *buf, size_t n)
{
    size_t done = 0;
    int error;

    ERR_clear_error();
    if (SSL_write_ex(c->ssl, buf, n, &done) == 1) {
        c->want = 0;
        return (ssize_t)done;
    }
    error = tls_failure(c, 0, "TLS write");
    errno = error ? error : EPIPE;
    return -1;
}

static void
tls_close(struct px_conn *c, int orderly)
{
    if (orderly && c->established) {
        /* One attempt at close_notify; a peer that does not read it loses
         * nothing but the courtesy. */
        ERR_clear_error();
        SSL_shutdown(c->ssl);
        ERR_clear_error();
    }
    SSL_free(c->ssl);
    c->ssl = NULL;
    close(c->fd);
}

static const struct transport_class tls_class = {
    tls_handshake,
    tls_recv,
    tls_send,
    tls_close,
};

/* ---------------------------------------------------------------------- */
/* Life.                                                                  */

/* Input buffered by a byte stream when the options give no bound. */
#define STREAM_IN_LIMIT (64 * 1024)

static int
framing_valid(const struct px_conn_framing *f)
{
    return f->length_size == 0 ||
           ((f->length_size == 2 || f->length_size == 4) &&
            f->min_len >= (uint32_t)f->length_offset + f->length_size &&
            f->max_len >= f->min_len);
}

/* A connection over 'transport' with the buffers and framing of 'o'. */
static struct px_conn *
conn_alloc(int fd, const char *peer, const struct px_conn_options *o,
           enum px_transport transport)
{
    int stream = o->framing.length_size == 0;
    struct px_conn *c;
    size_t in_cap = o->in_limit ? o->in_limit
                    : stream    ? STREAM_IN_LIMIT
                                : 2 * (size_t)o->framing.max_len;

    if (!framing_valid(&o->framing) ||
        (stream ? !in_cap : in_cap < o->framing.max_len)) {
        errno = EINVAL;
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    c->fd = fd;
    c->transport = transport;
    c->class = transport == PX_TRANSPORT_TLS ? &tls_class : &plain_class;
    c->server = o->server;
    c->framing = o->framing;
    c->next_min = o->framing.min_len;
    if (stream) {
        /* Nothing else of the framing means anything to a stream. */
        memset(&c->framing, 0, sizeof c->framing);
        c->next_min = SIZE_MAX;
    }
    snprintf(c->peer, sizeof c->peer, "%s", peer ? peer : "");
    c->in_cap = in_cap;
    c->out_cap = o->out_limit ? o->out_limit : 1024 * 1024;
    /* Both buffers are allocated at their bound once: a large malloc is
     * mapped lazily, so an idle connection costs the pages it touched. */
    c->in = malloc(c->in_cap);
    c->out = malloc(c->out_cap);
    if (!c->in || !c->out) {
        free(c->in);
        free(c->out);
        free(c);
        errno = ENOMEM;
        return NULL;
    }
    return c;
}

static void
conn_free(struct px_conn *c)
{
    free(c->in);
    free(c->out);
    free(c);
}

static int
tls_attach(struct px_conn *c, const struct px_conn_options *o)
{
    c->ssl = SSL_new(o->tls->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        SSL_free(c->ssl);
        c->ssl = NULL;
        return ENOMEM;
    }
    if (c->server) {
        SSL_set_accept_state(c->ssl);
    } else {
        SSL_set_connect_state(c->ssl);
    }
    return 0;
}

int
px_conn_create(int fd, const char *peer, const struct px_conn_options *o,
               struct px_conn **out)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    struct px_conn *c = NULL;
    int error;

    *out = NULL;
    if (o->transport != PX_TRANSPORT_TLS || o->tls) {
        c = conn_alloc(fd, peer, o, o->transport);
    } else {
        errno = EINVAL;
    }
    if (!c) {
        error = errno;
        close(fd);
        return error;
    }
    if (c->transport == PX_TRANSPORT_TLS && (error = tls_attach(c, o))) {
        close(fd);
        conn_free(c);
        return error;
    }
    /* A socket whose connect is still in progress has no peer yet. */
    if (getpeername(fd, (struct sockaddr *)&ss, &sslen) && errno == ENOTCONN) {
        c->connecting = 1;
    } else if (c->transport != PX_TRANSPORT_TLS) {
        c->established = 1;
    }
    *out = c;
    return 0;
}

void
px_conn_close(struct px_conn *c, enum px_conn_reason reason,
              const char *detail)
{
    if (!c || c->reason != PX_CONN_OPEN) {
        return;
    }
    c->reason = reason == PX_CONN_OPEN ? PX_CONN_OTHER : reason;
    if (detail) {
        snprintf(c->why, sizeof c->why, "%s", detail);
    } else if (!c->why[0]) {
        snprintf(c->why, sizeof c->why, "%s", px_conn_reason_name(reason));
    }
    c->class->close(c, reason != PX_CONN_PEER_CLOSED);
    c->fd = -1;
    c->out_len = 0;
}

void
px_conn_destroy(struct px_conn *c)
{
    if (!c) {
        return;
    }
    if (!c->given_up) {
        px_conn_close(c, PX_CONN_SHUTDOWN, NULL);
    }
    conn_free(c);
}

/* Closes for a failure 'error' of the socket or TLS, choosing the reason:
 * a reset or broken pipe is the peer's doing, like an orderly close. */
static int
conn_fail(struct px_conn *c, int error)
{
    enum px_conn_reason reason;

    if (c->reason != PX_CONN_OPEN) {
        return error;
    }
    if (error == ECONNRESET || error == EPIPE) {
        reason = PX_CONN_PEER_CLOSED;
    } else if (c->transport == PX_TRANSPORT_TLS && error == EPROTO) {
        reason = PX_CONN_TLS_FAILED;
    } else {
        reason = PX_CONN_OTHER;
    }
    if (!c->why[0]) {
        snprintf(c->why, sizeof c->why, "%s", strerror(error));
    }
    px_conn_close(c, reason, NULL);
    return error;
}

/* ---------------------------------------------------------------------- */
/* Input.                                                                 */

/* Reads what the transport has, as far as the input buffer has room. */
static int
conn_read(struct px_conn *c)
{
    if (c->in_start) {
        memmove(c->in, c->in + c->in_start, c->in_len - c->in_start);
        c->in_len -= c->in_start;
        c->in_start = 0;
    }
    c->full = 0;
    while (!c->eof) {
        size_t room = c->in_cap - c->in_len;
        ssize_t n;

        if (!room) {
            c->full = 1;
            break;
        }
        n = c->class->recv(c, c->in + c->in_len, room);
        if (n > 0) {
            c->in_len += (size_t)n;
            c->stats.rx_bytes += (uint64_t)n;
            /* A short read of plain TCP means the socket is drained; TLS
             * hands out a record at a time, and more may be decrypted
             * already, so it reads on until told to wait. */
            if (c->transport != PX_TRANSPORT_TLS && (size_t)n < room / 2) {
                break;
            }
            continue;
        }
        if (n == 0) {
            c->eof = 1;
            break;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        }
        return conn_fail(c, errno);
    }
    return 0;
}

static uint32_t
frame_length(const struct px_conn *c, const uint8_t *p)
{
    p += c->framing.length_offset;
    return c->framing.length_size == 2 ? px_get_be16(p) : px_get_be32(p);
}

int
px_conn_has_message(const struct px_conn *c)
{
    size_t avail = c->in_len - c->in_start;
    size_t need = (size_t)c->framing.length_offset + c->framing.length_size;

    if (!c->framing.length_size) {
        return c->reason == PX_CONN_OPEN && avail > 0;
    }
    return c->reason == PX_CONN_OPEN && avail >= need &&
           avail >= frame_length(c, c->in + c->in_start);
}

/* A byte stream's px_conn_peek, and px_conn_next's when 'take'. */
static int
stream_next(struct px_conn *c, const uint8_t **data, size_t *len, int take)
{
    size_t avail;

    if (c->reason != PX_CONN_OPEN) {
        return EPIPE;
    }
    /* Reading stopped because the buffer was full, and some of it has been
     * taken since: what the transport holds already (decrypted TLS) no
     * readiness event will announce, so read it now. */
    if (c->full && c->in_len - c->in_start < c->in_cap) {
        int error = conn_read(c);

        if (error) {
            return error;
        }
    }
    avail = c->in_len - c->in_start;
    if (!avail) {
        return c->eof ? EPIPE : EAGAIN;
    }
    *data = c->in + c->in_start;
    *len = avail;
    if (take) {
        c->in_start += avail;
        c->stats.rx_msgs++;
    }
    return 0;
}

int
px_conn_peek(struct px_conn *c, const uint8_t **data, size_t *len)
{
    return stream_next(c, data, len, 0);
}

void
px_conn_consume(struct px_conn *c, size_t n)
{
    size_t avail = c->in_len - c->in_start;

    c->in_start += n < avail ? n : avail;
    if (c->in_start == c->in_len) {
        /* Empty: the next read starts at the front, with no move. */
        c->in_start = c->in_len = 0;
    }
}

/* px_conn_next's every case but a whole, well-framed message in the
 * buffer: out of line, so that the common case is a few instructions. */
static __attribute__((noinline)) int
next_slow(struct px_conn *c, const uint8_t **msg, size_t *len)
{
    size_t need = (size_t)c->framing.length_offset + c->framing.length_size;
    int tried_read = 0;

    if (!c->framing.length_size) {
        return stream_next(c, msg, len, 1);
    }
    for (;;) {
        size_t avail = c->in_len - c->in_start;
        const uint8_t *p = c->in + c->in_start;

        if (c->reason != PX_CONN_OPEN) {
            return EPIPE;
        }
        if (avail >= need) {
            uint32_t length = frame_length(c, p);

            if (length < c->framing.min_len || length > c->framing.max_len) {
                char detail[96];

                snprintf(detail, sizeof detail,
                         "message length %u outside %u..%u", length,
                         c->framing.min_len, c->framing.max_len);
                px_conn_close(c, PX_CONN_MALFORMED, detail);
                return EPROTO;
            }
            if (avail >= length) {
                *msg = p;
                *len = length;
                c->in_start += length;
                c->stats.rx_msgs++;
                return 0;
            }
        }
        /* No whole message.  If reading stopped because the buffer was
         * full, the rest may be waiting where no readiness event will
         * announce it (decrypted TLS): read it now. */
        if (c->full && !tried_read) {
            int error = conn_read(c);

            tried_read = 1;
            if (error) {
                return error;
            }
            continue;
        }
        if (c->eof) {
            char detail[96];

            if (avail >= need) {
                snprintf(detail, sizeof detail,
                         "peer closed mid-message (%zu of %u bytes)", avail,
                         frame_length(c, p));
            } else if (avail) {
                snprintf(detail, sizeof detail,
                         "peer closed mid-header (%zu bytes)", avail);
            } else {
                snprintf(detail, sizeof detail, "peer closed");
            }
            px_conn_close(c, PX_CONN_PEER_CLOSED, detail);
            return EPIPE;
        }
        return EAGAIN;
    }
}

int
px_conn_next(struct px_conn *c, const uint8_t **msg, size_t *len)
{
    size_t avail = c->in_len - c->in_start;
    const uint8_t *p = c->in + c->in_start;
    uint32_t length;

    /* A byte stream (next_min SIZE_MAX) takes the slow path. */
    if (__builtin_expect(c->reason == PX_CONN_OPEN && avail >= c->next_min,
                         1)) {
        length = frame_length(c, p);
        if (__builtin_expect(length >= c->framing.min_len &&
                                 length <= c->framing.max_len &&
                                 avail >= length,
                             1)) {
            *msg = p;
            *len = length;
            c->in_start += length;
            c->stats.rx_msgs++;
            return 0;
        }
    }
    return next_slow(c, msg, len);
}

/* ---------------------------------------------------------------------- */
/* Output.                                                                */

int
px_conn_send(struct px_conn *c, const void *msg, size_t len)
{
    if (c->reason != PX_CONN_OPEN) {
        return EPIPE;
    }
    if (len > c->out_cap - c->out_len) {
        c->stats.out_drops++;
        return ENOBUFS;
    }
    memcpy(c->out + c->out_len, msg, len);
    c->out_len += len;
    return 0;
}

uint8_t *
px_conn_reserve(struct px_conn *c, size_t *room)
{
    if (c->reason != PX_CONN_OPEN) {
        *room = 0;
        return NULL;
    }
    *room = c->out_cap - c->out_len;
    return c->out + c->out_len;
}

void
px_conn_commit(struct px_conn *c, size_t len)
{
    c->out_len += len;
}

void
px_conn_count_drop(struct px_conn *c)
{
    c->stats.out_drops++;
}

size_t
px_conn_queued(const struct px_conn *c)
{
    return c->out_len;
}

int
px_conn_flush(struct px_conn *c)
{
    size_t off = 0;
    int error = 0;

    if (c->reason != PX_CONN_OPEN || !c->established) {
        return 0;
    }
    while (off < c->out_len) {
        ssize_t n = c->class->send(c, c->out + off, c->out_len - off);

        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        error = n < 0 ? errno : EPIPE;
        break;
    }
    if (off) {
        c->stats.tx_bytes += off;
        memmove(c->out, c->out + off, c->out_len - off);
        c->out_len -= off;
    }
    return error ? conn_fail(c, error) : 0;
}

/* ---------------------------------------------------------------------- */
/* Readiness.                                                             */

int
px_conn_events(const struct px_conn *c)
{
    int events = 0;

    if (c->reason != PX_CONN_OPEN) {
        return 0;
    }
    if (c->connecting) {
        return PX_CONN_WRITE;
    }
    if (!c->established) {
        /* Before the first handshake step nothing says what TLS waits
         * for: a writable socket (at once) gets the handshake going. */
        return c->want ? c->want : PX_CONN_WRITE;
    }
    if (!c->eof && c->in_len - c->in_start < c->in_cap) {
        events |= PX_CONN_READ;
    }
    if (c->out_len || c->want == PX_CONN_WRITE) {
        events |= PX_CONN_WRITE;
    }
    return events;
}

int
px_conn_run(struct px_conn *c, int revents)
{
    int error;

    if (c->reason != PX_CONN_OPEN) {
        return EPIPE;
    }
    if (c->connecting) {
        int err = 0;
        socklen_t len = sizeof err;

        if (!(revents & (PX_CONN_WRITE | PX_CONN_READ))) {
            return 0;
        }
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len)) {
            err = errno;
        }
        if (err == EINPROGRESS || err == EALREADY) {
            return 0;
        }
        if (err) {
            snprintf(c->why, sizeof c->why, "connect: %s", strerror(err));
            return conn_fail(c, err);
        }
        c->connecting = 0;
        if (c->transport != PX_TRANSPORT_TLS) {
            c->established = 1;
        }
    }
    if (!c->established) {
        error = c->class->handshake(c);
        if (error == EAGAIN) {
            return 0;
        }
        if (error) {
            return conn_fail(c, error);
        }
        c->established = 1;
        revents |= PX_CONN_WRITE | PX_CONN_READ;
    }
    if (c->out_len && (revents & PX_CONN_WRITE || c->want)) {
        error = px_conn_flush(c);
        if (error) {
            return error;
        }
    }
    if (revents & PX_CONN_READ) {
        return conn_read(c);
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Accessors.                                                             */

int
px_conn_is_open(const struct px_conn *c)
{
    return c->reason == PX_CONN_OPEN;
}

int
px_conn_is_established(const struct px_conn *c)
{
    return c->established;
}

enum px_conn_reason
px_conn_reason(const struct px_conn *c)
{
    return c->reason;
}

const char *
px_conn_why(const struct px_conn *c)
{
    return c->reason == PX_CONN_OPEN ? "" : c->why;
}

const char *
px_conn_peer(const struct px_conn *c)
{
    return c->peer;
}

enum px_transport
px_conn_transport(const struct px_conn *c)
{
    return c->transport;
}

const struct px_conn_stats *
px_conn_stats(const struct px_conn *c)
{
    return &c->stats;
}

int
px_conn_fd(const struct px_conn *c)
{
    return c->fd;
}

/* ---------------------------------------------------------------------- */
/* Handoff.                                                               */

/* The serialization, all integers big-endian:
 *
 *   u32 magic "PXCN", u32 version (1)
 *   u8 transport, u8 server, u8 established, u8 eof
 *   str peer (u32 length + bytes)
 *   u64 rx_bytes, tx_bytes, rx_msgs, out_drops
 *   u32 input length + bytes (not yet taken by px_conn_next)
 *   u32 output length + bytes (queued, not yet written)
 *   u8 has_session; if 1: u64 pid, u64 session handle (an SSL *)
 *
 * A connection in a non-blocking connect is not saved (EAGAIN): it has
 * nothing to hand over that a new connect would not redo. */
#define CONN_MAGIC   0x5058434eu /* "PXCN" */
#define CONN_VERSION 1

int
px_conn_save(struct px_conn *c, struct px_buf *out, int *fd)
{
    size_t in_avail = c->in_len - c->in_start;

    if (c->reason != PX_CONN_OPEN || c->given_up) {
        return EPIPE;
    }
    if (c->connecting) {
        return EAGAIN;
    }
    px_buf_put_be32(out, CONN_MAGIC);
    px_buf_put_be32(out, CONN_VERSION);
    px_buf_put_u8(out, (uint8_t)c->transport);
    px_buf_put_u8(out, (uint8_t)c->server);
    px_buf_put_u8(out, (uint8_t)c->established);
    px_buf_put_u8(out, (uint8_t)c->eof);
    px_buf_put_str(out, c->peer);
    px_buf_put_be64(out, c->stats.rx_bytes);
    px_buf_put_be64(out, c->stats.tx_bytes);
    px_buf_put_be64(out, c->stats.rx_msgs);
    px_buf_put_be64(out, c->stats.out_drops);
    px_buf_put_be32(out, (uint32_t)in_avail);
    px_buf_put(out, c->in + c->in_start, in_avail);
    px_buf_put_be32(out, (uint32_t)c->out_len);
    px_buf_put(out, c->out, c->out_len);
    px_buf_put_u8(out, c->ssl != NULL);
    if (c->ssl) {
        px_buf_put_be64(out, (uint64_t)getpid());
        px_buf_put_be64(out, (uint64_t)(uintptr_t)c->ssl);
    }
    if (px_buf_error(out)) {
        return px_buf_error(out);
    }
    /* The socket and the session now belong to the saved state. */
    *fd = c->fd;
    c->given_up = 1;
    c->ssl = NULL;
    c->fd = -1;
    c->reason = PX_CONN_SHUTDOWN;
    return 0;
}

struct saved_conn {
    uint8_t transport, server, established, eof;
    char peer[64];
    struct px_conn_stats stats;
    const uint8_t *in;
    uint32_t in_len;
    const uint8_t *out;
    uint32_t out_len;
    SSL *ssl;
};

static int
parse_saved(struct px_cursor *in, struct saved_conn *s)
{
    uint8_t has_session;

    memset(s, 0, sizeof *s);
    if (px_cursor_be32(in) != CONN_MAGIC ||
        px_cursor_be32(in) != CONN_VERSION) {
        return EPROTO;
    }
    s->transport = px_cursor_u8(in);
    s->server = px_cursor_u8(in);
    s->established = px_cursor_u8(in);
    s->eof = px_cursor_u8(in);
    px_cursor_str(in, s->peer, sizeof s->peer);
    s->stats.rx_bytes = px_cursor_be64(in);
    s->stats.tx_bytes = px_cursor_be64(in);
    s->stats.rx_msgs = px_cursor_be64(in);
    s->stats.out_drops = px_cursor_be64(in);
    s->in_len = px_cursor_be32(in);
    s->in = px_cursor_bytes(in, s->in_len);
    s->out_len = px_cursor_be32(in);
    s->out = px_cursor_bytes(in, s->out_len);
    has_session = px_cursor_u8(in);
    if (in->error || s->server > 1 || s->established > 1 || s->eof > 1 ||
        has_session > 1 ||
        (s->transport != PX_TRANSPORT_TCP &&
         s->transport != PX_TRANSPORT_TLS &&
         s->transport != PX_TRANSPORT_UNIX) ||
        (has_session != (s->transport == PX_TRANSPORT_TLS))) {
        return EPROTO;
    }
    if (has_session) {
        uint64_t pid = px_cursor_be64(in);
        uint64_t handle = px_cursor_be64(in);

        /* A session is memory of the process that saved it. */
        if (in->error || pid != (uint64_t)getpid() || !handle) {
            return EPROTO;
        }
        s->ssl = (SSL *)(uintptr_t)handle;
    }
    return in->error ? EPROTO : 0;
}

int
px_conn_restore(struct px_cursor *in, int fd, const struct px_conn_options *o,
                struct px_conn **out)
{
    struct saved_conn s;
    struct px_conn *c;
    int error = parse_saved(in, &s);

    *out = NULL;
    if (error) {
        close(fd);
        return error;
    }
    /* The connection keeps the transport it was made with, whatever new
     * connections now use. */
    c = conn_alloc(fd, s.peer, o, (enum px_transport)s.transport);
    if (!c) {
        error = errno;
        SSL_free(s.ssl);
        close(fd);
        return error;
    }
    if (s.in_len > c->in_cap || s.out_len > c->out_cap) {
        SSL_free(s.ssl);
        close(fd);
        conn_free(c);
        return ENOBUFS;
    }
    c->server = s.server;
    c->established = s.established;
    c->eof = s.eof;
    c->stats = s.stats;
    memcpy(c->in, s.in, s.in_len);
    c->in_len = s.in_len;
    memcpy(c->out, s.out, s.out_len);
    c->out_len = s.out_len;
    if (s.ssl) {
        c->ssl = s.ssl;
        /* The next generation may have the socket under another number. */
        if (SSL_get_fd(c->ssl) != fd) {
            SSL_set_fd(c->ssl, fd);
        }
    }
    *out = c;
    return 0;
}

void
px_conn_forget_saved(struct px_cursor *in)
{
    struct saved_conn s;

    if (!parse_saved(in, &s)) {
        SSL_free(s.ssl);
    }
}

/* ---------------------------------------------------------------------- */
/* Endpoints.                                                             */

int
px_endpoint_parse(const char *spec, struct px_endpoint *ep, char *why,
                  size_t why_size)
{
    const char *colon = strchr(spec, ':');
    const char *rest, *port;
    char kind[8];
    char *end;
    long n;
    size_t host_len;
    int bracketed = 0;

    memset(ep, 0, sizeof *ep);
    if (!colon || (size_t)(colon - spec) >= sizeof kind) {
        snprintf(why, why_size,
                 "'%s': expected tcp:ADDRESS:PORT, tls:ADDRESS:PORT or "
                 "unix:PATH",
                 spec);
        return EINVAL;
    }
    memcpy(kind, spec, (size_t)(colon - spec));
    kind[colon - spec] = '\0';
    if (px_transport_parse(kind, &ep->transport)) {
        snprintf(why, why_size, "'%s': unknown transport '%s'", spec, kind);
        return EINVAL;
    }
    rest = colon + 1;
    if (ep->transport == PX_TRANSPORT_UNIX) {
        if (!*rest || strlen(rest) >= sizeof ep->path) {
            snprintf(why, why_size,
                     "'%s': the socket path is empty or "
                     "longer than 107 bytes",
                     spec);
            return EINVAL;
        }
        snprintf(ep->path, sizeof ep->path, "%s", rest);
        return 0;
    }
    if (*rest == '[') {
        const char *close = strchr(rest, ']');

        if (!close || close[1] != ':') {
            snprintf(why, why_size, "'%s': expected [IPV6]:PORT", spec);
            return EINVAL;
        }
        host_len = (size_t)(close - rest - 1);
        rest++;
        port = close + 2;
        bracketed = 1;
    } else {
        const char *last = strrchr(rest, ':');

        if (!last || strchr(rest, ':') != last) {
            snprintf(why, why_size,
                     "'%s': expected ADDRESS:PORT (an IPv6 address goes in "
                     "brackets)",
                     spec);
            return EINVAL;
        }
        host_len = (size_t)(last - rest);
        port = last + 1;
    }
    if (!host_len || host_len >= sizeof ep->host ||
        strspn(rest, "0123456789abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ.:-_%") < host_len) {
        snprintf(why, why_size, "'%s': bad address", spec);
        return EINVAL;
    }
    memcpy(ep->host, rest, host_len);
    ep->host[host_len] = '\0';
    if (bracketed != (strchr(ep->host, ':') != NULL)) {
        /* Brackets hold an IPv6 address and nothing else. */
        snprintf(why, why_size, "'%s': bad address", spec);
        return EINVAL;
    }
    errno = 0;
    n = strtol(port, &end, 10);
    if (!*port || *end || errno || n < 0 || n > 65535) {
        snprintf(why, why_size, "'%s': bad port '%s'", spec, port);
        return EINVAL;
    }
    ep->port = (int)n;
    return 0;
}

void
px_endpoint_format(const struct px_endpoint *ep, char *buf, size_t size)
{
    if (ep->transport == PX_TRANSPORT_UNIX) {
        snprintf(buf, size, "unix:%s", ep->path);
    } else if (strchr(ep->host, ':')) {
        snprintf(buf, size, "%s:[%s]:%d", px_transport_name(ep->transport),
                 ep->host, ep->port);
    } else {
        snprintf(buf, size, "%s:%s:%d", px_transport_name(ep->transport),
                 ep->host, ep->port);
    }
}

/* Fills 'ss' for a numeric address; the length in '*len'. */
static int
inet_sockaddr(const struct px_endpoint *ep, struct sockaddr_storage *ss,
              socklen_t *len)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, ep->host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)ep->port);
        *len = sizeof *sin;
        return 0;
    }
    if (inet_pton(AF_INET6, ep->host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)ep->port);
        *len = sizeof *sin6;
        return 0;
    }
    return EINVAL;
}

static int
unix_sockaddr(const struct px_endpoint *ep, struct sockaddr_un *sun)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    if (strlen(ep->path) >= sizeof sun->sun_path) {
        return ENAMETOOLONG;
    }
    memcpy(sun->sun_path, ep->path, strlen(ep->path));
    return 0;
}

/* Removes a socket file at 'path' that nothing listens on any more. */
static void
remove_stale_socket(const char *path, const struct sockaddr_un *sun)
{
    struct stat st;
    int fd;

    if (lstat(path, &st) || !S_ISSOCK(st.st_mode)) {
        return;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    if (connect(fd, (const struct sockaddr *)sun, sizeof *sun) &&
        errno == ECONNREFUSED) {
        unlink(path);
    }
    close(fd);
}

int
px_listen(const struct px_endpoint *ep, int backlog, int *fdp, char *why,
          size_t why_size)
{
    struct sockaddr_storage ss;
    struct sockaddr_un sun;
    const struct sockaddr *sa;
    socklen_t len;
    char label[200];
    int one = 1, fd, error;

    px_endpoint_format(ep, label, sizeof label);
    if (ep->transport == PX_TRANSPORT_UNIX) {
        if ((error = unix_sockaddr(ep, &sun))) {
            snprintf(why, why_size, "%s: path too long", label);
            return error;
        }
        remove_stale_socket(ep->path, &sun);
        sa = (const struct sockaddr *)&sun;
        len = sizeof sun;
    } else {
        if (inet_sockaddr(ep, &ss, &len)) {
            snprintf(why, why_size, "'%s' is not an IPv4 or IPv6 address",
                     ep->host);
            return EINVAL;
        }
        sa = (const struct sockaddr *)&ss;
    }
    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        snprintf(why, why_size, "socket: %s", strerror(error));
        return error;
    }
    if (sa->sa_family != AF_UNIX) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (sa->sa_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (bind(fd, sa, len) || listen(fd, backlog)) {
        error = errno;
        snprintf(why, why_size, "cannot listen on %s: %s", label,
                 strerror(error));
        close(fd);
        return error;
    }
    *fdp = fd;
    return 0;
}

int
px_listen_accept(int lfd, int *fdp, char *peer, size_t peer_size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char addr[INET6_ADDRSTRLEN];
    int one = 1;
    int fd = accept4(lfd, (struct sockaddr *)&ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
        return errno == EWOULDBLOCK ? EAGAIN : errno;
    }
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

        inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof addr);
        snprintf(peer, peer_size, "%s:%u", addr, ntohs(sin->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

        inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof addr);
        snprintf(peer, peer_size, "[%s]:%u", addr, ntohs(sin6->sin6_port));
    } else {
        snprintf(peer, peer_size, "unix:%d", fd);
    }
    if (ss.ss_family != AF_UNIX) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    *fdp = fd;
    return 0;
}

int
px_connect(const struct px_endpoint *ep, int *fdp, char *why, size_t why_size)
{
    struct addrinfo hints, *res = NULL;
    struct sockaddr_un sun;
    const struct sockaddr *sa;
    socklen_t len;
    char port[16];
    int one = 1, fd, error;

    if (ep->transport == PX_TRANSPORT_UNIX) {
        if ((error = unix_sockaddr(ep, &sun))) {
            snprintf(why, why_size, "unix:%s: path too long", ep->path);
            return error;
        }
        sa = (const struct sockaddr *)&sun;
        len = sizeof sun;
    } else {
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        snprintf(port, sizeof port, "%d", ep->port);
        error = getaddrinfo(ep->host, port, &hints, &res);
        if (error) {
            snprintf(why, why_size, "%s: %s", ep->host, gai_strerror(error));
            return EHOSTUNREACH;
        }
        sa = res->ai_addr;
        len = res->ai_addrlen;
    }
    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        snprintf(why, why_size, "socket: %s", strerror(error));
        freeaddrinfo(res);
        return error;
    }
    if (sa->sa_family != AF_UNIX) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (connect(fd, sa, len) && errno != EINPROGRESS) {
        error = errno;
        snprintf(why, why_size, "connect: %s", strerror(error));
        close(fd);
        freeaddrinfo(res);
        return error;
    }
    freeaddrinfo(res);
    *fdp = fd;
    return 0;
}
