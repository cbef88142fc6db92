/*
 * fuzz_analyzer.c - the whole analysis pipeline on arbitrary frames:
 * decode, fragment and TCP reassembly, DNS parsing, transactions and
 * aggregation, with small tables so that eviction paths run too, and the
 * look-ahead that peeks at each frame before it is analyzed.
 *
 * Input: byte 0 selects the link type; then records of
 * [time step (1 byte, in 100 ms)] [length (2 bytes, big endian)] [frame].
 * At the end, every packet must be accounted for exactly once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"

static const int linktypes[] = {1, 113, 276, 101, 12, 0, 108, 228, 229};

static int count_rows(void *ctx, const struct source_bucket *row)
{
	(void)row;
	(*(uint64_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint64_t rows = 0;
	struct analyzer_config cfg = {
	    .max_sources = 16,
	    .max_pending = 16,
	    .timeout_ms = 1000,
	    .bucket_len_s = 1,
	    .tcp = {.max_connections = 8},
	    .decoder = {.frag_max_datagrams = 4},
	};
	struct analyzer_sink sink = {.ctx = &rows, .on_bucket = count_rows};
	struct analyzer *a = analyzer_new(&cfg, &sink);
	if (a == NULL)
		abort();
	int linktype = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	size_t off = 1;
	uint64_t ts = 1700000000ULL * 1000000000ULL;
	while (off + 3 <= size) {
		ts += (uint64_t)data[off] * 100000000ULL;
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		/* an exact-size copy so that any overread is caught */
		uint8_t *frame = malloc(len ? len : 1);
		if (frame == NULL)
			abort();
		memcpy(frame, data + off, len);
		struct cap_frame f = {.ts_ns = ts,
		                      .data = frame,
		                      .caplen = (uint32_t)len,
		                      .wirelen = (uint32_t)len + (data[0] & 0x80 ? 100 : 0),
		                      .linktype = linktype};
		/* the look-ahead (frame_pipe.h) reads the frame first, on its own */
		struct analyzer_hint hint;
		analyzer_hint_start(a, &f, &hint);
		analyzer_hint_finish(a, &hint);
		analyzer_frame_hinted(a, &f, &hint);
		free(frame);
		off += len;
	}
	analyzer_finish(a);
	const struct run_accounting *acc = analyzer_accounting(a);
	uint64_t sum = acc->dns_frames + acc->not_ip + acc->other_proto + acc->other_port +
	               acc->fragments_held + acc->malformed_frames + acc->unsupported_link;
	if (sum != acc->frames)
		abort(); /* a frame was not accounted for, or twice */
	const struct analyzer_totals *t = analyzer_get_totals(a);
	if (t->queries + t->responses + acc->dns_malformed != acc->dns_messages)
		abort();
	analyzer_free(a);
	return 0;
}
