/*
 * ICMP messages the software router originates: echo replies and the
 * errors destination unreachable (net 3/0, host 3/1, port 3/3) and time
 * exceeded (11/0).
 *
 * Builders take an IPv4 datagram that the caller already validated (see
 * sr_icmp_ip_valid) and write a complete IPv4 datagram carrying the ICMP
 * message into 'buf' of 'cap' bytes, with TTL 64, a fresh header checksum
 * and a 20-byte header: IP options of the datagram answered are not copied
 * into the answer (RFC 1122 only says SHOULD for reflecting record route
 * and timestamp).  They return its length, or 0 when it does not fit or
 * the input is malformed.  Addresses are in host byte order.
 */
#ifndef SR_ICMP_H
#define SR_ICMP_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sr_proto.h"

/* Codes of destination unreachable (RFC 792). */
#define SR_ICMP_UNREACH_NET  0
#define SR_ICMP_UNREACH_HOST 1
#define SR_ICMP_UNREACH_PORT 3

/* The TTL of what the router originates. */
#define SR_ICMP_TTL 64

/* How much of the offending datagram's payload an ICMP error quotes
 * (RFC 792), as px_pkt_put_icmp_error does. */
#define SR_ICMP_QUOTE_LEN 8

/* Largest ICMP error we build: IP header, ICMP header, the quoted header
 * with 40 bytes of options and 8 bytes of payload. */
#define SR_ICMP_ERROR_MAX                                                     \
    (PX_IPV4_HDR_LEN + PX_ICMP_HDR_LEN + PX_IPV4_HDR_LEN +                    \
     PX_IPV4_MAX_OPTIONS + SR_ICMP_QUOTE_LEN)

/*
 * True if the 'len' bytes at 'ip' hold a well-formed IPv4 datagram: version
 * 4, a header length of at least 20 bytes, a total length that covers the
 * header and fits in 'len' (bytes past it are link padding), and a correct
 * header checksum.
 */
bool sr_icmp_ip_valid(const uint8_t *ip, size_t len);

/*
 * Echo reply to echo request 'req' (an IP datagram of its total length
 * 'len', options allowed): source and destination swapped, the identifier,
 * sequence number and data echoed, whatever their length.
 */
size_t sr_icmp_echo_reply(const uint8_t *req, size_t len, uint8_t *buf,
                          size_t cap);

/*
 * ICMP error 'type'/'code' about datagram 'orig' ('len' bytes, its total
 * length), from 'src': it quotes orig's header, options included, and the
 * first 8 bytes of its payload (fewer if it has fewer), and goes to orig's
 * source.
 */
size_t sr_icmp_error(uint8_t type, uint8_t code, uint32_t src,
                     const uint8_t *orig, size_t len, uint8_t *buf,
                     size_t cap);

/*
 * Whether RFC 1122 3.2.2 and RFC 1812 4.3.2.7 allow an ICMP error about
 * valid datagram 'orig': not about an ICMP error, a fragment other than
 * the first, or a datagram from an address that does not name one host
 * (0.0.0.0, loopback, broadcast, multicast or class E) or to a broadcast
 * or multicast address.
 */
bool sr_icmp_error_allowed(const uint8_t *orig, size_t len);

#endif /* sr_icmp.h */
