/* test_pcapng_read.c - pcapng files with several link types: the reader of
 * pcapng_read.c on files built byte by byte (both byte orders, timestamp
 * resolutions and offsets, every packet block kind, damage), and
 * cap_file_open() reading on where libpcap refuses such a file. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_file.h"
#include "pcapng_read.h"
#include "test_support.h"

/* ---- a pcapng image, written in either byte order ---- */

struct img {
	uint8_t b[16384];
	size_t n;
	bool be; /* big-endian section */
};

static void put16(struct img *m, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	if (m->be)
		x[0] = (uint8_t)(v >> 8), x[1] = (uint8_t)v;
	memcpy(m->b + m->n, x, 2);
	m->n += 2;
}

static void put32(struct img *m, uint32_t v)
{
	if (m->be) {
		put16(m, (uint16_t)(v >> 16));
		put16(m, (uint16_t)v);
	} else {
		put16(m, (uint16_t)v);
		put16(m, (uint16_t)(v >> 16));
	}
}

static void put64(struct img *m, uint64_t v)
{
	if (m->be) {
		put32(m, (uint32_t)(v >> 32));
		put32(m, (uint32_t)v);
	} else {
		put32(m, (uint32_t)v);
		put32(m, (uint32_t)(v >> 32));
	}
}

static void put_bytes(struct img *m, const void *p, size_t len)
{
	memcpy(m->b + m->n, p, len);
	m->n += len;
	while (m->n % 4 != 0)
		m->b[m->n++] = 0;
}

/* Starts a block of type; returns where its length goes. */
static size_t block_start(struct img *m, uint32_t type)
{
	put32(m, type);
	size_t at = m->n;
	put32(m, 0);
	return at;
}

/* Ends the block whose length goes at len_at (start: len_at - 4). */
static void block_end(struct img *m, size_t len_at)
{
	uint32_t total = (uint32_t)(m->n - (len_at - 4) + 4);
	size_t keep = m->n;
	m->n = len_at;
	put32(m, total);
	m->n = keep;
	put32(m, total);
}

static void shb(struct img *m, bool be)
{
	m->be = be;
	size_t at = block_start(m, 0x0A0D0D0A);
	put32(m, 0x1A2B3C4D);
	put16(m, 1);
	put16(m, 0);
	put64(m, UINT64_MAX); /* section length unknown */
	block_end(m, at);
}

/* An interface; tsresol < 0: no if_tsresol option; tsoffset 0: none. */
static void idb(struct img *m, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
	size_t at = block_start(m, 1);
	put16(m, linktype);
	put16(m, 0);
	put32(m, snaplen);
	if (tsresol >= 0) {
		put16(m, 9);
		put16(m, 1);
		uint8_t v = (uint8_t)tsresol;
		put_bytes(m, &v, 1);
	}
	if (tsoffset != 0) {
		put16(m, 14);
		put16(m, 8);
		put64(m, (uint64_t)tsoffset);
	}
	put16(m, 0); /* opt_endofopt */
	put16(m, 0);
	block_end(m, at);
}

static void epb(struct img *m, uint32_t iface, uint64_t ts, const void *data, uint32_t caplen,
                uint32_t origlen)
{
	size_t at = block_start(m, 6);
	put32(m, iface);
	put32(m, (uint32_t)(ts >> 32));
	put32(m, (uint32_t)ts);
	put32(m, caplen);
	put32(m, origlen);
	put_bytes(m, data, caplen);
	block_end(m, at);
}

static void spb(struct img *m, const void *data, uint32_t len)
{
	size_t at = block_start(m, 3);
	put32(m, len);
	put_bytes(m, data, len);
	block_end(m, at);
}

static void pb(struct img *m, uint16_t iface, uint64_t ts, const void *data, uint32_t len)
{
	size_t at = block_start(m, 2);
	put16(m, iface);
	put16(m, 0); /* drops */
	put32(m, (uint32_t)(ts >> 32));
	put32(m, (uint32_t)ts);
	put32(m, len);
	put32(m, len);
	put_bytes(m, data, len);
	block_end(m, at);
}

/* A block the reader skips (a Name Resolution Block with no record). */
static void nrb(struct img *m)
{
	size_t at = block_start(m, 4);
	put32(m, 0);
	block_end(m, at);
}

/* ---- reading an image ---- */

struct rd {
	FILE *fp;
	struct pcapng_reader *r;
};

static void rd_open(struct rd *x, const struct img *m, size_t len)
{
	x->fp = fmemopen((void *)m->b, len, "rb");
	cr_assert_not_null(x->fp);
	x->r = pcapng_open(x->fp);
	cr_assert_not_null(x->r);
}

static void rd_close(struct rd *x)
{
	pcapng_close(x->r);
	fclose(x->fp);
}

static const uint8_t PAYLOAD[] = "0123456789abcdefghijklmnopqrstuvwxyz";

Test(pcapng_read, every_frame_carries_its_interface_link_type_and_time)
{
	for (int be = 0; be < 2; be++) {
		struct img m = {.n = 0};
		shb(&m, be);
		idb(&m, 1, 0, -1, 0);       /* Ethernet, microseconds (the default) */
		nrb(&m);                    /* skipped */
		idb(&m, 113, 0, 9, 0);      /* Linux cooked, nanoseconds */
		idb(&m, 101, 0, 0x8a, 100); /* raw IP, 2^-10 s, 100 s later */
		epb(&m, 0, 1700000000123456ull, PAYLOAD, 10, 10);
		epb(&m, 1, 1700000000123456789ull, PAYLOAD, 7, 70);
		epb(&m, 2, (1700000000ull << 10) | 512, PAYLOAD, 20, 20);
		pb(&m, 1, 1700000001000000000ull, PAYLOAD, 5);
		struct rd x;
		rd_open(&x, &m, m.n);
		struct cap_frame f;
		cr_assert_eq(pcapng_next(x.r, &f), 1, "%s", pcapng_error(x.r));
		cr_assert_eq(f.linktype, 1);
		cr_assert_eq(f.ts_ns, 1700000000123456000ull);
		cr_assert_eq(f.caplen, 10);
		cr_assert_eq(memcmp(f.data, PAYLOAD, 10), 0);
		cr_assert_eq(pcapng_next(x.r, &f), 1, "%s", pcapng_error(x.r));
		cr_assert_eq(f.linktype, 113);
		cr_assert_eq(f.ts_ns, 1700000000123456789ull);
		cr_assert_eq(f.caplen, 7);
		cr_assert_eq(f.wirelen, 70);
		cr_assert_eq(pcapng_next(x.r, &f), 1, "%s", pcapng_error(x.r));
		cr_assert_eq(f.linktype, 101);
		cr_assert_eq(f.ts_ns, 1700000100500000000ull, "half a second, 100 s offset");
		cr_assert_eq(pcapng_next(x.r, &f), 1, "%s", pcapng_error(x.r));
		cr_assert_eq(f.linktype, 113, "obsolete Packet Block of interface 1");
		cr_assert_eq(f.ts_ns, 1700000001000000000ull);
		cr_assert_eq(pcapng_next(x.r, &f), 0, "the end: %s", pcapng_error(x.r));
		rd_close(&x);
	}
}

Test(pcapng_read, a_new_section_has_its_own_interfaces_and_byte_order)
{
	struct img m = {.n = 0};
	shb(&m, false);
	idb(&m, 1, 0, 9, 0);
	epb(&m, 0, 5, PAYLOAD, 4, 4);
	shb(&m, true);
	idb(&m, 276, 0, 9, 0); /* Linux cooked v2 */
	epb(&m, 0, 6, PAYLOAD, 4, 4);
	epb(&m, 1, 7, PAYLOAD, 4, 4); /* the first section's second interface? none */
	struct rd x;
	rd_open(&x, &m, m.n);
	struct cap_frame f;
	cr_assert_eq(pcapng_next(x.r, &f), 1);
	cr_assert_eq(f.linktype, 1);
	cr_assert_eq(pcapng_next(x.r, &f), 1, "%s", pcapng_error(x.r));
	cr_assert_eq(f.linktype, 276);
	cr_assert_eq(f.ts_ns, 6);
	cr_assert_eq(pcapng_next(x.r, &f), -1);
	cr_assert_not_null(strstr(pcapng_error(x.r), "interface 1, which the section has not"),
	                   "%s", pcapng_error(x.r));
	rd_close(&x);
}

Test(pcapng_read, a_simple_packet_takes_the_first_interface_and_the_last_time)
{
	struct img m = {.n = 0};
	shb(&m, false);
	idb(&m, 101, 8, 9, 0); /* snap length 8 */
	epb(&m, 0, 42, PAYLOAD, 4, 4);
	spb(&m, PAYLOAD, 20);
	struct rd x;
	rd_open(&x, &m, m.n);
	struct cap_frame f;
	cr_assert_eq(pcapng_next(x.r, &f), 1);
	cr_assert_eq(pcapng_next(x.r, &f), 1, "%s", pcapng_error(x.r));
	cr_assert_eq(f.linktype, 101);
	cr_assert_eq(f.ts_ns, 42);
	cr_assert_eq(f.caplen, 8, "cut at the interface's snap length");
	cr_assert_eq(f.wirelen, 20);
	cr_assert_eq(pcapng_next(x.r, &f), 0);
	rd_close(&x);
}

/* The image cut or changed at one place; the reader must say where and why. */
static void assert_damage(struct img *m, size_t len, int frames, const char *why)
{
	struct rd x;
	rd_open(&x, m, len);
	struct cap_frame f;
	for (int i = 0; i < frames; i++)
		cr_assert_eq(pcapng_next(x.r, &f), 1, "frame %d before the damage: %s", i,
		             pcapng_error(x.r));
	cr_assert_eq(pcapng_next(x.r, &f), -1, "damage (%s) not reported", why);
	cr_assert_not_null(strstr(pcapng_error(x.r), why), "%s", pcapng_error(x.r));
	cr_assert_not_null(strstr(pcapng_error(x.r), "at byte "), "%s", pcapng_error(x.r));
	rd_close(&x);
}

Test(pcapng_read, damage_is_reported_with_where_it_is)
{
	struct img m = {.n = 0};
	shb(&m, false);
	idb(&m, 1, 0, 9, 0);
	epb(&m, 0, 1, PAYLOAD, 10, 10);
	size_t second = m.n;
	epb(&m, 0, 2, PAYLOAD, 10, 10);
	/* the file ends inside the second packet */
	assert_damage(&m, m.n - 6, 1, "the file ends inside the block");
	assert_damage(&m, second + 5, 1, "the file ends inside a block");
	/* trailing length differs */
	struct img t = m;
	t.b[t.n - 4] ^= 0x40;
	assert_damage(&t, t.n, 1, "trailing block length");
	/* a captured length beyond the block */
	t = m;
	t.n = second + 20;
	put32(&t, 200);
	assert_damage(&t, m.n, 1, "beyond its block");
	/* a block length not a multiple of 4, or beyond the limit */
	t = m;
	t.n = second + 4;
	put32(&t, 45);
	assert_damage(&t, m.n, 1, "bad block length 45");
	t = m;
	t.n = second + 4;
	put32(&t, PCAPNG_BLOCK_MAX + 4);
	assert_damage(&t, m.n, 1, "bad block length");
}

Test(pcapng_read, an_empty_input_is_the_end_and_a_block_before_a_section_is_damage)
{
	struct img m = {.n = 0};
	struct rd x;
	rd_open(&x, &m, 0);
	struct cap_frame f;
	cr_assert_eq(pcapng_next(x.r, &f), 0);
	rd_close(&x);
	idb(&m, 1, 0, 9, 0);
	assert_damage(&m, m.n, 0, "no section header");
}

Test(pcapng_read, bad_options_and_magic_are_damage)
{
	struct img m = {.n = 0};
	shb(&m, false);
	struct img t = m;
	memcpy(t.b + 8, "\x01\x02\x03\x04", 4);
	assert_damage(&t, t.n, 0, "byte-order magic");
	/* an option longer than its block */
	size_t at = block_start(&m, 1);
	put16(&m, 1);
	put16(&m, 0);
	put32(&m, 0);
	put16(&m, 9);
	put16(&m, 400);
	put32(&m, 0);
	block_end(&m, at);
	assert_damage(&m, m.n, 0, "overruns its block");
	/* a resolution of 10^-30 s does not fit */
	m.n = 0;
	shb(&m, false);
	idb(&m, 1, 0, 30, 0);
	assert_damage(&m, m.n, 0, "out of range");
}

/* ---- cap_file: libpcap refuses, the file is read on ---- */

Test(pcapng_read, cap_file_reads_on_past_a_second_link_type)
{
	struct img m = {.n = 0};
	shb(&m, false);
	idb(&m, 1, 0, 9, 0);
	epb(&m, 0, 10, PAYLOAD, 14, 14);
	epb(&m, 0, 11, PAYLOAD, 14, 14);
	idb(&m, 113, 0, 9, 0);
	epb(&m, 1, 12, PAYLOAD, 16, 16);
	epb(&m, 0, 13, PAYLOAD, 14, 14);
	char p[600];
	snprintf(p, sizeof(p), "%s/mixed.pcapng", test_tmpdir());
	FILE *fp = fopen(p, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(m.b, 1, m.n, fp), m.n);
	fclose(fp);
	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open(p, err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	const int want_lt[] = {1, 1, 113, 1};
	for (unsigned i = 0; i < 4; i++) {
		struct cap_frame f;
		cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_FRAME, "frame %u: %s", i,
		             cap_file_error(cf));
		cr_assert_eq(f.linktype, want_lt[i], "frame %u", i);
		cr_assert_eq(f.ts_ns, 10 + i, "frame %u", i);
	}
	struct cap_frame f;
	cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_EOF, "%s", cap_file_error(cf));
	cr_assert_eq(cap_file_frames(cf), 4);
	cap_file_close(cf);
}

/* mergecap of three real captures, Ethernet, Linux cooked v1 and v2. */
Test(pcapng_read, the_real_mixed_capture_gives_each_file_its_frames)
{
	char err[CAP_ERR_MAX];
	struct cap_file *cf =
	    cap_file_open(DCV_CAPTURES_DIR "/mixed-linktypes.pcapng", err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	unsigned ether = 0, sll = 0, sll2 = 0, other = 0;
	struct cap_frame f;
	int rc;
	while ((rc = cap_file_next(cf, &f)) == CAP_NEXT_FRAME) {
		if (f.linktype == 1)
			ether++;
		else if (f.linktype == 113)
			sll++;
		else if (f.linktype == 276)
			sll2++;
		else
			other++;
	}
	cr_assert_eq(rc, CAP_NEXT_EOF, "%s", cap_file_error(cf));
	cr_assert_eq(ether, 151, "nsd-ether.pcap's frames");
	cr_assert_eq(sll, 164, "knot-sll.pcap's frames");
	cr_assert_eq(sll2, 55, "bind-sll2.pcap's frames");
	cr_assert_eq(other, 0);
	cap_file_close(cf);
}

/* Standard input cannot be read again: the error says to name the file. */
Test(pcapng_read, several_link_types_on_standard_input_is_a_clear_error)
{
	cr_assert_not_null(freopen(DCV_CAPTURES_DIR "/mixed-linktypes.pcapng", "rb", stdin));
	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open("-", err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	struct cap_frame f;
	int rc;
	unsigned n = 0;
	while ((rc = cap_file_next(cf, &f)) == CAP_NEXT_FRAME)
		n++;
	cr_assert_eq(rc, CAP_NEXT_ERROR);
	cr_assert_eq(n, 0, "the second interface comes before the first packet");
	cr_assert_not_null(strstr(cap_file_error(cf), "<stdin>"), "%s", cap_file_error(cf));
	cr_assert_not_null(strstr(cap_file_error(cf), "from a named file"), "%s",
	                   cap_file_error(cf));
	cap_file_close(cf);
}
