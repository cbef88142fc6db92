/* test_rules_early.c - the rules run early, on a connection of their own,
 * find what they find when run with the others, in the same order. */
#include "rules_fixture.h"

/* A run where the early rules fire (CAA_BURST once, ACME_TXT_TTL_HIGH
 * twice) among findings of rules that run in the caller's thread, before
 * them in the catalogue; everything committed, as analyze has it when it
 * starts them. */
static void faulty_run(struct fx *x)
{
	fx_open(x);
	fx_healthy_validators(x, "letsencrypt", "66.133.109", 50);
	fx_attempt(x, 5000, "a.b.c.example.com", "letsencrypt", 3, 1, MPIC_OUT_UNANSWERED,
	           MPIC_AT_RISK, 4);
	static const char *const climb[] = {"a.b.c.example.com", "b.c.example.com", "c.example.com",
	                                    "example.com"};
	for (unsigned i = 0; i < 4; i++)
		fx_txn(x, "66.133.109.1", 5100 + i, i < 3 ? -1 : 0, false, DCV_TRANSPORT_UDP,
		       climb[i], 257, DCV_SHAPE_CAA);
	fx_txt_ttl(x, "66.133.109.1", 1000, "_acme-challenge.www.example.com", 3600);
	fx_txt_ttl(x, "66.133.109.2", 1200, "_acme-challenge.api.example.com", 7200);
	struct source_bucket b = fx_b("66.133.109.11", 1);
	b.queries = b.queries_udp = b.responses = 200;
	b.rcode[RCODE_SLOT_SERVFAIL] = 8;
	b.rcode[RCODE_SLOT_NOERROR] = 192;
	fx_add(x, &b);
	for (unsigned i = 0; i < 8; i++)
		fx_txn(x, "66.133.109.11", 61000 + i, 2, false, DCV_TRANSPORT_UDP,
		       "www.example.com", 257, DCV_SHAPE_CAA);
	cr_assert_eq(db_flush(x->db), 0, "%s", db_errmsg(x->db));
}

/* Runs the catalogue with early (NULL: all in this thread) into x->found. */
static void run_with(struct fx *x, struct rules_early *early)
{
	x->nfound = 0;
	struct rules_scope scope = {.run_id = x->run};
	cr_assert_geq(
	    rules_run_with_early(x->db, &scope, NULL, NULL, 0, NULL, early, fx_collect, x), 0, "%s",
	    db_errmsg(x->db));
}

static void assert_same(const struct fx *a, const struct fx *b)
{
	cr_assert_eq(a->nfound, b->nfound);
	for (unsigned i = 0; i < a->nfound; i++) {
		cr_assert_str_eq(a->found[i].rule, b->found[i].rule, "finding %u", i);
		cr_assert_str_eq(a->found[i].subject, b->found[i].subject, "finding %u", i);
		cr_assert_eq(a->found[i].severity, b->found[i].severity, "finding %u", i);
		cr_assert_str_eq(a->found[i].evidence, b->found[i].evidence, "finding %u", i);
	}
}

Test(rules_early, find_the_same_as_run_with_the_others_in_catalogue_order)
{
	struct fx here;
	faulty_run(&here);
	run_with(&here, NULL);
	cr_assert_eq(fx_count(&here, "CAA_BURST"), 1);
	cr_assert_eq(fx_count(&here, "ACME_TXT_TTL_HIGH"), 2);
	cr_assert_not_null(fx_find(&here, "SERVFAIL_TO_VALIDATORS", NULL));
	cr_assert_not_null(fx_find(&here, "MPIC_QUORUM_AT_RISK", NULL));

	struct fx early = here;
	struct rules_scope scope = {.run_id = here.run};
	struct rules_early *e = rules_early_start(here.path, &scope, NULL);
	cr_assert_not_null(e);
	run_with(&early, e);
	rules_early_free(e);
	assert_same(&here, &early);
	fx_close(&here);
}

Test(rules_early, a_file_they_cannot_open_leaves_the_rules_to_the_run)
{
	struct fx here;
	faulty_run(&here);
	run_with(&here, NULL);
	struct fx fallback = here;
	struct rules_scope scope = {.run_id = here.run};
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/no/such/dir/rules.db", test_tmpdir());
	struct rules_early *e = rules_early_start(missing, &scope, NULL);
	cr_assert_not_null(e, "the thread starts; its open fails");
	run_with(&fallback, e);
	rules_early_free(e);
	assert_same(&here, &fallback);
	cr_assert_eq(fx_count(&fallback, "CAA_BURST"), 1);
	fx_close(&here);
}

Test(rules_early, thresholds_of_the_configuration_apply_to_them)
{
	struct fx here;
	faulty_run(&here);
	struct rules_config cfg;
	rules_config_defaults(&cfg);
	cfg.v[RC_ACME_TTL_MAX] = 5000; /* only the 7200 s TTL is over */
	struct rules_scope scope = {.run_id = here.run};
	here.nfound = 0;
	struct rules_early *e = rules_early_start(here.path, &scope, &cfg);
	cr_assert_geq(
	    rules_run_with_early(here.db, &scope, &cfg, NULL, 0, NULL, e, fx_collect, &here), 0,
	    "%s", db_errmsg(here.db));
	rules_early_free(e);
	cr_assert_eq(fx_count(&here, "ACME_TXT_TTL_HIGH"), 1);
	cr_assert_not_null(fx_find(&here, "ACME_TXT_TTL_HIGH", "_acme-challenge.api.example.com"));
	fx_close(&here);
}

Test(rules_early, freed_without_a_run)
{
	struct fx here;
	faulty_run(&here);
	struct rules_scope scope = {.run_id = here.run};
	rules_early_free(rules_early_start(here.path, &scope, NULL));
	rules_early_free(NULL);
	fx_close(&here);
}
