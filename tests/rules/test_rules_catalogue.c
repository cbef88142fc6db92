/*
 * test_rules_catalogue.c - every rule of the catalogue over crafted
 * databases: where it must fire (subject, severity, metrics) and a near
 * miss where it must stay silent; a clean busy database gives no warning.
 */
#include "rules_fixture.h"

/* No two findings share rule and subject. */
static void assert_unique(const struct fx *x)
{
	for (unsigned i = 0; i < x->nfound; i++)
		for (unsigned j = i + 1; j < x->nfound; j++)
			cr_assert(strcmp(x->found[i].rule, x->found[j].rule) != 0 ||
			              strcmp(x->found[i].subject_kind, x->found[j].subject_kind) !=
			                  0 ||
			              strcmp(x->found[i].subject, x->found[j].subject) != 0,
			          "duplicate %s %s", x->found[i].rule, x->found[i].subject);
}

Test(catalogue, lists_the_rule_ids_in_order)
{
	static const char *const ids[] = {"SESSION_CAP",
	                                  "TCP53_REJECTED",
	                                  "TC_WITHOUT_TCP",
	                                  "REGION_ASYMMETRY",
	                                  "RATE_LIMITED",
	                                  "REFUSED_TO_VALIDATORS",
	                                  "SERVFAIL_TO_VALIDATORS",
	                                  "VALIDATOR_DROPS",
	                                  "MPIC_QUORUM_AT_RISK",
	                                  "CAA_BURST",
	                                  "ACME_TXT_TTL_HIGH",
	                                  "ACME_TXT_MISSING",
	                                  "DNSSEC_BOGUS",
	                                  "DNSSEC_RRSIG_MISSING",
	                                  "DNSSEC_NSEC_MISSING",
	                                  "DNSSEC_DNSKEY_MISSING",
	                                  "DNSSEC_EXPIRING",
	                                  "CAA_DENIES_CA",
	                                  "EDNS_NONCOMPLIANT",
	                                  "LARGE_UDP_ANSWERS",
	                                  "NEGATIVE_WITHOUT_SOA",
	                                  "CAA_UNSUPPORTED",
	                                  "SLOW_ANSWERS"};
	const unsigned n = sizeof(ids) / sizeof(ids[0]);
	cr_assert_eq(rules_catalogue_size(), n);
	for (unsigned i = 0; i < n; i++)
		cr_assert_str_eq(rules_catalogue_id(i), ids[i]);
	cr_assert_null(rules_catalogue_id(n));
}

/* ---- SESSION_CAP ---------------------------------------------------- */

static void capped_source(struct fx *x, const char *src, uint32_t cap, unsigned minutes)
{
	for (unsigned m = 0; m < minutes; m++) {
		struct source_bucket b = fx_b(src, m);
		b.queries = b.queries_tcp = b.responses = b.rcode[RCODE_SLOT_NOERROR] = 500;
		b.max_concurrent_tcp = cap;
		b.tcp_sessions = 100;
		b.tcp_rejected = 4;
		b.tcp_filtered = 1;
		fx_add(x, &b);
	}
}

Test(session_cap, plateau_with_rejected_connections_reports_the_cap)
{
	struct fx x;
	fx_open(&x);
	capped_source(&x, "198.51.100.7", 25, 3);
	capped_source(&x, "198.51.100.8", 120, 2);
	capped_source(&x, "198.51.100.9", 400, 2);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "SESSION_CAP", "198.51.100.7");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_str_eq(f->subject_kind, "source");
	cr_assert_eq(fx_metric(f, "inferred_cap"), 25);
	cr_assert_eq(fx_metric(f, "failed_connections"), 15);
	cr_assert_eq(f->first_seen_ns, FX_T0);
	cr_assert_eq(f->last_seen_ns, FX_T0 + 3 * 60 * FX_NS);
	cr_assert_not_null(strstr(f->evidence, "plateau at 25"));
	f = fx_find(&x, "SESSION_CAP", "198.51.100.8");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_WARNING);
	cr_assert_eq(fx_metric(f, "inferred_cap"), 120);
	f = fx_find(&x, "SESSION_CAP", "198.51.100.9");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_INFO);
	fx_close(&x);
}

Test(session_cap, lone_resets_or_failures_below_the_peak_are_not_a_cap)
{
	struct fx x;
	fx_open(&x);
	/* one session at a time, a few resets: not a cap */
	struct source_bucket b = fx_b("198.51.100.7", 0);
	b.queries = b.queries_tcp = 50;
	b.max_concurrent_tcp = 1;
	b.tcp_sessions = 40;
	b.tcp_rejected = 9;
	fx_add(&x, &b);
	/* failures at 10 sessions, but 30 were open at another time */
	b = fx_b("198.51.100.8", 0);
	b.max_concurrent_tcp = 10;
	b.tcp_sessions = 40;
	b.tcp_rejected = 9;
	fx_add(&x, &b);
	b = fx_b("198.51.100.8", 1);
	b.max_concurrent_tcp = 30;
	b.tcp_sessions = 40;
	fx_add(&x, &b);
	/* control: at a plateau with exactly the minimum of 5 failures */
	capped_source(&x, "198.51.100.9", 25, 1);
	fx_rules(&x, NULL);
	cr_assert_eq(fx_count(&x, "SESSION_CAP"), 1, "only the 5-failure source");
	cr_assert_not_null(fx_find(&x, "SESSION_CAP", "198.51.100.9"));
	fx_close(&x);
}

/* A server whose own TCP client limit is full: nothing refused, sessions
 * accepted by the kernel and never answered while 25 are served. */
Test(session_cap, sessions_that_stall_while_the_server_serves_a_plateau_report_it)
{
	struct fx x;
	fx_open(&x);
	struct source_bucket b = fx_b("198.51.100.7", 0);
	b.queries = b.queries_tcp = 40;
	b.responses = b.rcode[RCODE_SLOT_NOERROR] = 25;
	b.unanswered = 15;
	b.tcp_sessions = 40;
	b.max_concurrent_tcp = 40;
	b.max_served_tcp = 25;
	fx_add(&x, &b);
	b = fx_b("198.51.100.7", 1); /* the stalled sessions end a minute later */
	b.max_concurrent_tcp = 40;
	b.max_served_tcp = 25;
	b.tcp_stalled = 15;
	fx_add(&x, &b);
	/* near misses: stalls while more were served at another time, and a
	 * server that answers no TCP at all */
	b = fx_b("198.51.100.8", 0);
	b.tcp_sessions = 40;
	b.max_concurrent_tcp = 40;
	b.max_served_tcp = 10;
	b.tcp_stalled = 15;
	fx_add(&x, &b);
	b = fx_b("198.51.100.8", 1);
	b.tcp_sessions = 30;
	b.max_concurrent_tcp = 30;
	b.max_served_tcp = 30;
	fx_add(&x, &b);
	b = fx_b("198.51.100.9", 0);
	b.tcp_sessions = 40;
	b.max_concurrent_tcp = 40;
	b.tcp_stalled = 40;
	fx_add(&x, &b);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "SESSION_CAP", "198.51.100.7");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "inferred_cap"), 25);
	cr_assert_eq(fx_metric(f, "stalled"), 1);
	cr_assert_eq(fx_metric(f, "stalled_sessions"), 15);
	cr_assert_eq(f->first_seen_ns, FX_T0 + 60 * FX_NS);
	cr_assert_not_null(strstr(f->evidence, "at most 25"), "%s", f->evidence);
	cr_assert_eq(fx_count(&x, "SESSION_CAP"), 1, "not the near misses");
	fx_close(&x);
}

/* ---- TCP53_REJECTED -------------------------------------------------- */

static void tcp_failing_validators(struct fx *x, uint64_t rejected, uint64_t filtered,
                                   uint64_t stalled)
{
	fx_healthy_validators(x, "digicert", "203.0.113", 100);
	struct source_bucket b = fx_b("203.0.113.1", 1);
	b.queries = b.queries_udp = b.responses = b.rcode[RCODE_SLOT_NOERROR] = 80;
	b.tcp_sessions = 10;
	b.tcp_rejected = rejected;
	b.tcp_filtered = filtered;
	b.tcp_stalled = stalled;
	fx_add(x, &b);
}

Test(tcp53_rejected, resets_and_silence_on_tcp_while_udp_works)
{
	struct fx x;
	fx_open(&x);
	tcp_failing_validators(&x, 8, 2, 0);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "TCP53_REJECTED", "digicert");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->subject_kind, "ca");
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "tcp_failed"), 10);
	cr_assert_eq(fx_metric(f, "tcp_rejected"), 8);
	cr_assert_eq(fx_metric(f, "tcp_filtered"), 2);
	cr_assert_float_eq(fx_metric(f, "failed_share"), 0.5, 1e-9);
	cr_assert_not_null(strstr(f->evidence, "arin 10/20"));
	fx_close(&x);
}

Test(tcp53_rejected, two_failed_connections_stay_below_the_minimum)
{
	struct fx x;
	fx_open(&x);
	tcp_failing_validators(&x, 1, 1, 0);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "TCP53_REJECTED", NULL));
	fx_close(&x);
}

/* Sessions accepted whose query never got an answer (a firewall that drops
 * DNS over TCP after the handshake) fail like reset ones; they are among the
 * sessions, so the attempts do not count them twice. */
Test(tcp53_rejected, sessions_accepted_but_never_answered_fail_too)
{
	struct fx x;
	fx_open(&x);
	tcp_failing_validators(&x, 0, 0, 6);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "TCP53_REJECTED", "digicert");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "tcp_failed"), 6);
	cr_assert_eq(fx_metric(f, "tcp_stalled"), 6);
	cr_assert_eq(fx_metric(f, "tcp_attempts"), 10);
	cr_assert_float_eq(fx_metric(f, "failed_share"), 0.6, 1e-9);
	cr_assert_not_null(strstr(f->evidence, "6 accepted but their query never answered"), "%s",
	                   f->evidence);
	cr_assert_not_null(strstr(f->evidence, "arin 6/10"), "%s", f->evidence);
	fx_close(&x);
}

Test(tcp53_rejected, two_stalled_sessions_stay_below_the_minimum)
{
	struct fx x;
	fx_open(&x);
	tcp_failing_validators(&x, 0, 0, 2);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "TCP53_REJECTED", NULL));
	fx_close(&x);
}

/* ---- TC_WITHOUT_TCP -------------------------------------------------- */

static void truncated_answers(struct fx *x, bool retried)
{
	fx_healthy_validators(x, "sectigo", "198.18.0", 50);
	for (unsigned i = 0; i < 4; i++) {
		fx_txn(x, "198.18.0.1", 1000 * i, 0, true, DCV_TRANSPORT_UDP,
		       "_acme-challenge.www.example.com", 16, DCV_SHAPE_ACME_DNS01);
		if (retried)
			fx_txn(x, "198.18.0.1", 1000 * i + 300, 0, false, DCV_TRANSPORT_TCP,
			       "_acme-challenge.www.example.com", 16, DCV_SHAPE_ACME_DNS01);
	}
}

Test(tc_without_tcp, truncated_answers_never_retried_over_tcp)
{
	struct fx x;
	fx_open(&x);
	truncated_answers(&x, false);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "TC_WITHOUT_TCP", "sectigo");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "truncated"), 4);
	cr_assert_eq(fx_metric(f, "unretried"), 4);
	cr_assert_not_null(strstr(f->evidence, "_acme-challenge.www.example.com"));
	fx_close(&x);
}

Test(tc_without_tcp, answered_tcp_retries_are_fine)
{
	struct fx x;
	fx_open(&x);
	truncated_answers(&x, true);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "TC_WITHOUT_TCP", NULL));
	fx_close(&x);
}

/* ---- REGION_ASYMMETRY ------------------------------------------------ */

/* letsencrypt: 2 sources per region, 100 queries each; apnic's first
 * source fails `apnic_fail` queries of the given kind. */
static void regions(struct fx *x, uint64_t apnic_fail, bool refused, uint64_t apnic_q)
{
	static const char *const regs[] = {"arin", "ripe", "apnic"};
	for (unsigned r = 0; r < 3; r++)
		for (unsigned k = 0; k < 2; k++) {
			char a[48];
			snprintf(a, sizeof(a), "66.133.109.%u", r * 10 + k + 1);
			fx_validator(x, a, "letsencrypt", regs[r], MPIC_CONF_LISTED);
			uint64_t q = r == 2 ? apnic_q : 100;
			struct source_bucket b = fx_b(a, 0);
			b.queries = b.queries_udp = q;
			uint64_t fail = (r == 2 && k == 0) ? apnic_fail : (r == 0 && k == 0);
			b.responses = q - (refused ? 0 : fail);
			b.rcode[RCODE_SLOT_NOERROR] = q - fail;
			if (refused)
				b.rcode[RCODE_SLOT_REFUSED] = fail;
			else
				b.unanswered = fail;
			fx_add(x, &b);
		}
}

Test(region_asymmetry, refused_to_one_region_is_named_with_its_cause)
{
	struct fx x;
	fx_open(&x);
	regions(&x, 40, true, 100);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "REGION_ASYMMETRY", "letsencrypt/apnic");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->subject_kind, "ca/region");
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "failures"), 40);
	cr_assert_eq(fx_metric(f, "trials"), 200);
	cr_assert_eq(fx_metric(f, "baseline_failures"), 1);
	cr_assert_gt(fx_metric(f, "z"), 3.29);
	cr_assert_not_null(strstr(f->evidence, "dominant: refused"));
	cr_assert_not_null(strstr(f->recommendation, "ACL"));
	f = fx_find(&x, "REGION_ASYMMETRY", "apnic");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->subject_kind, "region");
	cr_assert_null(fx_find(&x, "REGION_ASYMMETRY", "letsencrypt/ripe"));
	cr_assert_null(fx_find(&x, "REGION_ASYMMETRY", "letsencrypt/arin"));
	fx_close(&x);
}

Test(region_asymmetry, silence_from_one_region_reads_as_geo_blocking)
{
	struct fx x;
	fx_open(&x);
	regions(&x, 15, false, 100);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "REGION_ASYMMETRY", "letsencrypt/apnic");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_WARNING, "7.5%% is below the critical rate");
	cr_assert_not_null(strstr(f->evidence, "dominant: unanswered"));
	cr_assert_not_null(strstr(f->recommendation, "geo-blocking"));
	fx_close(&x);
}

Test(region_asymmetry, a_difference_that_is_not_significant_stays_silent)
{
	struct fx x;
	fx_open(&x);
	regions(&x, 6, false, 100); /* 3% against 0.25%: z about 2.7 */
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "REGION_ASYMMETRY", NULL));
	fx_close(&x);
}

Test(region_asymmetry, a_region_below_the_minimum_sample_is_not_judged)
{
	struct fx x;
	fx_open(&x);
	regions(&x, 10, true, 12); /* 10 of 24 failed, but 24 < 30 */
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "REGION_ASYMMETRY", NULL));
	fx_close(&x);
}

/* ---- RATE_LIMITED ---------------------------------------------------- */

/* src: 10 seconds at 50 queries with `cap` answered, 5 quiet seconds at 15. */
static void limited_source(struct fx *x, const char *src, uint32_t cap, uint32_t slips)
{
	for (unsigned s = 0; s < 10; s++)
		fx_second(x, src, s, 50, cap + slips, 0, slips);
	for (unsigned s = 10; s < 15; s++)
		fx_second(x, src, s, 15, 15, 0, 0);
	struct source_bucket b = fx_b(src, 0);
	b.queries = 575;
	b.peak_qps = 50;
	fx_add(x, &b);
}

Test(rate_limited, answers_flat_at_the_limit_give_the_inferred_cap)
{
	struct fx x;
	fx_open(&x);
	limited_source(&x, "192.0.2.77", 20, 5);
	struct source_bucket b = fx_b("203.0.113.1", 0);
	fx_validator(&x, "203.0.113.1", "digicert", "arin", MPIC_CONF_LISTED);
	b.queries = b.responses = b.rcode[RCODE_SLOT_NOERROR] = 100;
	b.peak_qps = 40;
	fx_add(&x, &b);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "RATE_LIMITED", "192.0.2.77");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_WARNING, "validators burst above the cap");
	cr_assert_eq(fx_metric(f, "inferred_qps_cap"), 20);
	cr_assert_eq(fx_metric(f, "saturated_seconds"), 10);
	cr_assert_eq(fx_metric(f, "slips"), 50);
	cr_assert_eq(fx_metric(f, "validator_peak_qps"), 40);
	cr_assert_float_eq(fx_metric(f, "burst_factor"), 2.0, 1e-9);
	cr_assert_eq(f->first_seen_ns, FX_T0);
	cr_assert_eq(f->last_seen_ns, FX_T0 + 10 * FX_NS);
	fx_close(&x);
}

Test(rate_limited, a_limited_validator_is_critical)
{
	struct fx x;
	fx_open(&x);
	fx_validator(&x, "203.0.113.9", "digicert", "arin", MPIC_CONF_LISTED);
	limited_source(&x, "203.0.113.9", 30, 0);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "RATE_LIMITED", "203.0.113.9");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "inferred_qps_cap"), 30);
	fx_close(&x);
}

Test(rate_limited, loss_proportional_to_the_rate_is_not_a_limit)
{
	struct fx x;
	fx_open(&x);
	/* half of every second's queries lost, whatever the rate: no flat cap */
	static const uint32_t q[] = {20, 60, 34, 80, 44, 26, 70, 52};
	for (unsigned s = 0; s < 8; s++)
		fx_second(&x, "192.0.2.78", s, q[s], q[s] / 2, 0, 0);
	/* large answers: 40 of 65 truncated each second and retried over TCP */
	for (unsigned s = 0; s < 8; s++)
		fx_second(&x, "192.0.2.80", s, 65, 65, 0, 40);
	struct source_bucket b = fx_b("192.0.2.80", 0);
	b.queries = 520;
	b.queries_tcp = 200;
	fx_add(&x, &b);
	/* 10 % loss: never saturated */
	for (unsigned s = 0; s < 8; s++)
		fx_second(&x, "192.0.2.79", s, 50, 45, 0, 0);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "RATE_LIMITED", NULL));
	fx_close(&x);
}

/* RRL (BIND, NSD, Knot): above the limit every answer is debited, so a
 * client that stays above it gets almost none; half of the suppressed
 * answers slip as TC=1 (slip 2). Answered at 12 a second before. */
Test(rate_limited, answers_that_collapse_above_a_rate_are_response_rate_limiting)
{
	struct fx x;
	fx_open(&x);
	fx_validator(&x, "203.0.113.9", "digicert", "arin", MPIC_CONF_LISTED);
	fx_second(&x, "203.0.113.9", 0, 12, 12, 0, 0);
	fx_second(&x, "203.0.113.9", 2, 100, 21 + 40, 0, 40);
	for (unsigned s = 3; s < 6; s++)
		fx_second(&x, "203.0.113.9", s, 100, 50, 0, 50);
	struct source_bucket b = fx_b("203.0.113.9", 0);
	b.queries = 412;
	b.peak_qps = 100;
	fx_add(&x, &b);
	/* the same collapse without a second answered at a lower rate: the
	 * source, not its rate, is not answered (an ACL, a dead route) */
	for (unsigned s = 2; s < 6; s++)
		fx_second(&x, "198.51.100.20", s, 100, 50, 0, 50);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "RATE_LIMITED", "203.0.113.9");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "inferred_qps_cap"), 21);
	cr_assert_eq(fx_metric(f, "suppressed"), 1);
	cr_assert_eq(fx_metric(f, "saturated_seconds"), 4);
	cr_assert_eq(fx_metric(f, "slips"), 190);
	cr_assert_eq(fx_metric(f, "unanswered"), 189);
	cr_assert_eq(f->first_seen_ns, FX_T0 + 2 * FX_NS);
	cr_assert_not_null(strstr(f->evidence, "answered at 12 a second"), "%s", f->evidence);
	cr_assert_null(fx_find(&x, "RATE_LIMITED", "198.51.100.20"));
	fx_close(&x);
}

Test(rate_limited, answers_neither_flat_nor_collapsed_are_not_a_limit)
{
	struct fx x;
	fx_open(&x);
	/* answered at 12, then good answers all over the place above 60 */
	static const uint32_t good[] = {40, 5, 25, 0, 33};
	fx_second(&x, "192.0.2.81", 0, 12, 12, 0, 0);
	for (unsigned s = 1; s < 6; s++)
		fx_second(&x, "192.0.2.81", s, 60, good[s - 1], 0, 0);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "RATE_LIMITED", NULL));
	fx_close(&x);
}

/* Three letsencrypt validators of 198.51.100.0/24 (.5 .6 .7) sending
 * q[0..2] queries a second for 10 seconds, answered good[s][0..2], then 5
 * quiet seconds at 10 each, all answered. */
static void netblock_validators(struct fx *x, const uint32_t q[3], const uint32_t good[10][3])
{
	static const char *const src[] = {"198.51.100.5", "198.51.100.6", "198.51.100.7"};
	for (unsigned m = 0; m < 3; m++) {
		fx_validator(x, src[m], "letsencrypt", "arin", MPIC_CONF_LISTED);
		for (unsigned s = 0; s < 10; s++)
			fx_second(x, src[m], s, q[m], good[s][m], 0, 0);
		for (unsigned s = 10; s < 15; s++)
			fx_second(x, src[m], s, 10, 10, 0, 0);
		struct source_bucket b = fx_b(src[m], 0);
		b.queries = 10 * q[m] + 50;
		b.peak_qps = q[m];
		fx_add(x, &b);
	}
}

/* A limit of 40 answers a second for the whole /24 (dnsdist MaxQPSIPRule
 * with v4Mask 24, a firewall meter keyed on the /24): 60 queries a second
 * from three validators, 40 answered, shared unevenly, so that no one of
 * them shows a flat limit alone. */
Test(rate_limited, validators_of_one_netblock_limited_together_are_one_finding)
{
	static const uint32_t q[3] = {30, 20, 10};
	static const uint32_t good[10][3] = {{25, 10, 5},  {12, 19, 9}, {20, 12, 8}, {28, 7, 5},
	                                     {10, 20, 10}, {22, 14, 4}, {14, 18, 8}, {26, 6, 8},
	                                     {18, 16, 6},  {11, 19, 10}};
	struct fx x;
	fx_open(&x);
	netblock_validators(&x, q, good);
	fx_rules(&x, NULL);
	cr_assert_eq(fx_count(&x, "RATE_LIMITED"), 1);
	const struct finding *f = fx_find(&x, "RATE_LIMITED", "198.51.100.0/24");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->subject_kind, "netblock");
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "inferred_qps_cap"), 40);
	cr_assert_eq(fx_metric(f, "saturated_seconds"), 10);
	cr_assert_eq(fx_metric(f, "unanswered"), 200);
	cr_assert_eq(fx_metric(f, "sources"), 3);
	cr_assert_eq(fx_metric(f, "limited_alone"), 0);
	cr_assert_eq(f->first_seen_ns, FX_T0);
	cr_assert_eq(f->last_seen_ns, FX_T0 + 10 * FX_NS);
	cr_assert_not_null(strstr(f->evidence, "3 letsencrypt validators of 198.51.100.0/24 "
	                                       "(198.51.100.5, 198.51.100.6, 198.51.100.7)"),
	                   "%s", f->evidence);
	cr_assert_not_null(strstr(f->recommendation, "limits the netblock 198.51.100.0/24"));
	fx_close(&x);
}

/* A limit of 20 per address: each validator of the /24 is limited alone,
 * in the same seconds. Their findings stand and name the netblock, whose
 * limit of 60 would explain it as well. */
Test(rate_limited, validators_of_one_netblock_each_limited_alone_keep_their_findings)
{
	static const uint32_t q[3] = {50, 50, 50};
	uint32_t good[10][3];
	for (unsigned s = 0; s < 10; s++)
		for (unsigned m = 0; m < 3; m++)
			good[s][m] = 20;
	struct fx x;
	fx_open(&x);
	netblock_validators(&x, q, (const uint32_t(*)[3])good);
	fx_rules(&x, NULL);
	cr_assert_eq(fx_count(&x, "RATE_LIMITED"), 3);
	cr_assert_null(fx_find(&x, "RATE_LIMITED", "198.51.100.0/24"));
	const struct finding *f = fx_find(&x, "RATE_LIMITED", "198.51.100.6");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->subject_kind, "source");
	cr_assert_eq(fx_metric(f, "inferred_qps_cap"), 20);
	cr_assert_eq(fx_metric(f, "netblock_sources"), 3);
	cr_assert_eq(fx_metric(f, "netblock_cap"), 60);
	cr_assert_not_null(strstr(f->evidence, "3 validators of 198.51.100.0/24 lost answers in "
	                                       "the same seconds"),
	                   "%s", f->evidence);
	fx_close(&x);
}

/* One validator of the /24 limited, the others answered in full: judged
 * alone, and its finding does not speak of the netblock. */
Test(rate_limited, one_limited_validator_of_a_netblock_is_judged_alone)
{
	static const uint32_t q[3] = {50, 15, 15};
	uint32_t good[10][3];
	for (unsigned s = 0; s < 10; s++) {
		good[s][0] = 20;
		good[s][1] = good[s][2] = 15;
	}
	struct fx x;
	fx_open(&x);
	netblock_validators(&x, q, (const uint32_t(*)[3])good);
	fx_rules(&x, NULL);
	cr_assert_eq(fx_count(&x, "RATE_LIMITED"), 1);
	const struct finding *f = fx_find(&x, "RATE_LIMITED", "198.51.100.5");
	cr_assert_not_null(f);
	cr_assert_eq(fx_metric(f, "inferred_qps_cap"), 20);
	for (unsigned i = 0; i < f->nmetrics; i++)
		cr_assert_str_neq(f->metrics[i].key, "netblock_sources");
	cr_assert_null(strstr(f->evidence, "198.51.100.0/24"));
	fx_close(&x);
}

/* ---- REFUSED / SERVFAIL / DROPS -------------------------------------- */

static void validator_errors(struct fx *x, uint64_t refused, uint64_t servfail, uint64_t unanswered)
{
	fx_healthy_validators(x, "digicert", "203.0.113", 100);
	struct source_bucket b = fx_b("203.0.113.21", 1);
	b.queries = b.queries_udp = 200;
	b.rcode[RCODE_SLOT_REFUSED] = refused;
	b.rcode[RCODE_SLOT_SERVFAIL] = servfail;
	b.unanswered = unanswered;
	b.responses = 200 - unanswered;
	b.rcode[RCODE_SLOT_NOERROR] = 200 - unanswered - refused - servfail;
	fx_add(x, &b);
	for (uint64_t i = 0; i < refused; i++)
		fx_txn(x, "203.0.113.21", 60000 + i, 5, false, DCV_TRANSPORT_UDP, "shop.example",
		       257, DCV_SHAPE_CAA);
	for (uint64_t i = 0; i < servfail; i++)
		fx_txn(x, "203.0.113.21", 61000 + i, 2, false, DCV_TRANSPORT_UDP, "example.com",
		       257, DCV_SHAPE_CAA);
	for (uint64_t i = 0; i < unanswered; i++)
		fx_txn(x, "203.0.113.21", 62000 + i, -1, false, DCV_TRANSPORT_UDP,
		       "_dnsauth.www.example.com", 16, DCV_SHAPE_DNSAUTH);
	/* an ordinary resolver refused a lot: not a validator */
	struct source_bucket r = fx_b("192.0.2.10", 1);
	r.queries = r.responses = r.rcode[RCODE_SLOT_REFUSED] = 500;
	fx_add(x, &r);
}

Test(refused_to_validators, counts_and_example_names)
{
	struct fx x;
	fx_open(&x);
	validator_errors(&x, 60, 0, 0);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "REFUSED_TO_VALIDATORS", "digicert");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL); /* 60 of 800: 7.5% */
	cr_assert_eq(fx_metric(f, "refused"), 60);
	cr_assert_eq(fx_metric(f, "queries"), 800);
	cr_assert_not_null(strstr(f->evidence, "shop.example (60)"));
	cr_assert_not_null(strstr(f->evidence, "apnic 60"));
	cr_assert_eq(f->first_seen_ns, FX_T0 + 60000ull * 1000000);
	cr_assert_eq(fx_count(&x, "REFUSED_TO_VALIDATORS"), 1, "the resolver is not reported");
	fx_close(&x);
}

Test(refused_to_validators, two_refusals_stay_silent)
{
	struct fx x;
	fx_open(&x);
	validator_errors(&x, 2, 2, 9);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "REFUSED_TO_VALIDATORS", NULL));
	cr_assert_null(fx_find(&x, "SERVFAIL_TO_VALIDATORS", NULL));
	cr_assert_null(fx_find(&x, "VALIDATOR_DROPS", NULL));
	fx_close(&x);
}

Test(servfail_to_validators, a_few_servfails_are_a_warning)
{
	struct fx x;
	fx_open(&x);
	validator_errors(&x, 0, 8, 0);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "SERVFAIL_TO_VALIDATORS", "digicert");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_WARNING); /* 1% */
	cr_assert_eq(fx_metric(f, "servfail"), 8);
	cr_assert_not_null(strstr(f->evidence, "example.com (8)"));
	fx_close(&x);
}

Test(validator_drops, unanswered_validator_queries)
{
	struct fx x;
	fx_open(&x);
	validator_errors(&x, 0, 0, 100);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "VALIDATOR_DROPS", "digicert");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL); /* 12.5% */
	cr_assert_eq(fx_metric(f, "unanswered"), 100);
	cr_assert_not_null(strstr(f->evidence, "_dnsauth.www.example.com (100)"));
	fx_close(&x);
}

/* ---- MPIC_QUORUM_AT_RISK --------------------------------------------- */

Test(mpic_quorum_at_risk, attempts_with_failing_perspectives)
{
	struct fx x;
	fx_open(&x);
	for (unsigned i = 0; i < 10; i++)
		fx_attempt(&x, 10000 * i, "www.example.com", "digicert", 5, i < 3 ? 1 : 0,
		           MPIC_OUT_UNANSWERED, i < 3 ? MPIC_AT_RISK : MPIC_CORROBORATED, 3);
	fx_attempt(&x, 200000, "api.example.com", "sectigo", 5, 1, MPIC_OUT_REFUSED, MPIC_AT_RISK,
	           2);
	for (unsigned i = 0; i < 19; i++)
		fx_attempt(&x, 300000 + 10000 * i, "api.example.com", "sectigo", 5, 0,
		           MPIC_OUT_ANSWERED, MPIC_CORROBORATED, 2);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "MPIC_QUORUM_AT_RISK", "digicert");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "attempts"), 10);
	cr_assert_eq(fx_metric(f, "at_risk"), 3);
	cr_assert_not_null(strstr(f->evidence, "arin unanswered 3"));
	cr_assert_not_null(strstr(f->evidence, "www.example.com (3)"));
	f = fx_find(&x, "MPIC_QUORUM_AT_RISK", "sectigo");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_WARNING, "1 of 20 attempts");
	fx_close(&x);
}

Test(mpic_quorum_at_risk, corroborated_attempts_stay_silent)
{
	struct fx x;
	fx_open(&x);
	for (unsigned i = 0; i < 10; i++)
		fx_attempt(&x, 10000 * i, "www.example.com", "digicert", 5, 0, MPIC_OUT_ANSWERED,
		           MPIC_CORROBORATED, 3);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "MPIC_QUORUM_AT_RISK", NULL));
	fx_close(&x);
}

/* ---- CAA_BURST -------------------------------------------------------- */

static void caa_climb(struct fx *x, uint8_t labels, unsigned failures)
{
	fx_healthy_validators(x, "letsencrypt", "66.133.109", 50);
	fx_attempt(x, 5000, "a.b.c.example.com", "letsencrypt", 3, 1, MPIC_OUT_UNANSWERED,
	           MPIC_AT_RISK, labels);
	static const char *const climb[] = {"a.b.c.example.com", "b.c.example.com", "c.example.com",
	                                    "example.com"};
	for (unsigned i = 0; i < 4; i++)
		fx_txn(x, "66.133.109.1", 5100 + i, i < failures ? -1 : 0, false, DCV_TRANSPORT_UDP,
		       climb[i], 257, DCV_SHAPE_CAA);
	/* failures outside the burst: another name, and after the attempt */
	fx_txn(x, "66.133.109.1", 5200, -1, false, DCV_TRANSPORT_UDP, "other.example", 257,
	       DCV_SHAPE_CAA);
	fx_txn(x, "66.133.109.1", 90000, -1, false, DCV_TRANSPORT_UDP, "c.example.com", 257,
	       DCV_SHAPE_CAA);
}

Test(caa_burst, failed_lookups_during_a_deep_climb)
{
	struct fx x;
	fx_open(&x);
	caa_climb(&x, 4, 3);
	fx_rules(&x, NULL);
	const struct finding *f = fx_find(&x, "CAA_BURST", "a.b.c.example.com");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->subject_kind, "name");
	cr_assert_eq(f->severity, RULE_WARNING);
	cr_assert_eq(fx_metric(f, "failed_lookups"), 3);
	cr_assert_eq(fx_metric(f, "caa_labels"), 4);
	cr_assert_not_null(strstr(f->recommendation, "Publish a CAA record"));
	fx_close(&x);
}

Test(caa_burst, shallow_climbs_few_failures_or_total_silence_stay_silent)
{
	struct fx x;
	fx_open(&x);
	caa_climb(&x, 2, 3);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "CAA_BURST", NULL));
	fx_close(&x);
	fx_open(&x);
	caa_climb(&x, 4, 2);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "CAA_BURST", NULL));
	fx_close(&x);
	/* a source that gets nothing at all is silenced, not burst-limited */
	fx_open(&x);
	caa_climb(&x, 4, 4);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "CAA_BURST", NULL));
	fx_close(&x);
}

/* ---- ACME_TXT_MISSING / ACME_TXT_TTL_HIGH ---------------------------- */

Test(acme_txt_missing, nxdomain_to_several_validators)
{
	struct fx x;
	fx_open(&x);
	fx_healthy_validators(&x, "letsencrypt", "66.133.109", 50);
	fx_txn(&x, "66.133.109.1", 1000, 3, false, DCV_TRANSPORT_UDP,
	       "_acme-challenge.www.example.com", 16, DCV_SHAPE_ACME_DNS01);
	fx_txn(&x, "66.133.109.11", 1010, 3, false, DCV_TRANSPORT_UDP,
	       "_acme-challenge.www.example.com", 16, DCV_SHAPE_ACME_DNS01);
	fx_txn(&x, "66.133.109.21", 1020, 3, false, DCV_TRANSPORT_UDP,
	       "_acme-challenge.www.example.com", 16, DCV_SHAPE_ACME_DNS01);
	fx_rules(&x, NULL);
	const struct finding *f =
	    fx_find(&x, "ACME_TXT_MISSING", "_acme-challenge.www.example.com");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_WARNING);
	cr_assert_eq(fx_metric(f, "sources"), 3);
	cr_assert_eq(fx_metric(f, "nxdomain"), 3);
	cr_assert_eq(f->first_seen_ns, FX_T0 + 1000ull * 1000000);
	cr_assert_eq(f->last_seen_ns, FX_T0 + 1020ull * 1000000);
	fx_close(&x);
}

Test(acme_txt_missing, one_validator_or_resolvers_only_stay_silent)
{
	struct fx x;
	fx_open(&x);
	fx_healthy_validators(&x, "letsencrypt", "66.133.109", 50);
	fx_txn(&x, "66.133.109.1", 1000, 3, false, DCV_TRANSPORT_UDP,
	       "_acme-challenge.www.example.com", 16, DCV_SHAPE_ACME_DNS01);
	for (unsigned i = 0; i < 5; i++) {
		char a[32];
		snprintf(a, sizeof(a), "192.0.2.%u", 10 + i);
		fx_txn(&x, a, 2000 + i, 3, false, DCV_TRANSPORT_UDP, "_acme-challenge.example.net",
		       16, DCV_SHAPE_ACME_DNS01);
	}
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "ACME_TXT_MISSING", NULL));
	fx_close(&x);
}

Test(acme_txt_ttl_high, a_challenge_ttl_over_five_minutes)
{
	struct fx x;
	fx_open(&x);
	fx_healthy_validators(&x, "letsencrypt", "66.133.109", 50);
	fx_txt_ttl(&x, "66.133.109.1", 1000, "_acme-challenge.www.example.com", 3600);
	fx_txt_ttl(&x, "66.133.109.2", 1200, "_acme-challenge.www.example.com", 3599);
	fx_rules(&x, NULL);
	const struct finding *f =
	    fx_find(&x, "ACME_TXT_TTL_HIGH", "_acme-challenge.www.example.com");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_WARNING);
	cr_assert_eq(fx_metric(f, "max_ttl"), 3600);
	cr_assert_eq(fx_metric(f, "answers"), 2);
	cr_assert_eq(f->last_seen_ns, FX_T0 + 1200ull * 1000000);
	fx_close(&x);
}

Test(acme_txt_ttl_high, ttls_up_to_the_threshold_or_unknown_stay_silent)
{
	struct fx x;
	fx_open(&x);
	fx_healthy_validators(&x, "letsencrypt", "66.133.109", 50);
	fx_txt_ttl(&x, "66.133.109.1", 1000, "_acme-challenge.www.example.com", 300);
	fx_txt_ttl(&x, "66.133.109.1", 1000, "_acme-challenge.api.example.com", 60);
	fx_txt_ttl(&x, "66.133.109.1", 1000, "_acme-challenge.old.example.com", UINT32_MAX);
	fx_txn(&x, "66.133.109.1", 1000, 0, false, DCV_TRANSPORT_UDP,
	       "_acme-challenge.x.example.com", 16, DCV_SHAPE_ACME_DNS01);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "ACME_TXT_TTL_HIGH", NULL));
	fx_close(&x);
}

/* ---- the whole catalogue --------------------------------------------- */

/* ---- LARGE_UDP_ANSWERS ---------------------------------------------- */

/* DigiCert's validators get 2.5 KB DNSKEY answers in IP fragments over UDP
 * and ask again 1-2 s later: the fragments never reached them. Sectigo's
 * get the same answers without asking again: they arrived. */
Test(large_udp_answers, fragmented_answers_asked_again_were_lost)
{
	struct fx x;
	fx_open(&x);
	fx_healthy_validators(&x, "digicert", "203.0.113", 50);
	fx_healthy_validators(&x, "sectigo", "198.51.100", 50);
	const char *dc[] = {"203.0.113.1", "203.0.113.11", "203.0.113.21"};
	const char *sc[] = {"198.51.100.1", "198.51.100.11", "198.51.100.21"};
	for (unsigned i = 0; i < 3; i++) {
		uint64_t t = 1000 * i;
		fx_sized(&x, dc[i], t, DCV_TRANSPORT_UDP, "example.com", 48, 2504, true);
		if (i < 2) /* asked again, answered over TCP after a TC=1 */
			fx_sized(&x, dc[i], t + 1500, DCV_TRANSPORT_TCP, "example.com", 48, 2504,
			         false);
		fx_sized(&x, sc[i], t, DCV_TRANSPORT_UDP, "example.com", 48, 2504, true);
	}
	/* large over TCP, or small: not at risk */
	fx_sized(&x, "203.0.113.2", 0, DCV_TRANSPORT_TCP, "example.org", 48, 3000, false);
	fx_sized(&x, "203.0.113.2", 10, DCV_TRANSPORT_UDP, "example.org", 257, 900, false);
	fx_rules(&x, NULL);
	cr_assert_eq(fx_count(&x, "LARGE_UDP_ANSWERS"), 1);
	const struct finding *f = fx_find(&x, "LARGE_UDP_ANSWERS", "digicert");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL, "2 of 3 lost");
	cr_assert_eq(fx_metric(f, "answers"), 3);
	cr_assert_eq(fx_metric(f, "fragmented"), 3);
	cr_assert_eq(fx_metric(f, "largest"), 2504);
	cr_assert_eq(fx_metric(f, "asked_again"), 2);
	cr_assert_eq(fx_metric(f, "sources"), 3);
	cr_assert_eq(f->first_seen_ns, FX_T0);
	cr_assert_eq(f->last_seen_ns, FX_T0 + 2000 * 1000000ull);
	cr_assert_not_null(strstr(f->evidence, "example: example.com"), "%s", f->evidence);
	cr_assert_not_null(strstr(f->recommendation, "1232"));
	fx_close(&x);
}

/* One lost answer stays below the minimum; an unfragmented 1400-byte
 * answer asked again 6 s later is outside the window; a 1232-byte answer
 * is not large. */
Test(large_udp_answers, one_loss_late_questions_and_safe_sizes_stay_silent)
{
	struct fx x;
	fx_open(&x);
	fx_healthy_validators(&x, "digicert", "203.0.113", 50);
	fx_sized(&x, "203.0.113.1", 0, DCV_TRANSPORT_UDP, "a.example", 48, 1400, false);
	fx_sized(&x, "203.0.113.1", 1000, DCV_TRANSPORT_UDP, "a.example", 48, 1400, false);
	fx_sized(&x, "203.0.113.11", 0, DCV_TRANSPORT_UDP, "b.example", 48, 1400, false);
	fx_sized(&x, "203.0.113.11", 6000, DCV_TRANSPORT_UDP, "b.example", 48, 1400, false);
	fx_sized(&x, "203.0.113.21", 0, DCV_TRANSPORT_UDP, "c.example", 48, 1232, false);
	fx_sized(&x, "203.0.113.21", 500, DCV_TRANSPORT_UDP, "c.example", 48, 1232, false);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "LARGE_UDP_ANSWERS", NULL));
	fx_close(&x);
}

/* ---- CAA_UNSUPPORTED ------------------------------------------------ */

/* n validators of ca at net.1 .. net.n, each with one answered challenge
 * TXT and two CAA lookups whose outcome is caa_rcode (-1: unanswered). */
static void caa_lookups(struct fx *x, const char *ca, const char *net, unsigned n, int caa_rcode)
{
	for (unsigned i = 0; i < n; i++) {
		char a[48];
		snprintf(a, sizeof(a), "%s.%u", net, i + 1);
		fx_validator(x, a, ca, "arin", MPIC_CONF_LISTED);
		uint64_t t = 1000 * i;
		fx_txn(x, a, t, 0, false, DCV_TRANSPORT_UDP, "_acme-challenge.shop.example.com", 16,
		       DCV_SHAPE_ACME_DNS01);
		fx_txn(x, a, t + 200, caa_rcode, false, DCV_TRANSPORT_UDP, "shop.example.com", 257,
		       DCV_SHAPE_CAA);
		fx_txn(x, a, t + 201, caa_rcode, false, DCV_TRANSPORT_UDP, "example.com", 257,
		       DCV_SHAPE_CAA);
	}
}

/* NOTIMP to digicert's CAA lookups; a firewall dropping type 257 for
 * sectigo's while their TXT lookups are answered; letsencrypt's CAA lookups
 * answered NOERROR and NXDOMAIN: silent. */
Test(caa_unsupported, error_rcodes_and_dropped_caa_lookups_are_named)
{
	struct fx x;
	fx_open(&x);
	caa_lookups(&x, "digicert", "203.0.113", 2, 4);
	caa_lookups(&x, "sectigo", "198.51.100", 3, -1);
	caa_lookups(&x, "letsencrypt", "192.0.2", 3, 0);
	fx_txn(&x, "192.0.2.1", 5000, 3, false, DCV_TRANSPORT_UDP, "gone.example.com", 257,
	       DCV_SHAPE_CAA);
	fx_rules(&x, NULL);
	cr_assert_eq(fx_count(&x, "CAA_UNSUPPORTED"), 2);
	const struct finding *f = fx_find(&x, "CAA_UNSUPPORTED", "digicert");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "caa_error_rcode"), 4);
	cr_assert_eq(fx_metric(f, "caa_lookups"), 4);
	cr_assert_not_null(strstr(f->evidence, "answered NOTIMP"), "%s", f->evidence);
	f = fx_find(&x, "CAA_UNSUPPORTED", "sectigo");
	cr_assert_not_null(f);
	cr_assert_eq(fx_metric(f, "caa_unanswered"), 6);
	cr_assert_eq(fx_metric(f, "other_unanswered"), 0);
	cr_assert_eq(fx_metric(f, "other_lookups"), 3);
	cr_assert_not_null(strstr(f->evidence, "CAA queries are dropped"), "%s", f->evidence);
	fx_close(&x);
}

/* One NOTIMP; CAA lost as often as everything else (a blocked region, a
 * dead link); half the CAA lookups lost (a rate limit): silent. */
Test(caa_unsupported, one_error_general_loss_or_a_partial_loss_stay_silent)
{
	struct fx x;
	fx_open(&x);
	caa_lookups(&x, "digicert", "203.0.113", 3, 0);
	fx_txn(&x, "203.0.113.1", 9000, 4, false, DCV_TRANSPORT_UDP, "x.example.com", 257,
	       DCV_SHAPE_CAA);
	caa_lookups(&x, "sectigo", "198.51.100", 3, -1);
	for (unsigned i = 0; i < 3; i++) {
		char a[48];
		snprintf(a, sizeof(a), "198.51.100.%u", i + 1);
		fx_txn(&x, a, 9000, -1, false, DCV_TRANSPORT_UDP, "_acme-challenge.x.example.com",
		       16, DCV_SHAPE_ACME_DNS01);
	}
	caa_lookups(&x, "letsencrypt", "192.0.2", 4, 0);
	caa_lookups(&x, "letsencrypt", "192.0.2", 4, -1);
	fx_rules(&x, NULL);
	cr_assert_null(fx_find(&x, "CAA_UNSUPPORTED", NULL));
	fx_close(&x);
}

/* ---- SLOW_ANSWERS ---------------------------------------------------- */

/* One answered challenge lookup of a validator at t_ms, latency_ms late. */
static void answered_after(struct fx *x, const char *client, uint64_t t_ms, uint64_t latency_ms)
{
	struct txn_record r =
	    fx_txn_rec(client, t_ms, 0, false, DCV_TRANSPORT_UDP,
	               "_acme-challenge.shop.example.com", 16, DCV_SHAPE_ACME_DNS01);
	r.latency_us = latency_ms * 1000;
	cr_assert_eq(db_txn_add(x->db, x->run, &r), 0, "%s", db_errmsg(x->db));
}

/* digicert: 4 of 10 answers 1.2 to 3 s late (critical); sectigo: 3 of 40
 * (a warning); letsencrypt: 2 late (below the minimum) and the rest at
 * 999 ms (under the threshold). */
Test(slow_answers, late_answers_to_validators_are_named)
{
	struct fx x;
	fx_open(&x);
	fx_validator(&x, "203.0.113.1", "digicert", "arin", MPIC_CONF_LISTED);
	fx_validator(&x, "198.51.100.1", "sectigo", "ripe", MPIC_CONF_LISTED);
	fx_validator(&x, "192.0.2.1", "letsencrypt", "arin", MPIC_CONF_LISTED);
	for (unsigned i = 0; i < 10; i++)
		answered_after(&x, "203.0.113.1", 1000 * i, i < 4 ? 1200 + 600 * i : 20);
	for (unsigned i = 0; i < 40; i++)
		answered_after(&x, "198.51.100.1", 1000 * i, i < 3 ? 1500 : 5);
	for (unsigned i = 0; i < 10; i++)
		answered_after(&x, "192.0.2.1", 1000 * i, i < 2 ? 4000 : 999);
	fx_rules(&x, NULL);
	cr_assert_eq(fx_count(&x, "SLOW_ANSWERS"), 2);
	const struct finding *f = fx_find(&x, "SLOW_ANSWERS", "digicert");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_CRITICAL);
	cr_assert_eq(fx_metric(f, "slow"), 4);
	cr_assert_eq(fx_metric(f, "answered"), 10);
	cr_assert_eq(fx_metric(f, "max_latency_ms"), 3000);
	cr_assert_eq(f->first_seen_ns, FX_T0);
	cr_assert_eq(f->last_seen_ns, FX_T0 + 3000 * 1000000ull);
	f = fx_find(&x, "SLOW_ANSWERS", "sectigo");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, RULE_WARNING, "3 of 40");
	fx_close(&x);
}

Test(catalogue, a_clean_busy_database_gives_no_warning)
{
	struct fx x;
	fx_open(&x);
	/* 300 resolvers over 10 minutes, some busy seconds, all answered */
	for (unsigned r = 0; r < 300; r++) {
		char a[32];
		snprintf(a, sizeof(a), "10.%u.%u.1", r / 200, r % 200);
		for (unsigned m = 0; m < 10; m++) {
			struct source_bucket b = fx_b(a, m);
			b.queries = b.queries_udp = 600;
			b.responses = 600;
			b.rcode[RCODE_SLOT_NOERROR] = 570;
			b.rcode[RCODE_SLOT_NXDOMAIN] = 30;
			b.peak_qps = 25;
			b.max_concurrent_tcp = 3;
			b.tcp_sessions = 20;
			fx_add(&x, &b);
		}
		if (r < 20)
			for (unsigned s = 0; s < 30; s++)
				fx_second(&x, a, s, 20 + (s % 7), 20 + (s % 7), 0, 0);
	}
	fx_healthy_validators(&x, "letsencrypt", "66.133.109", 300);
	fx_healthy_validators(&x, "digicert", "203.0.113", 300);
	for (unsigned i = 0; i < 30; i++)
		fx_attempt(&x, 5000 * i, "www.example.com", i % 2 ? "digicert" : "letsencrypt", 5,
		           0, MPIC_OUT_ANSWERED, MPIC_CORROBORATED, 3);
	/* one lost query and one SERVFAIL: noise, not a finding */
	fx_txn(&x, "66.133.109.1", 1000, -1, false, DCV_TRANSPORT_UDP, "www.example.com", 257,
	       DCV_SHAPE_CAA);
	fx_txn(&x, "66.133.109.2", 1000, 2, false, DCV_TRANSPORT_UDP, "www.example.com", 257,
	       DCV_SHAPE_CAA);
	fx_rules(&x, NULL);
	for (unsigned i = 0; i < x.nfound; i++)
		cr_assert_eq(x.found[i].severity, RULE_INFO, "%s %s: %s", x.found[i].rule,
		             x.found[i].subject, x.found[i].evidence);
	fx_close(&x);
}

Test(catalogue, one_subject_gets_one_finding_per_rule)
{
	struct fx x;
	fx_open(&x);
	regions(&x, 40, true, 100);
	capped_source(&x, "198.51.100.7", 25, 3);
	validator_errors(&x, 60, 8, 100);
	fx_rules(&x, NULL);
	assert_unique(&x);
	cr_assert_geq(x.nfound, 5);
	fx_close(&x);
}
