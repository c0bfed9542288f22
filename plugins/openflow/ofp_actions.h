/*
 * Actions and instructions on the wire: px_of_action lists written as
 * OpenFlow 1.0 or 1.3 actions, px_of_instruction lists as 1.3
 * instructions (or, for 1.0, the one action list it has).  Pure functions
 * over the codec's writer, private to the codec (ofp.c) and its tests.
 */
#ifndef OF_OFP_ACTIONS_H
#define OF_OFP_ACTIONS_H 1

#include <stddef.h>
#include <stdint.h>

#include "ofp_common.h"
#include "plexus/topics/openflow.h"

/* Appends 'n' actions for 'version', the i-th at 'a' + i * 'stride' bytes:
 * sizeof(struct px_of_action), or PX_OF_ACTION_V3_LEN for a request of
 * topic version 3 or less (whose types stop at SET_DL_DST).  Refuses
 * through the writer: EINVAL for a malformed action (NULL list, unknown
 * type, a masked or out-of-range SET_FIELD, an EXPERIMENTER whose bytes
 * are not a whole action), EOPNOTSUPP for one 'version' cannot express
 * (see plexus/topics/openflow.h). */
void of_put_actions(struct writer *w, uint8_t version,
                    const struct px_of_action *a, size_t n, size_t stride);

/* Appends 'n' instructions for 'version': 1.3's as they are; for 1.0 the
 * actions of an APPLY_ACTIONS, the only instruction 1.0 can express
 * (EOPNOTSUPP for the others).  EINVAL for a NULL list, an unknown type,
 * or a type twice. */
void of_put_instructions(struct writer *w, uint8_t version,
                         const struct px_of_instruction *in, size_t n);

/* Where decoded actions, instructions and buckets go, and how many of
 * each (and of SET_FIELD's fields) were decoded so far.  With NULL arrays
 * the decoders only count: what the caller then allocates, for a second
 * pass over the same bytes that fills them.  The caller owns the arrays;
 * what the decoders write points into them and into the bytes decoded. */
struct of_action_lists {
    struct px_of_instruction *instructions;
    struct px_of_action *actions;
    struct px_of_field *fields;
    struct px_of_bucket *buckets;
    size_t n_instructions, n_actions, n_fields, n_buckets;
};

/* Appends to 'l' the actions of 'version' in 'len' bytes at 'p', as
 * plexus/topics/openflow.h says a switch's actions are handed over (see
 * px_of_flow_stats): each it has a name for, the rest RAW.  'ip_proto'
 * says whose ports a 1.0 SET_TP_* sets (UDP's for 17, TCP's otherwise).
 * Points '*first' at the first of them (NULL when only counting) and
 * puts their number in '*n'.  EPROTO, with 'why', for an action that
 * overruns 'len', is not a multiple of 8, or is not its type's length. */
int of_decode_actions(uint8_t version, const uint8_t *p, size_t len,
                      uint8_t ip_proto, struct of_action_lists *l,
                      const struct px_of_action **first, size_t *n,
                      const char **why);

/* The same for a flow's instructions: 1.3's (those without a name RAW),
 * or 1.0's actions as one APPLY_ACTIONS (none when there are none). */
int of_decode_instructions(uint8_t version, const uint8_t *p, size_t len,
                           uint8_t ip_proto, struct of_action_lists *l,
                           const struct px_of_instruction **first, size_t *n,
                           const char **why);

/* The same for a 1.3 group's buckets (struct ofp13_bucket, with their
 * actions). */
int of_decode_buckets(const uint8_t *p, size_t len, struct of_action_lists *l,
                      const struct px_of_bucket **first, size_t *n,
                      const char **why);

#endif /* OF_OFP_ACTIONS_H */
