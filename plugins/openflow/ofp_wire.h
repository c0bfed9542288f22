/*
 * The OpenFlow wire structs that the codec (ofp.c) reads and writes, for
 * OpenFlow 1.0.0 (wire version 0x01) and 1.3.x (0x04), as the
 * specifications declare them, with each struct's size asserted against
 * the size the specification gives, so that a reviewer checks a layout
 * against the spec rather than a list of offsets.  Section numbers are
 * those of "OpenFlow Switch Specification" 1.0.0 (chapter 5, the
 * protocol) and 1.3.5 (chapter 7, the protocol; every 1.3.x declares the
 * same structures).
 *
 * Every multi-byte field is a byte array holding the value in network
 * order, read and written only with the helpers of <plexus/byteorder.h>
 * (px_get_be16(oh->length), px_put_be32(opo->buffer_id, ...)).  Byte
 * arrays give every struct an alignment of 1 and no padding, so a struct
 * pointer may point anywhere in a stream buffer (a message starts at any
 * offset there) without undefined behaviour, and no struct needs
 * __attribute__((packed)).  The price is that a field is not assignable
 * as an integer, which is the point: the byte order is always explicit.
 *
 * Variable-length parts (a 1.0 features reply's ports, a match's OXM
 * fields, action lists, frames) follow the fixed part; where the spec
 * ends a struct with a zero-length array, a flexible array member stands
 * for it.  Constants (message types, port numbers, flags) stay in ofp.c
 * and ofp.h, next to the code that gives them meaning.
 *
 * The header is private to the openflow plugin and its tests.
 */
#ifndef OF_OFP_WIRE_H
#define OF_OFP_WIRE_H 1

#include <stddef.h>
#include <stdint.h>

#define OFP_ETH_ALEN          6
#define OFP_MAX_PORT_NAME_LEN 16

/* Both versions. */

/* 1.0 5.1, 1.3 7.1: the header of every message. */
struct ofp_header {
    uint8_t version;   /* PX_OF_VERSION_10 or _13. */
    uint8_t type;      /* enum of_type. */
    uint8_t length[2]; /* Of the whole message, this header included. */
    uint8_t xid[4];
};
_Static_assert(sizeof(struct ofp_header) == 8, "1.0 5.1, 1.3 7.1");

/* 1.0 5.3.2, 1.3 7.3.2: SET_CONFIG (and GET_CONFIG_REPLY). */
struct ofp_switch_config {
    struct ofp_header header;
    uint8_t flags[2];         /* OFPC_FRAG_*. */
    uint8_t miss_send_len[2]; /* Bytes of a table-miss packet to send. */
};
_Static_assert(sizeof(struct ofp_switch_config) == 12, "1.0 5.3.2, 1.3 7.3.2");

/* 1.0 5.4.4, 1.3 7.4.4: ERROR.  A 1.3 experimenter error (type 0xffff)
 * has exp_type in 'code' and the experimenter id in data's first 4 bytes. */
struct ofp_error_msg {
    struct ofp_header header;
    uint8_t type[2];
    uint8_t code[2];
    uint8_t data[]; /* At least 64 bytes of the failed request, or text. */
};
_Static_assert(sizeof(struct ofp_error_msg) == 12, "1.0 5.4.4, 1.3 7.4.4");

/* 1.3 7.5.1: HELLO elements.  A 1.0 HELLO has no body (or one that must
 * be ignored); elements came with 1.3.1. */
struct ofp_hello_elem_header {
    uint8_t type[2];   /* OFPHET_*. */
    uint8_t length[2]; /* Of the element, this header included, before
                        * padding to 8 bytes. */
};
_Static_assert(sizeof(struct ofp_hello_elem_header) == 4, "1.3 7.5.1");

/* 1.3 7.5.1: the version-bitmap element; bit N of the first 32-bit word
 * is wire version N. */
struct ofp_hello_elem_versionbitmap {
    uint8_t type[2];   /* OFPHET_VERSIONBITMAP. */
    uint8_t length[2]; /* 4 + 4 * number of bitmap words. */
    uint8_t bitmaps[]; /* 32-bit words. */
};
_Static_assert(sizeof(struct ofp_hello_elem_versionbitmap) == 4, "1.3 7.5.1");

/* OpenFlow 1.0. */

/* 5.2.1: a port, in a FEATURES_REPLY or a PORT_STATUS. */
struct ofp10_phy_port {
    uint8_t port_no[2];
    uint8_t hw_addr[OFP_ETH_ALEN];
    char name[OFP_MAX_PORT_NAME_LEN]; /* NUL-terminated, the spec says. */
    uint8_t config[4];                /* OFPPC_*. */
    uint8_t state[4];                 /* OFPPS_*. */
    uint8_t curr[4];                  /* OFPPF_*: 1.0's layout. */
    uint8_t advertised[4];
    uint8_t supported[4];
    uint8_t peer[4];
};
_Static_assert(sizeof(struct ofp10_phy_port) == 48, "1.0 5.2.1");

/* 5.2.3: the fixed match.  A wildcarded field's value is ignored. */
struct ofp10_match {
    uint8_t wildcards[4]; /* OFPFW10_*. */
    uint8_t in_port[2];
    uint8_t dl_src[OFP_ETH_ALEN];
    uint8_t dl_dst[OFP_ETH_ALEN];
    uint8_t dl_vlan[2];
    uint8_t dl_vlan_pcp;
    uint8_t pad1[1];
    uint8_t dl_type[2];
    uint8_t nw_tos;
    uint8_t nw_proto;
    uint8_t pad2[2];
    uint8_t nw_src[4];
    uint8_t nw_dst[4];
    uint8_t tp_src[2];
    uint8_t tp_dst[2];
};
_Static_assert(sizeof(struct ofp10_match) == 40, "1.0 5.2.3");

/* 5.2.4: OFPAT10_OUTPUT. */
struct ofp10_action_output {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t port[2];
    uint8_t max_len[2]; /* Bytes to send when 'port' is the controller. */
};
_Static_assert(sizeof(struct ofp10_action_output) == 8, "1.0 5.2.4");

/* 5.2.4: OFPAT10_SET_DL_SRC and OFPAT10_SET_DL_DST. */
struct ofp10_action_dl_addr {
    uint8_t type[2];
    uint8_t len[2]; /* 16. */
    uint8_t dl_addr[OFP_ETH_ALEN];
    uint8_t pad[6];
};
_Static_assert(sizeof(struct ofp10_action_dl_addr) == 16, "1.0 5.2.4");

/* 5.2.4: the header every 1.0 action starts with; alone, an action with
 * no argument (OFPAT10_STRIP_VLAN). */
struct ofp10_action_header {
    uint8_t type[2];
    uint8_t len[2]; /* Of the action, a multiple of 8. */
    uint8_t pad[4];
};
_Static_assert(sizeof(struct ofp10_action_header) == 8, "1.0 5.2.4");

/* 5.2.4: OFPAT10_SET_VLAN_VID. */
struct ofp10_action_vlan_vid {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t vlan_vid[2];
    uint8_t pad[2];
};
_Static_assert(sizeof(struct ofp10_action_vlan_vid) == 8, "1.0 5.2.4");

/* 5.2.4: OFPAT10_SET_VLAN_PCP. */
struct ofp10_action_vlan_pcp {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t vlan_pcp;
    uint8_t pad[3];
};
_Static_assert(sizeof(struct ofp10_action_vlan_pcp) == 8, "1.0 5.2.4");

/* 5.2.4: OFPAT10_SET_NW_SRC and OFPAT10_SET_NW_DST. */
struct ofp10_action_nw_addr {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t nw_addr[4];
};
_Static_assert(sizeof(struct ofp10_action_nw_addr) == 8, "1.0 5.2.4");

/* 5.2.4: OFPAT10_SET_NW_TOS (the DSCP bits, the ECN bits zero). */
struct ofp10_action_nw_tos {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t nw_tos;
    uint8_t pad[3];
};
_Static_assert(sizeof(struct ofp10_action_nw_tos) == 8, "1.0 5.2.4");

/* 5.2.4: OFPAT10_SET_TP_SRC and OFPAT10_SET_TP_DST. */
struct ofp10_action_tp_port {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t tp_port[2];
    uint8_t pad[2];
};
_Static_assert(sizeof(struct ofp10_action_tp_port) == 8, "1.0 5.2.4");

/* 5.2.4: OFPAT10_ENQUEUE: output to a queue of a port. */
struct ofp10_action_enqueue {
    uint8_t type[2];
    uint8_t len[2]; /* 16. */
    uint8_t port[2];
    uint8_t pad[6];
    uint8_t queue_id[4];
};
_Static_assert(sizeof(struct ofp10_action_enqueue) == 16, "1.0 5.2.4");

/* 5.4.2: FLOW_REMOVED. */
struct ofp10_flow_removed {
    struct ofp_header header;
    struct ofp10_match match;
    uint8_t cookie[8];
    uint8_t priority[2];
    uint8_t reason; /* OFPRR_*. */
    uint8_t pad[1];
    uint8_t duration_sec[4];
    uint8_t duration_nsec[4];
    uint8_t idle_timeout[2];
    uint8_t pad2[2];
    uint8_t packet_count[8];
    uint8_t byte_count[8];
};
_Static_assert(sizeof(struct ofp10_flow_removed) == 88, "1.0 5.4.2");

/* 5.3.5: STATS_REQUEST and STATS_REPLY; the body follows. */
struct ofp10_stats_msg {
    struct ofp_header header;
    uint8_t type[2];  /* OFPST_*, 1.3's OFPMP_* numbers. */
    uint8_t flags[2]; /* Of a reply: OFPSF_REPLY_MORE. */
    uint8_t body[];
};
_Static_assert(sizeof(struct ofp10_stats_msg) == 12, "1.0 5.3.5");

/* 5.3.5: the body of a flow or aggregate STATS_REQUEST. */
struct ofp10_flow_stats_request {
    struct ofp10_match match;
    uint8_t table_id; /* 0xff: every table. */
    uint8_t pad[1];
    uint8_t out_port[2]; /* OFPP_NONE: no filter. */
};
_Static_assert(sizeof(struct ofp10_flow_stats_request) == 44, "1.0 5.3.5");

/* 5.3.5: the body of a port or queue STATS_REQUEST. */
struct ofp10_port_queue_stats_request {
    uint8_t port_no[2];
    uint8_t pad[2];
    uint8_t queue_id[4]; /* A port request's is padding. */
};
_Static_assert(sizeof(struct ofp10_port_queue_stats_request) == 8,
               "1.0 5.3.5");

/* 5.3.5: one flow of a flow STATS_REPLY; its actions follow, to
 * 'length'. */
struct ofp10_flow_stats {
    uint8_t length[2];
    uint8_t table_id;
    uint8_t pad[1];
    struct ofp10_match match;
    uint8_t duration_sec[4];
    uint8_t duration_nsec[4];
    uint8_t priority[2];
    uint8_t idle_timeout[2];
    uint8_t hard_timeout[2];
    uint8_t pad2[6];
    uint8_t cookie[8];
    uint8_t packet_count[8];
    uint8_t byte_count[8];
};
_Static_assert(sizeof(struct ofp10_flow_stats) == 88, "1.0 5.3.5");

/* 5.3.5: one table of a table STATS_REPLY. */
struct ofp10_table_stats {
    uint8_t table_id;
    uint8_t pad[3];
    uint8_t name[32];
    uint8_t wildcards[4];
    uint8_t max_entries[4];
    uint8_t active_count[4];
    uint8_t lookup_count[8];
    uint8_t matched_count[8];
};
_Static_assert(sizeof(struct ofp10_table_stats) == 64, "1.0 5.3.5");

/* 5.3.5: one port of a port STATS_REPLY. */
struct ofp10_port_stats {
    uint8_t port_no[2];
    uint8_t pad[6];
    uint8_t counters[12][8]; /* rx/tx packets, bytes, dropped, errors,
                              * rx frame, over, crc errors, collisions. */
};
_Static_assert(sizeof(struct ofp10_port_stats) == 104, "1.0 5.3.5");

/* 5.3.5: one queue of a queue STATS_REPLY. */
struct ofp10_queue_stats {
    uint8_t port_no[2];
    uint8_t pad[2];
    uint8_t queue_id[4];
    uint8_t tx_bytes[8];
    uint8_t tx_packets[8];
    uint8_t tx_errors[8];
};
_Static_assert(sizeof(struct ofp10_queue_stats) == 32, "1.0 5.3.5");

/* 5.3.1: FEATURES_REPLY; the ports follow, 48 bytes each. */
struct ofp10_switch_features {
    struct ofp_header header;
    uint8_t datapath_id[8];
    uint8_t n_buffers[4];
    uint8_t n_tables;
    uint8_t pad[3];
    uint8_t capabilities[4];
    uint8_t actions[4]; /* Bitmap of OFPAT10_* supported. */
    struct ofp10_phy_port ports[];
};
_Static_assert(sizeof(struct ofp10_switch_features) == 32, "1.0 5.3.1");

/* 5.3.3: FLOW_MOD; the actions follow. */
struct ofp10_flow_mod {
    struct ofp_header header;
    struct ofp10_match match;
    uint8_t cookie[8];
    uint8_t command[2]; /* OFPFC_*. */
    uint8_t idle_timeout[2];
    uint8_t hard_timeout[2];
    uint8_t priority[2];
    uint8_t buffer_id[4];
    uint8_t out_port[2]; /* Filter for DELETE*; OFPP_NONE: none. */
    uint8_t flags[2];    /* OFPFF_*. */
    uint8_t actions[];
};
_Static_assert(sizeof(struct ofp10_flow_mod) == 72, "1.0 5.3.3");

/* 5.3.6: PACKET_OUT; 'actions_len' bytes of actions follow, then the
 * frame when buffer_id is none. */
struct ofp10_packet_out {
    struct ofp_header header;
    uint8_t buffer_id[4];
    uint8_t in_port[2];
    uint8_t actions_len[2];
    uint8_t actions[];
};
_Static_assert(sizeof(struct ofp10_packet_out) == 16, "1.0 5.3.6");

/* 5.4.1: PACKET_IN.  The spec's C struct ends with 2 bytes of alignment
 * padding after 'pad', which it counts in its size (20) and notes that
 * "offsetof(struct ofp_packet_in, data) == sizeof(struct ofp_packet_in) -
 * 2": on the wire the frame starts at 18, as here. */
struct ofp10_packet_in {
    struct ofp_header header;
    uint8_t buffer_id[4];
    uint8_t total_len[2]; /* Of the frame; 'data' may hold less. */
    uint8_t in_port[2];
    uint8_t reason; /* OFPR_*. */
    uint8_t pad;
    uint8_t data[]; /* The frame. */
};
_Static_assert(sizeof(struct ofp10_packet_in) == 20 - 2,
               "1.0 5.4.1: 20 with the C struct's tail padding");
_Static_assert(offsetof(struct ofp10_packet_in, data) == 18,
               "1.0 5.4.1: the frame starts at 18");

/* 5.4.3: PORT_STATUS. */
struct ofp10_port_status {
    struct ofp_header header;
    uint8_t reason; /* OFPPR_*. */
    uint8_t pad[7];
    struct ofp10_phy_port desc;
};
_Static_assert(sizeof(struct ofp10_port_status) == 64, "1.0 5.4.3");

/* OpenFlow 1.3. */

/* 7.2.1: a port, in a PORT_DESC multipart reply or a PORT_STATUS. */
struct ofp13_port {
    uint8_t port_no[4];
    uint8_t pad[4];
    uint8_t hw_addr[OFP_ETH_ALEN];
    uint8_t pad2[2];
    char name[OFP_MAX_PORT_NAME_LEN]; /* NUL-terminated, the spec says. */
    uint8_t config[4];                /* OFPPC_*. */
    uint8_t state[4];                 /* OFPPS_*. */
    uint8_t curr[4];                  /* OFPPF_*: 1.3's layout. */
    uint8_t advertised[4];
    uint8_t supported[4];
    uint8_t peer[4];
    uint8_t curr_speed[4]; /* kb/s. */
    uint8_t max_speed[4];
};
_Static_assert(sizeof(struct ofp13_port) == 64, "1.3 7.2.1");

/* 7.2.3.1: the match, as it sits inside a PACKET_IN or a FLOW_MOD: type
 * and length, then 'length' - 4 bytes of OXM fields, then zeros up to a
 * multiple of 8.  The spec's size (8) is an empty match's: the header and
 * 4 bytes of padding, which 'oxm_fields' stands for. */
struct ofp13_match {
    uint8_t type[2];   /* OFPMT_OXM. */
    uint8_t length[2]; /* 4 + the OXM fields, before padding. */
    uint8_t oxm_fields[4];
};
_Static_assert(sizeof(struct ofp13_match) == 8, "1.3 7.2.3.1");

/* 7.2.3.2: the header of each OXM field, which its value (and, with the
 * has-mask bit, a mask as long) follows.  The spec draws it as a 32-bit
 * word: class (16 bits), field (7), has-mask (1), length (8). */
struct ofp13_oxm_header {
    uint8_t oxm_class[2];  /* OFPXMC_*. */
    uint8_t field_hasmask; /* Field << 1 | has-mask. */
    uint8_t length;        /* Of the value and mask, in bytes. */
};
_Static_assert(sizeof(struct ofp13_oxm_header) == 4, "1.3 7.2.3.2");

/* 7.2.4: OFPIT_APPLY_ACTIONS (and the other action-list instructions);
 * the actions follow, to 'len'. */
struct ofp13_instruction_actions {
    uint8_t type[2];
    uint8_t len[2]; /* This header and the actions. */
    uint8_t pad[4];
};
_Static_assert(sizeof(struct ofp13_instruction_actions) == 8, "1.3 7.2.4");

/* 7.2.5: OFPAT_OUTPUT. */
struct ofp13_action_output {
    uint8_t type[2];
    uint8_t len[2]; /* 16. */
    uint8_t port[4];
    uint8_t max_len[2]; /* Bytes to send when 'port' is the controller. */
    uint8_t pad[6];
};
_Static_assert(sizeof(struct ofp13_action_output) == 16, "1.3 7.2.5");

/* 7.2.5: OFPAT_SET_FIELD.  'field' is the OXM header; the value follows,
 * then zeros up to 'len', a multiple of 8. */
struct ofp13_action_set_field {
    uint8_t type[2];
    uint8_t len[2];
    uint8_t field[4]; /* struct ofp13_oxm_header. */
};
_Static_assert(sizeof(struct ofp13_action_set_field) == 8, "1.3 7.2.5");

/* 7.2.4: OFPIT_GOTO_TABLE. */
struct ofp13_instruction_goto_table {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t table_id;
    uint8_t pad[3];
};
_Static_assert(sizeof(struct ofp13_instruction_goto_table) == 8, "1.3 7.2.4");

/* 7.2.4: OFPIT_WRITE_METADATA. */
struct ofp13_instruction_write_metadata {
    uint8_t type[2];
    uint8_t len[2]; /* 24. */
    uint8_t pad[4];
    uint8_t metadata[8];
    uint8_t metadata_mask[8];
};
_Static_assert(sizeof(struct ofp13_instruction_write_metadata) == 24,
               "1.3 7.2.4");

/* 7.2.4: OFPIT_METER. */
struct ofp13_instruction_meter {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t meter_id[4];
};
_Static_assert(sizeof(struct ofp13_instruction_meter) == 8, "1.3 7.2.4");

/* 7.2.5: the header every 1.3 action starts with; alone, an action with
 * no argument (COPY_TTL_OUT/IN, DEC_MPLS_TTL, POP_VLAN, DEC_NW_TTL). */
struct ofp13_action_header {
    uint8_t type[2];
    uint8_t len[2]; /* Of the action, a multiple of 8. */
    uint8_t pad[4];
};
_Static_assert(sizeof(struct ofp13_action_header) == 8, "1.3 7.2.5");

/* 7.2.5: OFPAT_GROUP. */
struct ofp13_action_group {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t group_id[4];
};
_Static_assert(sizeof(struct ofp13_action_group) == 8, "1.3 7.2.5");

/* 7.2.5: OFPAT_SET_QUEUE. */
struct ofp13_action_set_queue {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t queue_id[4];
};
_Static_assert(sizeof(struct ofp13_action_set_queue) == 8, "1.3 7.2.5");

/* 7.2.5: OFPAT_SET_MPLS_TTL and OFPAT_SET_NW_TTL (ofp_action_mpls_ttl and
 * ofp_action_nw_ttl, which are the same shape). */
struct ofp13_action_ttl {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t ttl;
    uint8_t pad[3];
};
_Static_assert(sizeof(struct ofp13_action_ttl) == 8, "1.3 7.2.5");

/* 7.2.5: OFPAT_PUSH_VLAN, OFPAT_PUSH_MPLS (ofp_action_push) and
 * OFPAT_POP_MPLS (ofp_action_pop_mpls, the same shape). */
struct ofp13_action_push {
    uint8_t type[2];
    uint8_t len[2]; /* 8. */
    uint8_t ethertype[2];
    uint8_t pad[2];
};
_Static_assert(sizeof(struct ofp13_action_push) == 8, "1.3 7.2.5");

/* 7.3.1: FEATURES_REPLY: no ports (a PORT_DESC request asks for them). */
struct ofp13_switch_features {
    struct ofp_header header;
    uint8_t datapath_id[8];
    uint8_t n_buffers[4];
    uint8_t n_tables;
    uint8_t auxiliary_id;
    uint8_t pad[2];
    uint8_t capabilities[4];
    uint8_t reserved[4];
};
_Static_assert(sizeof(struct ofp13_switch_features) == 32, "1.3 7.3.1");

/* 7.3.4.1: FLOW_MOD.  'match' is the start of the match, whose OXM
 * fields and padding run on past the struct; the instructions follow it. */
struct ofp13_flow_mod {
    struct ofp_header header;
    uint8_t cookie[8];
    uint8_t cookie_mask[8]; /* For MODIFY* and DELETE*. */
    uint8_t table_id;
    uint8_t command; /* OFPFC_*. */
    uint8_t idle_timeout[2];
    uint8_t hard_timeout[2];
    uint8_t priority[2];
    uint8_t buffer_id[4];
    uint8_t out_port[4];  /* Filter for DELETE*; OFPP_ANY: none. */
    uint8_t out_group[4]; /* Filter for DELETE*; OFPG_ANY: none. */
    uint8_t flags[2];     /* OFPFF_*. */
    uint8_t pad[2];
    struct ofp13_match match;
};
_Static_assert(sizeof(struct ofp13_flow_mod) == 56, "1.3 7.3.4.1");

/* 7.3.4.2: GROUP_MOD; the buckets follow. */
struct ofp13_group_mod {
    struct ofp_header header;
    uint8_t command[2]; /* OFPGC_*. */
    uint8_t type;       /* OFPGT_*. */
    uint8_t pad[1];
    uint8_t group_id[4];
};
_Static_assert(sizeof(struct ofp13_group_mod) == 16, "1.3 7.3.4.2");

/* 7.3.4.2: a bucket of a group; its actions follow, to 'len'. */
struct ofp13_bucket {
    uint8_t len[2];
    uint8_t weight[2];
    uint8_t watch_port[4];
    uint8_t watch_group[4];
    uint8_t pad[4];
};
_Static_assert(sizeof(struct ofp13_bucket) == 16, "1.3 7.3.4.2");

/* 7.3.4.4: METER_MOD; the bands follow. */
struct ofp13_meter_mod {
    struct ofp_header header;
    uint8_t command[2]; /* OFPMC_*. */
    uint8_t flags[2];   /* OFPMF_*. */
    uint8_t meter_id[4];
};
_Static_assert(sizeof(struct ofp13_meter_mod) == 16, "1.3 7.3.4.4");

/* 7.3.4.4: a meter band, OFPMBT_DROP (prec_level and pad zero) or
 * OFPMBT_DSCP_REMARK (ofp_meter_band_drop and _dscp_remark have this one
 * shape). */
struct ofp13_meter_band {
    uint8_t type[2];
    uint8_t len[2]; /* 16. */
    uint8_t rate[4];
    uint8_t burst_size[4];
    uint8_t prec_level;
    uint8_t pad[3];
};
_Static_assert(sizeof(struct ofp13_meter_band) == 16, "1.3 7.3.4.4");

/* 7.4.2: FLOW_REMOVED; the match's OXM fields and padding run on past the
 * struct. */
struct ofp13_flow_removed {
    struct ofp_header header;
    uint8_t cookie[8];
    uint8_t priority[2];
    uint8_t reason; /* OFPRR_*. */
    uint8_t table_id;
    uint8_t duration_sec[4];
    uint8_t duration_nsec[4];
    uint8_t idle_timeout[2];
    uint8_t hard_timeout[2];
    uint8_t packet_count[8];
    uint8_t byte_count[8];
    struct ofp13_match match;
};
_Static_assert(sizeof(struct ofp13_flow_removed) == 56, "1.3 7.4.2");

/* 7.3.5: MULTIPART_REQUEST and MULTIPART_REPLY; the body follows. */
struct ofp13_multipart_request {
    struct ofp_header header;
    uint8_t type[2];  /* OFPMP_*. */
    uint8_t flags[2]; /* OFPMPF_REQ_*. */
    uint8_t pad[4];
    uint8_t body[];
};
_Static_assert(sizeof(struct ofp13_multipart_request) == 16, "1.3 7.3.5");

struct ofp13_multipart_reply {
    struct ofp_header header;
    uint8_t type[2];  /* OFPMP_*. */
    uint8_t flags[2]; /* OFPMPF_REPLY_*. */
    uint8_t pad[4];
    uint8_t body[]; /* For PORT_DESC: struct ofp13_port, 64 bytes each. */
};
_Static_assert(sizeof(struct ofp13_multipart_reply) == 16, "1.3 7.3.5");

/* Both versions (1.0 5.3.5, 1.3 7.3.5.1): a DESC reply's body. */
struct ofp_desc {
    char mfr_desc[256];
    char hw_desc[256];
    char sw_desc[256];
    char serial_num[32];
    char dp_desc[256];
};
_Static_assert(sizeof(struct ofp_desc) == 1056, "1.0 5.3.5, 1.3 7.3.5.1");

/* Both versions (1.0 5.3.5, 1.3 7.3.5.3): an AGGREGATE reply's body. */
struct ofp_aggregate_stats_reply {
    uint8_t packet_count[8];
    uint8_t byte_count[8];
    uint8_t flow_count[4];
    uint8_t pad[4];
};
_Static_assert(sizeof(struct ofp_aggregate_stats_reply) == 24,
               "1.0 5.3.5, 1.3 7.3.5.3");

/* 7.3.5.2: the body of a FLOW or AGGREGATE request; the match follows. */
struct ofp13_flow_stats_request {
    uint8_t table_id; /* OFPTT_ALL: every table. */
    uint8_t pad[3];
    uint8_t out_port[4];  /* OFPP_ANY: no filter. */
    uint8_t out_group[4]; /* OFPG_ANY: no filter. */
    uint8_t pad2[4];
    uint8_t cookie[8];
    uint8_t cookie_mask[8];
};
_Static_assert(sizeof(struct ofp13_flow_stats_request) == 32, "1.3 7.3.5.2");

/* 7.3.5.2: one flow of a FLOW reply; its match follows, then its
 * instructions, to 'length'. */
struct ofp13_flow_stats {
    uint8_t length[2];
    uint8_t table_id;
    uint8_t pad[1];
    uint8_t duration_sec[4];
    uint8_t duration_nsec[4];
    uint8_t priority[2];
    uint8_t idle_timeout[2];
    uint8_t hard_timeout[2];
    uint8_t flags[2];
    uint8_t pad2[4];
    uint8_t cookie[8];
    uint8_t packet_count[8];
    uint8_t byte_count[8];
};
_Static_assert(sizeof(struct ofp13_flow_stats) == 48, "1.3 7.3.5.2");

/* 7.3.5.4: one table of a TABLE reply. */
struct ofp13_table_stats {
    uint8_t table_id;
    uint8_t pad[3];
    uint8_t active_count[4];
    uint8_t lookup_count[8];
    uint8_t matched_count[8];
};
_Static_assert(sizeof(struct ofp13_table_stats) == 24, "1.3 7.3.5.4");

/* 7.3.5.6 and 7.3.5.8: the body of a PORT or QUEUE request. */
struct ofp13_port_queue_stats_request {
    uint8_t port_no[4];  /* OFPP_ANY: every port. */
    uint8_t queue_id[4]; /* OFPQ_ALL: every queue; a PORT request's pad. */
};
_Static_assert(sizeof(struct ofp13_port_queue_stats_request) == 8,
               "1.3 7.3.5.6");

/* 7.3.5.6: one port of a PORT reply. */
struct ofp13_port_stats {
    uint8_t port_no[4];
    uint8_t pad[4];
    uint8_t counters[12][8]; /* As in ofp10_port_stats. */
    uint8_t duration_sec[4];
    uint8_t duration_nsec[4];
};
_Static_assert(sizeof(struct ofp13_port_stats) == 112, "1.3 7.3.5.6");

/* 7.3.5.8: one queue of a QUEUE reply. */
struct ofp13_queue_stats {
    uint8_t port_no[4];
    uint8_t queue_id[4];
    uint8_t tx_bytes[8];
    uint8_t tx_packets[8];
    uint8_t tx_errors[8];
    uint8_t duration_sec[4];
    uint8_t duration_nsec[4];
};
_Static_assert(sizeof(struct ofp13_queue_stats) == 40, "1.3 7.3.5.8");

/* 7.3.5.10 and 7.3.5.12: the body of a GROUP, METER or METER_CONFIG
 * request. */
struct ofp13_id_stats_request {
    uint8_t id[4]; /* OFPG_ALL, OFPM_ALL: every one. */
    uint8_t pad[4];
};
_Static_assert(sizeof(struct ofp13_id_stats_request) == 8, "1.3 7.3.5.10");

/* 7.3.5.10: one group of a GROUP reply; its buckets' counters follow
 * (struct ofp13_counter each), to 'length'. */
struct ofp13_group_stats {
    uint8_t length[2];
    uint8_t pad[2];
    uint8_t group_id[4];
    uint8_t ref_count[4];
    uint8_t pad2[4];
    uint8_t packet_count[8];
    uint8_t byte_count[8];
    uint8_t duration_sec[4];
    uint8_t duration_nsec[4];
};
_Static_assert(sizeof(struct ofp13_group_stats) == 40, "1.3 7.3.5.10");

/* 7.3.5.10 and 7.3.5.12: a bucket's or a band's counters
 * (ofp_bucket_counter and ofp_meter_band_stats, the same shape). */
struct ofp13_counter {
    uint8_t packet_count[8];
    uint8_t byte_count[8];
};
_Static_assert(sizeof(struct ofp13_counter) == 16, "1.3 7.3.5.10");

/* 7.3.5.11: one group of a GROUP_DESC reply; its buckets (struct
 * ofp13_bucket and actions each) follow, to 'length'. */
struct ofp13_group_desc {
    uint8_t length[2];
    uint8_t type;
    uint8_t pad[1];
    uint8_t group_id[4];
};
_Static_assert(sizeof(struct ofp13_group_desc) == 8, "1.3 7.3.5.11");

/* 7.3.5.12: one meter of a METER reply; its bands' counters follow, to
 * 'len'. */
struct ofp13_meter_stats {
    uint8_t meter_id[4];
    uint8_t len[2];
    uint8_t pad[6];
    uint8_t flow_count[4];
    uint8_t packet_in_count[8];
    uint8_t byte_in_count[8];
    uint8_t duration_sec[4];
    uint8_t duration_nsec[4];
};
_Static_assert(sizeof(struct ofp13_meter_stats) == 40, "1.3 7.3.5.12");

/* 7.3.5.13: one meter of a METER_CONFIG reply; its bands (struct
 * ofp13_meter_band each) follow, to 'length'. */
struct ofp13_meter_config {
    uint8_t length[2];
    uint8_t flags[2];
    uint8_t meter_id[4];
};
_Static_assert(sizeof(struct ofp13_meter_config) == 8, "1.3 7.3.5.13");

/* 7.3.7: PACKET_OUT; 'actions_len' bytes of actions follow, then the
 * frame when buffer_id is none. */
struct ofp13_packet_out {
    struct ofp_header header;
    uint8_t buffer_id[4];
    uint8_t in_port[4];
    uint8_t actions_len[2];
    uint8_t pad[6];
    uint8_t actions[];
};
_Static_assert(sizeof(struct ofp13_packet_out) == 24, "1.3 7.3.7");

/* 7.4.1: PACKET_IN.  The match runs on past the struct, padded to 8
 * bytes; 2 bytes of zeros follow it, then the frame. */
struct ofp13_packet_in {
    struct ofp_header header;
    uint8_t buffer_id[4];
    uint8_t total_len[2]; /* Of the frame; the message may hold less. */
    uint8_t reason;       /* OFPR_*. */
    uint8_t table_id;
    uint8_t cookie[8];
    struct ofp13_match match;
};
_Static_assert(sizeof(struct ofp13_packet_in) == 32, "1.3 7.4.1");

/* 7.3.9: ROLE_REQUEST and ROLE_REPLY. */
struct ofp13_role_request {
    struct ofp_header header;
    uint8_t role[4]; /* OFPCR_ROLE_*. */
    uint8_t pad[4];
    uint8_t generation_id[8];
};
_Static_assert(sizeof(struct ofp13_role_request) == 24, "1.3 7.3.9");

/* 7.3.10: SET_ASYNC and GET_ASYNC_REPLY (GET_ASYNC_REQUEST is a bare
 * header).  Index 0 of each mask is for MASTER and EQUAL, 1 for SLAVE. */
struct ofp13_async_config {
    struct ofp_header header;
    uint8_t packet_in_mask[2][4];
    uint8_t port_status_mask[2][4];
    uint8_t flow_removed_mask[2][4];
};
_Static_assert(sizeof(struct ofp13_async_config) == 32, "1.3 7.3.10");

/* 7.4.3: PORT_STATUS. */
struct ofp13_port_status {
    struct ofp_header header;
    uint8_t reason; /* OFPPR_*. */
    uint8_t pad[7];
    struct ofp13_port desc;
};
_Static_assert(sizeof(struct ofp13_port_status) == 80, "1.3 7.4.3");

#endif /* OF_OFP_WIRE_H */
