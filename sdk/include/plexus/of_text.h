/*
 * Text forms of what a switch reports, for people: a match (a list of
 * px_of_field), a flow's instructions, an action list, a port number.
 *
 * Two plugins show matches: flowmon in its /metrics labels, in OpenFlow
 * 1.3's lower-case field names (PX_OF_TEXT_OXM, "eth_type=0x0800,
 * ipv4_dst=10.0.0.0/8"), and the console in the names operators read in
 * ovs-ofctl's dumps (PX_OF_TEXT_OVS, "dl_type=0x0800,nw_dst=10.0.0.0/8"),
 * so one formatter serves both, with the style as an argument.  Actions
 * and instructions are written in ovs-ofctl's style alone
 * ("output:1,set_field:02:00:00:00:00:01->eth_dst,group:5,goto_table:1",
 * "drop" for none).
 *
 * Every function appends to a px_buf (whose errors are sticky) and
 * returns px_buf_error(b).  Pure functions, in libplexus.a.
 */
#ifndef PLEXUS_OF_TEXT_H
#define PLEXUS_OF_TEXT_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/buf.h"
#include "plexus/topics/openflow.h"

#ifdef __cplusplus
extern "C" {
#endif

enum px_of_text_style {
    /* OpenFlow 1.3's field names in lower case (in_port, eth_dst,
     * ipv4_src, tcp_dst, vlan_vid...), special ports in lower case
     * (in_port=local); an empty match is "any". */
    PX_OF_TEXT_OXM = 0,
    /* ovs-ofctl's names (in_port, dl_dst, dl_type, nw_src, nw_proto,
     * tp_dst, dl_vlan, icmp_type, tun_id, nd_target...), IP_DSCP as
     * ovs-ofctl's nw_tos (the DSCP shifted left by 2), special ports in
     * upper case (in_port=LOCAL); an empty match is "". */
    PX_OF_TEXT_OVS = 1,
};

/* Appends the match of 'n' fields at 'fields' to 'b' as NAME=VALUE
 * separated by ',', in the order given, with the names of 'style': MACs
 * as "02:00:00:00:00:01", IPv4 and IPv6 addresses as text with "/LENGTH"
 * for a prefix mask and "/MASK" for any other, ETH_TYPE as 0x0800,
 * VLAN_VID as the id ("none", or ovs-ofctl's vlan_tci=0x0000, for no
 * tag), METADATA, TUNNEL_ID and the IPv6 flow label in hex, special ports
 * by name, other numbers in decimal, any other masked value as
 * 0xVALUE/0xMASK.  An id outside enum px_of_field_id is "fieldN=?". */
int px_of_match_format(struct px_buf *b, const struct px_of_field *fields,
                       size_t n, enum px_of_text_style style);

/* Appends 'n' actions to 'b', separated by ',', as ovs-ofctl writes them:
 * output:N (the special ports by name: IN_PORT, TABLE, NORMAL, FLOOD, ALL,
 * CONTROLLER:MAX_LEN, LOCAL), group:N, set_queue:N, set_field:VALUE->NAME
 * (VALUE as in a match, VLAN_VID and IP_DSCP as the number in the field;
 * NAME as ovs-ofctl's set_field names it: eth_dst, vlan_vid, ip_src,
 * tcp_dst, tun_id...), mod_dl_src:MAC, mod_dl_dst:MAC, push_vlan:0x8100,
 * pop_vlan, push_mpls:0x8847, pop_mpls:0x0800, dec_ttl, mod_nw_ttl:N,
 * dec_mpls_ttl, set_mpls_ttl(N), copy_ttl_out, copy_ttl_in,
 * experimenter:0xID (its experimenter id) and, for an action the SDK has
 * no name for, action(type=0xT,len=N).  None is "drop". */
int px_of_actions_format(struct px_buf *b, const struct px_of_action *actions,
                         size_t n);

/* Appends a flow's 'n' instructions to 'b' as ovs-ofctl writes them, in
 * the order given: APPLY_ACTIONS as its actions, WRITE_ACTIONS as
 * write_actions(ACTIONS), clear_actions, write_metadata:0xV (/0xM unless
 * the mask is all ones), goto_table:N, meter:N, and one the SDK has no
 * name for as instruction(type=0xT,len=N).  Instructions that do nothing
 * (none, or APPLY_ACTIONS with no action alone) are "drop". */
int px_of_instructions_format(struct px_buf *b,
                              const struct px_of_instruction *instructions,
                              size_t n);

/* Writes port 'port_no' into 'buf' (16 bytes are enough) in 'style': its
 * number in decimal, or the name of a special port ("local",
 * "controller"... for PX_OF_TEXT_OXM; "LOCAL", "CONTROLLER"... for
 * PX_OF_TEXT_OVS).  Returns 'buf'. */
const char *px_of_port_text(uint32_t port_no, enum px_of_text_style style,
                            char *buf, size_t size);

/* Room for px_of_dpid_text's text and its NUL. */
#define PX_OF_DPID_TEXT_SIZE 24

/* Writes datapath id 'dpid' into 'buf' as ovs-ofctl shows one, eight
 * colon-separated bytes ("00:00:00:00:00:00:00:01"), cut to 'size'.
 * Returns 'buf'. */
const char *px_of_dpid_text(uint64_t dpid, char *buf, size_t size);

/* Reads a datapath id as operators write it: up to 16 hex digits, with or
 * without "0x" and with or without colons between digits
 * ("00:00:00:00:00:00:00:01", "0000000000000001", "0x1").  Returns 0 or
 * EINVAL. */
int px_of_dpid_parse(const char *text, uint64_t *dpid);

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_OF_TEXT_H */
