/* source_spill.c - per-source totals through a temporary file (source_spill.h). */
#include "source_spill.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct source_spill {
	FILE *f;
	unsigned long long n; /* sources added */
	int failed;           /* a write failed: the file is incomplete */
};

/* The counters of a struct db_rule_source, in file order. */
static const size_t counters[] = {
    offsetof(struct db_rule_source, queries),
    offsetof(struct db_rule_source, queries_udp),
    offsetof(struct db_rule_source, queries_tcp),
    offsetof(struct db_rule_source, responses),
    offsetof(struct db_rule_source, noerror),
    offsetof(struct db_rule_source, nxdomain),
    offsetof(struct db_rule_source, servfail),
    offsetof(struct db_rule_source, refused),
    offsetof(struct db_rule_source, truncated),
    offsetof(struct db_rule_source, unanswered),
    offsetof(struct db_rule_source, other_rcode),
    offsetof(struct db_rule_source, formerr),
    offsetof(struct db_rule_source, notimp),
    offsetof(struct db_rule_source, retransmits),
    offsetof(struct db_rule_source, peak_qps),
    offsetof(struct db_rule_source, max_concurrent_tcp),
    offsetof(struct db_rule_source, tcp_sessions),
    offsetof(struct db_rule_source, tcp_rejected),
    offsetof(struct db_rule_source, tcp_filtered),
    offsetof(struct db_rule_source, tcp_server_closed),
    offsetof(struct db_rule_source, first_ns),
    offsetof(struct db_rule_source, last_ns),
    offsetof(struct db_rule_source, fail_buckets),
    offsetof(struct db_rule_source, fail_conc_max),
    offsetof(struct db_rule_source, fail_conc_min),
    offsetof(struct db_rule_source, fail_first_ns),
    offsetof(struct db_rule_source, fail_last_ns),
    offsetof(struct db_rule_source, tcp_stalled),
    offsetof(struct db_rule_source, max_served_tcp),
    offsetof(struct db_rule_source, stall_buckets),
    offsetof(struct db_rule_source, stall_served_max),
    offsetof(struct db_rule_source, stall_served_min),
    offsetof(struct db_rule_source, stall_first_ns),
    offsetof(struct db_rule_source, stall_last_ns),
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

/* Every field but the texts is one of the counters. */
_Static_assert(sizeof(struct db_rule_source) ==
                   offsetof(struct db_rule_source, queries) + NCOUNTERS * sizeof(uint64_t),
               "a counter of struct db_rule_source is missing from counters[]");

struct source_spill *source_spill_new(void)
{
	struct source_spill *sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return NULL;
	if ((sp->f = tmpfile()) == NULL) {
		free(sp);
		return NULL;
	}
	return sp;
}

/* Writes v as a varint (7 bits a byte, low first). */
static void put_varint(FILE *f, uint64_t v)
{
	while (v >= 0x80) {
		putc_unlocked((int)(v & 0x7f) | 0x80, f);
		v >>= 7;
	}
	putc_unlocked((int)v, f);
}

/* Reads a varint into *v; 0, or -1 at the end of the file or on a
 * malformed one. */
static int get_varint(FILE *f, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		int c = getc_unlocked(f);
		if (c == EOF)
			return -1;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* Writes the text of a field of size len (its length, then its bytes). */
static void put_text(FILE *f, const char *t, size_t len)
{
	size_t n = strnlen(t, len - 1);
	put_varint(f, n);
	fwrite(t, 1, n, f);
}

/* Reads a text written by put_text() into a field of size len; 0 or -1. */
static int get_text(FILE *f, char *t, size_t len)
{
	uint64_t n;
	if (get_varint(f, &n) != 0 || n >= len || fread(t, 1, (size_t)n, f) != n)
		return -1;
	t[n] = '\0';
	return 0;
}

int source_spill_add(struct source_spill *sp, const struct db_rule_source *s)
{
	if (sp->failed)
		return -1;
	put_text(sp->f, s->source, sizeof(s->source));
	put_text(sp->f, s->ca, sizeof(s->ca));
	put_text(sp->f, s->region, sizeof(s->region));
	for (size_t i = 0; i < NCOUNTERS; i++) {
		uint64_t v;
		memcpy(&v, (const char *)s + counters[i], sizeof(v));
		put_varint(sp->f, v);
	}
	if (ferror(sp->f)) {
		sp->failed = 1;
		return -1;
	}
	sp->n++;
	return 0;
}

void source_spill_add_or_drop(struct source_spill **sp, const struct db_rule_source *s)
{
	if (*sp != NULL && source_spill_add(*sp, s) != 0) {
		source_spill_free(*sp);
		*sp = NULL;
	}
}

int source_spill_replay(struct source_spill *sp,
                        int (*fn)(void *ctx, const struct db_rule_source *s), void *ctx)
{
	if (sp->failed || fflush(sp->f) != 0 || fseek(sp->f, 0, SEEK_SET) != 0)
		return -1;
	int n = 0;
	for (unsigned long long i = 0; i < sp->n; i++) {
		struct db_rule_source s;
		memset(&s, 0, sizeof(s));
		if (get_text(sp->f, s.source, sizeof(s.source)) != 0 ||
		    get_text(sp->f, s.ca, sizeof(s.ca)) != 0 ||
		    get_text(sp->f, s.region, sizeof(s.region)) != 0)
			return -1;
		for (size_t k = 0; k < NCOUNTERS; k++) {
			uint64_t v;
			if (get_varint(sp->f, &v) != 0)
				return -1;
			memcpy((char *)&s + counters[k], &v, sizeof(v));
		}
		n++;
		if (fn(ctx, &s) != 0)
			break;
	}
	/* appending again would write after what was read */
	if (fseek(sp->f, 0, SEEK_END) != 0)
		return -1;
	return n;
}

void source_spill_free(struct source_spill *sp)
{
	if (sp == NULL)
		return;
	fclose(sp->f);
	free(sp);
}
