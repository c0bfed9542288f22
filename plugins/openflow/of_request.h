/*
 * of_request: the requests of other plugins that a switch answers later
 * (openflow.barrier), kept per connection until the answer, an ERROR for
 * them, or the connection's end, and the replies openflow publishes on
 * their 'reply_to' topics (struct px_of_reply in <plexus/topics/openflow.h>).
 *
 * A connection's table of requests awaiting a reply is bounded
 * (OF_MAX_PENDING): a request beyond it is refused with ENOBUFS before it
 * is sent.  The topics in it are the bus's, which never frees a topic, so
 * an entry stays valid whatever plugins come and go.
 */
#ifndef OF_REQUEST_H
#define OF_REQUEST_H 1

#include <stdint.h>

#include "plexus/topics/openflow.h"

struct of_conn;
struct openflow;
struct px_topic;

/* Requests a switch may owe replies to at once. */
#define OF_MAX_PENDING 1024

/* One request a switch owes a reply to. */
struct of_pending {
    uint32_t xid;           /* Of the message sent for it. */
    struct px_topic *reply; /* The requester's 'reply_to'. */
    uint64_t request_id;
};

/* Publishes 'r' on 'reply' as openflow. */
void of_req_publish(struct openflow *of, struct px_topic *reply,
                    const struct px_of_reply *r);

/* Remembers that the message 'xid' sent to 'c' answers the request
 * 'request_id', whose replies go to 'reply'.  Returns 0, or ENOBUFS when
 * 'c' owes OF_MAX_PENDING replies already (or memory is short). */
int of_req_expect(struct of_conn *c, uint32_t xid, struct px_topic *reply,
                  uint64_t request_id);

/* The switch of 'c' answered the message 'xid' with a reply of 'type'
 * (PX_OF_REPLY_BARRIER, or PX_OF_REPLY_ERROR with 'error'): publishes it
 * to the requester and forgets the request.  Returns 1 if a request was
 * waiting for it, 0 if none was (a reply to openflow's own message). */
int of_req_answer(struct of_conn *c, uint32_t xid, uint32_t type,
                  const struct px_of_error *error);

/* Ends every request 'c' owes a reply to with PX_OF_REPLY_GONE and
 * 'cause' (a static text), before the connection closes or is handed to
 * the next generation, which would not know them. */
void of_req_gone(struct of_conn *c, const char *cause);

/* Frees the table of 'c' (NULL is fine); of_req_gone must have ended its
 * requests. */
void of_req_free(struct of_conn *c);

#endif /* OF_REQUEST_H */
