/* test_pcap_file.c - pcap and pcapng files through libpcap: frames, timestamps, stdin, damage
 * reports. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcap_file.h"
#include "pktbuild.h"
#include "test_support.h"

static char path[600];

static const char *tmp_path(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	return path;
}

/* Frame i: 60 + i bytes, byte j = i + j. */
static size_t frame_of(unsigned i, uint8_t *buf)
{
	size_t n = 60 + i;
	for (size_t j = 0; j < n; j++)
		buf[j] = (uint8_t)(i + j);
	return n;
}

static const uint64_t TS0 = 1700000000000000001ull;

/* A pcap with n frames through pcapw; returns the path. */
static const char *write_pcap(const char *name, unsigned n, uint32_t snaplen)
{
	const char *p = tmp_path(name);
	struct pcapw *w = pcapw_open(p, 1, snaplen);
	cr_assert_not_null(w);
	uint8_t buf[256];
	for (unsigned i = 0; i < n; i++) {
		size_t len = frame_of(i, buf);
		pcapw_write(w, TS0 + i * 1000000007ull, buf, len);
	}
	cr_assert_eq(pcapw_close(w), 0);
	return p;
}

static void assert_frames(struct cap_file *cf, unsigned n, uint32_t snaplen)
{
	uint8_t buf[256];
	struct cap_frame f;
	for (unsigned i = 0; i < n; i++) {
		cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_FRAME, "frame %u: %s", i,
		             cap_file_error(cf));
		size_t len = frame_of(i, buf);
		size_t cap = snaplen && len > snaplen ? snaplen : len;
		cr_assert_eq(f.ts_ns, TS0 + i * 1000000007ull, "frame %u", i);
		cr_assert_eq(f.wirelen, len);
		cr_assert_eq(f.caplen, cap);
		cr_assert_eq(memcmp(f.data, buf, cap), 0);
		cr_assert_eq(f.linktype, 1);
	}
	cr_assert_eq(cap_file_frames(cf), n);
}

Test(pcap_file, pcap_frames_come_back_with_nanosecond_timestamps)
{
	const char *p = write_pcap("a.pcap", 5, 0);
	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open(p, err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	cr_assert_eq(cap_file_linktype(cf), 1);
	assert_frames(cf, 5, 0);
	struct cap_frame f;
	cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_EOF);
	cap_file_close(cf);
}

Test(pcap_file, snap_length_shows_as_caplen_below_wirelen)
{
	const char *p = write_pcap("snap.pcap", 4, 61);
	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open(p, err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	assert_frames(cf, 4, 61);
	cap_file_close(cf);
}

Test(pcap_file, microsecond_pcap_timestamps_are_scaled)
{
	const char *p = tmp_path("usec.pcap");
	FILE *fp = fopen(p, "wb");
	uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, [16] = 0xff, 0xff, 0, 0, 1};
	uint32_t rec[4] = {1700000000u, 123456u, 60, 60};
	uint8_t data[60] = {0};
	fwrite(hdr, 1, 24, fp);
	fwrite(rec, 1, 16, fp);
	fwrite(data, 1, 60, fp);
	fclose(fp);
	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open(p, err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	struct cap_frame f;
	cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_FRAME);
	cr_assert_eq(f.ts_ns, 1700000000123456000ull);
	cap_file_close(cf);
}

/* ---- pcapng, written by hand (libpcap writes only pcap) ---- */

static void put_u32le(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* tests run on little-endian hosts; the SHB says so */
}

/* Appends an Enhanced Packet Block; returns its size. */
static size_t epb(uint8_t *out, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
                  uint32_t wirelen)
{
	uint32_t pad = (4 - caplen % 4) % 4;
	uint32_t total = 32 + caplen + pad;
	put_u32le(out, 6);
	put_u32le(out + 4, total);
	put_u32le(out + 8, 0); /* interface 0 */
	put_u32le(out + 12, (uint32_t)(ts_ns >> 32));
	put_u32le(out + 16, (uint32_t)ts_ns);
	put_u32le(out + 20, caplen);
	put_u32le(out + 24, wirelen);
	memcpy(out + 28, data, caplen);
	memset(out + 28 + caplen, 0, pad);
	put_u32le(out + 28 + caplen + pad, total);
	return total;
}

/* A pcapng with n frames (nanosecond resolution interface, Ethernet); returns its size. */
static size_t pcapng_image(uint8_t *out, unsigned n)
{
	size_t off = 0;
	/* Section Header Block */
	put_u32le(out, 0x0a0d0d0a);
	put_u32le(out + 4, 28);
	put_u32le(out + 8, 0x1a2b3c4d);
	out[12] = 1, out[13] = 0, out[14] = 0, out[15] = 0; /* version 1.0 */
	memset(out + 16, 0xff, 8);                          /* section length unknown */
	put_u32le(out + 24, 28);
	off = 28;
	/* Interface Description Block with if_tsresol = 9 (nanoseconds) */
	uint8_t *idb = out + off;
	put_u32le(idb, 1);
	put_u32le(idb + 4, 32);
	idb[8] = 1, idb[9] = 0, idb[10] = 0, idb[11] = 0;   /* linktype 1, reserved */
	put_u32le(idb + 12, 0);                             /* snaplen */
	idb[16] = 9, idb[17] = 0, idb[18] = 1, idb[19] = 0; /* option 9, length 1 */
	idb[20] = 9, idb[21] = 0, idb[22] = 0, idb[23] = 0;
	put_u32le(idb + 24, 0); /* opt_endofopt */
	put_u32le(idb + 28, 32);
	off += 32;
	uint8_t buf[256];
	for (unsigned i = 0; i < n; i++) {
		size_t len = frame_of(i, buf);
		off += epb(out + off, TS0 + i * 1000000007ull, buf, (uint32_t)len, (uint32_t)len);
	}
	return off;
}

static const char *write_file(const char *name, const uint8_t *data, size_t len)
{
	const char *p = tmp_path(name);
	FILE *fp = fopen(p, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(data, 1, len, fp), len);
	fclose(fp);
	return p;
}

Test(pcap_file, pcapng_frames_come_back)
{
	static uint8_t img[8192];
	size_t len = pcapng_image(img, 6);
	const char *p = write_file("a.pcapng", img, len);
	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open(p, err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	cr_assert_eq(cap_file_linktype(cf), 1);
	assert_frames(cf, 6, 0);
	struct cap_frame f;
	cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_EOF);
	cap_file_close(cf);
}

Test(pcap_file, dash_reads_standard_input)
{
	static uint8_t img[8192];
	size_t len = pcapng_image(img, 3);
	const char *p = write_file("stdin.pcapng", img, len);
	cr_assert_not_null(freopen(p, "rb", stdin));
	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open("-", err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	assert_frames(cf, 3, 0);
	struct cap_frame f;
	cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_EOF);
	cap_file_close(cf);
}

/* Expects frames_ok good frames, then an error naming name, the frame count and offset. */
static void assert_truncated(const char *p, const char *name, unsigned frames_ok,
                             const char *offset_text)
{
	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open(p, err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	assert_frames(cf, frames_ok, 0);
	struct cap_frame f;
	cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_ERROR);
	const char *msg = cap_file_error(cf);
	cr_assert_not_null(strstr(msg, name), "%s", msg);
	char want[64];
	snprintf(want, sizeof(want), "after %u frames", frames_ok);
	cr_assert_not_null(strstr(msg, want), "%s", msg);
	cr_assert_not_null(strstr(msg, offset_text), "%s", msg);
	cap_file_close(cf);
}

Test(pcap_file, truncated_pcap_reports_frames_read_and_offset)
{
	const char *p = write_pcap("cut.pcap", 3, 0);
	/* 24 + (16 + 60) + (16 + 61) = 177 bytes before frame 2; cut inside it */
	cr_assert_eq(truncate(p, 177 + 16 + 10), 0);
	assert_truncated(p, "cut.pcap", 2, "177 bytes");
	/* cut inside a record header */
	cr_assert_eq(truncate(p, 177 + 5), 0);
	assert_truncated(p, "cut.pcap", 2, "177 bytes");
}

Test(pcap_file, truncated_pcapng_reports_frames_read)
{
	static uint8_t img[8192];
	size_t len = pcapng_image(img, 4);
	const char *p = write_file("cut.pcapng", img, len - 20);
	/* libpcap read up to the end of the damaged file */
	char at[64];
	snprintf(at, sizeof(at), "at byte %zu of the file", len - 20);
	assert_truncated(p, "cut.pcapng", 3, at);
}

Test(pcap_file, unsupported_format_error_names_the_file)
{
	static const char text[] = "this is not a capture file, just some text\n";
	const char *p = write_file("notes.txt", (const uint8_t *)text, sizeof(text));
	char err[CAP_ERR_MAX];
	cr_assert_null(cap_file_open(p, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "notes.txt"), "%s", err);
	cr_assert_not_null(strstr(err, "format"), "%s", err);

	cr_assert_null(cap_file_open(tmp_path("missing.pcap"), err, sizeof(err)));
	cr_assert_not_null(strstr(err, "missing.pcap"), "%s", err);

	const char *empty = write_file("empty.pcap", (const uint8_t *)"", 0);
	cr_assert_null(cap_file_open(empty, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "empty.pcap"), "%s", err);
}

Test(pcap_file, close_accepts_null)
{
	cap_file_close(NULL);
}
