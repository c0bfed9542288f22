/*
 * Payloads of the openflow.* topics.  Append-only, like every topic header:
 * a new field goes at the end of its struct and the topic's version grows.
 *
 * The structs are version-neutral: port numbers are 32 bits (OpenFlow 1.0's
 * 16-bit special ports are mapped to their 1.3 values), and the openflow
 * plugin encodes requests for whichever version the switch negotiated.
 * Every pointer is borrowed for the duration of the callback, except that
 * a request's 'outcome' is the publisher's and is written to.
 */
#ifndef PLEXUS_TOPICS_OPENFLOW_H
#define PLEXUS_TOPICS_OPENFLOW_H 1

#include <stddef.h>
#include <stdint.h>

struct px_of_field;
struct px_of_stats;
struct px_of_async_config;

#define PX_TOPIC_OF_SWITCH_UP    "openflow.switch_up"
#define PX_TOPIC_OF_SWITCH_DOWN  "openflow.switch_down"
#define PX_TOPIC_OF_PORT_STATUS  "openflow.port_status"
#define PX_TOPIC_OF_PACKET_IN    "openflow.packet_in"
#define PX_TOPIC_OF_PACKET_OUT   "openflow.packet_out"
#define PX_TOPIC_OF_FLOW_MOD     "openflow.flow_mod"
#define PX_TOPIC_OF_ERROR        "openflow.error"
#define PX_TOPIC_OF_INVENTORY    "openflow.inventory"
#define PX_TOPIC_OF_BARRIER      "openflow.barrier"
#define PX_TOPIC_OF_SEND         "openflow.send"
#define PX_TOPIC_OF_ROLE         "openflow.role"
#define PX_TOPIC_OF_FLOW_REMOVED "openflow.flow_removed"
#define PX_TOPIC_OF_GROUP_MOD    "openflow.group_mod"
#define PX_TOPIC_OF_METER_MOD    "openflow.meter_mod"
#define PX_TOPIC_OF_STATS        "openflow.stats"
#define PX_TOPIC_OF_ASYNC        "openflow.async"
/* Every openflow.* topic is declared with this payload version.
 * Version 2 appended 'outcome' to px_of_packet_out and px_of_flow_mod;
 * version 3 appended 'reply_to' and 'request_id' to both, and brought the
 * requests with replies (inventory, barrier, send); version 4 brought the
 * whole match (px_of_field), every action (px_of_action grew, see
 * PX_OF_ACTION_V3_LEN), instructions and the rest of flow_mod, the
 * decoded match of a 1.3 packet-in, flow_removed, group_mod and
 * meter_mod. */
#define PX_TOPIC_OF_VERSION 4

/* Wire versions. */
#define PX_OF_VERSION_10 0x01
#define PX_OF_VERSION_13 0x04

/* Special port numbers (OpenFlow 1.3 values; 1.0's are mapped). */
#define PX_OF_PORT_MAX        0xffffff00u
#define PX_OF_PORT_IN_PORT    0xfffffff8u
#define PX_OF_PORT_TABLE      0xfffffff9u
#define PX_OF_PORT_NORMAL     0xfffffffau
#define PX_OF_PORT_FLOOD      0xfffffffbu
#define PX_OF_PORT_ALL        0xfffffffcu
#define PX_OF_PORT_CONTROLLER 0xfffffffdu
#define PX_OF_PORT_LOCAL      0xfffffffeu
#define PX_OF_PORT_ANY        0xffffffffu /* OFPP_NONE in 1.0. */

#define PX_OF_NO_BUFFER 0xffffffffu

/* Port state bit: the link is down (same bit in 1.0 and 1.3). */
#define PX_OF_PORT_STATE_LINK_DOWN 0x1u
/* Port config bit: administratively down. */
#define PX_OF_PORT_CONFIG_DOWN 0x1u

struct px_of_port {
    uint32_t port_no;
    uint8_t hw_addr[6];
    char name[16]; /* NUL-terminated. */
    uint32_t config;
    uint32_t state;
    uint32_t curr; /* Current features (speed bits). */
};

/* openflow.switch_up and openflow.switch_down. */
struct px_of_switch {
    uint64_t dpid;
    uint8_t version; /* PX_OF_VERSION_10 or _13. */
    uint8_t n_tables;
    uint16_t reserved;
    uint32_t n_buffers;
    uint32_t capabilities;
    const char *peer;   /* "address:port" of the switch. */
    const char *reason; /* switch_down only: "echo timeout", "malformed
                         * message", "duplicate datapath id", "peer
                         * closed", "shutdown"...; NULL for switch_up. */
    size_t n_ports;
    const struct px_of_port *ports;
};

#define PX_OF_PORT_ADD    0
#define PX_OF_PORT_DELETE 1
#define PX_OF_PORT_MODIFY 2

/* openflow.port_status. */
struct px_of_port_status {
    uint64_t dpid;
    uint8_t reason; /* PX_OF_PORT_ADD, _DELETE or _MODIFY. */
    struct px_of_port port;
};

/* Packet-in reasons. */
#define PX_OF_REASON_NO_MATCH 0
#define PX_OF_REASON_ACTION   1

/* openflow.packet_in. */
struct px_of_packet_in {
    uint64_t dpid;
    uint32_t in_port;
    uint32_t buffer_id; /* PX_OF_NO_BUFFER when the frame is whole. */
    uint16_t total_len;
    uint8_t reason;
    uint8_t table_id;
    uint8_t version; /* Of the switch's session. */
    uint64_t cookie;
    const uint8_t *frame;
    size_t frame_len;
    /* Version 4.  The switch's match, decoded: for a 1.3 packet-in every
     * OXM field it carries (in_port, and metadata or tunnel_id when set);
     * none for 1.0, whose packet-in has no match. */
    size_t n_match;
    const struct px_of_field *match;
};

/* ---------------------------------------------------------------------- */
/* Match fields.
 *
 * A match is a list of fields, each a value and an optional mask, as
 * OpenFlow 1.3 writes it (OXM): the ids are 1.3's OFPXMT_OFB_* numbers,
 * values and masks are in network byte order in the field's width
 * (px_of_field_width), and the values have OXM's meaning (VLAN_VID holds
 * PX_OF_VID_PRESENT with the id, IP_DSCP the 6-bit DSCP...).  openflow
 * writes such a list as the 1.3 OXM match, or as the 1.0 twelve-tuple
 * where 1.0 can say it (IPv4 masks that are prefixes; ARP's SPA/TPA and
 * opcode in nw_src, nw_dst and nw_proto; ICMP type and code in the
 * transport ports, as Open vSwitch does) and refuses the rest with
 * EOPNOTSUPP.  1.3's prerequisites are checked for both versions: a field
 * without them (IPV4_SRC without ETH_TYPE 0x0800...) is EOPNOTSUPP, as the
 * switch would refuse it. */
enum px_of_field_id {
    PX_OF_F_IN_PORT = 0,
    PX_OF_F_IN_PHY_PORT = 1,
    PX_OF_F_METADATA = 2,
    PX_OF_F_ETH_DST = 3,
    PX_OF_F_ETH_SRC = 4,
    PX_OF_F_ETH_TYPE = 5,
    PX_OF_F_VLAN_VID = 6,
    PX_OF_F_VLAN_PCP = 7,
    PX_OF_F_IP_DSCP = 8,
    PX_OF_F_IP_ECN = 9,
    PX_OF_F_IP_PROTO = 10,
    PX_OF_F_IPV4_SRC = 11,
    PX_OF_F_IPV4_DST = 12,
    PX_OF_F_TCP_SRC = 13,
    PX_OF_F_TCP_DST = 14,
    PX_OF_F_UDP_SRC = 15,
    PX_OF_F_UDP_DST = 16,
    PX_OF_F_SCTP_SRC = 17,
    PX_OF_F_SCTP_DST = 18,
    PX_OF_F_ICMPV4_TYPE = 19,
    PX_OF_F_ICMPV4_CODE = 20,
    PX_OF_F_ARP_OP = 21,
    PX_OF_F_ARP_SPA = 22,
    PX_OF_F_ARP_TPA = 23,
    PX_OF_F_ARP_SHA = 24,
    PX_OF_F_ARP_THA = 25,
    PX_OF_F_IPV6_SRC = 26,
    PX_OF_F_IPV6_DST = 27,
    PX_OF_F_IPV6_FLABEL = 28,
    PX_OF_F_ICMPV6_TYPE = 29,
    PX_OF_F_ICMPV6_CODE = 30,
    PX_OF_F_IPV6_ND_TARGET = 31,
    PX_OF_F_IPV6_ND_SLL = 32,
    PX_OF_F_IPV6_ND_TLL = 33,
    PX_OF_F_MPLS_LABEL = 34,
    PX_OF_F_MPLS_TC = 35,
    PX_OF_F_MPLS_BOS = 36,
    PX_OF_F_PBB_ISID = 37,
    PX_OF_F_TUNNEL_ID = 38,
    PX_OF_F_IPV6_EXTHDR = 39,
    PX_OF_F_COUNT
};

/* VLAN_VID: a tag is present (OFPVID_PRESENT); the value 0 is "no tag". */
#define PX_OF_VID_PRESENT 0x1000u

/* The widest field, IPv6 addresses. */
#define PX_OF_FIELD_MAX_LEN 16

struct px_of_field {
    uint8_t id;       /* enum px_of_field_id. */
    uint8_t has_mask; /* 'mask' counts: 1-bits must match. */
    uint8_t value[PX_OF_FIELD_MAX_LEN];
    uint8_t mask[PX_OF_FIELD_MAX_LEN];
};

/* The width of field 'id' in bytes, or 0 for an unknown id. */
static inline unsigned int
px_of_field_width(unsigned int id)
{
    static const unsigned char widths[PX_OF_F_COUNT] = {
        4, 4, 8, 6, 6, 2, 2,  1,  1, 1, 1, 4,  4, 2, 2, 2, 2, 2, 2, 1,
        1, 2, 4, 4, 6, 6, 16, 16, 4, 1, 1, 16, 6, 6, 4, 1, 1, 3, 8, 2,
    };

    return id < PX_OF_F_COUNT ? widths[id] : 0;
}

/* Field 'id' with a zero value and no mask. */
static inline struct px_of_field
px_of_field_zero(unsigned int id)
{
    struct px_of_field f;
    unsigned int i;

    /* Member by member, so that C++ plugins compile it too. */
    f.id = (uint8_t)id;
    f.has_mask = 0;
    for (i = 0; i < PX_OF_FIELD_MAX_LEN; i++) {
        f.value[i] = 0;
        f.mask[i] = 0;
    }
    return f;
}

/* Field 'id' equal to 'value' (host byte order, e.g. 0x0800 for
 * ETH_TYPE; the low bytes of it for fields narrower than 8 bytes). */
static inline struct px_of_field
px_of_field_u64(unsigned int id, uint64_t value)
{
    struct px_of_field f = px_of_field_zero(id);
    unsigned int i, w = px_of_field_width(id);

    for (i = 0; i < w && i < 8; i++) {
        f.value[w - 1 - i] = (uint8_t)(value >> (8 * i));
    }
    return f;
}

/* Field 'id' equal to 'value' under 'mask' (host byte order). */
static inline struct px_of_field
px_of_field_u64_masked(unsigned int id, uint64_t value, uint64_t mask)
{
    struct px_of_field f = px_of_field_u64(id, value);
    struct px_of_field m = px_of_field_u64(id, mask);
    unsigned int i;

    f.has_mask = 1;
    for (i = 0; i < PX_OF_FIELD_MAX_LEN; i++) {
        f.mask[i] = m.value[i];
    }
    return f;
}

/* Field 'id' equal to the px_of_field_width(id) bytes at 'value' (a MAC
 * or IPv6 address, network byte order), under the bytes at 'mask' unless
 * it is NULL. */
static inline struct px_of_field
px_of_field_bytes(unsigned int id, const void *value, const void *mask)
{
    struct px_of_field f = px_of_field_zero(id);
    unsigned int i, w = px_of_field_width(id);

    for (i = 0; i < w; i++) {
        f.value[i] = ((const uint8_t *)value)[i];
        if (mask) {
            f.mask[i] = ((const uint8_t *)mask)[i];
        }
    }
    f.has_mask = mask != NULL;
    return f;
}

/* ---------------------------------------------------------------------- */
/* Actions.  Each is expressed for the switch's version or refused with
 * EOPNOTSUPP: 1.0 has OUTPUT, SET_QUEUE directly before an OUTPUT (its
 * ENQUEUE), SET_FIELD of ETH_SRC/DST, VLAN_VID, VLAN_PCP, IPV4_SRC/DST,
 * IP_DSCP and the TCP/UDP ports, POP_VLAN (STRIP_VLAN) and EXPERIMENTER
 * (VENDOR); 1.3 has all of them. */
enum px_of_action_type {
    PX_OF_ACTION_OUTPUT = 0,
    PX_OF_ACTION_SET_DL_SRC, /* Older spelling of SET_FIELD ETH_SRC. */
    PX_OF_ACTION_SET_DL_DST, /* Older spelling of SET_FIELD ETH_DST. */
    /* Version 4. */
    PX_OF_ACTION_GROUP,        /* 'arg': group id (1.3). */
    PX_OF_ACTION_SET_QUEUE,    /* 'arg': queue id. */
    PX_OF_ACTION_SET_FIELD,    /* '*field', without a mask. */
    PX_OF_ACTION_PUSH_VLAN,    /* 'ethertype': 0x8100 or 0x88a8 (1.3). */
    PX_OF_ACTION_POP_VLAN,     /* */
    PX_OF_ACTION_PUSH_MPLS,    /* 'ethertype': 0x8847 or 0x8848 (1.3). */
    PX_OF_ACTION_POP_MPLS,     /* 'ethertype' of what follows (1.3). */
    PX_OF_ACTION_DEC_NW_TTL,   /* (1.3) */
    PX_OF_ACTION_SET_NW_TTL,   /* 'arg': the TTL (1.3). */
    PX_OF_ACTION_DEC_MPLS_TTL, /* (1.3) */
    PX_OF_ACTION_SET_MPLS_TTL, /* 'arg': the TTL (1.3). */
    PX_OF_ACTION_COPY_TTL_OUT, /* (1.3) */
    PX_OF_ACTION_COPY_TTL_IN,  /* (1.3) */
    /* 'data': the whole action as the plugin encoded it for the switch's
     * version, header included (type 0xffff, its length equal to
     * 'data_len', a multiple of 8), copied as is. */
    PX_OF_ACTION_EXPERIMENTER,
    /* An action of the switch's version that the SDK has no name for (1.3's
     * PUSH_PBB, a SET_FIELD of a field outside OXM's basic class...), as
     * the switch wrote it: 'data', 'data_len', header included.  Flow
     * statistics and group descriptions hand such actions over this way,
     * so that a plugin can send a flow back as it came; sent as is, once
     * it is seen to be one whole action (its length equal to 'data_len',
     * a multiple of 8). */
    PX_OF_ACTION_RAW,
};

struct px_of_action {
    enum px_of_action_type type;
    uint32_t port;    /* OUTPUT */
    uint16_t max_len; /* OUTPUT to the controller: bytes to send. */
    uint8_t mac[6];   /* SET_DL_SRC / SET_DL_DST */
    /* Version 4. */
    uint32_t arg;       /* GROUP, SET_QUEUE, SET_NW_TTL, SET_MPLS_TTL. */
    uint16_t ethertype; /* PUSH_VLAN, PUSH_MPLS, POP_MPLS. */
    /* SET_FIELD: the field and its value.  A pointer, not the field
     * itself, so that every action stays small: a learning switch builds
     * and sends one for each packet. */
    const struct px_of_field *field;
    const uint8_t *data; /* EXPERIMENTER. */
    size_t data_len;
};
/* The size of a px_of_action before version 4: a request of version 3 or
 * less has an array of these, which openflow reads as such. */
#define PX_OF_ACTION_V3_LEN offsetof(struct px_of_action, arg)

/* Instructions (1.3; 1.0 has APPLY_ACTIONS alone, as its action list). */
enum px_of_instruction_type {
    /* One the SDK has no name for (an experimenter's), as the switch wrote
     * it: 'data', 'data_len', header included; sent as is, once it is
     * seen to be one whole instruction (1.3 only). */
    PX_OF_INSTR_RAW = 0,
    PX_OF_INSTR_GOTO_TABLE = 1,     /* 'table_id'. */
    PX_OF_INSTR_WRITE_METADATA = 2, /* 'metadata' under 'metadata_mask'. */
    PX_OF_INSTR_WRITE_ACTIONS = 3,  /* 'actions'. */
    PX_OF_INSTR_APPLY_ACTIONS = 4,  /* 'actions'. */
    PX_OF_INSTR_CLEAR_ACTIONS = 5,
    PX_OF_INSTR_METER = 6, /* 'meter_id'. */
};

struct px_of_instruction {
    enum px_of_instruction_type type;
    uint8_t table_id;
    uint32_t meter_id;
    uint64_t metadata;
    uint64_t metadata_mask;
    size_t n_actions;
    const struct px_of_action *actions;
    const uint8_t *data; /* RAW. */
    size_t data_len;
};

/* What became of a request (openflow.packet_out or openflow.flow_mod).
 *
 * A publisher that wants to know points the request's 'outcome' at one of
 * these, initialised with PX_OF_OUTCOME_INIT.  Dispatch is synchronous, so
 * when px_publish returns the openflow plugin has written it:
 *   code 0           queued for the switch (it may still refuse it: its
 *                    ERROR arrives later on openflow.error);
 *   ENODEV           no switch with that datapath id is connected;
 *   EINVAL           the request is malformed (NULL actions or frame with
 *                    a count above 0, an unknown action or command, a VLAN
 *                    id over 12 bits);
 *   EMSGSIZE         it is longer than one OpenFlow message can be;
 *   EOPNOTSUPP       the switch's OpenFlow version cannot express it (a
 *                    port number 1.0 has no 16-bit number for, a 1.3
 *                    match field without its prerequisite...);
 *   ENOBUFS          the switch's output buffer is full;
 *   EPERM            the switch holds this controller as SLAVE (see
 *                    openflow.role), and the request would change it
 *                    (packet_out, flow_mod, group_mod, meter_mod, and
 *                    such messages sent through openflow.send);
 * and 'cause' a short static text fit for a log line ("output buffer
 * full", "output port has no OpenFlow 1.0 number"...).  Nobody handled the
 * request (openflow is not loaded) when px_publish returns with it still
 * as initialised: code PX_OF_OUTCOME_UNHANDLED, cause "not handled".  A
 * payload of version 1's length has no 'outcome', and one too short to be
 * a request has none to write to: both are counted, not told.  The struct
 * is the publisher's; openflow only writes it during the publish. */
struct px_of_outcome {
    int code;
    const char *cause;
};
#define PX_OF_OUTCOME_UNHANDLED (-1)
#define PX_OF_OUTCOME_INIT                                                    \
    {                                                                         \
        PX_OF_OUTCOME_UNHANDLED, "not handled"                                \
    }

/* openflow.packet_out: a request any plugin may publish. */
struct px_of_packet_out {
    uint64_t dpid;
    uint32_t buffer_id; /* PX_OF_NO_BUFFER to send 'frame'. */
    uint32_t in_port;   /* PX_OF_PORT_CONTROLLER if none. */
    size_t n_actions;
    const struct px_of_action *actions;
    const uint8_t *frame;
    size_t frame_len;
    /* Version 2.  Where to write what became of the request, or NULL. */
    struct px_of_outcome *outcome;
    /* Version 3.  A topic for its final reply (see "Requests with
     * replies" below): PX_OF_REPLY_OK once a barrier openflow sends after
     * it is answered, the switch's PX_OF_REPLY_ERROR for it, or
     * PX_OF_REPLY_GONE; or NULL for none. */
    const char *reply_to;
    uint64_t request_id;
    /* Version 4.  Zero.  It makes a version 4 payload longer than a
     * version 3 one, which is how openflow knows that 'actions' has
     * version 4's layout (PX_OF_ACTION_V3_LEN). */
    uint64_t reserved;
};
/* The lengths of a version 1, 2 and 3 packet_out, which publishers built
 * against them still send: a subscriber accepts any payload of the first
 * length, reads 'outcome' only from one of the second, 'reply_to' only
 * from one of the third, and actions of version 4 only from one of
 * sizeof(struct px_of_packet_out). */
#define PX_OF_PACKET_OUT_V1_LEN offsetof(struct px_of_packet_out, outcome)
#define PX_OF_PACKET_OUT_V2_LEN offsetof(struct px_of_packet_out, reply_to)
#define PX_OF_PACKET_OUT_V3_LEN offsetof(struct px_of_packet_out, reserved)

/* Match fields present in px_of_match.fields. */
#define PX_OF_MATCH_IN_PORT  (1u << 0)
#define PX_OF_MATCH_DL_SRC   (1u << 1)
#define PX_OF_MATCH_DL_DST   (1u << 2)
#define PX_OF_MATCH_DL_VLAN  (1u << 3)
#define PX_OF_MATCH_DL_TYPE  (1u << 4)
#define PX_OF_MATCH_NW_PROTO (1u << 5)
#define PX_OF_MATCH_NW_SRC   (1u << 6)
#define PX_OF_MATCH_NW_DST   (1u << 7)
#define PX_OF_MATCH_TP_SRC   (1u << 8)
#define PX_OF_MATCH_TP_DST   (1u << 9)

/* A match: only the fields whose bit is set in 'fields' count; the rest
 * are wildcards.  IPv4 addresses and ports are in host byte order. */
struct px_of_match {
    uint32_t fields;
    uint32_t in_port;
    uint8_t dl_src[6];
    uint8_t dl_dst[6];
    uint16_t dl_vlan;
    uint16_t dl_type;
    uint8_t nw_proto;
    uint32_t nw_src;
    uint32_t nw_dst;
    uint16_t tp_src;
    uint16_t tp_dst;
};

#define PX_OF_FLOW_ADD           0
#define PX_OF_FLOW_MODIFY        1
#define PX_OF_FLOW_MODIFY_STRICT 2
#define PX_OF_FLOW_DELETE        3
#define PX_OF_FLOW_DELETE_STRICT 4

/* flow_mod flags (1.3's OFPFF_*; 1.0 has the first two). */
#define PX_OF_FF_SEND_FLOW_REM 0x01u /* Tell openflow.flow_removed. */
#define PX_OF_FF_CHECK_OVERLAP 0x02u
#define PX_OF_FF_RESET_COUNTS  0x04u
#define PX_OF_FF_NO_PKT_COUNTS 0x08u
#define PX_OF_FF_NO_BYT_COUNTS 0x10u

/* px_of_flow_mod.filters: which of 'out_port' and 'out_group' restrict a
 * DELETE (and, in 1.3, a MODIFY) to flows that output there. */
#define PX_OF_FILTER_OUT_PORT  0x1u
#define PX_OF_FILTER_OUT_GROUP 0x2u /* 1.3 only. */

/* openflow.flow_mod: a request any plugin may publish.
 *
 * A plugin that sends one for every packet (a learning switch) keeps one
 * filled in, in its state, and changes only the per-packet fields before
 * each publish, as l2_learning does: a fresh one zero-initialised on the
 * stack is 168 bytes that GCC clears with 'rep stos', and openflow's
 * reads of them right after wait for those stores (a tenth of the
 * controller's throughput, measured). */
struct px_of_flow_mod {
    uint64_t dpid;
    uint8_t command; /* PX_OF_FLOW_*. */
    uint8_t table_id;
    uint16_t idle_timeout;
    uint16_t hard_timeout;
    uint16_t priority;
    uint32_t buffer_id; /* Applied to the buffered packet, or NO_BUFFER. */
    uint64_t cookie;
    struct px_of_match match;
    size_t n_actions;
    const struct px_of_action *actions;
    /* Version 2.  Where to write what became of the request, or NULL. */
    struct px_of_outcome *outcome;
    /* Version 3.  As in px_of_packet_out. */
    const char *reply_to;
    uint64_t request_id;
    /* Version 4. */
    uint64_t cookie_mask; /* MODIFY and DELETE: only flows whose cookie
                           * equals 'cookie' under this mask (1.3). */
    uint16_t flags;       /* PX_OF_FF_*. */
    uint8_t filters;      /* PX_OF_FILTER_*. */
    uint32_t out_port;
    uint32_t out_group;
    /* The match as a list of fields, instead of 'match' (whose 'fields'
     * must then be 0). */
    size_t n_fields;
    const struct px_of_field *fields;
    /* Instructions, instead of 'actions' (whose count must then be 0). */
    size_t n_instructions;
    const struct px_of_instruction *instructions;
};
/* The lengths of a version 1, 2 and 3 flow_mod; see
 * PX_OF_PACKET_OUT_V1_LEN. */
#define PX_OF_FLOW_MOD_V1_LEN offsetof(struct px_of_flow_mod, outcome)
#define PX_OF_FLOW_MOD_V2_LEN offsetof(struct px_of_flow_mod, reply_to)
#define PX_OF_FLOW_MOD_V3_LEN offsetof(struct px_of_flow_mod, cookie_mask)

/* openflow.error: an ERROR message from a switch. */
struct px_of_error {
    uint64_t dpid;
    uint16_t type;
    uint16_t code;
    const uint8_t *data; /* The start of the offending request. */
    size_t data_len;
};

/* Why a flow was removed (OFPRR_*, the same numbers in 1.0 and 1.3). */
#define PX_OF_RR_IDLE_TIMEOUT 0
#define PX_OF_RR_HARD_TIMEOUT 1
#define PX_OF_RR_DELETE       2
#define PX_OF_RR_GROUP_DELETE 3 /* 1.3 */

/* openflow.flow_removed: a switch removed a flow that was added with
 * PX_OF_FF_SEND_FLOW_REM. */
struct px_of_flow_removed {
    uint64_t dpid;
    uint8_t version; /* Of the switch's session. */
    uint8_t reason;  /* PX_OF_RR_*. */
    uint8_t table_id;
    uint16_t priority;
    uint16_t idle_timeout;
    uint16_t hard_timeout; /* 1.3; 0 from 1.0. */
    uint64_t cookie;
    uint32_t duration_sec;
    uint32_t duration_nsec;
    uint64_t packet_count;
    uint64_t byte_count;
    /* The flow's match, decoded (1.0's twelve-tuple as fields too). */
    size_t n_match;
    const struct px_of_field *match;
};

/* group_mod commands and group types (1.3 OFPGC_*, OFPGT_*). */
#define PX_OF_GROUP_ADD      0
#define PX_OF_GROUP_MODIFY   1
#define PX_OF_GROUP_DELETE   2
#define PX_OF_GROUP_ALL      0
#define PX_OF_GROUP_SELECT   1
#define PX_OF_GROUP_INDIRECT 2
#define PX_OF_GROUP_FF       3 /* Fast failover. */
/* Group ids past the last a plugin may use, and "every group" for a
 * DELETE. */
#define PX_OF_GROUP_MAX        0xffffff00u
#define PX_OF_GROUP_ALL_GROUPS 0xfffffffcu

/* One bucket of a group: 'weight' counts for SELECT; 'watch_port' and
 * 'watch_group' (PX_OF_PORT_ANY / PX_OF_GROUP_ANY for none) for FF. */
struct px_of_bucket {
    uint16_t weight;
    uint32_t watch_port;
    uint32_t watch_group;
    size_t n_actions;
    const struct px_of_action *actions;
};
#define PX_OF_GROUP_ANY 0xffffffffu

/* openflow.group_mod: a request any plugin may publish; OpenFlow 1.3
 * only (EOPNOTSUPP for 1.0).  Told as for flow_mod: 'outcome', and with
 * a 'reply_to' PX_OF_REPLY_OK after the barrier that follows it, the
 * switch's PX_OF_REPLY_ERROR, or PX_OF_REPLY_GONE. */
struct px_of_group_mod {
    uint64_t dpid;
    uint16_t command; /* PX_OF_GROUP_ADD, _MODIFY, _DELETE. */
    uint8_t type;     /* PX_OF_GROUP_ALL, _SELECT, _INDIRECT, _FF. */
    uint32_t group_id;
    size_t n_buckets;
    const struct px_of_bucket *buckets;
    struct px_of_outcome *outcome; /* Or NULL. */
    const char *reply_to;          /* Or NULL. */
    uint64_t request_id;
};

/* meter_mod commands, flags and band types (1.3 OFPMC_*, OFPMF_*,
 * OFPMBT_*). */
#define PX_OF_METER_ADD        0
#define PX_OF_METER_MODIFY     1
#define PX_OF_METER_DELETE     2
#define PX_OF_METER_KBPS       0x1u
#define PX_OF_METER_PKTPS      0x2u
#define PX_OF_METER_BURST      0x4u
#define PX_OF_METER_STATS      0x8u
#define PX_OF_BAND_DROP        1
#define PX_OF_BAND_DSCP_REMARK 2
/* The last meter id a plugin may use, and "every meter" for a DELETE. */
#define PX_OF_METER_MAX 0xffff0000u
#define PX_OF_METER_ALL 0xffffffffu

struct px_of_meter_band {
    uint16_t type; /* PX_OF_BAND_*. */
    uint32_t rate; /* In kb/s or packets/s, as the meter's flags say. */
    uint32_t burst_size;
    uint8_t prec_level; /* DSCP_REMARK: drop precedence to add. */
};

/* openflow.meter_mod: a request any plugin may publish; OpenFlow 1.3 only,
 * told as group_mod. */
struct px_of_meter_mod {
    uint64_t dpid;
    uint16_t command; /* PX_OF_METER_ADD, _MODIFY, _DELETE. */
    uint16_t flags;   /* PX_OF_METER_KBPS or _PKTPS, _BURST, _STATS. */
    uint32_t meter_id;
    size_t n_bands;
    const struct px_of_meter_band *bands;
    struct px_of_outcome *outcome; /* Or NULL. */
    const char *reply_to;          /* Or NULL. */
    uint64_t request_id;
};

/* ---------------------------------------------------------------------- */
/* Requests with replies.
 *
 * A request that gets replies names a topic of the requester's choosing,
 * 'reply_to' (by convention "<instance name>.openflow", see
 * px_instance_name), and an id the requester chooses, 'request_id'.  The
 * requester subscribes to 'reply_to' before it publishes the request;
 * openflow declares that topic too and publishes every reply on it as a
 * struct px_of_reply carrying the request's id.  Nothing is dropped
 * silently: a request openflow cannot take is told in its 'outcome' (as
 * for packet_out and flow_mod, plus EINVAL for a 'reply_to' that is not a
 * topic name and ENOBUFS for a switch with too many requests awaiting a
 * reply), and one it took always ends in exactly one final reply. */

enum px_of_reply_type {
    /* openflow.inventory: one connected switch, in 'sw'.  Not final. */
    PX_OF_REPLY_SWITCH = 1,
    /* openflow.inventory: the end; 'count' switches were told.  Final. */
    PX_OF_REPLY_DONE,
    /* openflow.barrier: the switch has processed every message sent
     * before the barrier.  Final. */
    PX_OF_REPLY_BARRIER,
    /* The switch answered the request with an ERROR, in 'error'.  Final. */
    PX_OF_REPLY_ERROR,
    /* The switch's connection closed (or openflow was reloaded or
     * unloaded) before the answer came, or the switch refused the barrier
     * that would have told PX_OF_REPLY_OK; 'cause' says which.  Final. */
    PX_OF_REPLY_GONE,
    /* openflow.send with PX_OF_SEND_REPLY: a message from the switch with
     * the request's xid, whole, in 'msg'.  Final unless 'more' (a part of
     * a multipart reply with more parts to come). */
    PX_OF_REPLY_MESSAGE,
    /* openflow.send without PX_OF_SEND_REPLY: the switch processed the
     * message without an ERROR (a barrier openflow sent after it was
     * answered).  Final. */
    PX_OF_REPLY_OK,
    /* openflow.role: the switch's ROLE_REPLY, in 'role' and
     * 'generation_id'.  Final. */
    PX_OF_REPLY_ROLE,
    /* openflow.stats: the switch's reply, every part of it, decoded, in
     * 'stats'.  Final. */
    PX_OF_REPLY_STATS,
    /* openflow.async with 'get': the switch's GET_ASYNC_REPLY, in
     * 'async'.  Final. */
    PX_OF_REPLY_ASYNC,
};

/* What openflow publishes on a request's 'reply_to' topic. */
struct px_of_reply {
    uint64_t request_id;             /* The request's. */
    uint64_t dpid;                   /* The switch; 0 for PX_OF_REPLY_DONE. */
    uint32_t type;                   /* enum px_of_reply_type. */
    uint32_t count;                  /* PX_OF_REPLY_DONE: switches told. */
    const struct px_of_switch *sw;   /* PX_OF_REPLY_SWITCH. */
    const struct px_of_error *error; /* PX_OF_REPLY_ERROR. */
    const char *cause;               /* PX_OF_REPLY_GONE. */
    const uint8_t *msg;              /* PX_OF_REPLY_MESSAGE. */
    size_t msg_len;
    int more;               /* PX_OF_REPLY_MESSAGE: more parts follow. */
    uint32_t role;          /* PX_OF_REPLY_ROLE: PX_OF_ROLE_*. */
    uint64_t generation_id; /* PX_OF_REPLY_ROLE. */
    const struct px_of_stats *stats;        /* PX_OF_REPLY_STATS. */
    const struct px_of_async_config *async; /* PX_OF_REPLY_ASYNC. */
};

/* openflow.inventory: every switch connected now, for a plugin that came
 * up after them (enabled or reloaded later): one PX_OF_REPLY_SWITCH per
 * switch past its handshake (the payload switch_up had, ports as they
 * are now), then PX_OF_REPLY_DONE, all before px_publish returns.  From
 * then on switch_up, switch_down and port_status keep the plugin
 * current. */
struct px_of_inventory {
    const char *reply_to;
    uint64_t request_id;
    struct px_of_outcome *outcome; /* Or NULL. */
};

/* openflow.barrier: a BARRIER_REQUEST to the switch; the final reply is
 * PX_OF_REPLY_BARRIER once the switch has processed what was sent to it
 * before, PX_OF_REPLY_ERROR, or PX_OF_REPLY_GONE. */
struct px_of_barrier {
    uint64_t dpid;
    const char *reply_to;
    uint64_t request_id;
    struct px_of_outcome *outcome; /* Or NULL. */
};

/* openflow.send flags. */
#define PX_OF_SEND_REPLY 0x1u /* The message has a reply (a request). */

/* openflow.send: any OpenFlow message the plugin encoded itself, for what
 * the other topics do not cover (experimenter messages, stats and
 * multipart requests, role requests...).  openflow checks its framing (a
 * whole message, header length equal to 'len', the switch's version, not
 * a HELLO), gives it an xid of its own (the message's is overwritten in
 * the copy sent) and queues it; the plugin is told the outcome as for
 * packet_out.  With a 'reply_to', its replies come as for a barrier:
 * with PX_OF_SEND_REPLY, every message the switch sends with that xid
 * (PX_OF_REPLY_MESSAGE, the last part of a multipart reply final), else
 * PX_OF_REPLY_OK once a barrier openflow sends after it is answered; an
 * ERROR for it, or GONE, instead.  Without a 'reply_to' nothing follows
 * the outcome (an ERROR still goes to openflow.error). */
struct px_of_send {
    uint64_t dpid;
    const uint8_t *msg;
    size_t len;
    uint32_t flags;       /* PX_OF_SEND_*. */
    const char *reply_to; /* Or NULL. */
    uint64_t request_id;
    struct px_of_outcome *outcome; /* Or NULL. */
};

/* Controller roles (OpenFlow 1.3 OFPCR_ROLE_*). */
#define PX_OF_ROLE_NOCHANGE 0
#define PX_OF_ROLE_EQUAL    1
#define PX_OF_ROLE_MASTER   2
#define PX_OF_ROLE_SLAVE    3

/* openflow.role: a ROLE_REQUEST, OpenFlow 1.3 only (EOPNOTSUPP for a 1.0
 * switch).  The final reply is PX_OF_REPLY_ROLE with the role the switch
 * now gives this controller; PX_OF_REPLY_ERROR (ROLE_REQUEST_FAILED, e.g.
 * a stale generation id); or PX_OF_REPLY_GONE.  A cluster of controllers
 * asks for MASTER with an ever-growing 'generation_id'; a switch ignores
 * the generation id of EQUAL and NOCHANGE. */
struct px_of_role {
    uint64_t dpid;
    uint32_t role; /* PX_OF_ROLE_*. */
    uint64_t generation_id;
    const char *reply_to; /* Required. */
    uint64_t request_id;
    struct px_of_outcome *outcome; /* Or NULL. */
};

/* ---------------------------------------------------------------------- */
/* Asynchronous configuration (1.3 SET_ASYNC and GET_ASYNC): which
 * packet-ins, port statuses and flow removals the switch sends this
 * controller, by reason.  Bit N of a mask stands for reason N
 * (PX_OF_REASON_*, PX_OF_PORT_ADD..., PX_OF_RR_*); index 0 is for the
 * MASTER and EQUAL roles, 1 for SLAVE. */
struct px_of_async_config {
    uint32_t packet_in_mask[2];
    uint32_t port_status_mask[2];
    uint32_t flow_removed_mask[2];
};

/* openflow.async: OpenFlow 1.3 only (EOPNOTSUPP for 1.0).  Without 'get',
 * sets 'config' (SET_ASYNC): with a 'reply_to', PX_OF_REPLY_OK after the
 * barrier that follows it, the switch's ERROR, or GONE.  With 'get', asks
 * (GET_ASYNC_REQUEST; 'reply_to' required): PX_OF_REPLY_ASYNC, ERROR or
 * GONE. */
struct px_of_async {
    uint64_t dpid;
    int get;
    struct px_of_async_config config;
    const char *reply_to;
    uint64_t request_id;
    struct px_of_outcome *outcome; /* Or NULL. */
};

/* ---------------------------------------------------------------------- */
/* Statistics (multipart in 1.3, stats in 1.0): openflow.stats asks, and
 * the reply comes whole, every part of a multipart reply assembled and
 * decoded (PX_OF_REPLY_STATS).  The kinds are 1.3's OFPMP_* numbers, which
 * 1.0 shares for the ones it has (DESC to QUEUE). */
enum px_of_stats_type {
    PX_OF_STATS_DESC = 0,          /* The switch's description. */
    PX_OF_STATS_FLOW = 1,          /* Each flow that matches the request. */
    PX_OF_STATS_AGGREGATE = 2,     /* Their sums. */
    PX_OF_STATS_TABLE = 3,         /* Each table. */
    PX_OF_STATS_PORT = 4,          /* Each port ('port_no', or ANY). */
    PX_OF_STATS_QUEUE = 5,         /* Each queue ('port_no', 'queue_id'). */
    PX_OF_STATS_GROUP = 6,         /* Each group ('group_id', or ALL); 1.3. */
    PX_OF_STATS_GROUP_DESC = 7,    /* Each group's definition; 1.3. */
    PX_OF_STATS_METER = 9,         /* Each meter ('meter_id', or ALL); 1.3. */
    PX_OF_STATS_METER_CONFIG = 10, /* Each meter's definition; 1.3. */
    PX_OF_STATS_PORT_DESC = 13     /* The ports (1.3; 1.0 says them in its
                                    * FEATURES_REPLY, see openflow.inventory). */
};

/* Every table, for a flow or aggregate request. */
#define PX_OF_TABLE_ALL 0xffu
/* Every queue, for a queue request. */
#define PX_OF_QUEUE_ALL 0xffffffffu

/* openflow.stats: a request any plugin may publish, with a 'reply_to'.
 * The reply is PX_OF_REPLY_STATS, the switch's PX_OF_REPLY_ERROR, or
 * PX_OF_REPLY_GONE (also when the reply is longer than openflow assembles,
 * OF_MAX_STATS_REPLY in the README: counted as output_full). */
struct px_of_stats_request {
    uint64_t dpid;
    uint32_t type; /* enum px_of_stats_type. */
    /* FLOW and AGGREGATE: the flows, as a flow_mod's DELETE names them:
     * 'table_id' (PX_OF_TABLE_ALL for every table), 'filters', cookie
     * under 'cookie_mask' (1.3), and the match fields (none: every flow;
     * 1.0 matches them non-strictly, as 1.3 does). */
    uint8_t table_id;
    uint8_t filters; /* PX_OF_FILTER_*. */
    uint32_t out_port;
    uint32_t out_group;
    uint64_t cookie;
    uint64_t cookie_mask;
    size_t n_fields;
    const struct px_of_field *fields;
    /* PORT and QUEUE: the port (PX_OF_PORT_ANY for every port); QUEUE: the
     * queue (PX_OF_QUEUE_ALL for every queue). */
    uint32_t port_no;
    uint32_t queue_id;
    /* GROUP: the group (PX_OF_GROUP_ALL_GROUPS for every group); METER and
     * METER_CONFIG: the meter (PX_OF_METER_ALL for every meter). */
    uint32_t group_id;
    uint32_t meter_id;
    const char *reply_to; /* Required. */
    uint64_t request_id;
    struct px_of_outcome *outcome; /* Or NULL. */
};

/* DESC: NUL-terminated strings. */
struct px_of_desc {
    char mfr_desc[256];
    char hw_desc[256];
    char sw_desc[256];
    char serial_num[32];
    char dp_desc[256];
};

/* FLOW: one flow. */
struct px_of_flow_stats {
    uint8_t table_id;
    uint16_t priority;
    uint16_t idle_timeout;
    uint16_t hard_timeout;
    uint16_t flags; /* 1.3: PX_OF_FF_*. */
    uint32_t duration_sec;
    uint32_t duration_nsec;
    uint64_t cookie;
    uint64_t packet_count;
    uint64_t byte_count;
    size_t n_match;
    const struct px_of_field *match;
    /* The flow's instructions, decoded: 1.0's actions as one
     * APPLY_ACTIONS (none for a flow that drops).  Set-fields are
     * SET_FIELD (1.0's SET_DL_SRC too; its SET_TP_* are TCP's ports unless
     * the match says UDP), 1.0's ENQUEUE is SET_QUEUE and OUTPUT, and
     * what the SDK has no name for is RAW: a plugin can send them back in
     * a flow_mod as they are. */
    size_t n_instructions;
    const struct px_of_instruction *instructions;
    /* The same, as the switch wrote them (1.3's instructions, 1.0's
     * actions). */
    const uint8_t *raw_instructions;
    size_t raw_instructions_len;
};

/* AGGREGATE. */
struct px_of_aggregate_stats {
    uint64_t packet_count;
    uint64_t byte_count;
    uint32_t flow_count;
};

/* TABLE: one table. */
struct px_of_table_stats {
    uint8_t table_id;
    uint32_t active_count;
    uint64_t lookup_count;
    uint64_t matched_count;
};

/* PORT: one port's counters (UINT64_MAX where the switch has none). */
struct px_of_port_stats {
    uint32_t port_no;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
    uint64_t rx_frame_err, rx_over_err, rx_crc_err, collisions;
    uint32_t duration_sec; /* 1.3; 0 from 1.0. */
    uint32_t duration_nsec;
};

/* QUEUE: one queue. */
struct px_of_queue_stats {
    uint32_t port_no;
    uint32_t queue_id;
    uint64_t tx_bytes, tx_packets, tx_errors;
    uint32_t duration_sec; /* 1.3; 0 from 1.0. */
    uint32_t duration_nsec;
};

/* A packet and a byte count: a group's bucket's, a meter's band's. */
struct px_of_counter {
    uint64_t packet_count;
    uint64_t byte_count;
};

/* GROUP: one group, with each bucket's counts. */
struct px_of_group_stats {
    uint32_t group_id;
    uint32_t ref_count; /* Flows and groups that go to it. */
    uint64_t packet_count;
    uint64_t byte_count;
    uint32_t duration_sec;
    uint32_t duration_nsec;
    size_t n_buckets;
    const struct px_of_counter *buckets;
};

/* GROUP_DESC: one group's definition, with its buckets decoded as a
 * flow's actions are (see px_of_flow_stats), and as the switch wrote them
 * (1.3's struct ofp_bucket, with their actions). */
struct px_of_group_desc {
    uint8_t type; /* PX_OF_GROUP_ALL... */
    uint32_t group_id;
    size_t n_buckets;
    const struct px_of_bucket *buckets;
    const uint8_t *raw_buckets;
    size_t raw_buckets_len;
};

/* METER: one meter, with each band's counts. */
struct px_of_meter_stats {
    uint32_t meter_id;
    uint32_t flow_count;
    uint64_t packet_in_count;
    uint64_t byte_in_count;
    uint32_t duration_sec;
    uint32_t duration_nsec;
    size_t n_bands;
    const struct px_of_counter *bands;
};

/* METER_CONFIG: one meter's definition. */
struct px_of_meter_config {
    uint16_t flags; /* PX_OF_METER_KBPS... */
    uint32_t meter_id;
    size_t n_bands;
    const struct px_of_meter_band *bands;
};

/* What PX_OF_REPLY_STATS carries: 'n' entries in the array of 'type'
 * (one for DESC and AGGREGATE), the others NULL. */
struct px_of_stats {
    uint32_t type; /* enum px_of_stats_type. */
    size_t n;
    const struct px_of_desc *desc;
    const struct px_of_flow_stats *flows;
    const struct px_of_aggregate_stats *aggregate;
    const struct px_of_table_stats *tables;
    const struct px_of_port_stats *ports;
    const struct px_of_queue_stats *queues;
    const struct px_of_port *port_descs;
    const struct px_of_group_stats *groups;
    const struct px_of_group_desc *group_descs;
    const struct px_of_meter_stats *meters;
    const struct px_of_meter_config *meter_configs;
};

#endif /* PLEXUS_TOPICS_OPENFLOW_H */
