/*
 * libFuzzer target for the software router's frame handler
 * (router/sr_router.c, with sr_arp.c, sr_icmp.c and sr_rt.c under it): the
 * code that reads every frame the switch punts to router/sr, so no frame,
 * nor any sequence of frames and clock ticks, may make it crash, over-read,
 * leak or hit undefined behaviour, or send a malformed frame.
 *
 * Each input gets a fresh router set up as in the lab (README.md, "The
 * router: router/sr"):
 * eth1 192.168.2.1, eth2 172.64.3.1, eth3 10.0.1.1, all /24, MACs
 * 02:00:00:00:01:01..03, and the lab's rtable (router/rtable).  The input
 * is a sequence of records:
 *
 *   [iface][len: 2 bytes, big-endian][len bytes of Ethernet frame]
 *       iface % 4 picks eth1, eth2, eth3, or an interface the router
 *       lacks; a len past the end of the input is cut to what is left.
 *   [0xff][ms: 2 bytes, big-endian]
 *       advances the clock by ms and calls sr_router_tick.
 *
 * Each frame is copied into a heap buffer of exactly its length, so ASan
 * sees any read past its end.  The router is destroyed after the input,
 * so frames left in the ARP queue must be freed (LeakSanitizer).
 *
 * Every frame the router sends is checked, with abort() (which libFuzzer
 * reports as a crash) on failure: it goes out of one of the three
 * interfaces, is at least an Ethernet header long, carries that
 * interface's MAC as its Ethernet source, and is ARP (with a whole IPv4
 * over Ethernet ARP body) or IPv4 (with a whole header, version 4, a
 * header length of at least 20 bytes within the frame, a total length
 * within the frame, and a valid header checksum).
 *
 * Build: clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Irouter \
 *            -fsanitize=fuzzer,address,undefined -o build/fuzz/fuzz_sr \
 *            tests/fuzz/fuzz_sr.c router/sr_rt.c router/sr_arp.c \
 *            router/sr_icmp.c router/sr_router.c
 * Run:   build/fuzz/fuzz_sr -max_total_time=60 -max_len=4096 \
 *            build/fuzz/work-fuzz_sr tests/fuzz/corpus/sr
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzcheck.h"
#include "sr_proto.h"
#include "sr_router.h"
#include "sr_rt.h"

#define N_IFACES 3

static const char *const IFACE_NAMES[N_IFACES + 1] = {"eth1", "eth2", "eth3",
                                                      "eth9"};

static const uint8_t IFACE_MACS[N_IFACES][SR_ETH_ALEN] = {
    {0x02, 0, 0, 0, 0x01, 0x01},
    {0x02, 0, 0, 0, 0x01, 0x02},
    {0x02, 0, 0, 0, 0x01, 0x03},
};

static const uint32_t IFACE_IPS[N_IFACES] = {
    0xc0a80201, /* 192.168.2.1 */
    0xac400301, /* 172.64.3.1 */
    0x0a000101, /* 10.0.1.1 */
};

/* router/rtable. */
static const char LAB_RTABLE[] =
    "192.168.2.2 192.168.2.2 255.255.255.255 eth1\n"
    "172.64.3.10 172.64.3.10 255.255.255.255 eth2\n"
    "10.0.1.100 10.0.1.100 255.255.255.255 eth3\n";

static unsigned int
get16(const uint8_t *p)
{
    return (unsigned int)p[0] << 8 | p[1];
}

/* The ones' complement sum of 'len' bytes folded to 16 bits: 0xffff over
 * an IPv4 header with a valid checksum. */
static unsigned int
ones_sum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += get16(p + i);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

static void
send_cb(void *aux, const char *iface, const uint8_t *frame, size_t len)
{
    int i;

    (void)aux;
    check(iface != NULL && frame != NULL);
    for (i = 0; i < N_IFACES; i++) {
        if (!strcmp(iface, IFACE_NAMES[i])) {
            break;
        }
    }
    check(i < N_IFACES);
    check(len >= SR_ETH_HDR_LEN);
    check(!memcmp(frame + SR_ETH_SRC, IFACE_MACS[i], SR_ETH_ALEN));

    switch (get16(frame + SR_ETH_TYPE)) {
    case SR_ETHERTYPE_ARP: {
        const uint8_t *arp = frame + SR_ETH_HDR_LEN;

        check(len >= SR_ETH_HDR_LEN + SR_ARP_LEN);
        check(get16(arp + SR_ARP_HTYPE) == SR_ARP_HTYPE_ETHER);
        check(get16(arp + SR_ARP_PTYPE) == SR_ETHERTYPE_IP);
        check(arp[SR_ARP_HLEN] == 6 && arp[SR_ARP_PLEN] == 4);
        check(!memcmp(arp + SR_ARP_SHA, IFACE_MACS[i], SR_ETH_ALEN));
        break;
    }
    case SR_ETHERTYPE_IP: {
        const uint8_t *ip = frame + SR_ETH_HDR_LEN;
        size_t room = len - SR_ETH_HDR_LEN;
        size_t hlen;

        check(room >= SR_IP_HDR_LEN);
        check(ip[SR_IP_VHL] >> 4 == 4);
        hlen = (size_t)(ip[SR_IP_VHL] & 0x0f) * 4;
        check(hlen >= SR_IP_HDR_LEN && hlen <= room);
        check(get16(ip + SR_IP_LEN) >= hlen && get16(ip + SR_IP_LEN) <= room);
        check(ones_sum(ip, hlen) == 0xffff);
        break;
    }
    default:
        abort(); /* The router sends nothing else. */
    }
}

static struct sr_router *
lab_router(void)
{
    struct sr_router *r = sr_router_create(send_cb, NULL);
    struct sr_rt *rt = NULL;
    int i;

    check(r != NULL);
    for (i = 0; i < N_IFACES; i++) {
        check(sr_router_add_iface(r, IFACE_NAMES[i], IFACE_MACS[i],
                                  IFACE_IPS[i], 0xffffff00) == 0);
    }
    check(sr_rt_parse(LAB_RTABLE, sizeof LAB_RTABLE - 1, &rt, NULL) == 0);
    sr_router_set_rt(r, rt);
    return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sr_router *r = lab_router();
    uint64_t now = 1000000; /* Far from 0, as a monotonic clock would be. */
    const struct sr_router_stats *st;

    while (size >= 3) {
        unsigned int kind = data[0];
        size_t len = get16(data + 1);

        data += 3;
        size -= 3;
        if (kind == 0xff) {
            now += len;
            sr_router_tick(r, now);
        } else {
            uint8_t *frame;

            if (len > size) {
                len = size;
            }
            frame = malloc(len ? len : 1);
            check(frame != NULL);
            memcpy(frame, data, len);
            sr_router_handle(r, IFACE_NAMES[kind % 4], frame, len, now);
            free(frame);
            data += len;
            size -= len;
        }
    }

    /* Give up on every pending ARP request: the queued datagrams become
     * host unreachable errors, which are checked too. */
    for (int i = 0; i < 6; i++) {
        now += 1000;
        sr_router_tick(r, now);
    }

    st = sr_router_stats(r);
    check(st != NULL);
    sr_router_destroy(r);
    return 0;
}
