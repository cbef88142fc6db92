/*
 * fuzz_dnstap.c - libFuzzer target for cap_dnstap_decode(): one dnstap protobuf
 * payload (a Frame Streams data frame) into one synthetic frame.
 *
 * Input: the payload itself. Invariants checked: every payload lands in
 * exactly one counter; a frame decodes (decode_frame) as one whole UDP
 * packet inside the frame. (fuzz_analyzer covers what the analyzer does
 * with such packets; building an analyzer per input would be slow.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "dnstap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cap_dnstap_buf buf;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy: ASan then catches any read past the payload */
	uint8_t *p = malloc(size ? size : 1);
	if (p == NULL)
		abort();
	memcpy(p, data, size);
	struct cap_dnstap_stats st;
	memset(&st, 0, sizeof(st));
	struct cap_frame f;
	enum dnstap_field field = DNSTAP_FIELDS;
	int rc = cap_dnstap_decode(p, size, &buf, &f, &field, &st);
	free(p);
	uint64_t counted = st.frames + st.not_used + st.missing_total + st.invalid +
	                   st.not_message + st.malformed + st.oversize;
	if (st.payloads != 1 || counted != 1)
		abort();
	if (rc == DNSTAP_MISSING && (unsigned)field >= DNSTAP_FIELDS)
		abort();
	if (rc != DNSTAP_FRAME)
		return 0;
	if (f.data != buf.bytes || f.caplen != f.wirelen || f.caplen > DNSTAP_FRAME_MAX ||
	    f.linktype != DNSTAP_LINKTYPE || (f.flags & ~CAP_FRAME_STREAM) != 0)
		abort();
	struct decoder_config dc = {.frag_max_datagrams = 4};
	struct decoder *d = decoder_new(&dc);
	if (d == NULL)
		abort();
	struct dcv_pkt pkt;
	if (decode_frame(d, &f, &pkt) != DECODE_PACKET || pkt.proto != DCV_PROTO_UDP ||
	    pkt.snap_truncated || pkt.payload < f.data ||
	    pkt.payload + pkt.payload_len > f.data + f.caplen)
		abort();
	decoder_free(d);

	return 0;
}
