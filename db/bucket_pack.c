/* bucket_pack.c - packed queued source_stats rows (bucket_pack.h). */
#include "bucket_pack.h"

#include <string.h>

static size_t put_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* Reads one varint at in[*pos] (len bytes in all); false when it runs past
 * len or over 64 bits. */
static bool get_varint(const uint8_t *in, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
		uint8_t b = in[(*pos)++];
		x |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80) {
			*v = x;
			return true;
		}
	}
	return false;
}

#define PUT_FIELD(col, field) n += put_varint(out + n, row->field);
#define GET_FIELD(col, field)                                                                      \
	if (!get_varint(in, len, &pos, &v))                                                        \
		return 0;                                                                          \
	b->field = v;

size_t db_bucket_pack(uint8_t *out, int64_t run_id, const struct source_bucket *row)
{
	size_t n = put_varint(out, (uint64_t)run_id);
	size_t alen = row->source.family == DCV_ADDR_V6 ? 16 : 4;
	out[n++] = row->source.family;
	memcpy(out + n, row->source.bytes, alen);
	n += alen;
	n += put_varint(out + n, row->bucket_start_ns);
	n += put_varint(out + n, row->bucket_len_s);
	DB_BUCKET_SUM_COLUMNS(PUT_FIELD)
	DB_BUCKET_MAX_COLUMNS(PUT_FIELD)
	return n;
}

size_t db_bucket_unpack(const uint8_t *in, size_t len, int64_t *run_id, struct source_bucket *row)
{
	struct source_bucket *b = row;
	memset(b, 0, sizeof(*b));
	size_t pos = 0;
	uint64_t v;
	if (!get_varint(in, len, &pos, &v) || pos >= len)
		return 0;
	*run_id = (int64_t)v;
	uint8_t family = in[pos++];
	size_t alen = family == DCV_ADDR_V6 ? 16 : family == DCV_ADDR_V4 ? 4 : 0;
	if (alen == 0 || len - pos < alen)
		return 0;
	b->source.family = family;
	memcpy(b->source.bytes, in + pos, alen);
	pos += alen;
	if (!get_varint(in, len, &pos, &v))
		return 0;
	b->bucket_start_ns = v;
	if (!get_varint(in, len, &pos, &v) || v > UINT32_MAX)
		return 0;
	b->bucket_len_s = (uint32_t)v;
	DB_BUCKET_SUM_COLUMNS(GET_FIELD)
	DB_BUCKET_MAX_COLUMNS(GET_FIELD)
	return pos;
}
