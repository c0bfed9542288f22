/*
 * libFuzzer target for the console plugin's frame journeys
 * (plugins/console/journey.c): every frame a switch punts and a router
 * sends goes through jny_add, and anyone on a switch port or at the VNS
 * port shapes them, so no sequence of hops may make it crash, read past a
 * frame, leak, or break a bound; and its JSON and pcap must stay well-
 * formed whatever the frames hold.
 *
 * The input: two bytes of configuration (max_journeys 1 to 8, max_hops 1
 * to 8, snaplen 64 to 319, so that the bounds are hit), then hops, each:
 *   byte 0  bits 0-1 the kind (enum jny_hop_kind), bits 2-3 where the
 *           frame comes from: 0 or 3 the input, 1 the previous hop's frame
 *           again (as vns_server passes a frame on), 2 the previous hop's
 *           frame as a router forwards it (MACs rotated, TTL one less);
 *           bits 4-5 the router and interface, bits 6-7 the port;
 *   byte 1  the time since the previous hop in ms, 255 meaning 3 s (past
 *           the short window);
 *   byte 2-3  (frames from the input only) the length, big-endian, cut to
 *           what is left, then that many bytes.
 * Each frame is handed over in a heap buffer of exactly its size, so that
 * ASan sees a read past it.  Checked with abort() on failure:
 *  - a hop recorded gives a journey whose JSON renders (valid UTF-8: the
 *    summaries and interface names are ASCII) with 1 to max_hops hops;
 *  - the stats: no more journeys held than max_journeys, no more hops
 *    than they can hold, journeys started = held + evicted, each hop given
 *    counted once as recorded, unmatched, dropped or invalid;
 *  - at the end, the list has the journeys held, oldest (lowest id) first,
 *    and dumps as text; the pcap, read back by libpcap from memory, has
 *    between one frame per journey and one per hop, each no longer than
 *    the snaplen nor its real length, in time order.
 *
 * Build: see the Makefile (fuzz_journey); run:
 *   build/fuzz/fuzz_journey -max_total_time=60 -max_len=4096 \
 *       build/fuzz/work-fuzz_journey tests/fuzz/corpus/journey
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzcheck.h"
#include "journey.h"

struct frame {
    uint8_t data[4096];
    size_t len;
};

/* 'f' as a router forwards it: destination and source MACs rotated, the
 * IPv4 TTL one less (the checksum left: the journeys do not read it). */
static void
forward(struct frame *f)
{
    uint8_t mac[6];

    if (f->len >= 12) {
        memcpy(mac, f->data, 6);
        memcpy(f->data, f->data + 6, 6);
        memcpy(f->data + 6, mac, 6);
    }
    if (f->len > 22) {
        f->data[22]--;
    }
}

static void
check_journey_json(json_t *j, size_t max_hops)
{
    json_t *hops = json_object_get(j, "hops");
    char *text;

    check(json_is_integer(json_object_get(j, "id")));
    check(json_is_string(json_object_get(j, "summary")));
    check(json_is_array(hops));
    check(json_array_size(hops) >= 1 && json_array_size(hops) <= max_hops);
    text = json_dumps(j, JSON_COMPACT);
    check(text != NULL);
    free(text);
}

static void
check_stats(const struct jny_table *t, const struct jny_config *c,
            uint64_t given)
{
    struct jny_stats s;

    jny_get_stats(t, &s);
    check(s.live <= c->max_journeys);
    check(s.live_hops >= s.live && s.live_hops <= s.live * c->max_hops);
    check(s.journeys == s.live + s.evicted);
    check(s.hops + s.unmatched + s.hops_dropped + s.invalid + s.nomem ==
          given);
    check(s.truncated <= s.hops);
}

static void
check_pcap(const struct jny_table *t, const struct jny_config *c)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *bytes;
    struct jny_stats s;
    double last = 0;
    size_t len, n = 0;
    char *data;
    pcap_t *p;
    FILE *f;

    jny_get_stats(t, &s);
    check(jny_pcap(t, &data, &len) == 0);
    f = fmemopen(data, len, "r");
    check(f != NULL);
    p = pcap_fopen_offline(f, errbuf);
    check(p != NULL);
    check(pcap_snapshot(p) == (int)c->snaplen);
    while (pcap_next_ex(p, &hdr, &bytes) == 1) {
        double ts = (double)hdr->ts.tv_sec + hdr->ts.tv_usec / 1e6;

        check(hdr->caplen <= c->snaplen && hdr->caplen <= hdr->len);
        check(hdr->caplen >= 1);
        check(ts >= last);
        last = ts;
        n++;
    }
    check(n >= s.live && n <= s.live_hops);
    pcap_close(p);
    free(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ifaces[] = {"eth1", "eth2", "eth3", NULL};
    static struct frame prev, cur;
    struct jny_config c;
    struct jny_table *t;
    json_t *list, *j;
    uint64_t given = 0, last_id = 0;
    double now = 1765000000.0;
    size_t i = 2, k;
    char *text;

    if (size < 2) {
        return 0;
    }
    memset(&c, 0, sizeof c);
    c.max_journeys = 1 + (data[0] & 7);
    c.max_hops = 1 + (data[0] >> 3 & 7);
    c.snaplen = 64 + data[1];
    check(jny_create(&c, &t) == 0);
    prev.len = 0;

    while (i + 2 <= size) {
        uint8_t b0 = data[i], b1 = data[i + 1];
        unsigned int mode = b0 >> 2 & 3;
        struct jny_hop_in in;
        const struct jny_journey *got;
        uint8_t *exact;

        i += 2;
        if (mode == 1 || mode == 2) {
            cur = prev;
            if (mode == 2) {
                forward(&cur);
            }
        } else {
            if (i + 2 > size) {
                break;
            }
            cur.len = (size_t)data[i] << 8 | data[i + 1];
            i += 2;
            if (cur.len > size - i) {
                cur.len = size - i;
            }
            memcpy(cur.data, data + i, cur.len);
            i += cur.len;
        }
        now += b1 == 255 ? 3.0 : b1 / 1000.0;
        exact = (uint8_t *)copy_input(cur.data, cur.len);
        memset(&in, 0, sizeof in);
        in.kind = (enum jny_hop_kind)(b0 & 3);
        in.t = now;
        in.dpid = 1;
        in.port = b0 >> 6;
        in.router = b0 >> 4 & 3;
        in.iface = ifaces[b0 >> 4 & 3];
        in.frame = cur.len ? exact : NULL;
        in.len = cur.len;
        got = jny_add(t, &in);
        given++;
        free(exact);
        if (got) {
            j = jny_journey_json(got);
            check(j != NULL);
            check_journey_json(j, c.max_hops);
            json_decref(j);
        }
        check_stats(t, &c, given);
        prev = cur;
    }

    list = jny_list_json(t);
    check(list != NULL);
    {
        json_t *journeys = json_object_get(list, "journeys");
        struct jny_stats s;

        jny_get_stats(t, &s);
        check(json_array_size(journeys) == s.live);
        json_array_foreach(journeys, k, j)
        {
            uint64_t id =
                (uint64_t)json_integer_value(json_object_get(j, "id"));

            check(id > last_id);
            last_id = id;
            check_journey_json(j, c.max_hops);
        }
    }
    text = json_dumps(list, 0);
    check(text != NULL);
    free(text);
    json_decref(list);
    check_pcap(t, &c);
    jny_destroy(t);
    return 0;
}
