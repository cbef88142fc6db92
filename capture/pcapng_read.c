/* pcapng_read.c - pcapng sections with several link types (pcapng_read.h). */
#include "pcapng_read.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Block types (draft-ietf-opsawg-pcapng). */
enum {
	BT_SHB = 0x0A0D0D0A,
	BT_IDB = 0x00000001,
	BT_PB = 0x00000002, /* obsolete Packet Block */
	BT_SPB = 0x00000003,
	BT_EPB = 0x00000006,
};

enum {
	BYTE_ORDER_MAGIC = 0x1A2B3C4D,
	OPT_ENDOFOPT = 0,
	OPT_IF_TSRESOL = 9,
	OPT_IF_TSOFFSET = 14,
	SHB_MIN_LEN = 28,       /* type, length, magic, versions, section length, length */
	IDB_FIXED = 8,          /* link type, reserved, snap length */
	EPB_FIXED = 20,         /* interface, time (2), captured and original lengths */
	SPB_FIXED = 4,          /* original length */
	IFACES_MAX = 1u << 16,  /* interfaces of one section */
	NS_PER_S = 1000000000u, /* nanoseconds a second */
};

struct iface {
	int linktype;
	uint32_t snaplen; /* 0: none */
	uint64_t units;   /* timestamp units a second (if_tsresol; default 10^6) */
	int64_t offset_s; /* if_tsoffset, seconds */
};

struct pcapng_reader {
	FILE *fp;
	bool section; /* a Section Header Block was read */
	bool swap;    /* the section's byte order is not the host's */
	struct iface *ifs;
	uint32_t nifs, cap_ifs;
	uint8_t *buf; /* the current block, after its type and length */
	size_t buf_cap;
	uint64_t pos;        /* bytes read */
	uint64_t block_pos;  /* where the current block starts */
	uint64_t last_ts_ns; /* of the last frame (Simple Packet Blocks have none) */
	char error[256];
};

struct pcapng_reader *pcapng_open(FILE *fp)
{
	struct pcapng_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->fp = fp;
	snprintf(r->error, sizeof(r->error), "no error");
	return r;
}

void pcapng_close(struct pcapng_reader *r)
{
	if (r == NULL)
		return;
	free(r->ifs);
	free(r->buf);
	free(r);
}

const char *pcapng_error(const struct pcapng_reader *r)
{
	return r->error;
}

__attribute__((format(printf, 2, 3))) static int fail(struct pcapng_reader *r, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->error, sizeof(r->error), "pcapng block at byte %llu: %s",
	         (unsigned long long)r->block_pos, what);
	return -1;
}

static uint16_t rd16(const struct pcapng_reader *r, const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return r->swap ? __builtin_bswap16(v) : v;
}

static uint32_t rd32(const struct pcapng_reader *r, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint64_t rd64(const struct pcapng_reader *r, const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return r->swap ? __builtin_bswap64(v) : v;
}

/* Reads n bytes into dst: 1 read, 0 nothing at all left, -1 fewer (the
 * file ends inside a block, or a read error). */
static int read_bytes(struct pcapng_reader *r, void *dst, size_t n)
{
	size_t got = fread(dst, 1, n, r->fp);
	r->pos += got;
	if (got == n)
		return 1;
	if (got == 0 && !ferror(r->fp))
		return 0;
	return -1;
}

/* Reads the rest of a block of total length len, of which done bytes
 * were read, into r->buf; checks the trailing copy of the length. */
static int read_body(struct pcapng_reader *r, uint32_t len, uint32_t done)
{
	if (len % 4 != 0 || len < done + 4 || len > PCAPNG_BLOCK_MAX)
		return fail(r, "bad block length %u", len);
	size_t n = len - done;
	if (n > r->buf_cap) {
		uint8_t *b = realloc(r->buf, n);
		if (b == NULL)
			return fail(r, "out of memory for a block of %u bytes", len);
		r->buf = b;
		r->buf_cap = n;
	}
	if (read_bytes(r, r->buf, n) != 1)
		return fail(r, ferror(r->fp) ? "read error" : "the file ends inside the block");
	if (rd32(r, r->buf + n - 4) != len)
		return fail(r, "trailing block length %u differs from the leading %u",
		            rd32(r, r->buf + n - 4), len);
	return 0;
}

/* A Section Header Block; the type was read into hdr[0..3], the length
 * into hdr[4..7]. */
static int section(struct pcapng_reader *r, const uint8_t *hdr)
{
	uint8_t magic[4];
	if (read_bytes(r, magic, sizeof(magic)) != 1)
		return fail(r, "the file ends inside a section header");
	uint32_t m;
	memcpy(&m, magic, sizeof(m));
	if (m == BYTE_ORDER_MAGIC)
		r->swap = false;
	else if (m == __builtin_bswap32(BYTE_ORDER_MAGIC))
		r->swap = true;
	else
		return fail(r, "bad byte-order magic 0x%08x", m);
	uint32_t len = rd32(r, hdr + 4);
	if (len < SHB_MIN_LEN)
		return fail(r, "section header of %u bytes", len);
	if (read_body(r, len, 12) != 0)
		return -1;
	if (rd16(r, r->buf) != 1)
		return fail(r, "pcapng major version %u (1 is read)", rd16(r, r->buf));
	r->section = true;
	r->nifs = 0; /* a section's interfaces are its own */
	return 0;
}

/* 10^e, or 0 when it does not fit */
static uint64_t pow10_u64(unsigned e)
{
	uint64_t v = 1;
	for (unsigned i = 0; i < e; i++) {
		if (v > UINT64_MAX / 10)
			return 0;
		v *= 10;
	}
	return v;
}

/* An Interface Description Block of body b[0..n). */
static int interface(struct pcapng_reader *r, const uint8_t *b, size_t n)
{
	if (n < IDB_FIXED)
		return fail(r, "interface description of %zu bytes", n);
	if (r->nifs == IFACES_MAX)
		return fail(r, "more than %u interfaces in one section", IFACES_MAX);
	struct iface f = {
	    .linktype = rd16(r, b), .snaplen = rd32(r, b + 4), .units = 1000000, .offset_s = 0};
	for (size_t at = IDB_FIXED; at + 4 <= n;) {
		uint16_t code = rd16(r, b + at), olen = rd16(r, b + at + 2);
		at += 4;
		if (code == OPT_ENDOFOPT)
			break;
		if (olen > n - at)
			return fail(r, "interface option %u of %u bytes overruns its block", code,
			            olen);
		const uint8_t *v = b + at;
		if (code == OPT_IF_TSRESOL && olen >= 1) {
			unsigned e = v[0] & 0x7f;
			f.units = v[0] & 0x80 ? (e < 64 ? 1ull << e : 0) : pow10_u64(e);
			if (f.units == 0)
				return fail(r, "timestamp resolution 0x%02x is out of range", v[0]);
		} else if (code == OPT_IF_TSOFFSET && olen == 8) {
			f.offset_s = (int64_t)rd64(r, v);
		}
		at += ((size_t)olen + 3) & ~(size_t)3;
	}
	if (r->nifs == r->cap_ifs) {
		uint32_t cap = r->cap_ifs ? r->cap_ifs * 2 : 8;
		struct iface *ifs = realloc(r->ifs, cap * sizeof(*ifs));
		if (ifs == NULL)
			return fail(r, "out of memory for %u interfaces", cap);
		r->ifs = ifs;
		r->cap_ifs = cap;
	}
	r->ifs[r->nifs++] = f;
	return 0;
}

/* ts units of iface f since the epoch, in nanoseconds (saturating). */
static uint64_t to_ns(const struct iface *f, uint64_t ts)
{
	uint64_t sec = ts / f->units, rem = ts % f->units, frac;
	if (f->units <= NS_PER_S)
		frac = rem * NS_PER_S / f->units; /* rem * 10^9 < 10^18 */
	else
		frac = (uint64_t)((double)rem / (double)f->units * NS_PER_S);
	int64_t off = f->offset_s;
	if (off < 0) {
		uint64_t back = (uint64_t)(-(off + 1)) + 1;
		sec = sec > back ? sec - back : 0;
	} else {
		sec = (uint64_t)off > UINT64_MAX - sec ? UINT64_MAX : sec + (uint64_t)off;
	}
	if (sec > (UINT64_MAX - frac) / NS_PER_S)
		return UINT64_MAX;
	return sec * NS_PER_S + frac;
}

/* A packet of interface f at ts_ns: caplen bytes at data, of origlen on
 * the wire. */
static int packet(struct pcapng_reader *r, const struct iface *f, uint64_t ts_ns,
                  const uint8_t *data, uint32_t caplen, uint32_t origlen, struct cap_frame *out)
{
	out->ts_ns = r->last_ts_ns = ts_ns;
	out->data = data;
	out->caplen = caplen;
	out->wirelen = origlen > caplen ? origlen : caplen;
	out->linktype = f->linktype;
	out->flags = 0;
	return 1;
}

int pcapng_next(struct pcapng_reader *r, struct cap_frame *out)
{
	for (;;) {
		uint8_t hdr[8];
		r->block_pos = r->pos;
		int rc = read_bytes(r, hdr, sizeof(hdr));
		if (rc == 0)
			return 0;
		if (rc < 0)
			return fail(r,
			            ferror(r->fp) ? "read error" : "the file ends inside a block");
		uint32_t type;
		memcpy(&type, hdr, sizeof(type)); /* the SHB's type reads the same both ways */
		if (type == BT_SHB) {
			if (section(r, hdr) != 0)
				return -1;
			continue;
		}
		if (!r->section)
			return fail(r, "no section header before the first block");
		type = rd32(r, hdr);
		uint32_t len = rd32(r, hdr + 4);
		if (read_body(r, len, 8) != 0)
			return -1;
		const uint8_t *b = r->buf;
		size_t n = len - 12; /* the body, without the trailing length */
		switch (type) {
		case BT_IDB:
			if (interface(r, b, n) != 0)
				return -1;
			continue;
		case BT_EPB:
		case BT_PB: {
			if (n < EPB_FIXED)
				return fail(r, "packet block of %zu bytes", n);
			uint32_t id = type == BT_EPB ? rd32(r, b) : rd16(r, b);
			uint64_t ts = (uint64_t)rd32(r, b + 4) << 32 | rd32(r, b + 8);
			uint32_t caplen = rd32(r, b + 12), origlen = rd32(r, b + 16);
			if (caplen > n - EPB_FIXED)
				return fail(r, "captured length %u beyond its block", caplen);
			if (id >= r->nifs)
				return fail(
				    r,
				    "packet of interface %u, which the section has not described",
				    id);
			const struct iface *f = &r->ifs[id];
			return packet(r, f, to_ns(f, ts), b + EPB_FIXED, caplen, origlen, out);
		}
		case BT_SPB: {
			if (n < SPB_FIXED)
				return fail(r, "simple packet block of %zu bytes", n);
			if (r->nifs == 0)
				return fail(r, "simple packet before any interface description");
			uint32_t origlen = rd32(r, b), caplen = origlen;
			if (r->ifs[0].snaplen != 0 && caplen > r->ifs[0].snaplen)
				caplen = r->ifs[0].snaplen;
			if (caplen > n - SPB_FIXED)
				caplen = (uint32_t)(n - SPB_FIXED);
			/* it has no time: the previous frame's */
			return packet(r, &r->ifs[0], r->last_ts_ns, b + SPB_FIXED, caplen, origlen,
			              out);
		}
		default:
			continue; /* name resolution, statistics, custom, ... */
		}
	}
}
