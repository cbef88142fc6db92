/*
 * test_source_spill.c - per-source totals written to a temporary file and
 * read back (rules/source_spill.h): every field comes back as given, in
 * order, as often as asked; a callback that stops ends the list.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "source_spill.h"

#define N 2000

/* Source i: texts of every length up to the field's, counters from 0 to
 * UINT64_MAX (one varint byte to ten). */
static void source(unsigned i, struct db_rule_source *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->source, sizeof(s->source), i % 3 ? "10.%u.%u.%u" : "2001:db8:%x::%x", i >> 16,
	         (i >> 8) & 255, i & 255);
	if (i % 7 == 0)
		memset(s->ca, 'c', i % sizeof(s->ca)); /* up to 63 bytes: the field */
	if (i % 5 == 0)
		snprintf(s->region, sizeof(s->region), "region-%u", i);
	size_t first = offsetof(struct db_rule_source, queries);
	size_t nc = (sizeof(*s) - first) / sizeof(uint64_t); /* every field after the texts */
	for (size_t k = 0; k < nc; k++) {
		uint64_t v = (uint64_t)i * (k + 1);
		memcpy((char *)s + first + k * sizeof(uint64_t), &v, sizeof(v));
	}
	s->fail_last_ns = i == 1 ? UINT64_MAX : s->fail_last_ns;
	s->first_ns = 1700000000000000000ull + i;
}

struct seen {
	unsigned n, stop_at;
	int mismatches;
};

static int check_source(void *ctx, const struct db_rule_source *s)
{
	struct seen *g = ctx;
	struct db_rule_source want;
	source(g->n, &want);
	g->mismatches += memcmp(&want, s, sizeof(want)) != 0;
	g->n++;
	return g->stop_at && g->n == g->stop_at;
}

Test(source_spill, every_source_comes_back_as_given_each_time)
{
	struct source_spill *sp = source_spill_new();
	cr_assert_not_null(sp);
	for (unsigned i = 0; i < N; i++) {
		struct db_rule_source s;
		source(i, &s);
		cr_assert_eq(source_spill_add(sp, &s), 0);
	}
	for (int round = 0; round < 2; round++) {
		struct seen g = {0};
		cr_assert_eq(source_spill_replay(sp, check_source, &g), N, "round %d", round);
		cr_assert_eq(g.n, N);
		cr_assert_eq(g.mismatches, 0, "round %d", round);
	}
	source_spill_free(sp);
}

Test(source_spill, a_callback_that_stops_ends_the_list_and_the_next_replay_is_whole)
{
	struct source_spill *sp = source_spill_new();
	cr_assert_not_null(sp);
	for (unsigned i = 0; i < 10; i++) {
		struct db_rule_source s;
		source(i, &s);
		cr_assert_eq(source_spill_add(sp, &s), 0);
	}
	struct seen g = {.stop_at = 4};
	cr_assert_eq(source_spill_replay(sp, check_source, &g), 4);
	cr_assert_eq(g.mismatches, 0);
	struct db_rule_source s;
	source(10, &s);
	cr_assert_eq(source_spill_add(sp, &s), 0, "added after a replay: at the end");
	struct seen all = {0};
	cr_assert_eq(source_spill_replay(sp, check_source, &all), 11);
	cr_assert_eq(all.mismatches, 0);
	source_spill_free(sp);
}

Test(source_spill, an_empty_spill_replays_nothing)
{
	struct source_spill *sp = source_spill_new();
	cr_assert_not_null(sp);
	struct seen g = {0};
	cr_assert_eq(source_spill_replay(sp, check_source, &g), 0);
	cr_assert_eq(g.n, 0);
	source_spill_free(sp);
	source_spill_free(NULL);
}
