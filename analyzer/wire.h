/*
 * wire.h - the one way multi-byte fields are read from packet bytes.
 *
 * memcpy then byte-swap: no alignment assumptions, no casts of packet bytes
 * to structs. Callers check the bounds first (STYLE.md, NSD habit).
 */
#ifndef DCV_WIRE_H
#define DCV_WIRE_H

#include <stdint.h>
#include <string.h>

/* wire_read_u16() reads a big-endian 16-bit value; p must have 2 bytes. */
static inline uint16_t wire_read_u16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

/* wire_read_u32() reads a big-endian 32-bit value; p must have 4 bytes. */
static inline uint32_t wire_read_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* wire_read_u16le() / wire_read_u32le() read little-endian values (pcap
 * headers of the other byte order, Linux cooked v1 protocol in some cases). */
static inline uint16_t wire_read_u16le(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[1] << 8 | p[0]);
}

static inline uint32_t wire_read_u32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

#endif
