/*
 * flowmon's text forms of what a switch reports: a flow's match as one
 * compact label ("in_port=1,eth_type=0x0800,ipv4_dst=10.0.0.0/8") and a
 * port number as a label ("3", "local").  Pure functions, unit-tested in
 * tests/unit/test_flowmon.c.
 */
#ifndef FM_MATCH_H
#define FM_MATCH_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/buf.h"
#include "plexus/topics/openflow.h"

/* Appends the match of 'n' fields at 'fields' to 'b' as NAME=VALUE
 * separated by ',', in the order given, with OpenFlow 1.3's field names
 * in lower case (in_port, eth_dst, ipv4_src, tcp_dst...): MACs as
 * "02:00:00:00:00:01", IPv4 and IPv6 addresses as text with "/LENGTH"
 * for a prefix mask and "/MASK" for any other, ETH_TYPE as 0x0800,
 * VLAN_VID as the id ("none" for no tag), METADATA and TUNNEL_ID in hex,
 * special ports by name (in_port=local), other numbers in decimal, any
 * other masked value as 0xVALUE/0xMASK.  An empty match is "any".
 * Returns px_buf_error(b). */
int fm_match_format(struct px_buf *b, const struct px_of_field *fields,
                    size_t n);

/* Writes port 'port_no' as a label into 'buf' (16 bytes are enough): its
 * number in decimal, or the name of a special port ("local",
 * "controller"...). */
void fm_port_name(uint32_t port_no, char *buf, size_t size);

#endif /* FM_MATCH_H */
