/*
 * ip_frag.h - IPv4 and IPv6 fragment reassembly with bounded memory.
 *
 * Internal to the analyzer: decode.c feeds every real fragment of a UDP/TCP
 * datagram here and gets the whole transport payload back once the last
 * missing piece has arrived.
 *
 * Invariants of the table (checked by frag_table_assert_ok() in debug builds):
 *  1. Every datagram in use is in exactly one hash chain and in the age list;
 *     free slots are in neither.
 *  2. The age list is in arrival order of each datagram's first fragment, so
 *     its head is the oldest (timestamps in capture order).
 *  3. pieces[0..npieces) are sorted by offset; every piece has
 *     off < avail_end <= wire_end, or off == avail_end < wire_end when the
 *     fragment was cut by the snap length before any of its data.
 *  4. bytes == sum of buf_cap over datagrams in use <= max_bytes.
 *  5. If have_last, every piece ends at or before total.
 *
 * Worst-case memory: max_datagrams * sizeof(struct frag_dgram) (under 900 B,
 * so 3.4 MiB for the default 4096) + hash buckets (4 B per slot, rounded to
 * a power of two) + max_bytes of fragment data (64 MiB default) + one 64 KiB
 * output buffer. Nothing grows past that: a new datagram evicts the oldest
 * one when all slots are used, and data that would pass max_bytes evicts the
 * oldest other datagrams first.
 */
#ifndef DCV_IP_FRAG_H
#define DCV_IP_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "decode.h"

/* Reassembly key. RFC 791: source, destination, protocol, identification.
 * RFC 8200 4.5: source, destination, fragment identification (proto = 0). */
struct frag_key {
	struct dcv_addr src, dst;
	uint32_t id;
	uint8_t proto;
	uint8_t pad_[3]; /* always zero: keys compare and hash as bytes */
};

/* One fragment as the IP layer saw it. */
struct frag_in {
	const uint8_t *data; /* fragment data (after the IP / fragment header) */
	uint32_t off;        /* offset in bytes */
	uint32_t len;        /* bytes available at data */
	uint32_t wire_len;   /* bytes the header claims (>= len; more when snap-truncated) */
	uint32_t max_end;    /* largest allowed off + wire_len for this IP version */
	bool more;           /* more fragments follow */
	uint8_t nh;          /* IPv6: next header in the fragment header (first one wins) */
};

/* A completed datagram; data lives in the table until the next frag_table_add(). */
struct frag_out {
	const uint8_t *data;
	uint32_t len;      /* contiguous bytes available from the start */
	uint32_t wire_len; /* total length of the fragmentable part */
	uint8_t nh;        /* next header of the offset-0 fragment */
};

enum { FRAG_PENDING = 0, FRAG_DONE = 1 };

struct frag_table;

/* frag_table_new() allocates a table; stats is updated by all later calls
 * and must outlive the table. 0 arguments take the DECODE_FRAG_* defaults.
 * NULL on allocation failure. */
struct frag_table *frag_table_new(uint32_t max_datagrams, uint64_t timeout_ns, size_t max_bytes,
                                  uint64_t seed, struct decoder_stats *stats);

/* frag_table_free() frees the table and every pending fragment; NULL is a no-op. */
void frag_table_free(struct frag_table *t);

/*
 * frag_table_add() stores one fragment received at ts_ns.
 * Returns FRAG_PENDING (stored or recognised as a duplicate), FRAG_DONE
 * (*out holds the reassembled datagram, which left the table), or
 * DCV_E_FRAG_OFFSET, DCV_E_FRAG_TOO_BIG (fragment rejected; the table is
 * unchanged when the fragment alone is invalid), DCV_E_FRAG_OVERLAP,
 * DCV_E_FRAG_TOO_MANY (the datagram is dropped and counted), DCV_ENOMEM.
 */
int frag_table_add(struct frag_table *t, const struct frag_key *k, uint64_t ts_ns,
                   const struct frag_in *in, struct frag_out *out);

/* frag_table_expire() drops datagrams whose first fragment is more than the
 * timeout older than now_ns; returns how many (also counted in stats). */
unsigned frag_table_expire(struct frag_table *t, uint64_t now_ns);

/* frag_table_take_partial() takes out the oldest UDP datagram whose first
 * fragment came more than after_ns before now_ns and whose offset-0 piece
 * holds at least a UDP header: *out holds its contiguous start (len; wire_len
 * = the total once the last fragment came, else the furthest end seen),
 * *key its key and *first_ts its first fragment's time. Returns FRAG_DONE
 * (counted in stats->frag_partial), or FRAG_PENDING when there is none. */
int frag_table_take_partial(struct frag_table *t, uint64_t now_ns, uint64_t after_ns,
                            struct frag_key *key, struct frag_out *out, uint64_t *first_ts);

/* frag_table_count() returns the number of datagrams pending. */
uint32_t frag_table_count(const struct frag_table *t);

#endif
