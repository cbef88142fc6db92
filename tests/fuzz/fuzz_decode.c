/*
 * fuzz_decode.c - libFuzzer target for decode_frame() and fragment reassembly.
 *
 * Input layout:
 *   2 bytes   big-endian index into FUZZ_LINKTYPES (modulo its length)
 *   records   [2 bytes length][1 byte flags][length bytes of frame]
 * flags bit 0: frame was cut by the snap length (wirelen = caplen + 64);
 * bits 1..7: seconds added to the timestamp before this frame (drives
 * fragment expiry). A last record whose length runs past the input takes
 * what is left. Several records let fragments of one datagram meet.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dcv_error.h"
#include "decode.h"

static const int FUZZ_LINKTYPES[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
enum { FUZZ_NLINK = sizeof(FUZZ_LINKTYPES) / sizeof(FUZZ_LINKTYPES[0]) };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	/* a small table so that eviction and the byte budget are reached */
	struct decoder_config cfg = {
	    .frag_max_datagrams = 4, .frag_timeout_ms = 5000, .frag_max_bytes = 1};
	struct decoder *d = decoder_new(&cfg);
	if (d == NULL)
		abort();
	int linktype = FUZZ_LINKTYPES[((unsigned)data[0] << 8 | data[1]) % FUZZ_NLINK];
	size_t pos = 2;
	uint64_t ts = 1000000000ull;
	volatile unsigned sink = 0;
	while (pos + 3 <= size) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];
		uint8_t flags = data[pos + 2];
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		/* a private copy: ASan then catches any read past the frame */
		uint8_t *frame = malloc(len ? len : 1);
		if (frame == NULL)
			abort();
		for (size_t i = 0; i < len; i++)
			frame[i] = data[pos + i];
		pos += len;
		ts += (uint64_t)(flags >> 1) * 1000000000ull;
		struct cap_frame f = {.ts_ns = ts,
		                      .data = frame,
		                      .caplen = (uint32_t)len,
		                      .wirelen = (uint32_t)len + ((flags & 1) ? 64 : 0),
		                      .linktype = linktype};
		struct dcv_pkt pkt;
		int rc = decode_frame(d, &f, &pkt);
		if (rc == DECODE_PACKET) {
			if (pkt.payload_len > pkt.payload_wire_len)
				abort();
			if (pkt.snap_truncated != (pkt.payload_len < pkt.payload_wire_len))
				abort();
			if (pkt.proto != DCV_PROTO_UDP && pkt.proto != DCV_PROTO_TCP)
				abort();
			for (uint32_t i = 0; i < pkt.payload_len; i++)
				sink += pkt.payload[i];
		} else if (rc < 0) {
			if (rc < -DCV_ERROR_COUNT)
				abort();
		} else if (rc < DECODE_PACKET || rc > DECODE_UNSUPPORTED_LINK) {
			abort();
		}
		free(frame);
	}
	(void)sink;
	decoder_expire(d, UINT64_MAX);
	if (decoder_get_stats(d)->fragments < decoder_get_stats(d)->reassembled)
		abort();
	decoder_free(d);
	return 0;
}
