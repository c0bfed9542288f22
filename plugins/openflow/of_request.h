/*
 * of_request: the requests of other plugins that a switch answers later
 * (openflow.barrier, openflow.send), kept per connection until their
 * final reply, and the replies openflow publishes on their 'reply_to'
 * topics (struct px_of_reply in <plexus/topics/openflow.h>).
 *
 * A switch processes and answers messages in the order they were sent, so
 * the table is in sending order: a message sent without a reply of its own
 * is known to have succeeded once a barrier sent after it is answered, and
 * openflow sends one such barrier per pass for every switch that has such
 * messages waiting (of_req_sync).
 *
 * The table is bounded (OF_MAX_PENDING): a request beyond it is refused
 * with ENOBUFS before it is sent.  The topics in it are the bus's, which
 * never frees a topic, so an entry stays valid whatever plugins come and
 * go.
 */
#ifndef OF_REQUEST_H
#define OF_REQUEST_H 1

#include <stdint.h>

#include "plexus/buf.h"
#include "plexus/topics/openflow.h"

struct of_conn;
struct of_header;
struct openflow;
struct px_topic;

/* Replies a switch may owe at once. */
#define OF_MAX_PENDING 1024

/* What a message sent to the switch waits for. */
enum of_await {
    OF_AWAIT_BARRIER, /* openflow.barrier: the BARRIER_REPLY. */
    OF_AWAIT_REPLY,   /* openflow.send with a reply: every message with
                       * its xid, to the last part. */
    OF_AWAIT_ACK,     /* openflow.send without one: the next OF_AWAIT_SYNC
                       * answered. */
    OF_AWAIT_SYNC,    /* openflow's own barrier for the OF_AWAIT_ACKs
                       * before it; no requester. */
    OF_AWAIT_ROLE,    /* openflow.role: the ROLE_REPLY. */
    OF_AWAIT_STATS,   /* openflow.stats: every part of the reply, kept
                       * in 'body' until the last. */
    OF_AWAIT_ASYNC,   /* openflow.async with 'get': the GET_ASYNC_REPLY. */
};

/* The most bytes of a statistics reply's parts openflow assembles for one
 * request; a longer reply ends the request with PX_OF_REPLY_GONE, counted
 * as output_full. */
#define OF_MAX_STATS_REPLY (4u << 20)

/* One message the switch owes a reply to. */
struct of_pending {
    uint32_t xid; /* Of the message sent. */
    enum of_await kind;
    struct px_topic *reply; /* The requester's 'reply_to'; NULL for SYNC. */
    uint64_t request_id;
    /* OF_AWAIT_STATS: the kind asked for, and the parts' bodies so far
     * (owned by the entry; NULL for the other kinds). */
    uint32_t stats_type;
    struct px_buf *body;
};

/* Publishes 'r' on 'reply' as openflow (the inventory's replies, which
 * come at once and owe nothing). */
void of_req_publish(struct openflow *of, struct px_topic *reply,
                    const struct px_of_reply *r);

/* The xid for the next message to 'c' whose reply is awaited: c->xid,
 * moved past 0, which is what switches put on their own messages. */
uint32_t of_req_xid(struct of_conn *c);

/* Remembers that the message 'xid' sent to 'c' is awaited as 'kind' by the
 * request 'request_id', whose replies go to 'reply'.  Returns 0, or
 * ENOBUFS when 'c' owes OF_MAX_PENDING replies already or memory is
 * short. */
int of_req_expect(struct of_conn *c, uint32_t xid, enum of_await kind,
                  struct px_topic *reply, uint64_t request_id);

/* of_req_expect for a statistics request of kind 'stats_type', whose
 * reply's parts are assembled (up to OF_MAX_STATS_REPLY bytes). */
int of_req_expect_stats(struct of_conn *c, uint32_t xid,
                        struct px_topic *reply, uint64_t request_id,
                        uint32_t stats_type);

/* Whether 'c' owes OF_MAX_PENDING replies already. */
int of_req_full(const struct of_conn *c);

/* Looks at a message from the switch of 'c' (whole, header 'h'): if a
 * request waits for its xid, publishes the reply to the requester, and
 * forgets the request once that reply was its last.  'error' is the
 * decoded ERROR when the message is one, else NULL.  Returns 0, or EPROTO
 * with 'why' for a statistics reply that cannot be read (the requester is
 * told PX_OF_REPLY_GONE; the caller closes the connection).  The caller
 * handles the message as usual afterwards. */
int of_req_incoming(struct of_conn *c, const struct of_header *h,
                    const uint8_t *msg, const struct px_of_error *error,
                    const char **why);

/* If messages sent to 'c' without replies of their own wait for a barrier
 * that is not sent yet, queues one (OF_AWAIT_SYNC).  Called before every
 * flush. */
void of_req_sync(struct of_conn *c);

/* Ends every request 'c' owes a reply to with PX_OF_REPLY_GONE and
 * 'cause' (a static text), before the connection closes or is handed to
 * the next generation, which would not know them. */
void of_req_gone(struct of_conn *c, const char *cause);

/* Frees the table of 'c' (NULL is fine); of_req_gone must have ended its
 * requests. */
void of_req_free(struct of_conn *c);

#endif /* OF_REQUEST_H */
