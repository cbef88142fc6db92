/*
 * fuzz_validators_tsv.c - libFuzzer target for the validators.tsv and
 * caa-identifiers.tsv parsers (validators_load_buffer() and
 * validators_load_caa_buffer(), i.e. a file image in memory).
 *
 * The first input byte picks the loader and splits the rest into two file
 * images loaded one after the other (so replace and -remove across files
 * are reached). Aborts when a promise does not hold: every warning names the
 * file and a line inside the input and is one printable line; the row count
 * is consistent; lookups of addresses from the input return at most max
 * rows, each with a prefix length within its family and known words.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validators.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ctx {
	unsigned max_line;
	const char *name;
};

static void check_warning(void *ctx, const char *file, unsigned line, const char *msg)
{
	struct fuzz_ctx *c = ctx;
	if (strcmp(file, c->name) != 0 || line == 0 || line > c->max_line)
		abort();
	size_t n = strlen(msg);
	if (n == 0 || n > 400)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] == 0x7f)
			abort();
}

static unsigned lines_of(const uint8_t *p, size_t n)
{
	unsigned lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += p[i] == '\n';
	return lines;
}

static void load(struct validators *v, bool caa, const uint8_t *p, size_t n, const char *name)
{
	/* exact-size copy so that ASan sees any read past the end */
	uint8_t *copy = malloc(n ? n : 1);
	if (copy == NULL)
		return;
	memcpy(copy, p, n);
	struct fuzz_ctx c = {lines_of(p, n), name};
	int r = caa ? validators_load_caa_buffer(v, name, copy, n, check_warning, &c)
	            : validators_load_buffer(v, name, copy, n, check_warning, &c);
	if (r < -1 || (r >= 0 && (unsigned)r > c.max_line))
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool caa = data[0] & 1;
	size_t split = size > 1 ? 1 + (data[0] >> 1) * (size - 1) / 128 : 1;
	struct validators *v = validators_new();
	if (v == NULL)
		return 0;
	load(v, caa, data + 1, split - 1, "a.tsv");
	load(v, caa && !(data[0] & 0x80), data + split, size - split, "b.tsv");

	struct validators_stats st;
	validators_stats(v, &st);
	if (st.v4 + st.v6 + st.asn != validators_count(v) || st.cas > validators_count(v))
		abort();
	/* look up addresses made of input bytes */
	struct validator_match m[VALIDATORS_MATCH_MAX];
	for (size_t off = 0; off + 16 <= size && off < 256; off += 16) {
		for (int fam = 0; fam < 2; fam++) {
			struct dcv_addr a = fam ? dcv_addr_v6(data + off) : dcv_addr_v4(data + off);
			uint32_t asn = (uint32_t)data[off] << 8 | data[off + 1];
			unsigned n = validators_lookup(v, &a, asn, m, VALIDATORS_MATCH_MAX);
			if (n > VALIDATORS_MATCH_MAX)
				abort();
			for (unsigned i = 0; i < n; i++) {
				unsigned maxlen = fam ? 128 : 32;
				if (m[i].by_asn ? m[i].prefix_len != 0
				                : (m[i].prefix_len < 8 || m[i].prefix_len > maxlen))
					abort();
				if (strlen(m[i].ca) == 0 || strlen(m[i].ca) >= VALIDATORS_CA_MAX ||
				    m[i].source == NULL || m[i].asof == NULL || m[i].region == NULL)
					abort();
				if (strcmp(validators_role_name(m[i].role), "unknown") == 0 &&
				    m[i].role != VROLE_UNKNOWN)
					abort();
				if (i > 0 && m[i - 1].conf > m[i].conf)
					abort();
			}
		}
	}
	(void)validators_ca_of_issuer(v, "letsencrypt.org");
	validators_free(v);
	return 0;
}
