/* test_txn.c - query/response matching, drops, retransmissions, eviction. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "txn.h"

#define MS 1000000ULL

/* an answer with the rcode, one record, no TC */
#define ANSWER(rc) (&(struct txn_answer_info){.rcode = (rc), .answers = 1})

struct seen {
	int answered, unanswered;
	int32_t last_rcode;
	uint64_t last_latency_ns;
	uint32_t last_retransmits;
	char last_qname[TXN_QNAME_KEEP + 1];
};

static void on_done(void *ctx, const struct txn_result *r)
{
	struct seen *s = ctx;
	if (r->rcode < 0)
		s->unanswered++;
	else
		s->answered++;
	s->last_rcode = r->rcode;
	s->last_latency_ns = r->end_ts_ns - r->query_ts_ns;
	s->last_retransmits = r->retransmits;
	memcpy(s->last_qname, r->key->qname, r->key->qname_len);
	s->last_qname[r->key->qname_len] = '\0';
}

static struct txn_key key(uint16_t id, const char *name)
{
	static const uint8_t c[4] = {198, 51, 100, 7}, sv[4] = {192, 0, 2, 53};
	struct txn_key k = {
	    .client = dcv_addr_v4(c),
	    .server = dcv_addr_v4(sv),
	    .client_port = 40000,
	    .server_port = 53,
	    .id = id,
	    .qtype = 257,
	    .transport = DCV_TRANSPORT_UDP,
	    .qname = name,
	    .qname_len = (uint16_t)strlen(name),
	};
	return k;
}

Test(txn, response_closes_its_query_with_latency)
{
	struct seen s = {0};
	struct txn_table *t = txn_new(NULL, on_done, &s);
	struct txn_key k = key(1, "example.com");
	cr_assert_not(txn_query(t, &k, 1000 * MS, NULL));
	cr_assert(txn_response(t, &k, 1003 * MS, ANSWER(0)));
	cr_assert_eq(s.answered, 1);
	cr_assert_eq(s.last_latency_ns, 3 * MS);
	cr_assert_str_eq(s.last_qname, "example.com");
	txn_finish(t, 10000 * MS);
	cr_assert_eq(txn_get_stats(t)->unanswered, 0);
	txn_free(t);
}

Test(txn, response_with_other_id_name_or_port_does_not_match)
{
	struct seen s = {0};
	struct txn_table *t = txn_new(NULL, on_done, &s);
	struct txn_key k = key(1, "example.com");
	txn_query(t, &k, 0, NULL);
	struct txn_key other_id = key(2, "example.com");
	struct txn_key other_name = key(1, "example.net");
	struct txn_key other_port = key(1, "example.com");
	other_port.client_port = 40001;
	struct txn_key other_transport = key(1, "example.com");
	other_transport.transport = DCV_TRANSPORT_TCP;
	cr_assert_not(txn_response(t, &other_id, MS, ANSWER(0)));
	cr_assert_not(txn_response(t, &other_name, MS, ANSWER(0)));
	cr_assert_not(txn_response(t, &other_port, MS, ANSWER(0)));
	cr_assert_not(txn_response(t, &other_transport, MS, ANSWER(0)));
	cr_assert_eq(txn_get_stats(t)->unmatched_responses, 4);
	cr_assert(txn_response(t, &k, MS, ANSWER(5)));
	cr_assert_eq(s.last_rcode, 5);
	txn_free(t);
}

Test(txn, query_unanswered_after_timeout_and_not_before)
{
	struct seen s = {0};
	struct txn_config cfg = {.timeout_ms = 5000};
	struct txn_table *t = txn_new(&cfg, on_done, &s);
	struct txn_key k = key(7, "_acme-challenge.example.com");
	txn_query(t, &k, 1000 * MS, NULL);
	txn_expire(t, 5999 * MS);
	cr_assert_eq(s.unanswered, 0);
	txn_expire(t, 6000 * MS);
	cr_assert_eq(s.unanswered, 1);
	cr_assert_eq(s.last_rcode, -1);
	/* an answer after the timeout is unmatched, not answered */
	cr_assert_not(txn_response(t, &k, 7000 * MS, ANSWER(0)));
	cr_assert_eq(s.answered, 0);
	txn_free(t);
}

Test(txn, retransmitted_query_is_one_transaction)
{
	struct seen s = {0};
	struct txn_table *t = txn_new(NULL, on_done, &s);
	struct txn_key k = key(9, "example.com");
	cr_assert_not(txn_query(t, &k, 0, NULL));
	cr_assert(txn_query(t, &k, 1000 * MS, NULL));
	cr_assert(txn_response(t, &k, 1010 * MS, ANSWER(0)));
	cr_assert_eq(s.answered, 1);
	cr_assert_eq(s.last_retransmits, 1);
	cr_assert_eq(s.last_latency_ns, 1010 * MS, "latency runs from the first copy");
	cr_assert_eq(txn_get_stats(t)->retransmits, 1);
	txn_free(t);
}

Test(txn, queries_too_recent_at_end_are_pending_not_unanswered)
{
	struct seen s = {0};
	struct txn_table *t = txn_new(NULL, on_done, &s);
	struct txn_key old = key(1, "a.example"), recent = key(2, "b.example");
	txn_query(t, &old, 0, NULL);
	txn_query(t, &recent, 8000 * MS, NULL);
	txn_finish(t, 9000 * MS);
	cr_assert_eq(s.unanswered, 1);
	cr_assert_eq(txn_get_stats(t)->pending_at_end, 1);
	txn_free(t);
}

Test(txn, full_table_evicts_oldest_and_counts_it)
{
	struct seen s = {0};
	struct txn_config cfg = {.max_pending = 4};
	struct txn_table *t = txn_new(&cfg, on_done, &s);
	char names[6][16];
	struct txn_key k[6];
	for (int i = 0; i < 6; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d.example", i);
		k[i] = key((uint16_t)i, names[i]);
		txn_query(t, &k[i], (uint64_t)i * MS, NULL);
	}
	cr_assert_eq(txn_get_stats(t)->evicted, 2);
	cr_assert_not(txn_response(t, &k[0], 10 * MS, ANSWER(0)), "oldest was evicted");
	cr_assert(txn_response(t, &k[5], 10 * MS, ANSWER(0)));
	txn_finish(t, 100000 * MS);
	cr_assert_eq(s.unanswered, 3);
	txn_free(t);
}

/* Keeps the queries whose name starts with "keep"; counts the calls. */
static bool keep_named(void *ctx, const struct txn_key *k)
{
	(*(int *)ctx)++;
	return k->qname_len >= 4 && memcmp(k->qname, "keep", 4) == 0;
}

static bool keep_all(void *ctx, const struct txn_key *k)
{
	(void)ctx;
	(void)k;
	return true;
}

Test(txn, a_full_table_keeps_what_it_is_told_and_the_timeout_judges_it)
{
	struct seen s = {0};
	struct txn_config cfg = {.max_pending = 16};
	struct txn_table *t = txn_new(&cfg, on_done, &s);
	int asked = 0;
	txn_set_keep(t, keep_named, &asked);
	/* two queries to keep, then a flood of 30 others: 32 in 16 slots */
	char names[32][16];
	struct txn_key k[32];
	for (int i = 0; i < 32; i++) {
		snprintf(names[i], sizeof(names[i]), i < 2 ? "keep%d.example" : "n%d.example", i);
		k[i] = key((uint16_t)i, names[i]);
		txn_query(t, &k[i], (uint64_t)i * MS, NULL);
	}
	const struct txn_stats *st = txn_get_stats(t);
	cr_assert_eq(st->evicted, 16, "the 16 oldest of the others: n2..n17");
	cr_assert_eq(st->kept, 2);
	cr_assert_eq(asked, 2 + 16, "asked once per query passed over or evicted");
	cr_assert_not(txn_response(t, &k[2], 50 * MS, ANSWER(0)), "n2 was evicted");
	cr_assert_not(txn_response(t, &k[17], 50 * MS, ANSWER(0)), "n17 was evicted");
	cr_assert(txn_response(t, &k[18], 50 * MS, ANSWER(0)), "n18 is open");
	/* a kept query is answered like any other */
	cr_assert(txn_response(t, &k[1], 100 * MS, ANSWER(5)));
	cr_assert_eq(s.answered, 2);
	cr_assert_eq(s.last_rcode, 5);
	/* the timeout judges the kept one first (it is the oldest), then the
	 * others as they come of age, the two lists in one time order */
	txn_expire(t, 5000 * MS + 1);
	cr_assert_eq(s.unanswered, 1);
	cr_assert_str_eq(s.last_qname, "keep0.example");
	txn_finish(t, 5025 * MS);
	cr_assert_eq(s.unanswered, 1 + 7, "n19..n25");
	cr_assert_eq(st->pending_at_end, 6, "n26..n31");
	txn_free(t);
}

Test(txn, kept_queries_take_at_most_a_quarter_of_the_table)
{
	struct seen s = {0};
	struct txn_config cfg = {.max_pending = 16};
	struct txn_table *t = txn_new(&cfg, on_done, &s);
	txn_set_keep(t, keep_all, NULL);
	char names[32][16];
	struct txn_key k[32];
	for (int i = 0; i < 32; i++) {
		snprintf(names[i], sizeof(names[i]), "q%d.example", i);
		k[i] = key((uint16_t)i, names[i]);
		txn_query(t, &k[i], (uint64_t)i * MS, NULL);
	}
	/* q0..q3 fill the kept list; past them the oldest goes, kept or not */
	cr_assert_eq(txn_get_stats(t)->kept, 16 / TXN_KEPT_SHARE);
	cr_assert_eq(txn_get_stats(t)->evicted, 16);
	for (int i = 0; i < 32; i++) {
		bool open = i < 4 || i >= 20;
		cr_assert_eq(txn_response(t, &k[i], 40 * MS, ANSWER(0)), open, "q%d", i);
	}
	cr_assert_eq(s.answered, 4 + 12);
	txn_finish(t, 100000 * MS);
	cr_assert_eq(s.unanswered, 0);
	txn_free(t);
}

Test(txn, long_names_match_and_are_cut_only_for_storage)
{
	struct seen s = {0};
	struct txn_table *t = txn_new(NULL, on_done, &s);
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	struct txn_key k = key(3, longname);
	txn_query(t, &k, 0, NULL);
	cr_assert(txn_response(t, &k, MS, ANSWER(0)));
	cr_assert_eq(strlen(s.last_qname), TXN_QNAME_KEEP);
	txn_free(t);
}

/* 50,000 open queries: far more than the chain heads a table starts with,
 * so the heads grow (and relink) several times while queries are open. */
Test(txn, many_open_queries_survive_the_heads_growing)
{
	enum { N = 50000 };
	struct seen s = {0};
	struct txn_table *t = txn_new(NULL, on_done, &s);
	for (uint32_t i = 0; i < N; i++) {
		struct txn_key k = key((uint16_t)i, i & 1 ? "example.com" : "example.net");
		k.client_port = (uint16_t)(1024 + i / 65536);
		cr_assert_not(txn_query(t, &k, 1000 * MS + i, NULL), "query %u", i);
	}
	/* answered in another order than asked: every second one, then the rest */
	for (uint32_t pass = 0; pass < 2; pass++)
		for (uint32_t i = pass; i < N; i += 2) {
			struct txn_key k = key((uint16_t)i, i & 1 ? "example.com" : "example.net");
			k.client_port = (uint16_t)(1024 + i / 65536);
			cr_assert(txn_response(t, &k, 1001 * MS + i, ANSWER(0)), "response %u", i);
		}
	cr_assert_eq(s.answered, N);
	cr_assert_eq(txn_get_stats(t)->unmatched_responses, 0);
	txn_expire(t, 100000 * MS);
	cr_assert_eq(s.unanswered, 0);
	txn_free(t);
}
