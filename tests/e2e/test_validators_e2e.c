/*
 * test_validators_e2e.c - CA validators and their MPIC attempts recognised
 * end to end: `dcvscope-gen mpic` writes CA validation traffic (listed and
 * unlisted CAs, injected drops, REFUSED, SERVFAIL, TCP resets) inside heavy
 * ordinary resolver traffic, with the ground truth in --expect; `dcvscope
 * analyze` must find the validators and rebuild the attempts.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

/* Acceptance figures of the validator issue. */
#define MIN_RECALL_PCT           95.0 /* validator sources found at medium or above */
#define MAX_MISLABEL_PCT         1.0  /* ordinary resolvers labelled medium or above */
#define MIN_ATTEMPTS_MATCHED_PCT 90.0 /* true attempts rebuilt, same status */

struct run {
	json_t *expect, *got;
	char db[600];
};

static json_t *load(const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	cr_assert_not_null(j, "%s: %s", path, err.text);
	return j;
}

static struct run analyze_mpic(void)
{
	struct run r;
	const char *dir = test_tmpdir();
	char cmd[2400];
	snprintf(cmd, sizeof(cmd), "%s mpic -o %s/m.pcap --expect %s/m.json", DCV_GEN_BINARY, dir,
	         dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(r.db, sizeof(r.db), "%s/m.db", dir);
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --format json --db %s --validators %s/validators-test.tsv %s/m.pcap "
	         "> %s/out.json",
	         DCV_BINARY, r.db, DCV_CAPTURES_DIR, dir, dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "%s/m.json", dir);
	r.expect = load(cmd);
	snprintf(cmd, sizeof(cmd), "%s/out.json", dir);
	r.got = load(cmd);
	return r;
}

static json_t *find_addr(json_t *arr, const char *addr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "address")), addr) == 0)
			return v;
	}
	return NULL;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	cr_assert_not_null(s, "no string %s", k);
	return s;
}

Test(validators_e2e, validators_are_found_and_resolvers_are_not)
{
	struct run r = analyze_mpic();
	json_t *truth = json_object_get(r.expect, "validators");
	json_t *got = json_object_get(r.got, "validators");
	size_t i, found = 0, mislabelled = 0;
	json_t *v;
	json_array_foreach(truth, i, v)
	{
		json_t *g = find_addr(got, str(v, "address"));
		if (g == NULL)
			continue;
		found++;
		/* a CA is named only on evidence: the listed ones must be right,
		 * the unlisted ones named right or "unknown", never wrong */
		const char *ca = str(g, "ca");
		if (json_is_true(json_object_get(v, "listed"))) {
			cr_expect_str_eq(ca, str(v, "ca"), "%s", str(v, "address"));
			cr_expect_str_eq(str(g, "region"), str(v, "region"), "%s",
			                 str(v, "address"));
			cr_expect_str_eq(str(g, "confidence"), "listed", "%s", str(v, "address"));
		} else if (strcmp(ca, "unknown") != 0) {
			cr_expect_str_eq(ca, str(v, "ca"), "%s: wrong CA", str(v, "address"));
		}
	}
	json_array_foreach(got, i, v)
	{
		if (find_addr(truth, str(v, "address")) == NULL)
			mislabelled++;
	}
	double recall = 100.0 * (double)found / (double)json_array_size(truth);
	json_int_t resolvers = json_integer_value(json_object_get(r.expect, "resolvers"));
	double mislabel = 100.0 * (double)mislabelled / (double)resolvers;
	cr_log_info("validators: %zu of %zu found (%.1f%%); %zu of %lld resolvers mislabelled "
	            "(%.2f%%)",
	            found, json_array_size(truth), recall, mislabelled, (long long)resolvers,
	            mislabel);
	printf("validators: recall %.1f%% (%zu/%zu), mislabelled resolvers %.2f%% (%zu/%lld)\n",
	       recall, found, json_array_size(truth), mislabel, mislabelled, (long long)resolvers);
	cr_expect_geq(recall, MIN_RECALL_PCT);
	cr_expect_leq(mislabel, MAX_MISLABEL_PCT);
	/* the traps: ordinary sources that asked validation names */
	json_array_foreach(json_object_get(r.expect, "resolvers_sample"), i, v)
	{
		cr_expect_null(find_addr(got, json_string_value(v)), "trap %s labelled a validator",
		               json_string_value(v));
	}
	json_decref(r.expect);
	json_decref(r.got);
}

/* The analyzer's attempts, from the database: name, first query, status and
 * each perspective's outcome. */
struct attempt {
	char name[256];
	long long first_ns;
	char status[16];
	char outcomes[2048]; /* "addr=outcome;" sorted */
	int used;
};

static int load_attempts(const char *db_path, struct attempt **out)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	cr_assert_eq(
	    sqlite3_prepare_v2(db,
	                       "SELECT a.name, a.first_ns, a.status, group_concat(p.source "
	                       "|| '=' || p.outcome, ';') FROM attempts a JOIN (SELECT * FROM "
	                       "attempt_perspectives ORDER BY source) p ON p.attempt_id = a.id "
	                       "GROUP BY a.id ORDER BY a.first_ns",
	                       -1, &st, NULL),
	    SQLITE_OK, "%s", sqlite3_errmsg(db));
	int n = 0, cap = 64;
	struct attempt *a = calloc((size_t)cap, sizeof(*a));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap *= 2;
			a = realloc(a, (size_t)cap * sizeof(*a));
		}
		memset(&a[n], 0, sizeof(a[n]));
		snprintf(a[n].name, sizeof(a[n].name), "%s", sqlite3_column_text(st, 0));
		a[n].first_ns = sqlite3_column_int64(st, 1);
		snprintf(a[n].status, sizeof(a[n].status), "%s", sqlite3_column_text(st, 2));
		snprintf(a[n].outcomes, sizeof(a[n].outcomes), "%s", sqlite3_column_text(st, 3));
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	*out = a;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* in: "b;a;c" -> out: "a;b;c" (group_concat keeps no order) */
static void sorted_items(const char *in, char *out, size_t len)
{
	char copy[2048];
	char *items[64];
	size_t n = 0;
	snprintf(copy, sizeof(copy), "%s", in);
	for (char *save = NULL, *tok = strtok_r(copy, ";", &save); tok != NULL && n < 64;
	     tok = strtok_r(NULL, ";", &save))
		items[n++] = tok;
	qsort(items, n, sizeof(*items), cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strncat(out, ";", len - strlen(out) - 1);
		strncat(out, items[i], len - strlen(out) - 1);
	}
}

/* The truth's perspectives as "addr=outcome;..." in address order. */
static void truth_outcomes(json_t *t, char *buf, size_t len)
{
	json_t *per = json_object_get(t, "perspectives");
	size_t n = json_array_size(per);
	char **items = calloc(n ? n : 1, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(per, i);
		size_t l = strlen(str(p, "address")) + strlen(str(p, "outcome")) + 2;
		items[i] = malloc(l);
		snprintf(items[i], l, "%s=%s", str(p, "address"), str(p, "outcome"));
	}
	qsort(items, n, sizeof(*items), cmp_str);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strncat(buf, ";", len - strlen(buf) - 1);
		strncat(buf, items[i], len - strlen(buf) - 1);
		free(items[i]);
	}
	free(items);
}

Test(validators_e2e, attempts_are_rebuilt_with_their_outcomes)
{
	struct run r = analyze_mpic();
	struct attempt *got;
	int ngot = load_attempts(r.db, &got);
	json_t *list = json_object_get(json_object_get(r.expect, "attempts"), "list");
	size_t i, matched = 0, same_status = 0, same_outcomes = 0;
	json_t *t;
	json_array_foreach(list, i, t)
	{
		long long first = json_integer_value(json_object_get(t, "first_ns"));
		struct attempt *best = NULL;
		for (int k = 0; k < ngot; k++) {
			long long d = got[k].first_ns - first;
			if (!got[k].used && strcmp(got[k].name, str(t, "name")) == 0 &&
			    d > -3000000000LL && d < 3000000000LL) {
				best = &got[k];
				break;
			}
		}
		if (best == NULL)
			continue;
		best->used = 1;
		matched++;
		if (strcmp(best->status, str(t, "status")) == 0)
			same_status++;
		char want[2048], have[2048];
		truth_outcomes(t, want, sizeof(want));
		sorted_items(best->outcomes, have, sizeof(have));
		if (strcmp(want, have) == 0)
			same_outcomes++;
	}
	size_t n = json_array_size(list);
	double pct = 100.0 * (double)same_status / (double)n;
	printf("attempts: %zu true (listed), %zu rebuilt, %zu with the same status (%.1f%%), %zu "
	       "with every perspective's outcome; analyzer found %d in all\n",
	       n, matched, same_status, pct, same_outcomes, ngot);
	cr_expect_geq(pct, MIN_ATTEMPTS_MATCHED_PCT);
	cr_expect_geq(100.0 * (double)same_outcomes / (double)n, MIN_ATTEMPTS_MATCHED_PCT - 5.0);
	/* totals: the analyzer never reports fewer failures than there were */
	json_t *ea = json_object_get(r.expect, "attempts");
	json_t *ga = json_object_get(r.got, "attempts");
	cr_expect_geq(json_integer_value(json_object_get(ga, "total")),
	              json_integer_value(json_object_get(ea, "total")) * 9 / 10);
	free(got);
	json_decref(r.expect);
	json_decref(r.got);
}
