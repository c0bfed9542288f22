/*
 * Match fields (struct px_of_field lists) on the wire: checked against
 * OpenFlow 1.3's rules (widths, masks, prerequisites), written as a 1.3
 * OXM match or a 1.0 twelve-tuple, and read back from either.  Pure
 * functions, private to the codec (ofp.c) and its tests.
 */
#ifndef OF_OFP_MATCH_H
#define OF_OFP_MATCH_H 1

#include <stddef.h>
#include <stdint.h>

#include "ofp_wire.h"
#include "ofp_common.h"
#include "plexus/topics/openflow.h"

/* Checks 'n' fields at 'f' (NULL only when 'n' is 0): known ids, each at
 * most once, masks only on maskable fields and no value bit outside its
 * mask, values within their field (a 3-bit VLAN_PCP...) — EINVAL
 * otherwise — and every field's 1.3 prerequisites present (EOPNOTSUPP).
 * Returns 0 or the error, with a static reason in '*why'. */
int of_fields_check(const struct px_of_field *f, size_t n, const char **why);

/* The value of 'f', a field of at most 8 bytes (of the first 8 bytes of a
 * wider one), as a number. */
uint64_t of_field_value(const struct px_of_field *f);

/* Checks the one field of a SET_FIELD action: a known id, no mask, a value
 * within its field.  Returns 0 or EINVAL, with 'why'. */
int of_field_check_set(const struct px_of_field *x, const char **why);

/* Appends the 1.3 match (struct ofp13_match, its OXM fields in field order,
 * which puts every prerequisite first, and the padding) for 'n' fields,
 * refusing through the writer what of_fields_check refuses. */
void of_put_fields13(struct writer *w, const struct px_of_field *f, size_t n);

/* Fills in the 1.0 match 'om' (zeroed; NULL when the writer had no room
 * for it, so that only the refusals are made) for 'n' fields, refusing
 * what of_fields_check refuses and, with EOPNOTSUPP, what 1.0 cannot say:
 * fields it has no place for, masks other than IPv4 prefixes, port
 * numbers above its 16 bits. */
void of_put_fields10(struct writer *w, const struct px_of_field *f, size_t n,
                     struct ofp10_match *om);

/* Reads the OXM fields of 'len' bytes at 'oxm' (a 1.3 match's, after its
 * type and length) into 'out' (room for PX_OF_F_COUNT), in wire order, and
 * their number into '*n'.  Fields of other classes than OPENFLOW_BASIC and
 * basic fields we do not know are skipped.  EPROTO, with 'why', for a
 * field that overruns 'len', a known field of the wrong length, or one
 * that comes twice. */
int of_decode_oxm(const uint8_t *oxm, size_t len, struct px_of_field *out,
                  size_t *n, const char **why);

/* A 1.3 match (struct ofp13_match and its OXM fields) at 'match', with
 * 'avail' bytes of the message from there: its fields as of_decode_oxm
 * reads them, and in '*size' its length with padding, where what follows
 * it starts.  EPROTO, with 'why', for a match that is not OXM, shorter
 * than its header, or longer, padded, than 'avail'. */
int of_decode_match13(const uint8_t *match, size_t avail,
                      struct px_of_field *out, size_t *n, size_t *size,
                      const char **why);

/* The fields a 1.0 match 'om' does not wildcard, into 'out' (room for
 * PX_OF_F_COUNT), read as Open vSwitch reads them (ARP's addresses and
 * opcode in nw_src, nw_dst and nw_proto, ICMP's type and code in the
 * transport ports); their number into '*n'. */
void of_decode_match10(const struct ofp10_match *om, struct px_of_field *out,
                       size_t *n);

#endif /* OF_OFP_MATCH_H */
