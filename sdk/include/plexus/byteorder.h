/*
 * The one set of byte-order helpers: reading and writing big-endian
 * ("network order") integers at any alignment.  Wire codecs (OpenFlow,
 * VNS), handoff serializations and buffers all use these, so there is one
 * place to read when a field looks byte-swapped.
 *
 * They go through memcpy, which compilers turn into a single load or store
 * (and a byte swap where the machine is little-endian), and which is
 * defined for unaligned addresses (a cast to uint32_t * would not be).
 */
#ifndef PLEXUS_BYTEORDER_H
#define PLEXUS_BYTEORDER_H 1

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t
px_get_be16(const void *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof v);
    return be16toh(v);
}

static inline uint32_t
px_get_be32(const void *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof v);
    return be32toh(v);
}

static inline uint64_t
px_get_be64(const void *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
    return be64toh(v);
}

static inline void
px_put_be16(void *p, uint16_t v)
{
    v = htobe16(v);
    memcpy(p, &v, sizeof v);
}

static inline void
px_put_be32(void *p, uint32_t v)
{
    v = htobe32(v);
    memcpy(p, &v, sizeof v);
}

static inline void
px_put_be64(void *p, uint64_t v)
{
    v = htobe64(v);
    memcpy(p, &v, sizeof v);
}

#endif /* PLEXUS_BYTEORDER_H */
