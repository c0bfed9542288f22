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

#endif /* OF_OFP_ACTIONS_H */
