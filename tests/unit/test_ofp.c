/*
 * Unit tests for the OpenFlow codec (plugins/openflow/ofp.c): every
 * encoder, byte for byte, in 1.0 and 1.3; every decoder on messages as
 * Open vSwitch sends them, on round trips, and on malformed input; framing,
 * HELLO version negotiation and the mapping of 1.0's 16-bit special ports.
 *
 * Fixtures are hex in 4-byte words.  Each was checked against an
 * independent decoder, `ovs-ofctl ofp-print` from Open vSwitch 3.1.0, and
 * the comment above it is what that printed, abbreviated.  The OVS_*
 * fixtures were captured from a live ovs-vswitchd 3.1.0 (dummy datapath,
 * ports p1 and p2 besides the bridge's LOCAL port) talking to a test
 * controller; every request fixture (all but ERROR and ECHO_REPLY) was
 * sent to that switch, which accepted it, installing the flows as printed
 * (the buffered packet-outs draw BUFFER_UNKNOWN: OVS keeps no buffers).
 *
 * Decoders always get an exact-size heap copy of the message, so ASan
 * reports a read past its end.  Malformed input is checked for EPROTO and
 * a reason; every proper prefix of each decoder fixture, with the header
 * length patched to match, must be refused too, except the prefixes that
 * are well-formed messages themselves (fewer ports, a shorter frame).
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ofp.h"
#include "ofp_actions.h"
#include "ofp_stats.h"
#include "ofp_wire.h"
#include "plexus/byteorder.h"
#include "hexfix.h"

#define MAX_MSG   1024
#define MAX_PORTS 8
#define NONE      SIZE_MAX /* No tail of a fixture is optional. */

/* ofp-print: HELLO (OF1.3) (xid=0x1): version bitmap: 0x01, 0x04 */
/* Room for a 1.3 packet-in's decoded match. */
static struct px_of_field pif[PX_OF_F_COUNT];
/* A buffer for any message. */
static uint8_t buf_big[OF_MAX_MESSAGE];

static const char HELLO[] = "04000010 00000001 00010008 00000012";

/* ofp-print: HELLO (OF1.5) (xid=0x3): version bitmap: 0x01, ..., 0x06 */
static const char OVS_HELLO_DEFAULT[] = "06000008 00000003";

/* ofp-print: HELLO (OF1.3) (xid=0x5): version bitmap: 0x01, 0x04 */
static const char OVS_HELLO_10_13[] = "04000010 00000005 00010008 00000012";

/* ofp-print: HELLO (OF1.3) (xid=0xe): version bitmap: 0x04 */
static const char OVS_HELLO_13[] = "04000010 0000000e 00010008 00000010";

/* ofp-print: HELLO (xid=0x12): version bitmap: 0x01 */
static const char OVS_HELLO_10[] = "01000008 00000012";

/* ofp-print: HELLO (OF1.3): version bitmap: 0x01, 0x04 unknown data in h... */
static const char HELLO_UNKNOWN_ELEMENT[] =
    "04000018 00000013 ffff0004 00000000 "
    "00010008 00000012";

/* ofp-print: HELLO (OF1.3): version bitmap: 0x01...0x04 unknown data in ... */
static const char HELLO_UNPADDED[] = "04000014 00000013 0001000c 00000012 "
                                     "00000001";

/* ofp-print: HELLO (OF1.3) (xid=0x13): version bitmap: 0x04 */
static const char HELLO_TWO_BITMAPS[] = "04000018 00000013 00010008 00000002 "
                                        "00010008 00000010";

/* ofp-print: HELLO (OF1.3) (xid=0x13): version bitmap: 0x01 */
static const char HELLO_ONLY_10[] = "04000010 00000013 00010008 00000002";

/* ofp-print: HELLO (OF1.3) [warn: peer does not support any OpenFlow ver... */
static const char HELLO_BIT0[] = "04000010 00000013 00010008 00000001";

/* ofp-print: HELLO (OF1.2) (xid=0x13): version bitmap: 0x01, 0x02, 0x03 */
static const char HELLO_12[] = "03000008 00000013";

/* ofp-print: HELLO (OF 0x20) (xid=0x13): version bitmap: 0x01, ..., 0x1f */
static const char HELLO_V32[] = "20000008 00000013";

/* ofp-print: HELLO (xid=0x13): version bitmap: 0x01 unknown data in hello */
static const char HELLO_10_BODY[] = "0100000c 00000013 deadbeef";

/* ofp-print: HELLO (OF1.3): version bitmap: 0x01...0x04 unknown data in ... */
static const char HELLO_ELEMENT_LEN_0[] =
    "04000010 00000013 00010000 00000010";

/* ofp-print: HELLO (OF1.3): version bitmap: 0x01...0x04 unknown data in ... */
static const char HELLO_ELEMENT_OVERRUN[] =
    "04000010 00000013 0001000c 00000012";

/* ofp-print: HELLO (OF1.3): version bitmap: 0x01...0x04 unknown data in ... */
static const char HELLO_ELEMENT_LEN_2[] =
    "04000010 00000013 00010002 00000012";

/* ofp-print: HELLO (OF1.3): version bitmap: 0x01...0x04 unknown data in ... */
static const char HELLO_ELEMENT_TRUNCATED[] = "0400000a 00000013 0001";

/* ofp-print: HELLO (OF1.3): version bitmap: 0x01...0x04 unknown data in ... */
static const char HELLO_BITMAP_EMPTY[] = "04000010 00000013 00010004 00000000";

/* ofp-print: HELLO (OF1.3): version bitmap: 0x01...0x04 unknown data in ... */
static const char HELLO_BITMAP_ODD[] = "04000010 00000013 00010006 00000012";

/* ofp-print: ERROR (xid=0x2): OFPHFC_INCOMPATIBLE no common version */
static const char ERROR_10[] = "0101001d 00000002 00000000 6e6f2063 "
                               "6f6d6d6f 6e207665 7273696f 6e";

/* ofp-print: ERROR (OF1.3) (xid=0x2): OFPHFC_INCOMPATIBLE no common version */
static const char ERROR_13[] = "0401001d 00000002 00000000 6e6f2063 "
                               "6f6d6d6f 6e207665 7273696f 6e";

/* ofp-print: ERROR (xid=0xa): OFPBRC_BUFFER_UNKNOWN PACKET_OUT (xid=0xa)... */
static const char OVS_ERROR_10[] = "01010034 0000000a 00010008 010d0028 "
                                   "0000000a 00000100 00010018 00040010 "
                                   "02000000 00aa0000 00000000 00000008 "
                                   "00020000";

/* ofp-print: ERROR (OF1.3) (xid=0xee): OFPBRC_BAD_TYPE 04 ff 00 08 00 00... */
static const char OVS_ERROR_13[] = "04010014 000000ee 00010001 04ff0008 "
                                   "000000ee";

/* ofp-print: ECHO_REQUEST (xid=0x3): 0 bytes of payload */
static const char ECHO_REQUEST_10[] = "01020008 00000003";

/* ofp-print: ECHO_REQUEST (OF1.3) (xid=0x3): 0 bytes of payload */
static const char ECHO_REQUEST_13[] = "04020008 00000003";

/* ofp-print: ECHO_REPLY (xid=0x7): 4 bytes of payload |ping| */
static const char ECHO_REPLY_10[] = "0103000c 00000007 70696e67";

/* ofp-print: ECHO_REPLY (OF1.3) (xid=0x7): 4 bytes of payload |ping| */
static const char ECHO_REPLY_13[] = "0403000c 00000007 70696e67";

/* ofp-print: FEATURES_REQUEST (xid=0x4): */
static const char FEATURES_REQUEST_10[] = "01050008 00000004";

/* ofp-print: FEATURES_REQUEST (OF1.3) (xid=0x4): */
static const char FEATURES_REQUEST_13[] = "04050008 00000004";

/* ofp-print: SET_CONFIG (xid=0x5): frags=normal miss_send_len=65535 */
static const char SET_CONFIG_10[] = "0109000c 00000005 0000ffff";

/* ofp-print: SET_CONFIG (OF1.3) (xid=0x5): frags=normal miss_send_len=65535 */
static const char SET_CONFIG_13[] = "0409000c 00000005 0000ffff";

/* ofp-print: OFPST_PORT_DESC request (OF1.3) (xid=0x6): port=ANY */
static const char PORT_DESC_REQUEST[] = "04120010 00000006 000d0000 00000000";

/* ofp-print: FLOW_MOD (OF1.3) (xid=0x7): ADD priority=0 actions=CONTROLL... */
static const char TABLE_MISS[] = "040e0050 00000007 00000000 00000000 "
                                 "00000000 00000000 00000000 00000000 "
                                 "ffffffff ffffffff ffffffff 00000000 "
                                 "00010004 00000000 00040018 00000000 "
                                 "00000010 fffffffd ffff0000 00000000";

/* ofp-print: ROLE_REQUEST (OF1.3) (xid=0x9): role=primary
 * generation_id=5 */
static const char ROLE_REQUEST_13[] = "04180018 00000009 00000002 00000000 "
                                      "00000000 00000005";
/* ofp-print: ROLE_REPLY (OF1.3) (xid=0x9): role=primary generation_id=5 */
static const char ROLE_REPLY_13[] = "04190018 00000009 00000002 00000000 "
                                    "00000000 00000005";

/* ofp-print: BARRIER_REQUEST (xid=0x8): */
static const char BARRIER_REQUEST_10[] = "01120008 00000008";

/* ofp-print: BARRIER_REQUEST (OF1.3) (xid=0x8): */
static const char BARRIER_REQUEST_13[] = "04140008 00000008";

/* ofp-print: PACKET_OUT (xid=0x9): in_port=CONTROLLER actions=FLOOD data... */
static const char PACKET_OUT_10[] = "010d0042 00000009 ffffffff fffd0008 "
                                    "00000008 fffb0000 ffffffff ffff0200 "
                                    "00000011 08060001 08000604 00010200 "
                                    "00000011 0a000001 00000000 00000a00 "
                                    "0002";

/* ofp-print: PACKET_OUT (OF1.3) (0x9): in_port=CONTROLLER actions=FLOOD ... */
static const char PACKET_OUT_13[] = "040d0052 00000009 ffffffff fffffffd "
                                    "00100000 00000000 00000010 fffffffb "
                                    "00000000 00000000 ffffffff ffff0200 "
                                    "00000011 08060001 08000604 00010200 "
                                    "00000011 0a000001 00000000 00000a00 "
                                    "0002";

/* ofp-print: PACKET_OUT: in_port=1 actions=mod_dl_src:..:aa,output:2 buf... */
static const char PACKET_OUT_BUFFERED_10[] =
    "010d0028 0000000a 00000100 00010018 "
    "00040010 02000000 00aa0000 00000000 "
    "00000008 00020000";

/* ofp-print: PACKET_OUT (OF1.3): in_port=1 actions=set_field:..:aa->eth_... */
static const char PACKET_OUT_BUFFERED_13[] =
    "040d0038 0000000a 00000100 00000001 "
    "00200000 00000000 00190010 80000806 "
    "02000000 00aa0000 00000010 00000002 "
    "00000000 00000000";

/* ofp-print: FLOW_MOD: ADD priority=100,tcp,in_port=1,dl_vlan=10,dl_src=... */
static const char FLOW_MOD_ADD_10[] = "010e0068 0000000b 00300000 00010200 "
                                      "00000011 02000000 0012000a 00000800 "
                                      "00060000 0a000001 0a000002 30390050 "
                                      "00000000 00001234 0000000a 001e0064 "
                                      "ffffffff ffff0000 00050010 02000000 "
                                      "00bb0000 00000000 00000008 00020000 "
                                      "00000008 fffd0080";

/* ofp-print: FLOW_MOD (OF1.3): the same, with actions=set_field:..:bb->e... */
static const char FLOW_MOD_ADD_13[] = "040e00b8 0000000b 00000000 00001234 "
                                      "00000000 00000000 0000000a 001e0064 "
                                      "ffffffff ffffffff ffffffff 00000000 "
                                      "0001004d 80000004 00000001 80000606 "
                                      "02000000 00128000 08060200 00000011 "
                                      "80000a02 08008000 0c02100a 80001401 "
                                      "06800016 040a0000 01800018 040a0000 "
                                      "0280001a 02303980 001c0200 50000000 "
                                      "00040038 00000000 00190010 80000606 "
                                      "02000000 00bb0000 00000010 00000002 "
                                      "00000000 00000000 00000010 fffffffd "
                                      "00800000 00000000";

/* ofp-print: FLOW_MOD (xid=0xc): DEL priority=0,dl_dst=02:00:00:00:00:12... */
static const char FLOW_MOD_DELETE_10[] = "010e0048 0000000c 003820f7 00000000 "
                                         "00000000 02000000 00120000 00000000 "
                                         "00000000 00000000 00000000 00000000 "
                                         "00000000 00000000 00030000 00000000 "
                                         "ffffffff ffff0000";

/* ofp-print: FLOW_MOD (OF1.3): DEL table:255 priority=0,dl_dst=02:00:00:... */
static const char FLOW_MOD_DELETE_13[] = "040e0040 0000000c 00000000 00000000 "
                                         "00000000 00000000 ff030000 00000000 "
                                         "ffffffff ffffffff ffffffff 00000000 "
                                         "0001000e 80000606 02000000 00120000";

/* ofp-print: FLOW_MOD (xid=0xd): MOD priority=5,udp,vlan_tci=0x0000,tp_d... */
static const char FLOW_MOD_UDP_10[] = "010e0050 0000000d 0038204d 00000000 "
                                      "00000000 00000000 0000ffff 00000800 "
                                      "00110000 00000000 00000000 00000035 "
                                      "00000000 00000000 00010000 00000005 "
                                      "ffffffff ffff0000 00000008 fffb0000";

/* ofp-print: FLOW_MOD (xid=0x15): ADD priority=100,in_port=3,
 * dl_src=02:00:00:00:00:11,dl_dst=02:00:00:00:00:12 idle:10 hard:30
 * buf:0x102 actions=output:1,FLOOD: a learning switch's flow, which the
 * encoder writes on its own short path. */
static const char FLOW_MOD_L2_10[] = "010e0058 00000015 003820f2 00030200 "
                                     "00000011 02000000 00120000 00000000 "
                                     "00000000 00000000 00000000 00000000 "
                                     "00000000 00000000 0000000a 001e0064 "
                                     "00000102 ffff0000 00000008 00010000 "
                                     "00000008 fffb0000";

/* ofp-print: FLOW_MOD (OF1.3): MOD priority=5,udp,vlan_tci=0x0000/0x1fff... */
static const char FLOW_MOD_UDP_13[] = "040e0068 0000000d 00000000 00000000 "
                                      "00000000 00000000 00010000 00000005 "
                                      "ffffffff ffffffff ffffffff 00000000 "
                                      "0001001b 80000a02 08008000 0c020000 "
                                      "80001401 11800020 02003500 00000000 "
                                      "00040018 00000000 00000010 fffffffb "
                                      "00000000 00000000";

/* ofp-print: FEATURES_REPLY: dpid:0000000000000001 n_tables:254, n_buffe... */
static const char OVS_FEATURES_REPLY_10[] =
    "010600b0 00000004 00000000 00000001 "
    "00000000 fe000000 000000c7 00000fff "
    "fffe0200 00000001 62723000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "0001aa55 aa55000f 70310000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "0002aa55 aa550010 70320000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000";

/* ofp-print: FEATURES_REPLY (OF1.3): dpid:0000000000000001 n_tables:254,... */
static const char OVS_FEATURES_REPLY_13[] =
    "04060020 00000004 00000000 00000001 "
    "00000000 fe000000 0000004f 00000000";

/* ofp-print: OFPST_PORT_DESC reply (OF1.3): 1(p1) 2(p2) LOCAL(br0), stat... */
static const char OVS_PORT_DESC_REPLY[] =
    "041300d0 00000006 000d0000 00000000 "
    "fffffffe 00000000 02000000 00010000 "
    "62723000 00000000 00000000 00000000 "
    "00000000 00000004 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000001 00000000 aa55aa55 000f0000 "
    "70310000 00000000 00000000 00000000 "
    "00000000 00000004 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000002 00000000 aa55aa55 00100000 "
    "70320000 00000000 00000000 00000000 "
    "00000000 00000004 00000000 00000000 "
    "00000000 00000000 00000000 00000000";

/* ofp-print: OFPST_PORT_DESC reply (OF1.3) (xid=0xab): flags=[more] 1(p1... */
static const char PORT_DESC_REPLY_MORE[] =
    "04130090 000000ab 000d0001 00000000 "
    "00000001 00000000 aa55aa55 000f0000 "
    "70310000 00000000 00000000 00000000 "
    "00000000 00000004 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000002 00000000 aa55aa55 00100000 "
    "70320000 00000000 00000000 00000000 "
    "00000000 00000004 00000000 00000000 "
    "00000000 00000000 00000000 00000000";

/* ofp-print: PACKET_IN (OF1.3): cookie=0x0 total_len=60 in_port=1 (via n... */
static const char OVS_PACKET_IN_13[] = "040a0066 00000000 ffffffff 003c0000 "
                                       "00000000 00000000 0001000c 80000004 "
                                       "00000001 00000000 0000ffff ffffffff "
                                       "02000000 00210806 00010800 06040001 "
                                       "02000000 0021c0a8 00010000 00000000 "
                                       "c0a80002 00000000 00000000 00000000 "
                                       "00000000 0000";

/* ofp-print: PACKET_IN: total_len=60 in_port=1 (via no_match) data_len=6... */
static const char OVS_PACKET_IN_10[] = "010a004e 00000000 ffffffff 003c0001 "
                                       "0000ffff ffffffff 02000000 00210806 "
                                       "00010800 06040001 02000000 0021c0a8 "
                                       "00010000 00000000 c0a80002 00000000 "
                                       "00000000 00000000 00000000 0000";

/* ofp-print: PACKET_IN (OF1.3): total_len=60 in_port=CONTROLLER (via act... */
static const char OVS_PACKET_IN_ACTION_13[] =
    "040a0066 00000000 ffffffff 003c0100 "
    "ffffffff ffffffff 0001000c 80000004 "
    "fffffffd 00000000 00000200 00000022 "
    "02000000 00210800 45000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 0000";

/* ofp-print: PACKET_IN: total_len=60 in_port=CONTROLLER (via action) dat... */
static const char OVS_PACKET_IN_ACTION_10[] =
    "010a004e 00000000 ffffffff 003cfffd "
    "01000200 00000022 02000000 00210800 "
    "45000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 0000";

/* ofp-print: PACKET_IN (xid=0x42): total_len=42 in_port=FLOOD (via actio... */
static const char PACKET_IN_FLOOD_10[] = "010a0020 00000042 00000107 002afffb "
                                         "0100ffff ffffffff 02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): table_id=3 cookie=0xdeadbeef total_len=1... */
static const char PACKET_IN_METADATA_13[] =
    "040a0040 00000043 ffffffff 000e0103 "
    "00000000 deadbeef 00010018 80000408 "
    "00000000 00000abc 80000004 00000005 "
    "0000ffff ffffffff 02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): total_len=14 in_port=9 (via no_match) da... */
static const char PACKET_IN_TUN_ID_13[] =
    "040a0040 00000044 ffffffff 000e0000 "
    "00000000 00000000 00010018 00014c08 "
    "00000000 00000007 80000004 00000009 "
    "0000ffff ffffffff 02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): total_len=14 in_port=1 (via no_match) da... */
static const char PACKET_IN_MASKED_13[] =
    "040a0038 00000044 ffffffff 000e0000 "
    "00000000 00000000 00010010 80000108 "
    "00000001 ffffffff 0000ffff ffffffff "
    "02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): total_len=14 ip (via no_match) data_len=14 */
static const char PACKET_IN_NO_IN_PORT[] =
    "040a0038 00000044 ffffffff 000e0000 "
    "00000000 00000000 0001000a 80000a02 "
    "08000000 00000000 0000ffff ffffffff "
    "02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): ***decode error: OFPBMC_DUP_FIELD*** */
static const char PACKET_IN_DUP_IN_PORT[] =
    "040a0040 00000044 ffffffff 000e0000 "
    "00000000 00000000 00010014 80000004 "
    "00000001 80000004 00000002 00000000 "
    "0000ffff ffffffff 02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): ***decode error: OFPBMC_BAD_MASK*** */
static const char PACKET_IN_PART_MASKED[] =
    "040a0038 00000044 ffffffff 000e0000 "
    "00000000 00000000 00010010 80000108 "
    "00000001 0000ffff 0000ffff ffffffff "
    "02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): total_len=14  (via no_match) data_len=14 */
static const char PACKET_IN_SHORT_IN_PORT[] =
    "040a0038 00000044 ffffffff 000e0000 "
    "00000000 00000000 0001000a 80000002 "
    "00010000 00000000 0000ffff ffffffff "
    "02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): ***decode error: OFPBMC_BAD_LEN*** */
static const char PACKET_IN_OXM_OVERRUN[] =
    "040a0038 00000044 ffffffff 000e0000 "
    "00000000 00000000 0001000c 80000008 "
    "00000001 00000000 0000ffff ffffffff "
    "02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): ***decode error: OFPBMC_BAD_LEN*** */
static const char PACKET_IN_FIELD_OVERRUN[] =
    "040a0038 00000044 ffffffff 000e0000 "
    "00000000 00000000 00010010 80000004 "
    "00000001 80000a02 0000ffff ffffffff "
    "02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): ***decode error: OFPBMC_BAD_LEN*** */
static const char PACKET_IN_OXM_TRAILING[] =
    "040a0038 00000044 ffffffff 000e0000 "
    "00000000 00000000 0001000e 80000004 "
    "00000001 80000000 0000ffff ffffffff "
    "02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): ***decode error: OFPBMC_BAD_TYPE*** */
static const char PACKET_IN_STANDARD_MATCH[] =
    "040a0038 00000044 ffffffff 000e0000 "
    "00000000 00000000 0000000c 80000004 "
    "00000001 00000000 0000ffff ffffffff "
    "02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): ***decode error: OFPBMC_BAD_LEN*** */
static const char PACKET_IN_MATCH_LEN_3[] =
    "040a0030 00000044 ffffffff 000e0000 "
    "00000000 00000000 00010003 00000000 "
    "0000ffff ffffffff 02000000 00210806";

/* ofp-print: PACKET_IN (OF1.3): (***truncated to 36 bytes from 44***) */
static const char PACKET_IN_MATCH_OVERRUN[] =
    "040a002c 00000044 ffffffff 000e0000 "
    "00000000 00000000 00010100 80000004 "
    "00000001";

/* ofp-print: PORT_STATUS (OF1.3): ADD: 3(p3): addr:aa:55:aa:55:2e:d2 con... */
static const char OVS_PORT_STATUS_ADD_13[] =
    "040c0050 00000000 00000000 00000000 "
    "00000003 00000000 aa55aa55 2ed20000 "
    "70330000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000";

/* ofp-print: PORT_STATUS (OF1.3): DEL: 3(p3): addr:aa:55:aa:55:2e:d2 con... */
static const char OVS_PORT_STATUS_DELETE_13[] =
    "040c0050 00000000 01000000 00000000 "
    "00000003 00000000 aa55aa55 2ed20000 "
    "70330000 00000000 00000000 00000000 "
    "00000000 00000004 00000000 00000000 "
    "00000000 00000000 00000000 00000000";

/* ofp-print: PORT_STATUS: MOD: 1(p1): addr:aa:55:aa:55:00:0f config: POR... */
static const char OVS_PORT_STATUS_MODIFY_10[] =
    "010c0040 00000000 02000000 00000000 "
    "0001aa55 aa55000f 70310000 00000000 "
    "00000000 00000000 00000001 00000001 "
    "00000000 00000000 00000000 00000000";

/* ofp-print: PORT_STATUS: MOD: 5(abcdefghijklmno): addr:02:00:00:00:00:0... */
static const char PORT_STATUS_CURR_10[] =
    "010c0040 00000000 02000000 00000000 "
    "00050200 00000005 61626364 65666768 "
    "696a6b6c 6d6e6f70 00000001 00000001 "
    "000002c0 00000000 00000000 00000000";

/* ofp-print: PORT_STATUS (OF1.3): ADD: 7(eth0): addr:02:00:00:00:00:07 s... */
static const char PORT_STATUS_CURR_13[] =
    "040c0050 00000000 00000000 00000000 "
    "00000007 00000000 02000000 00070000 "
    "65746830 00000000 00000000 00000000 "
    "00000000 00000004 00002840 00000000 "
    "00000000 00000000 00989680 00989680";

/* The 42-byte ARP request the packet-out fixtures carry. */
static const char ARP_FRAME[] = "ffffffff ffff0200 00000011 08060001 "
                                "08000604 00010200 00000011 0a000001 "
                                "00000000 00000a00 0002";

/* The 60-byte frame OVS reported in OVS_PACKET_IN_13 and _10. */
static const char OVS_FRAME[] = "ffffffff ffff0200 00000021 08060001 "
                                "08000604 00010200 00000021 c0a80001 "
                                "00000000 0000c0a8 00020000 00000000 "
                                "00000000 00000000 00000000";

/* Helpers. */

/* Encoders under test, behind one signature. */
struct enc {
    uint8_t version;
    uint32_t xid;
    const void *arg; /* Error data, echo request, packet-out, flow_mod. */
    size_t len;      /* Of error data or echo request. */
};

static size_t
enc_hello(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_hello(buf, cap, e->xid);
}

static size_t
enc_error(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_error(buf, cap, e->version, e->xid, OF_ERROR_HELLO_FAILED,
                           OF_HELLO_FAILED_INCOMPATIBLE, e->arg, e->len);
}

static size_t
enc_echo_request(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_echo_request(buf, cap, e->version, e->xid);
}

static size_t
enc_echo_reply(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_echo_reply(buf, cap, e->arg, e->len);
}

static size_t
enc_features_request(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_features_request(buf, cap, e->version, e->xid);
}

static size_t
enc_set_config(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_set_config(buf, cap, e->version, e->xid);
}

static size_t
enc_port_desc_request(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_port_desc_request(buf, cap, e->xid);
}

static size_t
enc_table_miss(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_table_miss(buf, cap, e->xid);
}

static size_t
enc_barrier_request(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_barrier_request(buf, cap, e->version, e->xid);
}

/* The request encoders say why they fail: here, where check_encoder
 * only takes room away, it must be for want of room. */
static size_t
request_len(int error, size_t len, const char *why)
{
    if (error) {
        assert_int_equal(error, ENOBUFS);
        assert_int_equal(len, 0);
        assert_non_null(why);
        return 0;
    }
    assert_null(why);
    return len;
}

static size_t
enc_packet_out(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;
    const char *why = "unset";
    size_t len = 1;
    int error =
        of_encode_packet_out(buf, cap, e->version, e->xid, e->arg,
                             sizeof(struct px_of_packet_out), &len, &why);

    return request_len(error, len, why);
}

static size_t
enc_flow_mod(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;
    const char *why = "unset";
    size_t len = 1;
    int error = of_encode_flow_mod(buf, cap, e->version, e->xid, e->arg,
                                   sizeof(struct px_of_flow_mod), &len, &why);

    return request_len(error, len, why);
}

/* The length of the packet_out 'po' encoded into 'buf', which must
 * succeed. */
static size_t
po_len(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
       const struct px_of_packet_out *po)
{
    const char *why = "unset";
    size_t len = 0;

    assert_int_equal(of_encode_packet_out(buf, cap, version, xid, po,
                                          sizeof(struct px_of_packet_out),
                                          &len, &why),
                     0);
    assert_null(why);
    assert_int_not_equal(len, 0);
    return len;
}

static size_t
fm_len(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
       const struct px_of_flow_mod *fm)
{
    const char *why = "unset";
    size_t len = 0;

    assert_int_equal(of_encode_flow_mod(buf, cap, version, xid, fm,
                                        sizeof(struct px_of_flow_mod), &len,
                                        &why),
                     0);
    assert_null(why);
    assert_int_not_equal(len, 0);
    return len;
}

/* Why the packet_out 'po' cannot be encoded in 'cap' bytes: the error,
 * checked to come with a reason and a length of 0.  'cap' may exceed
 * what a small test needs: nothing is written past the message. */
static int
po_error_cap(size_t cap, uint8_t version, const struct px_of_packet_out *po)
{
    static uint8_t buf[OF_MAX_MESSAGE];
    const char *why = NULL;
    size_t len = 1;
    int error =
        of_encode_packet_out(cap ? buf : NULL, cap, version, 1, po,
                             sizeof(struct px_of_packet_out), &len, &why);

    assert_int_not_equal(error, 0);
    assert_int_equal(len, 0);
    assert_non_null(why);
    assert_true(why[0] != '\0');
    return error;
}

static int
po_error(uint8_t version, const struct px_of_packet_out *po)
{
    return po_error_cap(OF_MAX_MESSAGE, version, po);
}

static int
fm_error_cap(size_t cap, uint8_t version, const struct px_of_flow_mod *fm)
{
    static uint8_t buf[OF_MAX_MESSAGE];
    const char *why = NULL;
    size_t len = 1;
    int error = of_encode_flow_mod(cap ? buf : NULL, cap, version, 1, fm,
                                   sizeof(struct px_of_flow_mod), &len, &why);

    assert_int_not_equal(error, 0);
    assert_int_equal(len, 0);
    assert_non_null(why);
    assert_true(why[0] != '\0');
    return error;
}

static int
fm_error(uint8_t version, const struct px_of_flow_mod *fm)
{
    return fm_error_cap(OF_MAX_MESSAGE, version, fm);
}

static int
dec_hello(const uint8_t *msg, size_t len, const char **why)
{
    uint32_t bitmap;

    return of_decode_hello(msg, len, &bitmap, why);
}

static int
dec_features_reply(const uint8_t *msg, size_t len, const char **why)
{
    struct px_of_port ports[MAX_PORTS];
    struct of_features f;
    size_t n;

    return of_decode_features_reply(msg, len, &f, ports, MAX_PORTS, &n, why);
}

static int
dec_port_desc_reply(const uint8_t *msg, size_t len, const char **why)
{
    struct px_of_port ports[MAX_PORTS];
    size_t n = 0;
    int more;

    return of_decode_port_desc_reply(msg, len, ports, MAX_PORTS, &n, &more,
                                     why);
}

static int
dec_packet_in(const uint8_t *msg, size_t len, const char **why)
{
    struct px_of_packet_in pi;

    return of_decode_packet_in(msg, len, &pi, pif, why);
}

static int
dec_port_status(const uint8_t *msg, size_t len, const char **why)
{
    struct px_of_port_status ps;

    return of_decode_port_status(msg, len, &ps, why);
}

static int
dec_error(const uint8_t *msg, size_t len, const char **why)
{
    struct px_of_error e;

    return of_decode_error(msg, len, &e, why);
}

static int
dec_role_reply(const uint8_t *msg, size_t len, const char **why)
{
    uint64_t generation_id;
    uint32_t role;

    return of_decode_role_reply(msg, len, &role, &generation_id, why);
}

static size_t
enc_role_request(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_role_request(buf, cap, e->xid, PX_OF_ROLE_MASTER, 5);
}

/* Fails unless 'CALL' returns EPROTO and leaves a reason in 'WHY' (read
 * after the call, whatever the order of argument evaluation). */
/* Decodes the fixture 'hex' with 'decode', which must refuse it. */
#define assert_refused(DECODE, HEX)                                           \
    assert_refused_((DECODE), (HEX), __FILE__, __LINE__)

static void
assert_refused_(decode_fn *decode, const char *hex, const char *file, int line)
{
    struct msg m = load(hex);
    const char *why = NULL;

    int error = decode(m.data, m.len, &why);

    assert_eproto_(error, why, file, line);
    /* Without a place for the reason too. */
    if (decode(m.data, m.len, NULL) != EPROTO) {
        _fail(file, line);
    }
    msg_free(&m);
}

/* OpenFlow's length: 16 bits at offset 2. */
static void
set_of_length(uint8_t *m, size_t len)
{
    m[2] = len >> 8;
    m[3] = len & 0xff;
}

static void
check_truncations(decode_fn *decode, const char *hex, size_t tail_from,
                  const size_t *valid)
{
    check_truncations_(decode, hex, tail_from, valid, set_of_length);
}

/* Framing. */

static void
test_frame(void **state)
{
    uint8_t buf[64];
    struct of_header h;
    const char *why;
    size_t n, i;

    (void)state;
    /* A whole HELLO and the first 2 bytes of the next message. */
    n = unhex("04000010 00000001 00010008 00000012 0102", buf, sizeof buf);
    for (i = 0; i < 16; i++) {
        assert_int_equal(of_frame(buf, i, &h, &why), EAGAIN);
    }
    for (i = 16; i <= n; i++) {
        memset(&h, 0, sizeof h);
        assert_int_equal(of_frame(buf, i, &h, &why), 0);
        assert_int_equal(h.version, 4);
        assert_int_equal(h.type, OF_HELLO);
        assert_int_equal(h.length, 16);
        assert_int_equal(h.xid, 1);
    }
    assert_int_equal(of_frame(buf + 16, 2, &h, &why), EAGAIN);
    assert_int_equal(of_frame(NULL, 0, &h, &why), EAGAIN);

    /* A header alone is a whole message. */
    n = unhex("04140008 fffffffe", buf, sizeof buf);
    assert_int_equal(of_frame(buf, n, &h, &why), 0);
    assert_int_equal(h.type, OF_BARRIER_REQUEST_13);
    assert_int_equal(h.length, 8);
    assert_int_equal(h.xid, 0xfffffffe);

    /* The largest length: wait for it. */
    n = unhex("0401ffff 00000009 00010002", buf, sizeof buf);
    assert_int_equal(of_frame(buf, n, &h, &why), EAGAIN);
    assert_int_equal(h.length, 65535);

    /* A length below the header's own leaves no way to the next message
     * (ofp-print: "only uses 0 bytes out of 8", "... 7 bytes ..."). */
    why = NULL;
    n = unhex("01000000 00000001", buf, sizeof buf);
    assert_eproto(of_frame(buf, n, &h, &why), why);
    why = NULL;
    n = unhex("01000007 00000001 00", buf, sizeof buf);
    assert_eproto(of_frame(buf, n, &h, &why), why);
    assert_int_equal(of_frame(buf, n, &h, NULL), EPROTO);
}

/* A byte stream of several fixtures is cut back into them. */
static void
test_frame_stream(void **state)
{
    static const char *const parts[] = {
        OVS_HELLO_DEFAULT, OVS_FEATURES_REPLY_13,  OVS_PORT_DESC_REPLY,
        OVS_PACKET_IN_13,  OVS_PORT_STATUS_ADD_13,
    };
    uint8_t stream[MAX_MSG * 2];
    size_t lens[5], n = 0, ofs = 0, i;
    struct of_header h;

    (void)state;
    for (i = 0; i < 5; i++) {
        lens[i] = unhex(parts[i], stream + n, sizeof stream - n);
        n += lens[i];
    }
    for (i = 0; i < 5; i++) {
        assert_int_equal(of_frame(stream + ofs, n - ofs, &h, NULL), 0);
        assert_int_equal(h.length, lens[i]);
        ofs += h.length;
    }
    assert_int_equal(ofs, n);
    assert_int_equal(of_frame(stream + ofs, 0, &h, NULL), EAGAIN);
}

/* HELLO and version negotiation. */

static void
test_hello_encode(void **state)
{
    struct enc e = {.xid = 1};
    uint8_t buf[64];
    uint32_t bitmap = 0;
    size_t n;

    (void)state;
    check_encoder(enc_hello, &e, HELLO);

    n = of_encode_hello(buf, sizeof buf, 1);
    assert_int_equal(of_decode_hello(buf, n, &bitmap, NULL), 0);
    assert_int_equal(bitmap, 0x12);
    assert_int_equal(of_negotiate(bitmap), PX_OF_VERSION_13);
}

static void
test_hello_decode(void **state)
{
    static const struct {
        const char *hex;
        uint32_t bitmap;
        uint8_t version; /* Negotiated. */
    } cases[] = {
        {HELLO, 0x12, PX_OF_VERSION_13},
        /* OVS 3.1's default (1.0 to 1.5) has no bitmap: the spec's rule,
         * the smaller header version, gives 1.3. */
        {OVS_HELLO_DEFAULT, 1u << 4, PX_OF_VERSION_13},
        {OVS_HELLO_10_13, 0x12, PX_OF_VERSION_13},
        {OVS_HELLO_13, 0x10, PX_OF_VERSION_13},
        {OVS_HELLO_10, 0x02, PX_OF_VERSION_10},
        {HELLO_UNKNOWN_ELEMENT, 0x12, PX_OF_VERSION_13},
        /* The last element need not be padded. */
        {HELLO_UNPADDED, 0x12, PX_OF_VERSION_13},
        /* The last bitmap counts, as in OVS. */
        {HELLO_TWO_BITMAPS, 0x10, PX_OF_VERSION_13},
        {HELLO_ONLY_10, 0x02, PX_OF_VERSION_10},
        {HELLO_BIT0, 0, 0},
        /* A 1.2 peer without a bitmap negotiates 1.2: none of ours. */
        {HELLO_12, 1u << 3, 0},
        {HELLO_V32, 1u << 4, PX_OF_VERSION_13},
        /* Before 1.3 a HELLO's body is ignored. */
        {HELLO_10_BODY, 0x02, PX_OF_VERSION_10},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct msg m = load(cases[i].hex);
        uint32_t bitmap = 0xdead;
        const char *why = NULL;

        assert_int_equal(of_decode_hello(m.data, m.len, &bitmap, &why), 0);
        assert_int_equal(bitmap, cases[i].bitmap);
        assert_int_equal(of_negotiate(bitmap), cases[i].version);
        msg_free(&m);
    }
}

static void
test_hello_malformed(void **state)
{
    static const size_t bare_hello[] = {8, 0};
    uint8_t buf[16];
    uint32_t bitmap;
    const char *why = NULL;

    (void)state;
    assert_refused(dec_hello, HELLO_ELEMENT_LEN_0);
    assert_refused(dec_hello, HELLO_ELEMENT_OVERRUN);
    assert_refused(dec_hello, HELLO_ELEMENT_LEN_2);
    assert_refused(dec_hello, HELLO_ELEMENT_TRUNCATED);
    assert_refused(dec_hello, HELLO_BITMAP_EMPTY);
    assert_refused(dec_hello, HELLO_BITMAP_ODD);
    /* Not a HELLO. */
    assert_refused(dec_hello, ECHO_REQUEST_13);
    /* The header alone is a valid HELLO. */
    check_truncations(dec_hello, OVS_HELLO_13, NONE, bare_hello);
    /* An element's padding may be cut short at the end. */
    check_truncations(dec_hello, HELLO_UNKNOWN_ELEMENT, NONE,
                      (const size_t[]){8, 12, 13, 14, 15, 16, 0});

    /* The message as the brief gave it, spaces and all. */
    assert_int_equal(unhex("04 00 00 10 00 00 00 13 00 01 00 00 00 00 00 10",
                           buf, sizeof buf),
                     16);
    assert_eproto(of_decode_hello(buf, 16, &bitmap, &why), why);
    assert_int_equal(of_decode_hello(NULL, 0, &bitmap, NULL), EPROTO);
}

static void
test_negotiate(void **state)
{
    (void)state;
    assert_int_equal(of_negotiate(0), 0);
    assert_int_equal(of_negotiate(1u << 0), 0);
    assert_int_equal(of_negotiate(1u << 1), PX_OF_VERSION_10);
    assert_int_equal(of_negotiate(1u << 4), PX_OF_VERSION_13);
    assert_int_equal(of_negotiate(0x12), PX_OF_VERSION_13);
    assert_int_equal(of_negotiate(0x7e), PX_OF_VERSION_13); /* 1.0-1.5 */
    assert_int_equal(of_negotiate(0x0e), PX_OF_VERSION_10); /* 1.0-1.2 */
    assert_int_equal(of_negotiate(0x0c), 0);                /* 1.1, 1.2 */
    assert_int_equal(of_negotiate(0x60), 0);                /* 1.4, 1.5 */
    assert_int_equal(of_negotiate(0xffffffff), PX_OF_VERSION_13);
}

/* ERROR. */

static void
test_error_encode(void **state)
{
    static const char reason[] = "no common version";
    struct enc e = {.version = PX_OF_VERSION_10,
                    .xid = 2,
                    .arg = reason,
                    .len = strlen(reason)};
    struct px_of_error err;
    uint8_t buf[MAX_MSG];
    uint8_t *big, *data;
    size_t n;

    (void)state;
    check_encoder(enc_error, &e, ERROR_10);
    e.version = PX_OF_VERSION_13;
    check_encoder(enc_error, &e, ERROR_13);

    /* Round trip. */
    n = of_encode_error(buf, sizeof buf, PX_OF_VERSION_13, 2, 1, 8, reason,
                        strlen(reason));
    assert_int_equal(of_decode_error(buf, n, &err, NULL), 0);
    assert_int_equal(err.type, 1);
    assert_int_equal(err.code, 8);
    assert_int_equal(err.data_len, strlen(reason));
    assert_memory_equal(err.data, reason, strlen(reason));
    assert_ptr_equal(err.data, buf + 12);

    /* No data; data without a pointer; a version we do not speak. */
    assert_int_equal(of_encode_error(buf, sizeof buf, 1, 2, 0, 0, NULL, 0),
                     12);
    assert_int_equal(of_encode_error(buf, sizeof buf, 1, 2, 0, 0, NULL, 3), 0);
    assert_int_equal(of_encode_error(buf, sizeof buf, 2, 2, 0, 0, reason, 3),
                     0);

    /* The length field's limit. */
    big = malloc(70000);
    data = calloc(1, 65536);
    assert_non_null(big);
    assert_non_null(data);
    assert_int_equal(of_encode_error(big, 70000, 4, 0, 0, 0, data, 65535 - 12),
                     65535);
    assert_int_equal(big[2], 0xff);
    assert_int_equal(big[3], 0xff);
    assert_int_equal(of_encode_error(big, 70000, 4, 0, 0, 0, data, 65535 - 11),
                     0);
    free(data);
    free(big);
}

static void
test_error_decode(void **state)
{
    struct px_of_error e;
    struct msg m;

    (void)state;
    m = load(OVS_ERROR_10);
    assert_int_equal(of_decode_error(m.data, m.len, &e, NULL), 0);
    assert_int_equal(e.type, 1); /* OFPET_BAD_REQUEST */
    assert_int_equal(e.code, 8); /* OFPBRC_BUFFER_UNKNOWN */
    assert_ptr_equal(e.data, m.data + 12);
    assert_int_equal(e.data_len, 40);
    assert_hex(e.data, 8, "010d0028 0000000a"); /* Our packet-out. */
    msg_free(&m);

    m = load(OVS_ERROR_13);
    assert_int_equal(of_decode_error(m.data, m.len, &e, NULL), 0);
    assert_int_equal(e.type, 1); /* OFPET_BAD_REQUEST */
    assert_int_equal(e.code, 1); /* OFPBRC_BAD_TYPE */
    assert_hex(e.data, e.data_len, "04ff0008 000000ee");
    msg_free(&m);

    /* The data may be cut anywhere, or be missing. */
    check_truncations(dec_error, OVS_ERROR_10, 12, NULL);
    check_truncations(dec_error, ERROR_13, 12, NULL);
}

/* ECHO, and the other messages that are a header or little more. */

static void
test_echo(void **state)
{
    uint8_t req10[16], req13[16], buf[64];
    size_t n10 = unhex("0102000c 00000007 70696e67", req10, sizeof req10);
    size_t n13 = unhex("0402000c 00000007 70696e67", req13, sizeof req13);
    struct enc e = {.version = PX_OF_VERSION_10, .xid = 3};
    size_t n;

    (void)state;
    check_encoder(enc_echo_request, &e, ECHO_REQUEST_10);
    e.version = PX_OF_VERSION_13;
    check_encoder(enc_echo_request, &e, ECHO_REQUEST_13);
    e.version = 2;
    assert_int_equal(enc_echo_request(buf, sizeof buf, &e), 0);

    /* The reply: same version, xid and payload. */
    e = (struct enc){.arg = req10, .len = n10};
    check_encoder(enc_echo_reply, &e, ECHO_REPLY_10);
    e = (struct enc){.arg = req13, .len = n13};
    check_encoder(enc_echo_reply, &e, ECHO_REPLY_13);

    /* In place, over the request. */
    memcpy(buf, req13, n13);
    assert_int_equal(of_encode_echo_reply(buf, sizeof buf, buf, n13), n13);
    assert_hex(buf, n13, ECHO_REPLY_13);

    /* Of our own request. */
    n = of_encode_echo_request(buf, sizeof buf, PX_OF_VERSION_10, 99);
    assert_int_equal(of_encode_echo_reply(buf, sizeof buf, buf, n), 8);
    assert_hex(buf, 8, "01030008 00000063");

    /* Not a whole echo request. */
    assert_int_equal(of_encode_echo_reply(buf, sizeof buf, req13, 7), 0);
    assert_int_equal(of_encode_echo_reply(buf, sizeof buf, req13, 10), 0);
    assert_int_equal(of_encode_echo_reply(buf, sizeof buf, NULL, 0), 0);
    req13[1] = OF_ECHO_REPLY;
    assert_int_equal(of_encode_echo_reply(buf, sizeof buf, req13, n13), 0);
}

static void
test_simple_requests(void **state)
{
    struct enc e10 = {.version = PX_OF_VERSION_10, .xid = 4};
    struct enc e13 = {.version = PX_OF_VERSION_13, .xid = 4};
    struct enc e2 = {.version = 2, .xid = 4};
    uint8_t buf[64];

    (void)state;
    check_encoder(enc_features_request, &e10, FEATURES_REQUEST_10);
    check_encoder(enc_features_request, &e13, FEATURES_REQUEST_13);
    assert_int_equal(enc_features_request(buf, sizeof buf, &e2), 0);

    e10.xid = e13.xid = 5;
    check_encoder(enc_set_config, &e10, SET_CONFIG_10);
    check_encoder(enc_set_config, &e13, SET_CONFIG_13);
    assert_int_equal(enc_set_config(buf, sizeof buf, &e2), 0);

    e13.xid = 6;
    check_encoder(enc_port_desc_request, &e13, PORT_DESC_REQUEST);

    e13.xid = 7;
    check_encoder(enc_table_miss, &e13, TABLE_MISS);

    e10.xid = e13.xid = 8;
    check_encoder(enc_barrier_request, &e10, BARRIER_REQUEST_10);
    check_encoder(enc_barrier_request, &e13, BARRIER_REQUEST_13);
    assert_int_equal(enc_barrier_request(buf, sizeof buf, &e2), 0);
}

/* ROLE_REQUEST and ROLE_REPLY (1.3). */
static void
test_role(void **state)
{
    struct enc e = {.version = PX_OF_VERSION_13, .xid = 9};
    uint64_t generation_id = 0;
    uint32_t role = 0;
    const char *why = NULL;
    struct msg m;

    (void)state;
    check_encoder(enc_role_request, &e, ROLE_REQUEST_13);
    m = load(ROLE_REPLY_13);
    assert_int_equal(
        of_decode_role_reply(m.data, m.len, &role, &generation_id, &why), 0);
    assert_int_equal(role, PX_OF_ROLE_MASTER);
    assert_int_equal(generation_id, 5);
    /* In 1.0, or as a request, it is not a ROLE_REPLY. */
    m.data[0] = PX_OF_VERSION_10;
    assert_eproto(
        of_decode_role_reply(m.data, m.len, &role, &generation_id, &why), why);
    msg_free(&m);
    assert_refused(dec_role_reply, ROLE_REQUEST_13);
    check_truncations(dec_role_reply, ROLE_REPLY_13, NONE, NULL);
}

/* FEATURES_REPLY and PORT_DESC. */

static void
assert_port(const struct px_of_port *p, uint32_t port_no, const char *name,
            const char *hw_addr, uint32_t config, uint32_t state)
{
    uint8_t mac[6];

    assert_int_equal(unhex(hw_addr, mac, sizeof mac), 6);
    assert_int_equal(p->port_no, port_no);
    assert_string_equal(p->name, name);
    assert_memory_equal(p->hw_addr, mac, 6);
    assert_int_equal(p->config, config);
    assert_int_equal(p->state, state);
}

static void
test_features_reply_10(void **state)
{
    struct px_of_port ports[MAX_PORTS];
    struct of_features f;
    const char *why = NULL;
    size_t n = 99;
    struct msg m;

    (void)state;
    m = load(OVS_FEATURES_REPLY_10);
    assert_int_equal(
        of_decode_features_reply(m.data, m.len, &f, ports, 3, &n, &why), 0);
    assert_int_equal(f.dpid, 1);
    assert_int_equal(f.n_buffers, 0);
    assert_int_equal(f.n_tables, 254);
    assert_int_equal(f.capabilities, 0xc7);
    assert_int_equal(n, 3);
    /* The bridge's own port comes first: 0xfffe is OFPP_LOCAL. */
    assert_port(&ports[0], PX_OF_PORT_LOCAL, "br0", "020000000001", 0, 0);
    assert_port(&ports[1], 1, "p1", "aa55aa55000f", 0, 0);
    assert_port(&ports[2], 2, "p2", "aa55aa550010", 0, 0);

    /* More ports than room for them. */
    assert_eproto(
        of_decode_features_reply(m.data, m.len, &f, ports, 2, &n, &why), why);
    assert_eproto(
        of_decode_features_reply(m.data, m.len, &f, NULL, 0, &n, &why), why);
    msg_free(&m);

    /* Whole ports can go; part of one cannot. */
    check_truncations(dec_features_reply, OVS_FEATURES_REPLY_10, NONE,
                      (const size_t[]){32, 80, 128, 0});
}

static void
test_features_reply_13(void **state)
{
    struct px_of_port ports[1];
    struct of_features f;
    size_t n = 99;
    struct msg m;

    (void)state;
    m = load(OVS_FEATURES_REPLY_13);
    assert_int_equal(
        of_decode_features_reply(m.data, m.len, &f, ports, 1, &n, NULL), 0);
    assert_int_equal(f.dpid, 1);
    assert_int_equal(f.n_buffers, 0);
    assert_int_equal(f.n_tables, 254);
    assert_int_equal(f.capabilities, 0x4f);
    assert_int_equal(n, 0);
    msg_free(&m);

    check_truncations(dec_features_reply, OVS_FEATURES_REPLY_13, NONE, NULL);

    /* No ports in 1.3: a longer reply is malformed.  ofp-print: "received
     * OFPT_FEATURES_REPLY with incorrect length 40 (expected length 32)". */
    assert_refused(dec_features_reply, "04060028 00000004 00000000 00000001 "
                                       "00000000 fe000000 0000004f 00000000 "
                                       "00000000 00000000");
}

static void
test_port_desc_reply(void **state)
{
    struct px_of_port ports[MAX_PORTS];
    size_t n = 0;
    int more = -1;
    struct msg m;

    (void)state;
    m = load(OVS_PORT_DESC_REPLY);
    assert_int_equal(of_decode_port_desc_reply(m.data, m.len, ports, MAX_PORTS,
                                               &n, &more, NULL),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(more, 0);
    assert_port(&ports[0], PX_OF_PORT_LOCAL, "br0", "020000000001", 0, 4);
    assert_port(&ports[1], 1, "p1", "aa55aa55000f", 0, 4);
    assert_port(&ports[2], 2, "p2", "aa55aa550010", 0, 4);

    /* Appending to what earlier parts brought: 2 + 3 fit in 5 ... */
    memset(ports, 0x5a, sizeof ports);
    n = 2;
    assert_int_equal(
        of_decode_port_desc_reply(m.data, m.len, ports, 5, &n, &more, NULL),
        0);
    assert_int_equal(n, 5);
    assert_int_equal(ports[0].port_no, 0x5a5a5a5a);
    assert_int_equal(ports[1].port_no, 0x5a5a5a5a);
    assert_int_equal(ports[2].port_no, PX_OF_PORT_LOCAL);
    assert_int_equal(ports[4].port_no, 2);
    /* ... not in 4, and then nothing changes. */
    n = 2;
    assert_int_equal(
        of_decode_port_desc_reply(m.data, m.len, ports, 4, &n, &more, NULL),
        EPROTO);
    assert_int_equal(n, 2);
    msg_free(&m);

    m = load(PORT_DESC_REPLY_MORE);
    n = 0;
    assert_int_equal(of_decode_port_desc_reply(m.data, m.len, ports, MAX_PORTS,
                                               &n, &more, NULL),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(more, 1);
    assert_port(&ports[0], 1, "p1", "aa55aa55000f", 0, 4);
    assert_port(&ports[1], 2, "p2", "aa55aa550010", 0, 4);
    msg_free(&m);

    check_truncations(dec_port_desc_reply, PORT_DESC_REPLY_MORE, NONE,
                      (const size_t[]){16, 80, 0});
    check_truncations(dec_port_desc_reply, OVS_PORT_DESC_REPLY, NONE,
                      (const size_t[]){16, 80, 144, 0});

    /* Another multipart type (ofp-print: "OFPST_PORT reply (OF1.3)"); a
     * 1.0 header (type 19 is BARRIER_REPLY there: "incorrect length 16
     * (expected length 8)"); a part-port ("incorrect length 24 (must be
     * exactly 16 bytes or longer by an integer multiple of 64...)"). */
    assert_refused(dec_port_desc_reply, "04130010 00000006 00040000 "
                                        "00000000");
    assert_refused(dec_port_desc_reply, "01130010 00000006 000d0000 "
                                        "00000000");
    assert_refused(dec_port_desc_reply, "04130018 00000006 000d0000 "
                                        "00000000 00000001 00000000");
}

/* PACKET_IN. */

static void
test_packet_in_13(void **state)
{
    uint8_t frame[64];
    struct px_of_packet_in pi;
    size_t frame_len = unhex(OVS_FRAME, frame, sizeof frame);
    struct msg m;

    (void)state;
    m = load(OVS_PACKET_IN_13);
    memset(&pi, 0x5a, sizeof pi);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.version, PX_OF_VERSION_13);
    assert_int_equal(pi.in_port, 1);
    assert_int_equal(pi.buffer_id, PX_OF_NO_BUFFER);
    assert_int_equal(pi.total_len, 60);
    assert_int_equal(pi.reason, PX_OF_REASON_NO_MATCH);
    assert_int_equal(pi.table_id, 0);
    assert_int_equal(pi.cookie, 0);
    assert_ptr_equal(pi.frame, m.data + 42); /* 24 + match 16 + pad 2. */
    assert_int_equal(pi.frame_len, 60);
    assert_memory_equal(pi.frame, frame, frame_len);
    msg_free(&m);

    m = load(OVS_PACKET_IN_ACTION_13);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.in_port, PX_OF_PORT_CONTROLLER);
    assert_int_equal(pi.reason, PX_OF_REASON_ACTION);
    assert_int_equal(pi.cookie, UINT64_MAX);
    assert_int_equal(pi.frame_len, 60);
    msg_free(&m);

    /* Other fields before and after in_port are skipped. */
    m = load(PACKET_IN_METADATA_13);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.in_port, 5);
    assert_int_equal(pi.table_id, 3);
    assert_int_equal(pi.cookie, 0xdeadbeef);
    assert_int_equal(pi.reason, PX_OF_REASON_ACTION);
    assert_ptr_equal(pi.frame, m.data + 50); /* 24 + match 24 + pad 2. */
    assert_int_equal(pi.frame_len, 14);
    msg_free(&m);

    m = load(PACKET_IN_TUN_ID_13);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.in_port, 9);
    msg_free(&m);

    /* A mask of all ones is no mask, as OVS takes it. */
    m = load(PACKET_IN_MASKED_13);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.in_port, 1);
    msg_free(&m);

    /* The frame may be cut anywhere (a switch with buffers does). */
    check_truncations(dec_packet_in, OVS_PACKET_IN_13, 42, NULL);
    check_truncations(dec_packet_in, PACKET_IN_METADATA_13, 50, NULL);
}

static void
test_packet_in_13_malformed(void **state)
{
    (void)state;
    assert_refused(dec_packet_in, PACKET_IN_NO_IN_PORT);
    assert_refused(dec_packet_in, PACKET_IN_DUP_IN_PORT);
    assert_refused(dec_packet_in, PACKET_IN_PART_MASKED);
    assert_refused(dec_packet_in, PACKET_IN_SHORT_IN_PORT);
    assert_refused(dec_packet_in, PACKET_IN_OXM_OVERRUN);
    assert_refused(dec_packet_in, PACKET_IN_FIELD_OVERRUN);
    assert_refused(dec_packet_in, PACKET_IN_OXM_TRAILING);
    assert_refused(dec_packet_in, PACKET_IN_STANDARD_MATCH);
    assert_refused(dec_packet_in, PACKET_IN_MATCH_LEN_3);
    assert_refused(dec_packet_in, PACKET_IN_MATCH_OVERRUN);
}

static void
test_packet_in_10(void **state)
{
    uint8_t frame[64];
    struct px_of_packet_in pi;
    size_t frame_len = unhex(OVS_FRAME, frame, sizeof frame);
    struct msg m;

    (void)state;
    m = load(OVS_PACKET_IN_10);
    memset(&pi, 0x5a, sizeof pi);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.version, PX_OF_VERSION_10);
    assert_int_equal(pi.in_port, 1);
    assert_int_equal(pi.buffer_id, PX_OF_NO_BUFFER);
    assert_int_equal(pi.total_len, 60);
    assert_int_equal(pi.reason, PX_OF_REASON_NO_MATCH);
    assert_int_equal(pi.table_id, 0);
    assert_int_equal(pi.cookie, 0);
    assert_ptr_equal(pi.frame, m.data + 18);
    assert_int_equal(pi.frame_len, 60);
    assert_memory_equal(pi.frame, frame, frame_len);
    msg_free(&m);

    m = load(OVS_PACKET_IN_ACTION_10);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.in_port, PX_OF_PORT_CONTROLLER);
    assert_int_equal(pi.reason, PX_OF_REASON_ACTION);
    msg_free(&m);

    m = load(PACKET_IN_FLOOD_10);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.in_port, PX_OF_PORT_FLOOD);
    assert_int_equal(pi.buffer_id, 0x107);
    assert_int_equal(pi.total_len, 42);
    assert_int_equal(pi.frame_len, 14);
    msg_free(&m);

    check_truncations(dec_packet_in, OVS_PACKET_IN_10, 18, NULL);
}

/* PORT_STATUS. */

static void
test_port_status(void **state)
{
    struct px_of_port_status ps;
    struct msg m;

    (void)state;
    m = load(OVS_PORT_STATUS_ADD_13);
    memset(&ps, 0x5a, sizeof ps);
    assert_int_equal(of_decode_port_status(m.data, m.len, &ps, NULL), 0);
    assert_int_equal(ps.reason, PX_OF_PORT_ADD);
    assert_port(&ps.port, 3, "p3", "aa55aa552ed2", 0, 0);
    assert_int_equal(ps.port.curr, 0);
    msg_free(&m);

    m = load(OVS_PORT_STATUS_DELETE_13);
    assert_int_equal(of_decode_port_status(m.data, m.len, &ps, NULL), 0);
    assert_int_equal(ps.reason, PX_OF_PORT_DELETE);
    assert_port(&ps.port, 3, "p3", "aa55aa552ed2", 0, 4);
    msg_free(&m);

    m = load(OVS_PORT_STATUS_MODIFY_10);
    assert_int_equal(of_decode_port_status(m.data, m.len, &ps, NULL), 0);
    assert_int_equal(ps.reason, PX_OF_PORT_MODIFY);
    assert_port(&ps.port, 1, "p1", "aa55aa55000f", PX_OF_PORT_CONFIG_DOWN,
                PX_OF_PORT_STATE_LINK_DOWN);
    msg_free(&m);

    /* Speed bits: 1.0's COPPER (bit 7) and AUTONEG (bit 9) move to 1.3's
     * bits 11 and 13; a 16-byte name without NUL is cut to 15. */
    m = load(PORT_STATUS_CURR_10);
    assert_int_equal(of_decode_port_status(m.data, m.len, &ps, NULL), 0);
    assert_port(&ps.port, 5, "abcdefghijklmno", "020000000005", 1, 1);
    assert_int_equal(ps.port.curr, 1u << 6 | 1u << 11 | 1u << 13);
    msg_free(&m);

    m = load(PORT_STATUS_CURR_13);
    assert_int_equal(of_decode_port_status(m.data, m.len, &ps, NULL), 0);
    assert_port(&ps.port, 7, "eth0", "020000000007", 0, 4);
    assert_int_equal(ps.port.curr, 1u << 6 | 1u << 11 | 1u << 13);
    msg_free(&m);

    check_truncations(dec_port_status, OVS_PORT_STATUS_ADD_13, NONE, NULL);
    check_truncations(dec_port_status, OVS_PORT_STATUS_MODIFY_10, NONE, NULL);

    /* A reason past MODIFY (ofp-print: "decode error: NXBRC_BAD_REASON");
     * a 1.3 port in a 1.0 message ("incorrect length 80 (expected length
     * 64)"). */
    assert_refused(dec_port_status, "010c0040 00000000 03000000 00000000 "
                                    "0001aa55 aa55000f 70310000 00000000 "
                                    "00000000 00000000 00000001 00000001 "
                                    "00000000 00000000 00000000 00000000");
    assert_refused(dec_port_status, "010c0050 00000000 00000000 00000000 "
                                    "00000003 00000000 aa55aa55 2ed20000 "
                                    "70330000 00000000 00000000 00000000 "
                                    "00000000 00000000 00000000 00000000 "
                                    "00000000 00000000 00000000 00000000");
}

/* 1.0's 16-bit special ports, both ways. */

static void
test_special_ports(void **state)
{
    static const struct {
        uint16_t wire;
        uint32_t port;
    } map[] = {
        {0xfffd, PX_OF_PORT_CONTROLLER},
        {0xfffb, PX_OF_PORT_FLOOD},
        {0xfff8, PX_OF_PORT_IN_PORT},
        {0xfffa, PX_OF_PORT_NORMAL},
        {0xfffc, PX_OF_PORT_ALL},
        {0xfffe, PX_OF_PORT_LOCAL},
        {0xffff, PX_OF_PORT_ANY}, /* OFPP_NONE */
        {0xff00, PX_OF_PORT_MAX},
        {0xfeff, 0xfeff},
        {1, 1},
    };
    struct px_of_action out = {.type = PX_OF_ACTION_OUTPUT};
    struct px_of_packet_out po = {
        .buffer_id = 7, .n_actions = 1, .actions = &out};
    struct px_of_packet_in pi;
    uint8_t buf[64];
    size_t i;
    struct msg m;

    (void)state;
    m = load(PACKET_IN_FLOOD_10);
    for (i = 0; i < sizeof map / sizeof map[0]; i++) {
        /* Decoding: the packet-in's in_port (bytes 14 and 15). */
        m.data[14] = map[i].wire >> 8;
        m.data[15] = map[i].wire & 0xff;
        assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL),
                         0);
        assert_int_equal(pi.in_port, map[i].port);

        /* Encoding: a packet-out's in_port and output port. */
        po.in_port = out.port = map[i].port;
        assert_int_equal(po_len(buf, sizeof buf, 1, 0, &po), 24);
        assert_int_equal(buf[12] << 8 | buf[13], map[i].wire);
        assert_int_equal(buf[20] << 8 | buf[21], map[i].wire);
    }
    msg_free(&m);

    /* The fixtures say the same. */
    m = load(OVS_PACKET_IN_ACTION_10);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.in_port, PX_OF_PORT_CONTROLLER);
    msg_free(&m);
    m = load(PACKET_OUT_10); /* in_port=CONTROLLER actions=FLOOD */
    assert_hex(m.data + 12, 2, "fffd");
    assert_hex(m.data + 20, 2, "fffb");
    msg_free(&m);

    /* Ports 1.0 has no number for: valid requests it cannot express. */
    po.in_port = 1;
    out.port = 0xff00;
    assert_int_equal(po_error(1, &po), EOPNOTSUPP);
    out.port = PX_OF_PORT_MAX - 1;
    assert_int_equal(po_error(1, &po), EOPNOTSUPP);
    out.port = 1;
    po.in_port = 0x10000;
    assert_int_equal(po_error(1, &po), EOPNOTSUPP);
    /* 1.3 has. */
    assert_int_equal(po_len(buf, sizeof buf, 4, 0, &po), 40);
}

/* PACKET_OUT. */

static const struct px_of_action flood = {
    .type = PX_OF_ACTION_OUTPUT,
    .port = PX_OF_PORT_FLOOD,
};
static const struct px_of_action src_and_out[2] = {
    {.type = PX_OF_ACTION_SET_DL_SRC, .mac = {0x02, 0, 0, 0, 0, 0xaa}},
    {.type = PX_OF_ACTION_OUTPUT, .port = 2},
};

static void
test_packet_out(void **state)
{
    uint8_t arp_frame[64];
    size_t arp_frame_len = unhex(ARP_FRAME, arp_frame, sizeof arp_frame);
    struct px_of_packet_out po = {
        .buffer_id = PX_OF_NO_BUFFER,
        .in_port = PX_OF_PORT_CONTROLLER,
        .n_actions = 1,
        .actions = &flood,
        .frame = arp_frame,
        .frame_len = arp_frame_len,
    };
    struct enc e = {.version = PX_OF_VERSION_10, .xid = 9, .arg = &po};
    struct px_of_action bad = {.type = 99};
    uint8_t buf[MAX_MSG];

    (void)state;
    check_encoder(enc_packet_out, &e, PACKET_OUT_10);
    e.version = PX_OF_VERSION_13;
    check_encoder(enc_packet_out, &e, PACKET_OUT_13);

    /* A buffered packet: the frame is not sent again. */
    po = (struct px_of_packet_out){
        .buffer_id = 0x100,
        .in_port = 1,
        .n_actions = 2,
        .actions = src_and_out,
        .frame = arp_frame,
        .frame_len = arp_frame_len,
    };
    e = (struct enc){.version = PX_OF_VERSION_10, .xid = 10, .arg = &po};
    check_encoder(enc_packet_out, &e, PACKET_OUT_BUFFERED_10);
    e.version = PX_OF_VERSION_13;
    check_encoder(enc_packet_out, &e, PACKET_OUT_BUFFERED_13);

    /* No actions, no frame.  ofp-print, for both: "PACKET_OUT:
     * in_port=CONTROLLER actions=drop data_len=0". */
    po = (struct px_of_packet_out){.buffer_id = PX_OF_NO_BUFFER,
                                   .in_port = PX_OF_PORT_CONTROLLER};
    assert_int_equal(po_len(buf, sizeof buf, 1, 1, &po), 16);
    assert_hex(buf, 16, "010d0010 00000001 ffffffff fffd0000");
    assert_int_equal(po_len(buf, sizeof buf, 4, 1, &po), 24);
    assert_hex(buf, 24,
               "040d0018 00000001 ffffffff fffffffd "
               "00000000 00000000");

    /* Malformed requests, in either version. */
    po.n_actions = 1;
    po.actions = &bad;
    assert_int_equal(po_error(1, &po), EINVAL);
    assert_int_equal(po_error(4, &po), EINVAL);
    po.actions = NULL;
    assert_int_equal(po_error(4, &po), EINVAL);
    po.n_actions = 0;
    po.frame_len = 5;
    assert_int_equal(po_error(4, &po), EINVAL);
    po.frame_len = 0;
    assert_int_equal(po_error(2, &po), EINVAL);
    assert_int_equal(po_error(4, NULL), EINVAL);
}

/* FLOW_MOD. */

static const struct px_of_action fm_actions[3] = {
    {.type = PX_OF_ACTION_SET_DL_DST, .mac = {0x02, 0, 0, 0, 0, 0xbb}},
    {.type = PX_OF_ACTION_OUTPUT, .port = 2},
    {.type = PX_OF_ACTION_OUTPUT,
     .port = PX_OF_PORT_CONTROLLER,
     .max_len = 128},
};

/* Every match field, TCP. */
static const struct px_of_flow_mod fm_add = {
    .command = PX_OF_FLOW_ADD,
    .idle_timeout = 10,
    .hard_timeout = 30,
    .priority = 100,
    .buffer_id = PX_OF_NO_BUFFER,
    .cookie = 0x1234,
    .match =
        {
            .fields = PX_OF_MATCH_IN_PORT | PX_OF_MATCH_DL_SRC |
                      PX_OF_MATCH_DL_DST | PX_OF_MATCH_DL_VLAN |
                      PX_OF_MATCH_DL_TYPE | PX_OF_MATCH_NW_PROTO |
                      PX_OF_MATCH_NW_SRC | PX_OF_MATCH_NW_DST |
                      PX_OF_MATCH_TP_SRC | PX_OF_MATCH_TP_DST,
            .in_port = 1,
            .dl_src = {0x02, 0, 0, 0, 0, 0x11},
            .dl_dst = {0x02, 0, 0, 0, 0, 0x12},
            .dl_vlan = 10,
            .dl_type = 0x0800,
            .nw_proto = 6,
            .nw_src = 0x0a000001,
            .nw_dst = 0x0a000002,
            .tp_src = 12345,
            .tp_dst = 80,
        },
    .n_actions = 3,
    .actions = fm_actions,
};

static const struct px_of_flow_mod fm_delete = {
    .command = PX_OF_FLOW_DELETE,
    .table_id = 0xff, /* All tables (1.3). */
    .buffer_id = PX_OF_NO_BUFFER,
    .match = {.fields = PX_OF_MATCH_DL_DST,
              .dl_dst = {0x02, 0, 0, 0, 0, 0x12}},
};

/* UDP, untagged. */
static const struct px_of_flow_mod fm_udp = {
    .command = PX_OF_FLOW_MODIFY,
    .priority = 5,
    .buffer_id = PX_OF_NO_BUFFER,
    .match = {.fields = PX_OF_MATCH_DL_TYPE | PX_OF_MATCH_DL_VLAN |
                        PX_OF_MATCH_NW_PROTO | PX_OF_MATCH_TP_DST,
              .dl_type = 0x0800,
              .dl_vlan = 0xffff,
              .nw_proto = 17,
              .tp_dst = 53},
    .n_actions = 1,
    .actions = &flood,
};

static const struct px_of_action l2_outputs[2] = {
    {.type = PX_OF_ACTION_OUTPUT, .port = 1},
    {.type = PX_OF_ACTION_OUTPUT, .port = PX_OF_PORT_FLOOD},
};

/* A learning switch's flow: in_port and the MACs, outputs only. */
static const struct px_of_flow_mod fm_l2 = {
    .command = PX_OF_FLOW_ADD,
    .idle_timeout = 10,
    .hard_timeout = 30,
    .priority = 100,
    .buffer_id = 0x102,
    .match = {.fields = PX_OF_MATCH_IN_PORT | PX_OF_MATCH_DL_SRC |
                        PX_OF_MATCH_DL_DST,
              .in_port = 3,
              .dl_src = {0x02, 0, 0, 0, 0, 0x11},
              .dl_dst = {0x02, 0, 0, 0, 0, 0x12}},
    .n_actions = 2,
    .actions = l2_outputs,
};

/* The short path for a learning switch's flow writes what the general
 * encoder writes, at every capacity, and leaves to it what it cannot
 * say. */
static void
test_flow_mod_l2(void **state)
{
    struct px_of_action act[5];
    struct enc e = {.version = PX_OF_VERSION_10, .xid = 0x15, .arg = &fm_l2};
    struct px_of_flow_mod fm = fm_l2;
    const char *why = NULL;
    uint8_t buf[MAX_MSG];
    size_t len, i;

    (void)state;
    check_encoder(enc_flow_mod, &e, FLOW_MOD_L2_10);

    /* Five outputs, past the short path's four: the general encoder, and
     * the same bytes for the first two. */
    for (i = 0; i < 5; i++) {
        act[i] = (struct px_of_action){.type = PX_OF_ACTION_OUTPUT,
                                       .port = i ? 10 + i : 1};
    }
    act[1].port = PX_OF_PORT_FLOOD;
    fm.actions = act;
    fm.n_actions = 5;
    assert_int_equal(fm_len(buf, sizeof buf, 1, 0x15, &fm), 72 + 5 * 8);
    assert_int_equal(buf[3], 72 + 5 * 8);
    buf[3] = 0x58; /* The fixture's length, to compare the rest. */
    assert_hex(buf, 88, FLOW_MOD_L2_10);

    /* What 1.0 cannot say is refused by the general encoder, not written
     * by the short one: an in_port or an output with no 1.0 number. */
    fm = fm_l2;
    fm.match.in_port = 0xff00;
    assert_int_equal(of_encode_flow_mod(buf, sizeof buf, 1, 1, &fm,
                                        sizeof(struct px_of_flow_mod), &len,
                                        &why),
                     EOPNOTSUPP);
    assert_non_null(why);
    fm = fm_l2;
    act[0] =
        (struct px_of_action){.type = PX_OF_ACTION_OUTPUT, .port = 0xff00};
    fm.actions = act;
    fm.n_actions = 1;
    why = NULL;
    assert_int_equal(of_encode_flow_mod(buf, sizeof buf, 1, 1, &fm,
                                        sizeof(struct px_of_flow_mod), &len,
                                        &why),
                     EOPNOTSUPP);
    assert_non_null(why);

    /* A delete's actions are not sent, by either path. */
    fm = fm_l2;
    fm.command = PX_OF_FLOW_DELETE;
    assert_int_equal(fm_len(buf, sizeof buf, 1, 1, &fm), 72);
}

static void
test_flow_mod(void **state)
{
    struct px_of_flow_mod fm;
    struct enc e = {.version = PX_OF_VERSION_10, .xid = 11, .arg = &fm_add};
    uint8_t buf[MAX_MSG], buf2[MAX_MSG];
    size_t n;

    (void)state;
    check_encoder(enc_flow_mod, &e, FLOW_MOD_ADD_10);
    e.version = PX_OF_VERSION_13;
    check_encoder(enc_flow_mod, &e, FLOW_MOD_ADD_13);

    e = (struct enc){
        .version = PX_OF_VERSION_10, .xid = 12, .arg = &fm_delete};
    check_encoder(enc_flow_mod, &e, FLOW_MOD_DELETE_10);
    e.version = PX_OF_VERSION_13;
    check_encoder(enc_flow_mod, &e, FLOW_MOD_DELETE_13);

    e = (struct enc){.version = PX_OF_VERSION_10, .xid = 13, .arg = &fm_udp};
    check_encoder(enc_flow_mod, &e, FLOW_MOD_UDP_10);
    e.version = PX_OF_VERSION_13;
    check_encoder(enc_flow_mod, &e, FLOW_MOD_UDP_13);

    /* A delete's actions are not sent. */
    fm = fm_delete;
    fm.n_actions = 3;
    fm.actions = fm_actions;
    n = fm_len(buf, sizeof buf, 4, 12, &fm);
    assert_hex(buf, n, FLOW_MOD_DELETE_13);
    n = fm_len(buf, sizeof buf, 1, 12, &fm);
    assert_hex(buf, n, FLOW_MOD_DELETE_10);

    /* An add without actions (drop) has no instruction in 1.3. */
    fm = (struct px_of_flow_mod){.command = PX_OF_FLOW_ADD};
    assert_int_equal(fm_len(buf, sizeof buf, 4, 1, &fm), 56);
    assert_int_equal(fm_len(buf, sizeof buf, 1, 1, &fm), 72);

    /* The table-miss flow is a flow_mod like any other. */
    fm = (struct px_of_flow_mod){
        .command = PX_OF_FLOW_ADD,
        .buffer_id = PX_OF_NO_BUFFER,
        .n_actions = 1,
        .actions = &(const struct px_of_action){.type = PX_OF_ACTION_OUTPUT,
                                                .port = PX_OF_PORT_CONTROLLER,
                                                .max_len = 0xffff}};
    n = fm_len(buf, sizeof buf, 4, 7, &fm);
    assert_int_equal(of_encode_table_miss(buf2, sizeof buf2, 7), n);
    assert_memory_equal(buf, buf2, n);
}

/* Version 4's flow_mod: match fields, every action, instructions, flags,
 * filters. */

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0xaa};
static const uint8_t mac_oui[6] = {0x02, 0x11, 0x22};
static const uint8_t mac_mask[6] = {0xff, 0xff, 0xff, 0, 0, 0};
static const uint8_t v6_a[16] = {0x20, 0x01, 0x0d, 0xb8};
static const uint8_t v6_mask[16] = {0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff};

/* Builds in 'f' the 1.3 request's match: IPv6 TCP with masks, a tagged
 * VLAN and metadata, listed out of field order. */
static size_t
fields_v6(struct px_of_field *f)
{
    size_t n = 0;

    f[n++] = px_of_field_u64(PX_OF_F_TCP_DST, 443);
    f[n++] = px_of_field_bytes(PX_OF_F_IPV6_SRC, v6_a, v6_mask);
    f[n++] = px_of_field_u64(PX_OF_F_IP_PROTO, 6);
    f[n++] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x86dd);
    f[n++] = px_of_field_bytes(PX_OF_F_ETH_DST, mac_oui, mac_mask);
    f[n++] = px_of_field_u64(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT | 10);
    f[n++] = px_of_field_u64(PX_OF_F_VLAN_PCP, 3);
    f[n++] = px_of_field_u64_masked(PX_OF_F_METADATA, 0x10, 0xf0);
    f[n++] = px_of_field_u64(PX_OF_F_IN_PORT, 1);
    f[n++] = px_of_field_u64(PX_OF_F_IP_DSCP, 46);
    return n;
}

/* ofp-print: OFPT_FLOW_MOD (OF1.3) (xid=0x15): ADD table:1 priority=300,tcp6
 * ,metadata=0x10/0xf0,in_port=1,dl_vlan=10,dl_vlan_pcp=3,dl_dst=02:11:22:00:
 * 00:00/ff:ff:ff:00:00:00,ipv6_src=2001:db8::/64,nw_tos=184,tp_dst=443
 * cookie:0xabc idle:60 send_flow_rem check_overlap reset_counts actions=mete
 * r:3,pop_vlan,push_mpls:0x8847,set_field:100->mpls_label,set_mpls_ttl(9),de
 * c_mpls_ttl,output:2,write_actions(set_queue:7,group:5,dec_ttl,mod_nw_ttl:3
 * 3),goto_table:2 */
static const char FLOW_MOD_V6_13[] = "040e0128 00000015 00000000 00000abc "
                                     "00000000 00000000 0100003c 0000012c "
                                     "ffffffff ffffffff ffffffff 00070000 "
                                     "00010075 80000004 00000001 80000510 "
                                     "00000000 00000010 00000000 000000f0 "
                                     "8000070c 02112200 0000ffff ff000000 "
                                     "80000a02 86dd8000 0c02100a 80000e01 "
                                     "03800010 012e8000 14010680 001c0201 "
                                     "bb800035 2020010d b8000000 00000000 "
                                     "00000000 00ffffff ffffffff ff000000 "
                                     "00000000 00000000 00060008 00000003 "
                                     "00040048 00000000 00120008 00000000 "
                                     "00130008 88470000 00190010 80004404 "
                                     "00000064 00000000 000f0008 09000000 "
                                     "00100008 00000000 00000010 00000002 "
                                     "00000000 00000000 00030028 00000000 "
                                     "00150008 00000007 00160008 00000005 "
                                     "00180008 00000000 00170008 21000000 "
                                     "00010008 02000000";

static void
test_flow_mod_fields13(void **state)
{
    struct px_of_field f[16];
    struct px_of_field label = px_of_field_u64(PX_OF_F_MPLS_LABEL, 100);
    struct px_of_action apply[6] = {
        {.type = PX_OF_ACTION_POP_VLAN},
        {.type = PX_OF_ACTION_PUSH_MPLS, .ethertype = 0x8847},
        {.type = PX_OF_ACTION_SET_FIELD},
        {.type = PX_OF_ACTION_SET_MPLS_TTL, .arg = 9},
        {.type = PX_OF_ACTION_DEC_MPLS_TTL},
        {.type = PX_OF_ACTION_OUTPUT, .port = 2, .max_len = 0},
    };
    struct px_of_action write[4] = {
        {.type = PX_OF_ACTION_SET_QUEUE, .arg = 7},
        {.type = PX_OF_ACTION_GROUP, .arg = 5},
        {.type = PX_OF_ACTION_DEC_NW_TTL},
        {.type = PX_OF_ACTION_SET_NW_TTL, .arg = 33},
    };
    struct px_of_instruction in[4] = {
        {.type = PX_OF_INSTR_METER, .meter_id = 3},
        {.type = PX_OF_INSTR_APPLY_ACTIONS, .n_actions = 6, .actions = apply},
        {.type = PX_OF_INSTR_WRITE_ACTIONS, .n_actions = 4, .actions = write},
        {.type = PX_OF_INSTR_GOTO_TABLE, .table_id = 2},
    };
    struct px_of_flow_mod fm = {
        .command = PX_OF_FLOW_ADD,
        .table_id = 1,
        .idle_timeout = 60,
        .priority = 300,
        .buffer_id = PX_OF_NO_BUFFER,
        .cookie = 0xabc,
        .flags = PX_OF_FF_SEND_FLOW_REM | PX_OF_FF_CHECK_OVERLAP |
                 PX_OF_FF_RESET_COUNTS,
        .n_instructions = 4,
        .instructions = in,
    };
    struct enc e = {.version = PX_OF_VERSION_13, .xid = 21, .arg = &fm};

    (void)state;
    fm.n_fields = fields_v6(f);
    fm.fields = f;
    apply[2].field = &label;
    check_encoder(enc_flow_mod, &e, FLOW_MOD_V6_13);
    /* 1.0 has none of it. */
    assert_int_equal(fm_error(PX_OF_VERSION_10, &fm), EOPNOTSUPP);
}

/* ofp-print: OFPT_FLOW_MOD (OF1.3) (xid=0x16): DEL_STRICT table:255
 * priority=7,arp,arp_tpa=10.0.1.0/24 cookie:0x1200/0xff00 out_port:3
 * actions=drop */
static const char FLOW_MOD_DEL_13[] = "040e0048 00000016 00000000 00001200 "
                                      "00000000 0000ff00 ff040000 00000007 "
                                      "ffffffff 00000003 00000004 00000000 "
                                      "00010016 80000a02 08068000 2f080a00 "
                                      "0100ffff ff000000";

static void
test_flow_mod_delete_filters(void **state)
{
    struct px_of_field f[2] = {
        px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0806),
        px_of_field_u64_masked(PX_OF_F_ARP_TPA, 0x0a000100, 0xffffff00),
    };
    struct px_of_flow_mod fm = {
        .command = PX_OF_FLOW_DELETE_STRICT,
        .table_id = 0xff,
        .priority = 7,
        .buffer_id = PX_OF_NO_BUFFER,
        .cookie = 0x1200,
        .cookie_mask = 0xff00,
        .filters = PX_OF_FILTER_OUT_PORT | PX_OF_FILTER_OUT_GROUP,
        .out_port = 3,
        .out_group = 4,
        .n_fields = 2,
        .fields = f,
    };
    struct enc e = {.version = PX_OF_VERSION_13, .xid = 22, .arg = &fm};

    (void)state;
    check_encoder(enc_flow_mod, &e, FLOW_MOD_DEL_13);
    /* 1.0 has no cookie mask, no groups. */
    assert_int_equal(fm_error(PX_OF_VERSION_10, &fm), EOPNOTSUPP);
    fm.cookie_mask = 0;
    assert_int_equal(fm_error(PX_OF_VERSION_10, &fm), EOPNOTSUPP);
}

/* ofp-print: OFPT_FLOW_MOD (xid=0x17): MOD_STRICT priority=9,icmp,in_port=5,
 * vlan_tci=0x0000,nw_src=10.0.0.0/8,nw_dst=192.168.0.1,nw_tos=40,icmp_type=8
 * hard:5 send_flow_rem actions=mod_dl_src:02:00:00:00:00:aa,mod_nw_dst:10.0.
 * 0.99,mod_tp_dst:8080,mod_nw_tos:184,mod_vlan_pcp:5,strip_vlan,enqueue:4:2,
 * resubmit:2,IN_PORT */
static const char FLOW_MOD_FIELDS_10[] = "010e00a8 00000017 0010188c 00050000 "
                                         "00000000 00000000 0000ffff 00000800 "
                                         "28010000 0a000000 c0a80001 00080000 "
                                         "00000000 00000000 00020000 00050009 "
                                         "ffffffff ffff0001 00040010 02000000 "
                                         "00aa0000 00000000 00070008 0a000063 "
                                         "000a0008 1f900000 00080008 b8000000 "
                                         "00020008 05000000 00030008 00000000 "
                                         "000b0010 00040000 00000000 00000002 "
                                         "ffff0010 00002320 00010002 00000000 "
                                         "00000008 fff80000";

/* What 1.0 can say of fields and actions: prefixes, ICMP in the transport
 * ports, every SET_* action, ENQUEUE, STRIP_VLAN, a vendor action. */
static void
test_flow_mod_fields10(void **state)
{
    /* Nicira's resubmit to port 2 (NXAST_RESUBMIT). */
    static const uint8_t vendor[16] = {0xff, 0xff, 0x00, 0x10, 0x00, 0x00,
                                       0x23, 0x20, 0x00, 0x01, 0x00, 0x02};
    struct px_of_field f[8] = {
        px_of_field_u64(PX_OF_F_IN_PORT, 5),
        px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800),
        px_of_field_u64_masked(PX_OF_F_IPV4_SRC, 0x0a000000, 0xff000000),
        px_of_field_u64(PX_OF_F_IPV4_DST, 0xc0a80001),
        px_of_field_u64(PX_OF_F_IP_PROTO, 1),
        px_of_field_u64(PX_OF_F_ICMPV4_TYPE, 8),
        px_of_field_u64(PX_OF_F_IP_DSCP, 10),
        px_of_field_u64(PX_OF_F_VLAN_VID, 0),
    };
    struct px_of_field set[5];
    size_t i;
    struct px_of_action a[10] = {
        {.type = PX_OF_ACTION_SET_FIELD},
        {.type = PX_OF_ACTION_SET_FIELD},
        {.type = PX_OF_ACTION_SET_FIELD},
        {.type = PX_OF_ACTION_SET_FIELD},
        {.type = PX_OF_ACTION_SET_FIELD},
        {.type = PX_OF_ACTION_POP_VLAN},
        {.type = PX_OF_ACTION_SET_QUEUE, .arg = 2},
        {.type = PX_OF_ACTION_OUTPUT, .port = 4},
        {.type = PX_OF_ACTION_EXPERIMENTER,
         .data = vendor,
         .data_len = sizeof vendor},
        {.type = PX_OF_ACTION_OUTPUT, .port = PX_OF_PORT_IN_PORT},
    };
    struct px_of_flow_mod fm = {
        .command = PX_OF_FLOW_MODIFY_STRICT,
        .priority = 9,
        .hard_timeout = 5,
        .buffer_id = PX_OF_NO_BUFFER,
        .flags = PX_OF_FF_SEND_FLOW_REM,
        .n_fields = 8,
        .fields = f,
        .n_actions = 10,
        .actions = a,
    };
    struct enc e = {.version = PX_OF_VERSION_10, .xid = 23, .arg = &fm};

    (void)state;
    set[0] = px_of_field_bytes(PX_OF_F_ETH_SRC, mac_a, NULL);
    set[1] = px_of_field_u64(PX_OF_F_IPV4_DST, 0x0a000063);
    set[2] = px_of_field_u64(PX_OF_F_TCP_DST, 8080);
    set[3] = px_of_field_u64(PX_OF_F_IP_DSCP, 46);
    set[4] = px_of_field_u64(PX_OF_F_VLAN_PCP, 5);
    for (i = 0; i < 5; i++) {
        a[i].field = &set[i];
    }
    check_encoder(enc_flow_mod, &e, FLOW_MOD_FIELDS_10);
}

/* Fields the encoders refuse, and why. */
static void
test_fields_invalid(void **state)
{
    struct px_of_field f[3];
    struct px_of_flow_mod fm = {.command = PX_OF_FLOW_ADD, .fields = f};

    (void)state;
    /* No prerequisite, in both versions. */
    f[0] = px_of_field_u64(PX_OF_F_IPV4_SRC, 1);
    fm.n_fields = 1;
    assert_int_equal(fm_error(4, &fm), EOPNOTSUPP);
    assert_int_equal(fm_error(1, &fm), EOPNOTSUPP);
    f[1] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800);
    fm.n_fields = 2;
    assert_int_not_equal(fm_len(buf_big, sizeof buf_big, 4, 1, &fm), 0);
    /* A field twice; an unknown field; a mask on ETH_TYPE; a value bit
     * outside its mask; a 3-bit field too large. */
    f[2] = f[1];
    fm.n_fields = 3;
    assert_int_equal(fm_error(4, &fm), EINVAL);
    f[2] = px_of_field_u64(PX_OF_F_COUNT, 0);
    f[2].id = PX_OF_F_COUNT;
    assert_int_equal(fm_error(4, &fm), EINVAL);
    f[1] = px_of_field_u64_masked(PX_OF_F_ETH_TYPE, 0x0800, 0xff00);
    fm.n_fields = 2;
    assert_int_equal(fm_error(4, &fm), EINVAL);
    f[1] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800);
    f[0] = px_of_field_u64_masked(PX_OF_F_IPV4_SRC, 0x0a000001, 0xffffff00);
    assert_int_equal(fm_error(4, &fm), EINVAL);
    f[0] = px_of_field_u64(PX_OF_F_IP_DSCP, 64);
    assert_int_equal(fm_error(4, &fm), EINVAL);
    /* 1.0: a mask that is not a prefix; a field it does not have. */
    f[0] = px_of_field_u64_masked(PX_OF_F_IPV4_SRC, 0x0a000001, 0xff0000ff);
    assert_int_equal(fm_error(1, &fm), EOPNOTSUPP);
    assert_int_not_equal(fm_len(buf_big, sizeof buf_big, 4, 1, &fm), 0);
    f[0] = px_of_field_u64(PX_OF_F_IP_ECN, 1);
    assert_int_equal(fm_error(1, &fm), EOPNOTSUPP);
    /* Both a match and fields; both actions and instructions. */
    f[0] = px_of_field_u64(PX_OF_F_IN_PORT, 1);
    fm.n_fields = 1;
    fm.match.fields = PX_OF_MATCH_IN_PORT;
    assert_int_equal(fm_error(4, &fm), EINVAL);
}

/* Actions the encoders refuse, and why. */
static void
test_actions_invalid(void **state)
{
    static const uint8_t short_vendor[8] = {0xff, 0xff, 0x00, 0x10};
    struct px_of_action a[2] = {{.type = PX_OF_ACTION_SET_QUEUE, .arg = 1}};
    struct px_of_field masked;
    struct px_of_flow_mod fm = {
        .command = PX_OF_FLOW_ADD, .n_actions = 1, .actions = a};

    (void)state;
    /* 1.0's queue goes with the output after it. */
    assert_int_equal(fm_error(1, &fm), EOPNOTSUPP);
    assert_int_not_equal(fm_len(buf_big, sizeof buf_big, 4, 1, &fm), 0);
    /* 1.0 has no group, push or TTL action. */
    a[0] = (struct px_of_action){.type = PX_OF_ACTION_GROUP, .arg = 1};
    assert_int_equal(fm_error(1, &fm), EOPNOTSUPP);
    a[0] = (struct px_of_action){.type = PX_OF_ACTION_DEC_NW_TTL};
    assert_int_equal(fm_error(1, &fm), EOPNOTSUPP);
    /* A masked set-field, a TTL over 255, experimenter bytes that are not
     * one action. */
    a[0] = (struct px_of_action){.type = PX_OF_ACTION_SET_FIELD};
    masked = px_of_field_u64_masked(PX_OF_F_METADATA, 1, 1);
    a[0].field = &masked;
    assert_int_equal(fm_error(4, &fm), EINVAL);
    a[0] = (struct px_of_action){.type = PX_OF_ACTION_SET_NW_TTL, .arg = 256};
    assert_int_equal(fm_error(4, &fm), EINVAL);
    a[0] = (struct px_of_action){.type = PX_OF_ACTION_EXPERIMENTER,
                                 .data = short_vendor,
                                 .data_len = sizeof short_vendor};
    assert_int_equal(fm_error(4, &fm), EINVAL);
    /* Instructions: an unknown one, one twice, 1.0's only APPLY_ACTIONS. */
    {
        struct px_of_instruction in[2] = {
            {.type = PX_OF_INSTR_GOTO_TABLE, .table_id = 1},
            {.type = PX_OF_INSTR_GOTO_TABLE, .table_id = 2},
        };

        fm.n_actions = 0;
        fm.instructions = in;
        fm.n_instructions = 2;
        assert_int_equal(fm_error(4, &fm), EINVAL);
        fm.n_instructions = 1;
        assert_int_equal(fm_error(1, &fm), EOPNOTSUPP);
        in[0].type = 9;
        assert_int_equal(fm_error(4, &fm), EINVAL);
    }
}

/* A request of topic version 3 (shorter actions, no version 4 fields) is
 * read as such: its two actions give the bytes a version 4 request with
 * the same actions gives. */
static void
test_flow_mod_v3_payload(void **state)
{
    struct v3_action {
        uint32_t type, port;
        uint16_t max_len;
        uint8_t mac[6];
    } v3[2] = {{.type = PX_OF_ACTION_SET_DL_DST, .mac = {2, 0, 0, 0, 0, 9}},
               {.type = PX_OF_ACTION_OUTPUT, .port = 2}};
    struct px_of_action v4[2] = {
        {.type = PX_OF_ACTION_SET_DL_DST, .mac = {2, 0, 0, 0, 0, 9}},
        {.type = PX_OF_ACTION_OUTPUT, .port = 2}};
    struct px_of_flow_mod fm = {.command = PX_OF_FLOW_ADD,
                                .buffer_id = PX_OF_NO_BUFFER,
                                .n_actions = 2,
                                .actions = v4};
    uint8_t b3[256], b4[256];
    size_t n3, n4, v;
    const char *why;

    (void)state;
    _Static_assert(sizeof(struct v3_action) == PX_OF_ACTION_V3_LEN,
                   "version 3's action");
    for (v = 1; v <= 4; v += 3) {
        n4 = fm_len(b4, sizeof b4, (uint8_t)v, 1, &fm);
        fm.actions = (const struct px_of_action *)(const void *)v3;
        assert_int_equal(of_encode_flow_mod(b3, sizeof b3, (uint8_t)v, 1, &fm,
                                            PX_OF_FLOW_MOD_V3_LEN, &n3, &why),
                         0);
        fm.actions = v4;
        assert_int_equal(n3, n4);
        assert_memory_equal(b3, b4, n4);
    }
}

/* A 1.3 packet-in's match, decoded for the plugins: every OXM basic field
 * in wire order; other classes' fields (OVS's NXM tun_id) skipped. */
static void
test_packet_in_match13(void **state)
{
    static const uint8_t abc[8] = {0, 0, 0, 0, 0, 0, 0x0a, 0xbc};
    struct px_of_packet_in pi;
    struct msg m;

    (void)state;
    m = load(PACKET_IN_METADATA_13);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.in_port, 5);
    assert_int_equal(pi.n_match, 2);
    assert_ptr_equal(pi.match, pif);
    assert_int_equal(pif[0].id, PX_OF_F_METADATA);
    assert_false(pif[0].has_mask);
    assert_memory_equal(pif[0].value, abc, sizeof abc);
    assert_int_equal(pif[1].id, PX_OF_F_IN_PORT);
    assert_int_equal(px_get_be32(pif[1].value), 5);

    free(m.data);

    m = load(PACKET_IN_TUN_ID_13);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.n_match, 1);
    assert_int_equal(pif[0].id, PX_OF_F_IN_PORT);

    free(m.data);

    /* In_port's all-ones mask counts as none, in the decoded match too. */
    m = load(PACKET_IN_MASKED_13);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.n_match, 1);
    assert_false(pif[0].has_mask);

    free(m.data);

    /* 1.0 has no match. */
    m = load(OVS_PACKET_IN_10);
    assert_int_equal(of_decode_packet_in(m.data, m.len, &pi, pif, NULL), 0);
    assert_int_equal(pi.n_match, 0);
    assert_null(pi.match);
    free(m.data);
}

/* ofp-print: OFPT_FLOW_REMOVED (OF1.3) (xid=0x0): priority=50,ip,in_port=1
 * reason=hard table_id=0 cookie:0x1005 duration1.500s idle0 hard1 pkts3
 * bytes180 */
static const char FLOW_REMOVED_13[] = "040b0048 00000000 00000000 00001005 "
                                      "00320100 00000001 1dcd6500 00000001 "
                                      "00000000 00000003 00000000 000000b4 "
                                      "00010012 80000004 00000001 80000a02 "
                                      "08000000 00000000";

/* ofp-print: OFPT_FLOW_REMOVED (xid=0x0): priority=70,ip,in_port=1
 * reason=idle cookie:0x1101 duration2s idle10 pkts7 bytes420 */
static const char FLOW_REMOVED_10[] = "010b0058 00000000 003820ee 00010000 "
                                      "00000000 00000000 00000000 00000800 "
                                      "00000000 00000000 00000000 00000000 "
                                      "00000000 00001101 00460000 00000002 "
                                      "00000000 000a0000 00000000 00000007 "
                                      "00000000 000001a4";

static int
dec_flow_removed(const uint8_t *msg, size_t len, const char **why)
{
    struct px_of_flow_removed fr;

    return of_decode_flow_removed(msg, len, &fr, pif, why);
}

static void
test_flow_removed(void **state)
{
    struct px_of_flow_removed fr;
    struct msg m;

    (void)state;
    m = load(FLOW_REMOVED_13);
    assert_int_equal(of_decode_flow_removed(m.data, m.len, &fr, pif, NULL), 0);
    assert_int_equal(fr.version, PX_OF_VERSION_13);
    assert_int_equal(fr.cookie, 0x1005);
    assert_int_equal(fr.priority, 50);
    assert_int_equal(fr.reason, PX_OF_RR_HARD_TIMEOUT);
    assert_int_equal(fr.duration_sec, 1);
    assert_int_equal(fr.duration_nsec, 500000000);
    assert_int_equal(fr.hard_timeout, 1);
    assert_int_equal(fr.packet_count, 3);
    assert_int_equal(fr.byte_count, 180);
    assert_int_equal(fr.n_match, 2);
    assert_int_equal(pif[0].id, PX_OF_F_IN_PORT);
    assert_int_equal(pif[1].id, PX_OF_F_ETH_TYPE);
    assert_int_equal(px_get_be16(pif[1].value), 0x0800);
    free(m.data);
    /* Every shorter message is refused: the match ends the message. */
    check_truncations(dec_flow_removed, FLOW_REMOVED_13, NONE, NULL);

    m = load(FLOW_REMOVED_10);
    assert_int_equal(of_decode_flow_removed(m.data, m.len, &fr, pif, NULL), 0);
    assert_int_equal(fr.version, PX_OF_VERSION_10);
    assert_int_equal(fr.cookie, 0x1101);
    assert_int_equal(fr.priority, 70);
    assert_int_equal(fr.reason, PX_OF_RR_IDLE_TIMEOUT);
    assert_int_equal(fr.duration_sec, 2);
    assert_int_equal(fr.idle_timeout, 10);
    assert_int_equal(fr.packet_count, 7);
    assert_int_equal(fr.byte_count, 420);
    /* The 1.0 match read as fields: in_port and dl_type. */
    assert_int_equal(fr.n_match, 2);
    assert_int_equal(pif[0].id, PX_OF_F_IN_PORT);
    assert_int_equal(px_get_be32(pif[0].value), 1);
    assert_int_equal(pif[1].id, PX_OF_F_ETH_TYPE);
    free(m.data);
    check_truncations(dec_flow_removed, FLOW_REMOVED_10, NONE, NULL);
}

/* ofp-print: OFPT_GROUP_MOD (OF1.3) (xid=0x1f):  ADD group_id=5,type=select,
 * bucket=weight:60,actions=output:1,bucket=weight:40,actions=output:2 */
static const char GROUP_MOD_13[] = "040f0050 0000001f 00000100 00000005 "
                                   "0020003c ffffffff ffffffff 00000000 "
                                   "00000010 00000001 00000000 00000000 "
                                   "00200028 ffffffff ffffffff 00000000 "
                                   "00000010 00000002 00000000 00000000";

/* ofp-print: OFPT_METER_MOD (OF1.3) (xid=0x20): ADD meter=3 kbps burst stats
 * bands= type=drop rate=1000 burst_size=100 type=dscp_remark rate=500
 * burst_size=50 prec_level=1 */
static const char METER_MOD_13[] = "041d0030 00000020 0000000d 00000003 "
                                   "00010010 000003e8 00000064 00000000 "
                                   "00020010 000001f4 00000032 01000000";

static size_t
enc_group_mod(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;
    const char *why = "unset";
    size_t len = 1;
    int error =
        of_encode_group_mod(buf, cap, e->version, e->xid, e->arg, &len, &why);

    return request_len(error, len, why);
}

static size_t
enc_meter_mod(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;
    const char *why = "unset";
    size_t len = 1;
    int error =
        of_encode_meter_mod(buf, cap, e->version, e->xid, e->arg, &len, &why);

    return request_len(error, len, why);
}

static void
test_group_meter_mod(void **state)
{
    struct px_of_action out[2] = {
        {.type = PX_OF_ACTION_OUTPUT, .port = 1},
        {.type = PX_OF_ACTION_OUTPUT, .port = 2},
    };
    struct px_of_bucket buckets[2] = {
        {.weight = 60,
         .watch_port = PX_OF_PORT_ANY,
         .watch_group = PX_OF_GROUP_ANY,
         .n_actions = 1,
         .actions = &out[0]},
        {.weight = 40,
         .watch_port = PX_OF_PORT_ANY,
         .watch_group = PX_OF_GROUP_ANY,
         .n_actions = 1,
         .actions = &out[1]},
    };
    struct px_of_group_mod gm = {.command = PX_OF_GROUP_ADD,
                                 .type = PX_OF_GROUP_SELECT,
                                 .group_id = 5,
                                 .n_buckets = 2,
                                 .buckets = buckets};
    struct px_of_meter_band bands[2] = {
        {.type = PX_OF_BAND_DROP, .rate = 1000, .burst_size = 100},
        {.type = PX_OF_BAND_DSCP_REMARK,
         .rate = 500,
         .burst_size = 50,
         .prec_level = 1},
    };
    struct px_of_meter_mod mm = {
        .command = PX_OF_METER_ADD,
        .flags = PX_OF_METER_KBPS | PX_OF_METER_BURST | PX_OF_METER_STATS,
        .meter_id = 3,
        .n_bands = 2,
        .bands = bands};
    struct enc e = {.version = PX_OF_VERSION_13, .xid = 31, .arg = &gm};
    const char *why = NULL;
    uint8_t buf[256];
    size_t len;

    (void)state;
    check_encoder(enc_group_mod, &e, GROUP_MOD_13);
    e = (struct enc){.version = PX_OF_VERSION_13, .xid = 32, .arg = &mm};
    check_encoder(enc_meter_mod, &e, METER_MOD_13);

    /* 1.0 has neither. */
    assert_int_equal(
        of_encode_group_mod(buf, sizeof buf, 1, 1, &gm, &len, &why),
        EOPNOTSUPP);
    assert_int_equal(
        of_encode_meter_mod(buf, sizeof buf, 1, 1, &mm, &len, &why),
        EOPNOTSUPP);
    /* Unknown type, command or band; ids out of range; NULL lists. */
    gm.type = 4;
    assert_int_equal(
        of_encode_group_mod(buf, sizeof buf, 4, 1, &gm, &len, &why), EINVAL);
    gm.type = PX_OF_GROUP_SELECT;
    gm.group_id = PX_OF_GROUP_ANY;
    assert_int_equal(
        of_encode_group_mod(buf, sizeof buf, 4, 1, &gm, &len, &why), EINVAL);
    gm.group_id = 5;
    gm.buckets = NULL;
    assert_int_equal(
        of_encode_group_mod(buf, sizeof buf, 4, 1, &gm, &len, &why), EINVAL);
    bands[1].type = 3;
    assert_int_equal(
        of_encode_meter_mod(buf, sizeof buf, 4, 1, &mm, &len, &why), EINVAL);
    bands[1].type = PX_OF_BAND_DROP;
    mm.meter_id = 0;
    assert_int_equal(
        of_encode_meter_mod(buf, sizeof buf, 4, 1, &mm, &len, &why), EINVAL);
    /* Deleting every meter names no band. */
    mm.command = PX_OF_METER_DELETE;
    mm.meter_id = PX_OF_METER_ALL;
    assert_int_equal(
        of_encode_meter_mod(buf, sizeof buf, 4, 1, &mm, &len, &why), 0);
    assert_int_equal(len, 16);
}

/* ofp-print: OFPST_FLOW reply (OF1.3) (xid=0x9): cookie=0xabc, duration=5s,
 * table=0, n_packets=3, n_bytes=294, idle_timeout=10,
 * priority=100,ip,in_port=1 actions=output:2; cookie=0x0, duration=7s,
 * table=0, n_packets=9, n_bytes=720, priority=0 actions=drop */
static const char FLOW_STATS_REPLY_13[] =
    "041300a8 00000009 00010000 00000000 "
    "00600000 00000005 00000000 0064000a "
    "00000000 00000000 00000000 00000abc "
    "00000000 00000003 00000000 00000126 "
    "00010012 80000004 00000001 80000a02 "
    "08000000 00000000 00040018 00000000 "
    "00000010 00000002 ffe50000 00000000 "
    "00380000 00000007 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 00000009 00000000 000002d0 "
    "00010004 00000000";

/* ofp-print: OFPST_FLOW reply (xid=0x9): cookie=0xabc, duration=2s,
 * table=0, n_packets=4, n_bytes=392, idle_timeout=10, hard_timeout=30,
 * priority=100,ip,in_port=1 actions=output:2 */
static const char FLOW_STATS_REPLY_10[] =
    "0111006c 00000009 00010000 00600000 "
    "003820ee 00010000 00000000 00000000 "
    "00000000 00000800 00000000 00000000 "
    "00000000 00000000 00000002 00000000 "
    "0064000a 001e0000 00000000 00000000 "
    "00000abc 00000000 00000004 00000000 "
    "00000188 00000008 00020000";

/* ofp-print: OFPST_PORT reply (OF1.3) (xid=0xa): 1 ports; port 1: rx
 * pkts=10, bytes=1000, drop=1; tx pkts=20, bytes=2000, drop=2;
 * duration=3.000000004s */
static const char PORT_STATS_REPLY_13[] =
    "04130080 0000000a 00040000 00000000 "
    "00000001 00000000 00000000 0000000a "
    "00000000 00000014 00000000 000003e8 "
    "00000000 000007d0 00000000 00000001 "
    "00000000 00000002 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000003 00000004";

/* Decodes the whole reply 'hex' (one part) of 'type' into 'st', with
 * room in 'entries' and 'fields'; returns the number of entries. */
static size_t
decode_stats(const char *hex, uint32_t type, struct px_of_stats *st,
             void *entries, size_t room, struct px_of_field *fields,
             struct msg *m)
{
    static struct px_of_counter counters[16];
    static struct px_of_meter_band bands[16];
    static struct px_of_instruction instructions[16];
    static struct px_of_action actions[32];
    static struct px_of_bucket buckets[8];
    struct of_stats_mem mem = {entries,      fields,  counters, bands,
                               instructions, actions, buckets};
    struct of_stats_room need;
    const uint8_t *body;
    size_t body_len;
    uint16_t kind;
    int more;

    *m = load(hex);
    assert_int_equal(
        of_stats_part(m->data, m->len, &kind, &more, &body, &body_len, NULL),
        0);
    assert_int_equal(kind, type);
    assert_false(more);
    assert_int_equal(
        of_stats_count(m->data[0], type, body, body_len, &need, NULL), 0);
    assert_true(need.n * of_stats_entry_size(type) <= room);
    assert_true(need.n_fields <= PX_OF_F_COUNT && need.n_counters <= 16 &&
                need.n_bands <= 16 && need.n_instructions <= 16 &&
                need.n_actions <= 32 && need.n_buckets <= 8);
    of_stats_decode(m->data[0], type, body, body_len, st, &mem);
    assert_int_equal(st->n, need.n);
    return need.n;
}

static void
test_stats_replies(void **state)
{
    static struct px_of_flow_stats flows[4];
    static struct px_of_port_stats ports[2];
    struct px_of_field fields[PX_OF_F_COUNT];
    struct px_of_stats st;
    struct msg m;
    struct of_stats_room room;
    const uint8_t *body;
    size_t body_len, n;
    uint16_t kind;
    int more;

    (void)state;
    assert_int_equal(decode_stats(FLOW_STATS_REPLY_13, PX_OF_STATS_FLOW, &st,
                                  flows, sizeof flows, fields, &m),
                     2);
    assert_ptr_equal(st.flows, flows);
    assert_int_equal(flows[0].cookie, 0xabc);
    assert_int_equal(flows[0].priority, 100);
    assert_int_equal(flows[0].idle_timeout, 10);
    assert_int_equal(flows[0].duration_sec, 5);
    assert_int_equal(flows[0].packet_count, 3);
    assert_int_equal(flows[0].byte_count, 294);
    assert_int_equal(flows[0].n_match, 2);
    assert_int_equal(flows[0].match[1].id, PX_OF_F_ETH_TYPE);
    /* Its instructions as the switch wrote them: APPLY_ACTIONS, 24 bytes;
     * and decoded: output:2 (max_len 0xffe5, as OVS writes it). */
    assert_int_equal(flows[0].raw_instructions_len, 24);
    assert_int_equal(px_get_be16(flows[0].raw_instructions), 4);
    assert_int_equal(flows[0].n_instructions, 1);
    assert_int_equal(flows[0].instructions[0].type, PX_OF_INSTR_APPLY_ACTIONS);
    assert_int_equal(flows[0].instructions[0].n_actions, 1);
    assert_int_equal(flows[0].instructions[0].actions[0].type,
                     PX_OF_ACTION_OUTPUT);
    assert_int_equal(flows[0].instructions[0].actions[0].port, 2);
    assert_int_equal(flows[0].instructions[0].actions[0].max_len, 0xffe5);
    assert_int_equal(flows[1].packet_count, 9);
    assert_int_equal(flows[1].byte_count, 720);
    assert_int_equal(flows[1].n_match, 0);
    assert_int_equal(flows[1].raw_instructions_len, 0);
    assert_int_equal(flows[1].n_instructions, 0); /* drop */
    /* Every cut of the body short of a whole flow is refused. */
    assert_int_equal(
        of_stats_part(m.data, m.len, &kind, &more, &body, &body_len, NULL), 0);
    for (n = 1; n < body_len; n++) {
        const char *why = NULL;

        if (n == px_get_be16(body)) {
            continue; /* A whole first flow. */
        }
        assert_int_equal(
            of_stats_count(4, PX_OF_STATS_FLOW, body, n, &room, &why), EPROTO);
        assert_non_null(why);
    }
    free(m.data);

    assert_int_equal(decode_stats(FLOW_STATS_REPLY_10, PX_OF_STATS_FLOW, &st,
                                  flows, sizeof flows, fields, &m),
                     1);
    assert_int_equal(flows[0].cookie, 0xabc);
    assert_int_equal(flows[0].hard_timeout, 30);
    assert_int_equal(flows[0].packet_count, 4);
    assert_int_equal(flows[0].byte_count, 392);
    assert_int_equal(flows[0].n_match, 2);
    assert_int_equal(flows[0].raw_instructions_len, 8); /* output:2 */
    assert_int_equal(flows[0].n_instructions, 1);
    assert_int_equal(flows[0].instructions[0].type, PX_OF_INSTR_APPLY_ACTIONS);
    assert_int_equal(flows[0].instructions[0].n_actions, 1);
    assert_int_equal(flows[0].instructions[0].actions[0].port, 2);
    free(m.data);

    assert_int_equal(decode_stats(PORT_STATS_REPLY_13, PX_OF_STATS_PORT, &st,
                                  ports, sizeof ports, fields, &m),
                     1);
    assert_int_equal(ports[0].port_no, 1);
    assert_int_equal(ports[0].rx_packets, 10);
    assert_int_equal(ports[0].tx_packets, 20);
    assert_int_equal(ports[0].rx_bytes, 1000);
    assert_int_equal(ports[0].tx_bytes, 2000);
    assert_int_equal(ports[0].rx_dropped, 1);
    assert_int_equal(ports[0].tx_dropped, 2);
    assert_int_equal(ports[0].duration_sec, 3);
    assert_int_equal(ports[0].duration_nsec, 4);
    /* Not a whole number of ports; a 1.0 reading has other sizes. */
    assert_int_equal(
        of_stats_part(m.data, m.len, &kind, &more, &body, &body_len, NULL), 0);
    assert_int_equal(
        of_stats_count(4, PX_OF_STATS_PORT, body, body_len - 8, &room, NULL),
        EPROTO);
    assert_int_equal(
        of_stats_count(1, PX_OF_STATS_PORT, body, body_len, &room, NULL),
        EPROTO);
    /* Another message is not a part. */
    assert_int_equal(
        of_stats_part(m.data, 8, &kind, &more, &body, &body_len, NULL),
        EPROTO);
    m.data[1] = OF_PACKET_IN;
    assert_int_equal(
        of_stats_part(m.data, m.len, &kind, &more, &body, &body_len, NULL),
        EPROTO);
    free(m.data);
}

/* ofp-print: OFPST_FLOW request (OF1.3) (xid=0x29): out_port=2
 * ip,nw_dst=10.0.0.0/8 */
static const char STATS_FLOW_REQUEST_13[] =
    "04120048 00000029 00010000 00000000 "
    "ff000000 00000002 ffffffff 00000000 "
    "00000000 00000100 00000000 00000f00 "
    "00010016 80000a02 08008000 19080a00 "
    "0000ff00 00000000";

/* ofp-print: OFPST_FLOW request (xid=0x2a): out_port=2 ip,nw_dst=10.0.0.0/8
 * */
static const char STATS_FLOW_REQUEST_10[] =
    "01100038 0000002a 00010000 003620ef "
    "00000000 00000000 00000000 00000000 "
    "00000800 00000000 00000000 0a000000 "
    "00000000 ff000002";

/* ofp-print: OFPST_QUEUE request (xid=0x2b): port=3 queue=ALL */
static const char STATS_QUEUE_REQUEST_10[] =
    "01100014 0000002b 00050000 00030000 "
    "ffffffff";

static size_t
enc_stats_request(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;
    const char *why = "unset";
    size_t len = 1;
    int error = of_encode_stats_request(buf, cap, e->version, e->xid, e->arg,
                                        &len, &why);

    return request_len(error, len, why);
}

static void
test_stats_requests(void **state)
{
    struct px_of_field f[2] = {
        px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800),
        px_of_field_u64_masked(PX_OF_F_IPV4_DST, 0x0a000000, 0xff000000),
    };
    struct px_of_stats_request rq = {
        .type = PX_OF_STATS_FLOW,
        .table_id = PX_OF_TABLE_ALL,
        .filters = PX_OF_FILTER_OUT_PORT,
        .out_port = 2,
        .cookie = 0x100,
        .cookie_mask = 0xf00,
        .n_fields = 2,
        .fields = f,
    };
    struct enc e = {.version = PX_OF_VERSION_13, .xid = 41, .arg = &rq};
    uint8_t buf[256];
    const char *why;
    size_t len;

    (void)state;
    check_encoder(enc_stats_request, &e, STATS_FLOW_REQUEST_13);
    /* 1.0: no cookie mask, no group filter, no port description. */
    assert_int_equal(
        of_encode_stats_request(buf, sizeof buf, 1, 1, &rq, &len, &why),
        EOPNOTSUPP);
    rq.cookie_mask = 0;
    e = (struct enc){.version = PX_OF_VERSION_10, .xid = 42, .arg = &rq};
    check_encoder(enc_stats_request, &e, STATS_FLOW_REQUEST_10);
    rq = (struct px_of_stats_request){
        .type = PX_OF_STATS_QUEUE, .port_no = 3, .queue_id = PX_OF_QUEUE_ALL};
    e = (struct enc){.version = PX_OF_VERSION_10, .xid = 43, .arg = &rq};
    check_encoder(enc_stats_request, &e, STATS_QUEUE_REQUEST_10);
    rq.type = PX_OF_STATS_PORT_DESC;
    assert_int_equal(
        of_encode_stats_request(buf, sizeof buf, 1, 1, &rq, &len, &why),
        EOPNOTSUPP);
    assert_int_equal(
        of_encode_stats_request(buf, sizeof buf, 4, 1, &rq, &len, &why), 0);
    assert_int_equal(len, 16);
    rq.type = 8; /* GROUP_DESC: not read yet. */
    assert_int_equal(
        of_encode_stats_request(buf, sizeof buf, 4, 1, &rq, &len, &why),
        EINVAL);
}

/* ofp-print: OFPT_SET_ASYNC (OF1.3) (xid=0x5): primary: PACKET_IN:
 * no_match action, PORT_STATUS: add delete modify, FLOW_REMOVED: idle hard
 * delete group_delete; secondary: PACKET_IN: (off), PORT_STATUS: add
 * modify, FLOW_REMOVED: idle */
static const char SET_ASYNC_13[] = "041c0020 00000005 00000003 00000000 "
                                   "00000007 00000005 0000000f 00000001";

/* ofp-print: OFPT_GET_ASYNC_REPLY (OF1.3) (xid=0x5): primary: PACKET_IN:
 * no_match action, PORT_STATUS: add delete modify, FLOW_REMOVED: idle
 * hard delete group_delete; secondary: PACKET_IN: (off), PORT_STATUS: add
 * modify, FLOW_REMOVED: idle */
static const char GET_ASYNC_REPLY_13[] = "041b0020 00000005 00000003 00000000 "
                                         "00000007 00000005 0000000f 00000001";

static size_t
enc_set_async(uint8_t *buf, size_t cap, const void *arg)
{
    const struct enc *e = arg;

    return of_encode_async(buf, cap, e->xid, e->arg);
}

static int
dec_async_reply(const uint8_t *msg, size_t len, const char **why)
{
    struct px_of_async_config ac;

    return of_decode_async_reply(msg, len, &ac, why);
}

static void
test_async(void **state)
{
    struct px_of_async_config ac =
                                  {
                                      .packet_in_mask = {0x3, 0},
                                      .port_status_mask = {0x7, 0x5},
                                      .flow_removed_mask = {0xf, 0x1},
                                  },
                              got;
    struct enc e = {.version = PX_OF_VERSION_13, .xid = 5, .arg = &ac};
    struct msg m;
    uint8_t buf[8];

    (void)state;
    check_encoder(enc_set_async, &e, SET_ASYNC_13);
    /* GET_ASYNC_REQUEST is a header. */
    assert_int_equal(of_encode_async(buf, sizeof buf, 6, NULL), 8);
    assert_hex(buf, 8, "041a0008 00000006");
    m = load(GET_ASYNC_REPLY_13);
    assert_int_equal(of_decode_async_reply(m.data, m.len, &got, NULL), 0);
    assert_memory_equal(&got, &ac, sizeof ac);
    free(m.data);
    check_truncations(dec_async_reply, GET_ASYNC_REPLY_13, NONE, NULL);
}

/* ofp-print: OFPST_GROUP reply (OF1.3) (xid=0x30):
 * group_id=7,duration=2.0000005s,ref_count=1,packet_count=5,byte_count=300,
 * bucket0:packet_count=3,byte_count=180,bucket1:packet_count=2,
 * byte_count=120 */
static const char GROUP_STATS_REPLY_13[] =
    "04130058 00000030 00060000 00000000 "
    "00480000 00000007 00000001 00000000 "
    "00000000 00000005 00000000 0000012c "
    "00000002 000001f4 00000000 00000003 "
    "00000000 000000b4 00000000 00000002 "
    "00000000 00000078";

/* ofp-print: OFPST_GROUP_DESC reply (OF1.3) (xid=0x30):
 * group_id=7,type=select,bucket=weight:60,actions=output:1,
 * bucket=weight:40,actions=output:2 */
static const char GROUP_DESC_REPLY_13[] =
    "04130058 00000030 00070000 00000000 "
    "00480100 00000007 0020003c ffffffff "
    "ffffffff 00000000 00000010 00000001 "
    "00000000 00000000 00200028 ffffffff "
    "ffffffff 00000000 00000010 00000002 "
    "00000000 00000000";

/* ofp-print: OFPST_METER reply (OF1.3) (xid=0x30): meter:9 flow_count:1
 * packet_in_count:4 byte_in_count:400 duration:3s bands: 0:
 * packet_count:1 byte_count:100 */
static const char METER_STATS_REPLY_13[] =
    "04130048 00000030 00090000 00000000 "
    "00000009 00380000 00000000 00000001 "
    "00000000 00000004 00000000 00000190 "
    "00000003 00000000 00000000 00000001 "
    "00000000 00000064";

/* ofp-print: OFPST_METER_CONFIG reply (OF1.3) (xid=0x30): meter=9 kbps
 * burst bands= type=drop rate=1000 burst_size=100 */
static const char METER_CONFIG_REPLY_13[] =
    "04130028 00000030 000a0000 00000000 "
    "00180005 00000009 00010010 000003e8 "
    "00000064 00000000";

static void
test_stats_groups_meters(void **state)
{
    static struct px_of_group_stats groups[2];
    static struct px_of_group_desc descs[2];
    static struct px_of_meter_stats meters[2];
    static struct px_of_meter_config configs[2];
    struct px_of_field fields[PX_OF_F_COUNT];
    struct px_of_stats st;
    struct msg m;

    (void)state;
    assert_int_equal(decode_stats(GROUP_STATS_REPLY_13, PX_OF_STATS_GROUP, &st,
                                  groups, sizeof groups, fields, &m),
                     1);
    assert_ptr_equal(st.groups, groups);
    assert_int_equal(groups[0].group_id, 7);
    assert_int_equal(groups[0].ref_count, 1);
    assert_int_equal(groups[0].packet_count, 5);
    assert_int_equal(groups[0].byte_count, 300);
    assert_int_equal(groups[0].n_buckets, 2);
    assert_int_equal(groups[0].buckets[1].packet_count, 2);
    assert_int_equal(groups[0].buckets[1].byte_count, 120);
    free(m.data);

    assert_int_equal(decode_stats(GROUP_DESC_REPLY_13, PX_OF_STATS_GROUP_DESC,
                                  &st, descs, sizeof descs, fields, &m),
                     1);
    assert_int_equal(descs[0].group_id, 7);
    assert_int_equal(descs[0].type, PX_OF_GROUP_SELECT);
    assert_int_equal(descs[0].n_buckets, 2);
    assert_int_equal(descs[0].raw_buckets_len, 64);
    assert_int_equal(px_get_be16(descs[0].raw_buckets + 2), 60); /* weight */
    assert_int_equal(descs[0].buckets[0].weight, 60);
    assert_int_equal(descs[0].buckets[1].weight, 40);
    assert_int_equal(descs[0].buckets[1].watch_port, PX_OF_PORT_ANY);
    assert_int_equal(descs[0].buckets[1].watch_group, PX_OF_GROUP_ANY);
    assert_int_equal(descs[0].buckets[1].n_actions, 1);
    assert_int_equal(descs[0].buckets[1].actions[0].type, PX_OF_ACTION_OUTPUT);
    assert_int_equal(descs[0].buckets[1].actions[0].port, 2);
    free(m.data);

    assert_int_equal(decode_stats(METER_STATS_REPLY_13, PX_OF_STATS_METER, &st,
                                  meters, sizeof meters, fields, &m),
                     1);
    assert_int_equal(meters[0].meter_id, 9);
    assert_int_equal(meters[0].flow_count, 1);
    assert_int_equal(meters[0].packet_in_count, 4);
    assert_int_equal(meters[0].byte_in_count, 400);
    assert_int_equal(meters[0].duration_sec, 3);
    assert_int_equal(meters[0].n_bands, 1);
    assert_int_equal(meters[0].bands[0].byte_count, 100);
    free(m.data);

    assert_int_equal(decode_stats(METER_CONFIG_REPLY_13,
                                  PX_OF_STATS_METER_CONFIG, &st, configs,
                                  sizeof configs, fields, &m),
                     1);
    assert_int_equal(configs[0].meter_id, 9);
    assert_int_equal(configs[0].flags, PX_OF_METER_KBPS | PX_OF_METER_BURST);
    assert_int_equal(configs[0].n_bands, 1);
    assert_int_equal(configs[0].bands[0].type, PX_OF_BAND_DROP);
    assert_int_equal(configs[0].bands[0].rate, 1000);
    assert_int_equal(configs[0].bands[0].burst_size, 100);
    free(m.data);

    /* A bucket counter cut short, a bucket past its group: refused. */
    m = load(GROUP_STATS_REPLY_13);
    {
        struct of_stats_room room;
        const char *why = NULL;

        assert_int_equal(of_stats_count(4, PX_OF_STATS_GROUP, m.data + 16,
                                        m.len - 16 - 8, &room, &why),
                         EPROTO);
        assert_non_null(why);
        m.data[16 + 1] = 64; /* Its length: 64, not 72, cuts a counter. */
        assert_int_equal(of_stats_count(4, PX_OF_STATS_GROUP, m.data + 16,
                                        m.len - 16, &room, &why),
                         EPROTO);
        /* 1.0 has no groups. */
        assert_int_equal(of_stats_count(1, PX_OF_STATS_GROUP, m.data + 16,
                                        m.len - 16, &room, &why),
                         EPROTO);
    }
    free(m.data);
}

/* Writes instructions 'in' for 'version' into 'buf'; returns the length. */
static size_t
put_instr(uint8_t version, const struct px_of_instruction *in, size_t n,
          uint8_t *buf, size_t cap)
{
    struct writer w = writer_init(buf, cap);

    of_put_instructions(&w, version, in, n);
    assert_int_equal(w.error, 0);
    return w.len;
}

/* Decodes 'len' bytes of instructions in two passes, as ofp_stats.c does:
 * counting, then into exactly the room counted (heap arrays, so that ASan
 * sees a write past them).  The caller frees 'l''s arrays. */
static int
decode_instr(uint8_t version, const uint8_t *p, size_t len, uint8_t proto,
             struct of_action_lists *l, const struct px_of_instruction **in,
             size_t *n)
{
    struct of_action_lists count = {NULL};
    const char *why = NULL;
    int error =
        of_decode_instructions(version, p, len, proto, &count, in, n, &why);

    memset(l, 0, sizeof *l);
    if (error) {
        assert_int_equal(error, EPROTO);
        assert_non_null(why);
        return error;
    }
    assert_null(*in);
    l->instructions =
        calloc(count.n_instructions + 1, sizeof *l->instructions);
    l->actions = calloc(count.n_actions + 1, sizeof *l->actions);
    l->fields = calloc(count.n_fields + 1, sizeof *l->fields);
    assert_int_equal(
        of_decode_instructions(version, p, len, proto, l, in, n, &why), 0);
    assert_int_equal(l->n_instructions, count.n_instructions);
    assert_int_equal(l->n_actions, count.n_actions);
    assert_int_equal(l->n_fields, count.n_fields);
    return 0;
}

static void
free_lists(struct of_action_lists *l)
{
    free(l->instructions);
    free(l->actions);
    free(l->fields);
}

/* Instructions written, read back and written again: the same bytes, and
 * the decoded lists say what was written. */
static void
test_actions_decode(void **state)
{
    /* A vendor action (a Nicira resubmit) and an experimenter instruction,
     * both whole. */
    static const uint8_t nx13[16] = {0xff, 0xff, 0, 16, 0, 0,
                                     0x23, 0x20, 0, 1,  0, 5};
    static const uint8_t exp_instr[16] = {0xff, 0xff, 0, 16, 0, 0,
                                          0x23, 0x20, 0, 0,  0, 7};
    /* What the SDK has no name for: PUSH_PBB, and a SET_FIELD of
     * NXM_NX_REG0 (class 1). */
    static const uint8_t pbb[8] = {0, 26, 0, 8, 0x88, 0xe7};
    static const uint8_t nx_set[16] = {0, 25, 0, 16, 0, 1, 0, 4, 0, 0, 0, 9};
    struct px_of_field set[4];
    struct px_of_action a[14], b[2];
    struct px_of_instruction in[7];
    const struct px_of_instruction *d;
    struct of_action_lists l;
    uint8_t buf[1024], again[1024];
    size_t len, n, i;

    (void)state;
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memset(in, 0, sizeof in);
    set[0] = px_of_field_u64(PX_OF_F_MPLS_LABEL, 100);
    set[1] = px_of_field_u64(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT | 20);
    set[2] = px_of_field_bytes(
        PX_OF_F_IPV6_ND_TARGET,
        (const uint8_t[16]){0x20, 1, 0x0d, 0xb8, [15] = 9}, NULL);
    a[0].type = PX_OF_ACTION_POP_VLAN;
    a[1].type = PX_OF_ACTION_PUSH_MPLS;
    a[1].ethertype = 0x8847;
    a[2].type = PX_OF_ACTION_SET_FIELD;
    a[2].field = &set[0];
    a[3].type = PX_OF_ACTION_SET_MPLS_TTL;
    a[3].arg = 9;
    a[4].type = PX_OF_ACTION_DEC_MPLS_TTL;
    a[5].type = PX_OF_ACTION_POP_MPLS;
    a[5].ethertype = 0x0800;
    a[6].type = PX_OF_ACTION_PUSH_VLAN;
    a[6].ethertype = 0x88a8;
    a[7].type = PX_OF_ACTION_SET_FIELD;
    a[7].field = &set[1];
    a[8].type = PX_OF_ACTION_SET_FIELD;
    a[8].field = &set[2];
    a[9].type = PX_OF_ACTION_COPY_TTL_OUT;
    a[10].type = PX_OF_ACTION_COPY_TTL_IN;
    a[11].type = PX_OF_ACTION_EXPERIMENTER;
    a[11].data = nx13;
    a[11].data_len = sizeof nx13;
    a[12].type = PX_OF_ACTION_GROUP;
    a[12].arg = 7;
    a[13].type = PX_OF_ACTION_OUTPUT;
    a[13].port = PX_OF_PORT_CONTROLLER;
    a[13].max_len = 128;
    b[0].type = PX_OF_ACTION_SET_QUEUE;
    b[0].arg = 3;
    b[1].type = PX_OF_ACTION_SET_NW_TTL;
    b[1].arg = 64;
    in[0].type = PX_OF_INSTR_METER;
    in[0].meter_id = 9;
    in[1].type = PX_OF_INSTR_APPLY_ACTIONS;
    in[1].n_actions = 14;
    in[1].actions = a;
    in[2].type = PX_OF_INSTR_CLEAR_ACTIONS;
    in[3].type = PX_OF_INSTR_WRITE_ACTIONS;
    in[3].n_actions = 2;
    in[3].actions = b;
    in[4].type = PX_OF_INSTR_WRITE_METADATA;
    in[4].metadata = 0x100;
    in[4].metadata_mask = 0xf00;
    in[5].type = PX_OF_INSTR_GOTO_TABLE;
    in[5].table_id = 3;
    in[6].type = PX_OF_INSTR_RAW;
    in[6].data = exp_instr;
    in[6].data_len = sizeof exp_instr;

    len = put_instr(4, in, 7, buf, sizeof buf);
    assert_int_equal(decode_instr(4, buf, len, 0, &l, &d, &n), 0);
    assert_int_equal(n, 7);
    for (i = 0; i < n; i++) {
        assert_int_equal(d[i].type, in[i].type);
        assert_int_equal(d[i].n_actions, in[i].n_actions);
    }
    assert_int_equal(d[0].meter_id, 9);
    assert_int_equal(d[4].metadata, 0x100);
    assert_int_equal(d[4].metadata_mask, 0xf00);
    assert_int_equal(d[5].table_id, 3);
    assert_int_equal(d[6].data_len, 16);
    assert_memory_equal(d[6].data, exp_instr, 16);
    for (i = 0; i < 14; i++) {
        const struct px_of_action *x = &d[1].actions[i];

        assert_int_equal(x->type, a[i].type);
        assert_int_equal(x->arg, a[i].arg);
        assert_int_equal(x->ethertype, a[i].ethertype);
        if (x->type == PX_OF_ACTION_SET_FIELD) {
            assert_int_equal(x->field->id, a[i].field->id);
            assert_memory_equal(x->field->value, a[i].field->value,
                                px_of_field_width(x->field->id));
        }
    }
    assert_int_equal(d[1].actions[13].port, PX_OF_PORT_CONTROLLER);
    assert_int_equal(d[1].actions[13].max_len, 128);
    assert_memory_equal(d[1].actions[11].data, nx13, sizeof nx13);
    assert_int_equal(d[3].actions[0].arg, 3);
    assert_int_equal(d[3].actions[1].arg, 64);
    /* Sent back as they came. */
    assert_int_equal(put_instr(4, d, n, again, sizeof again), len);
    assert_memory_equal(again, buf, len);
    free_lists(&l);

    /* Every cut: whole instructions before it, or EPROTO. */
    for (i = 0; i < len; i++) {
        if (decode_instr(4, buf, i, 0, &l, &d, &n) == 0) {
            assert_true(n < 7);
        }
        free_lists(&l);
    }

    /* What has no name is RAW, and goes back as it came. */
    memcpy(buf, pbb, sizeof pbb);
    memcpy(buf + 8, nx_set, sizeof nx_set);
    {
        uint8_t apply[8 + sizeof pbb + sizeof nx_set] = {0, 4, 0, 32};

        memcpy(apply + 8, buf, sizeof pbb + sizeof nx_set);
        assert_int_equal(decode_instr(4, apply, sizeof apply, 0, &l, &d, &n),
                         0);
        assert_int_equal(n, 1);
        assert_int_equal(d[0].n_actions, 2);
        assert_int_equal(d[0].actions[0].type, PX_OF_ACTION_RAW);
        assert_int_equal(d[0].actions[0].data_len, 8);
        assert_int_equal(d[0].actions[1].type, PX_OF_ACTION_RAW);
        assert_int_equal(d[0].actions[1].data_len, 16);
        assert_int_equal(put_instr(4, d, n, again, sizeof again),
                         sizeof apply);
        assert_memory_equal(again, apply, sizeof apply);
        free_lists(&l);
    }

    /* Malformed: each closes the switch's reply with a reason. */
    {
        static const char *const bad[] = {
            "0004000c 00000000 00000000",          /* Not a multiple of 8. */
            "00040010 00000000 00000008 00000001", /* OUTPUT of 8 bytes. */
            "00040010 00000000 00190008 80000cff", /* SET_FIELD overruns. */
            "00040010 00000000 00190010 80000c01 00000000", /* Cut short. */
            "00020010 00000000 00000000 00000000", /* WRITE_METADATA 16. */
            "00010010 00000000 00000000 00000000", /* GOTO_TABLE 16. */
            "00040010 00000000 00160010 00000007 00000000 00000000",
            "00040008 00000000 00000000", /* 4 bytes past the last. */
        };

        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            struct msg m = load(bad[i]);
            int error = decode_instr(4, m.data, m.len, 0, &l, &d, &n);

            assert_int_equal(error, EPROTO);
            free_lists(&l);
            free(m.data);
        }
    }
}

/* 1.0's actions: one APPLY_ACTIONS of them, SET_* as SET_FIELD (the
 * transport ports UDP's when the match says UDP), ENQUEUE as SET_QUEUE and
 * OUTPUT, and written back to the same bytes. */
static void
test_actions_decode_10(void **state)
{
    static const uint8_t nx[16] = {0xff, 0xff, 0, 16, 0, 0,
                                   0x23, 0x20, 0, 1,  0, 5};
    struct px_of_field set[7];
    struct px_of_action a[11];
    struct px_of_instruction in = {.type = PX_OF_INSTR_APPLY_ACTIONS};
    const struct px_of_instruction *d;
    struct of_action_lists l;
    uint8_t buf[512], again[512];
    size_t len, n, i;

    (void)state;
    memset(a, 0, sizeof a);
    set[0] = px_of_field_bytes(PX_OF_F_ETH_SRC,
                               (const uint8_t[6]){2, 0, 0, 0, 0, 1}, NULL);
    set[1] = px_of_field_u64(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT | 10);
    set[2] = px_of_field_u64(PX_OF_F_VLAN_PCP, 5);
    set[3] = px_of_field_u64(PX_OF_F_IPV4_SRC, 0x0a000001);
    set[4] = px_of_field_u64(PX_OF_F_IP_DSCP, 46);
    set[5] = px_of_field_u64(PX_OF_F_UDP_SRC, 5353);
    set[6] = px_of_field_u64(PX_OF_F_UDP_DST, 53);
    for (i = 0; i < 7; i++) {
        a[i].type = PX_OF_ACTION_SET_FIELD;
        a[i].field = &set[i];
    }
    a[7].type = PX_OF_ACTION_POP_VLAN;
    a[8].type = PX_OF_ACTION_SET_QUEUE;
    a[8].arg = 4;
    a[9].type = PX_OF_ACTION_OUTPUT;
    a[9].port = 2;
    a[10].type = PX_OF_ACTION_EXPERIMENTER;
    a[10].data = nx;
    a[10].data_len = sizeof nx;
    in.n_actions = 11;
    in.actions = a;
    len = put_instr(1, &in, 1, buf, sizeof buf);
    assert_int_equal(decode_instr(1, buf, len, 17, &l, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].type, PX_OF_INSTR_APPLY_ACTIONS);
    assert_int_equal(d[0].n_actions, 11);
    for (i = 0; i < 11; i++) {
        const struct px_of_action *x = &d[0].actions[i];

        assert_int_equal(x->type, a[i].type);
        if (x->type == PX_OF_ACTION_SET_FIELD) {
            assert_int_equal(x->field->id, a[i].field->id);
            assert_memory_equal(x->field->value, a[i].field->value,
                                px_of_field_width(x->field->id));
        }
    }
    assert_int_equal(d[0].actions[8].arg, 4);
    assert_int_equal(d[0].actions[9].port, 2);
    assert_int_equal(put_instr(1, d, n, again, sizeof again), len);
    assert_memory_equal(again, buf, len);
    free_lists(&l);
    /* Without UDP in the match, the ports are TCP's. */
    assert_int_equal(decode_instr(1, buf, len, 6, &l, &d, &n), 0);
    assert_int_equal(d[0].actions[5].field->id, PX_OF_F_TCP_SRC);
    assert_int_equal(d[0].actions[6].field->id, PX_OF_F_TCP_DST);
    free_lists(&l);
    /* No actions: no instruction (a flow that drops). */
    assert_int_equal(decode_instr(1, buf, 0, 0, &l, &d, &n), 0);
    assert_int_equal(n, 0);
    free_lists(&l);
    /* A 1.0 OUTPUT of 16 bytes is malformed. */
    {
        struct msg m = load("00000010 00010000 00000000 00000000");

        assert_int_equal(decode_instr(1, m.data, m.len, 0, &l, &d, &n),
                         EPROTO);
        free_lists(&l);
        free(m.data);
    }
}

/* Buckets of a group description, with a bucket of a bad length refused. */
static void
test_buckets_decode(void **state)
{
    struct msg m = load(GROUP_DESC_REPLY_13);
    const uint8_t *body = m.data + 16 + 8; /* Past the group's header. */
    size_t len = m.len - 16 - 8, n;
    struct px_of_bucket buckets[2];
    struct px_of_action actions[2];
    struct of_action_lists l = {.actions = actions, .buckets = buckets};
    struct of_action_lists count = {NULL};
    const struct px_of_bucket *b;
    const char *why = NULL;

    (void)state;
    assert_int_equal(of_decode_buckets(body, len, &count, &b, &n, &why), 0);
    assert_int_equal(count.n_buckets, 2);
    assert_int_equal(count.n_actions, 2);
    assert_int_equal(of_decode_buckets(body, len, &l, &b, &n, &why), 0);
    assert_int_equal(n, 2);
    assert_ptr_equal(b, buckets);
    assert_int_equal(b[0].weight, 60);
    assert_int_equal(b[0].actions[0].port, 1);
    assert_int_equal(b[1].actions[0].port, 2);
    m.data[16 + 8 + 1] = 8; /* The first bucket: 8 bytes, short of one. */
    memset(&count, 0, sizeof count);
    assert_int_equal(of_decode_buckets(body, len, &count, &b, &n, &why),
                     EPROTO);
    assert_non_null(why);
    free(m.data);
}

static void
test_flow_mod_invalid(void **state)
{
    struct px_of_flow_mod fm;
    uint8_t buf[MAX_MSG];

    (void)state;
    /* 1.3 cannot express an OXM field whose prerequisite is missing (the
     * switch would refuse it); 1.0 has no such rule on the wire. */
    fm = fm_add;
    fm.match.fields &= ~PX_OF_MATCH_DL_TYPE;
    assert_int_equal(fm_error(4, &fm), EOPNOTSUPP);
    assert_int_not_equal(fm_len(buf, sizeof buf, 1, 1, &fm), 0);

    fm = fm_add;
    fm.match.dl_type = 0x86dd; /* IPv4 addresses in IPv6. */
    assert_int_equal(fm_error(4, &fm), EOPNOTSUPP);
    fm.match.fields &= ~(PX_OF_MATCH_NW_SRC | PX_OF_MATCH_NW_DST);
    assert_int_not_equal(fm_len(buf, sizeof buf, 4, 1, &fm), 0);

    fm = fm_add;
    fm.match.fields &= ~PX_OF_MATCH_NW_PROTO; /* Ports of what? */
    assert_int_equal(fm_error(4, &fm), EOPNOTSUPP);
    fm = fm_add;
    fm.match.nw_proto = 1; /* ICMP has no TCP/UDP ports. */
    assert_int_equal(fm_error(4, &fm), EOPNOTSUPP);
    fm.match.fields &= ~(PX_OF_MATCH_TP_SRC | PX_OF_MATCH_TP_DST);
    assert_int_not_equal(fm_len(buf, sizeof buf, 4, 1, &fm), 0);

    fm = fm_add;
    fm.match.dl_type = 0x0806; /* IP_PROTO needs IPv4 or IPv6. */
    fm.match.fields &= ~(PX_OF_MATCH_NW_SRC | PX_OF_MATCH_NW_DST |
                         PX_OF_MATCH_TP_SRC | PX_OF_MATCH_TP_DST);
    assert_int_equal(fm_error(4, &fm), EOPNOTSUPP);

    /* A VLAN id over 12 bits, in both versions. */
    fm = fm_add;
    fm.match.dl_vlan = 0x1000;
    assert_int_equal(fm_error(4, &fm), EINVAL);
    assert_int_equal(fm_error(1, &fm), EINVAL);

    /* A command past DELETE_STRICT, an unknown action, a version, a 1.0
     * port out of reach. */
    fm = fm_add;
    fm.command = 5;
    assert_int_equal(fm_error(4, &fm), EINVAL);
    fm = fm_add;
    fm.actions = &(const struct px_of_action){.type = 99};
    fm.n_actions = 1;
    assert_int_equal(fm_error(4, &fm), EINVAL);
    assert_int_equal(fm_error(1, &fm), EINVAL);
    assert_int_equal(fm_error(2, &fm_add), EINVAL);
    assert_int_equal(fm_error(4, NULL), EINVAL);
    fm = fm_add;
    fm.match.in_port = 0x12345;
    assert_int_equal(fm_error(1, &fm), EOPNOTSUPP);
    assert_int_not_equal(fm_len(buf, sizeof buf, 4, 1, &fm), 0);
}

/* The request encoders tell the causes apart, so that the openflow plugin
 * counts them apart and the publisher learns which it was: a request that
 * does not fit (ENOBUFS) is not one that no buffer could hold (EMSGSIZE),
 * nor one the version cannot express (EOPNOTSUPP), nor a malformed one
 * (EINVAL), and the last three are reported whatever the room. */
static void
test_request_errors_distinct(void **state)
{
    static uint8_t frame[OF_MAX_MESSAGE + 1];
    static uint8_t buf[OF_MAX_MESSAGE];
    struct px_of_action far = {.type = PX_OF_ACTION_OUTPUT, .port = 0x10000};
    struct px_of_packet_out po = {
        .buffer_id = PX_OF_NO_BUFFER,
        .in_port = PX_OF_PORT_CONTROLLER,
        .n_actions = 1,
        .actions = &flood,
        .frame = frame,
    };
    struct px_of_flow_mod fm;
    const char *why_full = NULL, *why_long = NULL, *why_bad = NULL,
               *why_unsup = NULL;
    size_t len, cap;

    (void)state;
    /* A 1.0 packet-out is 16 bytes, its output action 8: the largest frame
     * is 65535 - 24 bytes.  That one fits a buffer of its size exactly and
     * no smaller; one byte more fits no OpenFlow message, whatever the
     * buffer. */
    po.frame_len = OF_MAX_MESSAGE - 24;
    assert_int_equal(po_len(buf, sizeof buf, 1, 1, &po), OF_MAX_MESSAGE);
    assert_int_equal(po_error_cap(OF_MAX_MESSAGE - 1, 1, &po), ENOBUFS);
    assert_int_equal(of_encode_packet_out(buf, 100, 1, 1, &po,
                                          sizeof(struct px_of_packet_out),
                                          &len, &why_full),
                     ENOBUFS);
    po.frame_len++;
    for (cap = 0; cap <= OF_MAX_MESSAGE; cap += 4369) {
        assert_int_equal(po_error_cap(cap, 1, &po), EMSGSIZE);
    }
    assert_int_equal(of_encode_packet_out(buf, 100, 1, 1, &po,
                                          sizeof(struct px_of_packet_out),
                                          &len, &why_long),
                     EMSGSIZE);
    po.frame_len = 60;
    assert_int_equal(po_error_cap(40, 4, &po), ENOBUFS);

    /* What 1.0 cannot express is EOPNOTSUPP in any buffer, even one too
     * small for the part before the offending field: the match's in_port
     * comes first in a 1.0 flow_mod, its actions last (after 72 bytes). */
    fm = fm_add;
    fm.match.in_port = 0x12345;
    for (cap = 0; cap <= 80; cap += 8) {
        assert_int_equal(fm_error_cap(cap, 1, &fm), EOPNOTSUPP);
    }
    fm = fm_add;
    fm.n_actions = 1;
    fm.actions = &far;
    for (cap = 0; cap <= 80; cap += 8) {
        assert_int_equal(fm_error_cap(cap, 1, &fm), EOPNOTSUPP);
    }
    assert_int_equal(of_encode_flow_mod(buf, 8, 1, 1, &fm,
                                        sizeof(struct px_of_flow_mod), &len,
                                        &why_unsup),
                     EOPNOTSUPP);
    assert_int_equal(len, 0);
    /* 1.3 has 32-bit ports: the same request is only short of room. */
    assert_int_equal(fm_error_cap(8, 4, &fm), ENOBUFS);
    assert_int_not_equal(fm_len(buf, sizeof buf, 4, 1, &fm), 0);

    /* Malformed is EINVAL in any buffer. */
    fm = fm_add;
    fm.actions = NULL;
    for (cap = 0; cap <= 200; cap += 8) {
        assert_int_equal(fm_error_cap(cap, 1, &fm), EINVAL);
        assert_int_equal(fm_error_cap(cap, 4, &fm), EINVAL);
    }
    assert_int_equal(of_encode_flow_mod(buf, 8, 4, 1, &fm,
                                        sizeof(struct px_of_flow_mod), &len,
                                        &why_bad),
                     EINVAL);

    /* Each cause has its own reason, for the log and the publisher. */
    assert_non_null(why_full);
    assert_non_null(why_long);
    assert_non_null(why_bad);
    assert_non_null(why_unsup);
    assert_string_not_equal(why_full, why_long);
    assert_string_not_equal(why_full, why_bad);
    assert_string_not_equal(why_full, why_unsup);
    assert_string_not_equal(why_long, why_bad);
    assert_string_not_equal(why_long, why_unsup);
    assert_string_not_equal(why_bad, why_unsup);
    assert_non_null(strstr(why_unsup, "1.0"));
}

/* Every decoder refuses every message but its own, and versions other
 * than 1.0 and 1.3 (HELLO aside). */
static void
test_wrong_type_or_version(void **state)
{
    static const char *const fixtures[] = {
        HELLO,
        OVS_HELLO_DEFAULT,
        OVS_ERROR_10,
        OVS_ERROR_13,
        ECHO_REQUEST_13,
        FEATURES_REQUEST_10,
        SET_CONFIG_13,
        PORT_DESC_REQUEST,
        TABLE_MISS,
        BARRIER_REQUEST_10,
        BARRIER_REQUEST_13,
        PACKET_OUT_10,
        FLOW_MOD_ADD_13,
        OVS_FEATURES_REPLY_10,
        OVS_FEATURES_REPLY_13,
        OVS_PORT_DESC_REPLY,
        OVS_PACKET_IN_13,
        OVS_PACKET_IN_10,
        OVS_PORT_STATUS_ADD_13,
        OVS_PORT_STATUS_MODIFY_10,
    };
    static const struct {
        decode_fn *decode;
        uint8_t type;
        uint8_t only_version; /* 0: 1.0 and 1.3. */
    } decoders[] = {
        {dec_hello, OF_HELLO, 0},
        {dec_error, OF_ERROR, 0},
        {dec_features_reply, OF_FEATURES_REPLY, 0},
        {dec_port_desc_reply, OF_MULTIPART_REPLY_13, PX_OF_VERSION_13},
        {dec_packet_in, OF_PACKET_IN, 0},
        {dec_port_status, OF_PORT_STATUS, 0},
    };
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        for (j = 0; j < sizeof decoders / sizeof decoders[0]; j++) {
            struct msg m = load(fixtures[i]);
            bool own = m.data[1] == decoders[j].type &&
                       (!decoders[j].only_version ||
                        m.data[0] == decoders[j].only_version);
            const char *why = NULL;
            int error = decoders[j].decode(m.data, m.len, &why);

            if (own) {
                assert_int_equal(error, 0);
            } else {
                assert_eproto(error, why);
            }

            /* Versions 1.1 and 1.4. */
            m.data[0] = 2;
            error = decoders[j].decode(m.data, m.len, NULL);
            assert_int_equal(
                error, own && decoders[j].decode == dec_hello ? 0 : EPROTO);
            m.data[0] = 5;
            error = decoders[j].decode(m.data, m.len, NULL);
            assert_int_equal(
                error, own && decoders[j].decode == dec_hello ? 0 : EPROTO);
            msg_free(&m);
        }
    }
    for (j = 0; j < sizeof decoders / sizeof decoders[0]; j++) {
        const char *why = NULL;

        assert_eproto(decoders[j].decode(NULL, 0, &why), why);
    }
}

/* The wire structs (ofp_wire.h) have the spec's sizes, which the header
 * asserts at build time, and their fields sit at the spec's offsets, which
 * a size alone does not show (two fields swapped keep it): these are the
 * offsets the fixtures above put each field at. */
static void
test_wire_layout(void **state)
{
    static const struct {
        const char *name;
        size_t got, want;
    } cases[] = {
#define SIZE(S, N) {"sizeof " #S, sizeof(struct S), (N)}
#define AT(S, F, N)                                                           \
    {                                                                         \
#S "." #F, offsetof(struct S, F), (N)                                 \
    }
        SIZE(ofp_header, 8),
        AT(ofp_header, length, 2),
        AT(ofp_header, xid, 4),
        SIZE(ofp_switch_config, 12),
        AT(ofp_switch_config, miss_send_len, 10),
        SIZE(ofp_error_msg, 12),
        AT(ofp_error_msg, code, 10),
        SIZE(ofp_hello_elem_header, 4),
        SIZE(ofp_hello_elem_versionbitmap, 4),
        /* 1.0. */
        SIZE(ofp10_phy_port, 48),
        AT(ofp10_phy_port, name, 8),
        AT(ofp10_phy_port, config, 24),
        AT(ofp10_phy_port, curr, 32),
        AT(ofp10_phy_port, peer, 44),
        SIZE(ofp10_match, 40),
        AT(ofp10_match, dl_src, 6),
        AT(ofp10_match, dl_vlan, 18),
        AT(ofp10_match, dl_type, 22),
        AT(ofp10_match, nw_proto, 25),
        AT(ofp10_match, nw_src, 28),
        AT(ofp10_match, tp_dst, 38),
        SIZE(ofp10_action_output, 8),
        SIZE(ofp10_action_dl_addr, 16),
        SIZE(ofp10_switch_features, 32),
        AT(ofp10_switch_features, n_tables, 20),
        AT(ofp10_switch_features, capabilities, 24),
        AT(ofp10_switch_features, ports, 32),
        SIZE(ofp10_flow_mod, 72),
        AT(ofp10_flow_mod, match, 8),
        AT(ofp10_flow_mod, cookie, 48),
        AT(ofp10_flow_mod, buffer_id, 64),
        AT(ofp10_flow_mod, out_port, 68),
        SIZE(ofp10_packet_out, 16),
        AT(ofp10_packet_out, actions_len, 14),
        AT(ofp10_packet_in, in_port, 14),
        AT(ofp10_packet_in, reason, 16),
        AT(ofp10_packet_in, data, 18),
        SIZE(ofp10_port_status, 64),
        AT(ofp10_port_status, desc, 16),
        /* 1.3. */
        SIZE(ofp13_port, 64),
        AT(ofp13_port, hw_addr, 8),
        AT(ofp13_port, name, 16),
        AT(ofp13_port, curr, 40),
        AT(ofp13_port, max_speed, 60),
        SIZE(ofp13_match, 8),
        AT(ofp13_match, oxm_fields, 4),
        SIZE(ofp13_oxm_header, 4),
        SIZE(ofp13_instruction_actions, 8),
        SIZE(ofp13_action_output, 16),
        AT(ofp13_action_output, max_len, 8),
        SIZE(ofp13_action_set_field, 8),
        SIZE(ofp13_switch_features, 32),
        AT(ofp13_switch_features, auxiliary_id, 21),
        AT(ofp13_switch_features, capabilities, 24),
        SIZE(ofp13_flow_mod, 56),
        AT(ofp13_flow_mod, table_id, 24),
        AT(ofp13_flow_mod, buffer_id, 32),
        AT(ofp13_flow_mod, out_group, 40),
        AT(ofp13_flow_mod, match, 48),
        SIZE(ofp13_multipart_request, 16),
        SIZE(ofp13_multipart_reply, 16),
        AT(ofp13_multipart_reply, flags, 10),
        SIZE(ofp13_packet_out, 24),
        AT(ofp13_packet_out, actions_len, 16),
        SIZE(ofp13_packet_in, 32),
        AT(ofp13_packet_in, reason, 14),
        AT(ofp13_packet_in, cookie, 16),
        AT(ofp13_packet_in, match, 24),
        SIZE(ofp13_port_status, 80),
        AT(ofp13_port_status, desc, 16),
#undef SIZE
#undef AT
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].got != cases[i].want) {
            fail_msg("%s is %zu, the spec says %zu", cases[i].name,
                     cases[i].got, cases[i].want);
        }
    }
    /* The 1.0 packet-in's frame starts 2 bytes before the spec's sizeof
     * (20), which counts its C struct's tail padding. */
    assert_int_equal(sizeof(struct ofp10_packet_in), 18);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_frame_stream),
        cmocka_unit_test(test_hello_encode),
        cmocka_unit_test(test_hello_decode),
        cmocka_unit_test(test_hello_malformed),
        cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_error_encode),
        cmocka_unit_test(test_error_decode),
        cmocka_unit_test(test_echo),
        cmocka_unit_test(test_simple_requests),
        cmocka_unit_test(test_features_reply_10),
        cmocka_unit_test(test_features_reply_13),
        cmocka_unit_test(test_port_desc_reply),
        cmocka_unit_test(test_packet_in_13),
        cmocka_unit_test(test_packet_in_13_malformed),
        cmocka_unit_test(test_packet_in_10),
        cmocka_unit_test(test_port_status),
        cmocka_unit_test(test_special_ports),
        cmocka_unit_test(test_packet_out),
        cmocka_unit_test(test_flow_mod),
        cmocka_unit_test(test_flow_mod_l2),
        cmocka_unit_test(test_role),
        cmocka_unit_test(test_flow_mod_invalid),
        cmocka_unit_test(test_flow_mod_fields13),
        cmocka_unit_test(test_flow_mod_delete_filters),
        cmocka_unit_test(test_flow_mod_fields10),
        cmocka_unit_test(test_fields_invalid),
        cmocka_unit_test(test_actions_invalid),
        cmocka_unit_test(test_flow_mod_v3_payload),
        cmocka_unit_test(test_packet_in_match13),
        cmocka_unit_test(test_flow_removed),
        cmocka_unit_test(test_group_meter_mod),
        cmocka_unit_test(test_stats_replies),
        cmocka_unit_test(test_stats_requests),
        cmocka_unit_test(test_stats_groups_meters),
        cmocka_unit_test(test_actions_decode),
        cmocka_unit_test(test_actions_decode_10),
        cmocka_unit_test(test_buckets_decode),
        cmocka_unit_test(test_async),
        cmocka_unit_test(test_request_errors_distinct),
        cmocka_unit_test(test_wrong_type_or_version),
        cmocka_unit_test(test_wire_layout),
    };

    return cmocka_run_group_tests_name("ofp", tests, NULL, NULL);
}
