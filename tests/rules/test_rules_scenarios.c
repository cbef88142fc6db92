/*
 * test_rules_scenarios.c - end to end on generated captures: dcvscope-gen
 * writes a scenario, dcvscope analyze stores it, dcvscope rules must
 * conclude what the scenario injected (and nothing it does not deserve).
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "rules_fixture.h"

#define VALIDATORS DCV_CAPTURES_DIR "/validators-test.tsv"

/* Analyzes pcap into dir/s.db with the validators file and the extra
 * analyze options, runs the rules; returns their JSON. */
static json_t *judge_capture(const char *dir, const char *pcap, const char *validators,
                             const char *extra)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --db %s/s.db --no-default-validators --validators %s --no-progress "
	         "%s %s >/dev/null",
	         DCV_BINARY, dir, validators, extra, pcap);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "%s rules --db %s/s.db --format json", DCV_BINARY, dir);
	char *out = NULL;
	cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
	json_error_t e;
	json_t *root = json_loads(out, 0, &e);
	cr_assert_not_null(root, "%s: %s", e.text, out);
	free(out);
	cr_assert(json_is_array(json_object_get(root, "findings")));
	return root;
}

/* Generates scenario, analyzes it, runs the rules; returns the findings
 * array (owned by *root) and the expectation file in *expect. */
static json_t *findings_of(const char *scenario, json_t **root, json_t **expect)
{
	const char *dir = test_tmpdir();
	char cmd[2048], pcap[700];
	snprintf(pcap, sizeof(pcap), "%s/s.pcap", dir);
	snprintf(cmd, sizeof(cmd), "%s %s -o %s --expect %s/s.json", DCV_GEN_BINARY, scenario, pcap,
	         dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	*root = judge_capture(dir, pcap, VALIDATORS, "");
	if (expect != NULL) {
		json_error_t e;
		char path[700];
		snprintf(path, sizeof(path), "%s/s.json", dir);
		*expect = json_load_file(path, 0, &e);
		cr_assert_not_null(*expect, "%s", e.text);
	}
	json_t *arr = json_object_get(*root, "findings");
	cr_assert(json_is_array(arr));
	return arr;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* The finding of rule whose subject is `subject` (NULL: any), or NULL. */
static json_t *find(json_t *arr, const char *rule, const char *subject)
{
	size_t i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		if (strcmp(str(f, "rule"), rule) == 0 &&
		    (subject == NULL || strcmp(str(f, "subject"), subject) == 0))
			return f;
	}
	return NULL;
}

static bool json_list_has(json_t *list, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static void assert_unique(json_t *arr)
{
	size_t i, j;
	json_t *a, *b;
	json_array_foreach(arr, i, a)
	{
		json_array_foreach(arr, j, b)
		{
			if (j <= i)
				continue;
			cr_assert(strcmp(str(a, "rule"), str(b, "rule")) != 0 ||
			              strcmp(str(a, "subject"), str(b, "subject")) != 0 ||
			              strcmp(str(a, "subject_kind"), str(b, "subject_kind")) != 0,
			          "duplicate %s %s", str(a, "rule"), str(a, "subject"));
		}
	}
}

Test(scenarios, mpic_injected_failures_become_findings)
{
	json_t *root;
	json_t *arr = findings_of("mpic", &root, NULL);
	assert_unique(arr);
	/* shop.example refuses APNIC validator networks */
	json_t *f = find(arr, "REGION_ASYMMETRY", "apnic");
	cr_assert_not_null(f, "REGION_ASYMMETRY must name apnic");
	cr_assert_str_eq(str(f, "subject_kind"), "region");
	cr_assert_str_eq(str(f, "severity"), "critical");
	cr_assert_not_null(strstr(str(f, "evidence"), "dominant: refused"));
	cr_assert_not_null(find(arr, "REGION_ASYMMETRY", "digicert/apnic"));
	cr_assert_not_null(find(arr, "REGION_ASYMMETRY", "globalsign/apnic"));
	size_t i;
	json_array_foreach(arr, i, f)
	{
		if (strcmp(str(f, "rule"), "REGION_ASYMMETRY") == 0)
			cr_assert_not_null(strstr(str(f, "subject"), "apnic"), "%s",
			                   str(f, "subject"));
	}
	f = find(arr, "REFUSED_TO_VALIDATORS", "digicert");
	cr_assert_not_null(f);
	cr_assert_not_null(strstr(str(f, "evidence"), "shop.example"));
	cr_assert_not_null(strstr(str(f, "evidence"), "apnic 40"));
	cr_assert_not_null(find(arr, "REFUSED_TO_VALIDATORS", "globalsign"));
	/* SERVFAIL on apex CAA */
	f = find(arr, "SERVFAIL_TO_VALIDATORS", "digicert");
	cr_assert_not_null(f);
	cr_assert_not_null(strstr(str(f, "evidence"), "example.com"));
	/* drops */
	cr_assert_not_null(find(arr, "VALIDATOR_DROPS", "digicert"));
	cr_assert_not_null(find(arr, "VALIDATOR_DROPS", "globalsign"));
	/* MPIC attempts at risk */
	f = find(arr, "MPIC_QUORUM_AT_RISK", "globalsign");
	cr_assert_not_null(f);
	cr_assert_str_eq(str(f, "severity"), "critical");
	cr_assert_not_null(find(arr, "MPIC_QUORUM_AT_RISK", "digicert"));
	/* TCP resets on the TC retries */
	cr_assert_not_null(find(arr, "TCP53_REJECTED", "globalsign"));
	cr_assert_not_null(find(arr, "TC_WITHOUT_TCP", "globalsign"));
	/* caa-burst: every CAA but the first dropped */
	cr_assert_not_null(find(arr, "CAA_BURST", NULL));
	/* the nx injection: challenge records missing */
	cr_assert_not_null(find(arr, "ACME_TXT_MISSING", NULL));
	/* no session cap and no rate limit were configured */
	cr_assert_null(find(arr, "SESSION_CAP", NULL));
	cr_assert_null(find(arr, "RATE_LIMITED", NULL));
	json_decref(root);
}

Test(scenarios, demo_has_no_critical_finding)
{
	json_t *root;
	json_t *arr = findings_of("demo", &root, NULL);
	size_t i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		/* the demo's faults are single events: one SERVFAIL to a validator,
		 * two resolvers' failed TCP retries, a few drops: nothing critical */
		cr_assert_str_neq(str(f, "severity"), "critical", "%s %s: %s", str(f, "rule"),
		                  str(f, "subject"), str(f, "evidence"));
	}
	cr_assert_null(find(arr, "SESSION_CAP", NULL));
	cr_assert_null(find(arr, "TCP53_REJECTED", NULL));
	cr_assert_null(find(arr, "RATE_LIMITED", NULL));
	json_decref(root);
}

/* The fault-* scenarios carry their own expectations: every expected
 * finding (rule, severity, one of the subjects, metric within tolerance),
 * and no warning or critical finding of a rule not expected or allowed. */
static void check_fault(const char *scenario)
{
	json_t *root, *expect;
	json_t *arr = findings_of(scenario, &root, &expect);
	assert_unique(arr);
	json_t *want = json_object_get(expect, "findings");
	json_t *allowed = json_object_get(expect, "findings_allowed");
	size_t i, j;
	json_t *e, *f;
	json_array_foreach(want, i, e)
	{
		const char *sev = str(e, "severity");
		bool found = false;
		json_array_foreach(arr, j, f)
		{
			if (strcmp(str(f, "rule"), str(e, "rule")) != 0 ||
			    !json_list_has(json_object_get(e, "subject"), str(f, "subject")))
				continue;
			bool sev_ok = strcmp(sev, "warning_or_critical") == 0
			                  ? strcmp(str(f, "severity"), "info") != 0
			                  : strcmp(str(f, "severity"), sev) == 0;
			if (!sev_ok)
				continue;
			const char *metric = str(e, "metric");
			if (metric[0] != '\0') {
				json_t *v = json_object_get(json_object_get(f, "metrics"), metric);
				double want_v = json_number_value(json_object_get(e, "value"));
				double tol = json_number_value(json_object_get(e, "tolerance"));
				cr_assert_not_null(v, "%s: %s has no metric %s", scenario,
				                   str(f, "rule"), metric);
				cr_assert_leq(fabs(json_number_value(v) - want_v), tol,
				              "%s: %s %s = %g, want %g +- %g", scenario,
				              str(f, "rule"), metric, json_number_value(v), want_v,
				              tol);
			}
			found = true;
		}
		cr_assert(found, "%s: no %s finding (%s)", scenario, str(e, "rule"), sev);
	}
	json_array_foreach(arr, j, f)
	{
		if (strcmp(str(f, "severity"), "info") == 0 ||
		    json_list_has(allowed, str(f, "rule")))
			continue;
		bool expected = false;
		json_array_foreach(want, i, e)
		{
			expected |= strcmp(str(e, "rule"), str(f, "rule")) == 0;
		}
		cr_assert(expected, "%s: unexpected %s %s %s: %s", scenario, str(f, "rule"),
		          str(f, "severity"), str(f, "subject"), str(f, "evidence"));
	}
	json_decref(root);
	json_decref(expect);
}

Test(scenarios, fault_clean_gives_no_warning)
{
	check_fault("fault-clean");
}

/* The DNSSEC, CAA and EDNS rules, at any severity. */
static const char *const depth_rules[] = {
    "DNSSEC_BOGUS",    "DNSSEC_RRSIG_MISSING", "DNSSEC_NSEC_MISSING", "DNSSEC_DNSKEY_MISSING",
    "DNSSEC_EXPIRING", "CAA_DENIES_CA",        "EDNS_NONCOMPLIANT",
};

Test(scenarios, clean_and_demo_captures_make_no_dnssec_caa_or_edns_finding)
{
	const char *const scenarios[] = {"fault-clean", "demo"};
	for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		json_t *root;
		json_t *arr = findings_of(scenarios[s], &root, NULL);
		for (size_t r = 0; r < sizeof(depth_rules) / sizeof(depth_rules[0]); r++) {
			json_t *f = find(arr, depth_rules[r], NULL);
			cr_expect_null(f, "%s: %s %s: %s", scenarios[s], depth_rules[r],
			               f ? str(f, "subject") : "", f ? str(f, "evidence") : "");
		}
		json_decref(root);
	}
}
Test(scenarios, fault_busy_gives_no_warning)
{
	check_fault("fault-busy");
}
Test(scenarios, fault_session_cap_25)
{
	check_fault("fault-session-cap");
}
Test(scenarios, fault_session_cap_150)
{
	check_fault("fault-session-cap-150");
}
/* refusals while handshakes wait for their SYN's retransmission, in the
 * minute before the one where the cap is reached */
Test(scenarios, fault_session_cap_backlog)
{
	check_fault("fault-session-cap-backlog");
}
/* SYNs over the cap dropped: they time out in the next minute, after the
 * sessions that filled the cap closed */
Test(scenarios, fault_session_cap_drop)
{
	check_fault("fault-session-cap-drop");
}
/* nothing refused: sessions over the server's client limit stall */
Test(scenarios, fault_session_cap_stall)
{
	check_fault("fault-session-cap-stall");
}
/* A real bind9 behind an nftables cap of 25 sessions per client, its
 * listen queue overflowing, the resets and the 25 open sessions in two
 * minutes (tests/captures/README.md). */
Test(scenarios, real_session_cap_with_listen_queue_drops_is_found_at_25)
{
	json_t *root =
	    judge_capture(test_tmpdir(), DCV_CAPTURES_DIR "/bind-session-cap-backlog.pcap",
	                  DCV_CAPTURES_DIR "/validators-lab.tsv", "--timeout-ms 3000");
	json_t *arr = json_object_get(root, "findings");
	json_t *f = find(arr, "SESSION_CAP", "127.10.1.10");
	char *all = json_dumps(arr, JSON_COMPACT);
	cr_assert_not_null(f, "no SESSION_CAP for 127.10.1.10: %s", all);
	free(all);
	cr_assert_str_eq(str(f, "severity"), "critical");
	json_t *m = json_object_get(f, "metrics");
	cr_assert_eq(json_number_value(json_object_get(m, "inferred_cap")), 25);
	cr_assert_eq(json_number_value(json_object_get(m, "tcp_rejected")), 15);
	cr_assert_eq(json_number_value(json_object_get(m, "failure_buckets")), 1);
	cr_assert_eq(json_number_value(json_object_get(m, "tcp_sessions")), 27);
	size_t i, caps = 0;
	json_array_foreach(arr, i, f) caps += strcmp(str(f, "rule"), "SESSION_CAP") == 0;
	cr_assert_eq(caps, 1, "only the capped source");
	json_decref(root);
}

/* A real BIND behind a firewall that drops every segment carrying DNS over
 * TCP from the validator prefixes once the handshake is done (lab.sh
 * tcp53_silent): nothing is reset, every TC=1 retry stalls. */
Test(scenarios, real_tcp53_accepted_but_never_answered_is_tcp53_rejected)
{
	json_t *root = judge_capture(test_tmpdir(), DCV_CAPTURES_DIR "/bind-tcp53-silent.pcap",
	                             DCV_CAPTURES_DIR "/validators-lab.tsv", "--timeout-ms 1000");
	json_t *arr = json_object_get(root, "findings");
	char *all = json_dumps(arr, JSON_COMPACT);
	const char *cas[] = {"letsencrypt", "digicert"};
	for (size_t k = 0; k < 2; k++) {
		json_t *f = find(arr, "TCP53_REJECTED", cas[k]);
		cr_assert_not_null(f, "no TCP53_REJECTED for %s: %s", cas[k], all);
		cr_assert_str_eq(str(f, "severity"), "critical");
		json_t *m = json_object_get(f, "metrics");
		cr_assert_eq(json_number_value(json_object_get(m, "tcp_stalled")), 9);
		cr_assert_eq(json_number_value(json_object_get(m, "tcp_failed")), 9);
		cr_assert_eq(json_number_value(json_object_get(m, "tcp_attempts")), 9);
		cr_assert_eq(json_number_value(json_object_get(m, "tcp_rejected")), 0);
		cr_assert_eq(json_number_value(json_object_get(m, "tcp_filtered")), 0);
	}
	cr_assert_null(find(arr, "SESSION_CAP", NULL), "%s", all);
	free(all);
	json_decref(root);
}

/* A real BIND whose response rate limiting (40 answers a second) counts
 * 127.10.1.0/24 as one client: three validators of it, 20 queries a second
 * each, are suppressed together (lab.sh rrl_netblock). Each one alone shows
 * the collapse too, so each keeps its finding, and each names the netblock. */
Test(scenarios, real_rrl_over_one_netblock_names_the_netblock)
{
	json_t *root = judge_capture(test_tmpdir(), DCV_CAPTURES_DIR "/bind-rrl-netblock.pcap",
	                             DCV_CAPTURES_DIR "/validators-lab.tsv", "--timeout-ms 1000");
	json_t *arr = json_object_get(root, "findings");
	char *all = json_dumps(arr, JSON_COMPACT);
	const char *sources[] = {"127.10.1.21", "127.10.1.22", "127.10.1.23"};
	for (size_t k = 0; k < 3; k++) {
		json_t *f = find(arr, "RATE_LIMITED", sources[k]);
		cr_assert_not_null(f, "no RATE_LIMITED for %s: %s", sources[k], all);
		cr_assert_str_eq(str(f, "severity"), "critical");
		cr_assert_not_null(strstr(str(f, "evidence"), "3 validators of 127.10.1.0/24 lost "
		                                              "answers in the same seconds"),
		                   "%s", str(f, "evidence"));
		json_t *m = json_object_get(f, "metrics");
		cr_assert_eq(json_number_value(json_object_get(m, "suppressed")), 1);
		cr_assert_eq(json_number_value(json_object_get(m, "netblock_sources")), 3);
		cr_assert_eq(json_number_value(json_object_get(m, "netblock_cap")), 43);
	}
	size_t i, n = 0;
	json_t *f;
	json_array_foreach(arr, i, f) n += strcmp(str(f, "rule"), "RATE_LIMITED") == 0;
	cr_assert_eq(n, 3, "only the three sources of the netblock: %s", all);
	free(all);
	json_decref(root);
}

/* The findings of bind-fragments.pcap (below), or of a capture of the same
 * traffic that lacks the later fragments. */
static void check_lost_fragments(const char *pcap)
{
	json_t *root = judge_capture(test_tmpdir(), pcap, DCV_CAPTURES_DIR "/validators-lab.tsv",
	                             "--timeout-ms 1000");
	json_t *arr = json_object_get(root, "findings");
	char *all = json_dumps(arr, JSON_COMPACT);
	const char *cas[] = {"letsencrypt", "digicert"};
	for (size_t k = 0; k < 2; k++) {
		json_t *f = find(arr, "LARGE_UDP_ANSWERS", cas[k]);
		cr_assert_not_null(f, "no LARGE_UDP_ANSWERS for %s: %s", cas[k], all);
		cr_assert_str_eq(str(f, "severity"), "critical");
		json_t *m = json_object_get(f, "metrics");
		cr_assert_eq(json_number_value(json_object_get(m, "answers")), 6);
		cr_assert_eq(json_number_value(json_object_get(m, "fragmented")), 6);
		cr_assert_eq(json_number_value(json_object_get(m, "asked_again")), 6);
		cr_assert_eq(json_number_value(json_object_get(m, "largest")), 2140);
		cr_assert_eq(json_number_value(json_object_get(m, "sources")), 3);
	}
	cr_assert_eq(json_array_size(arr), 2, "nothing else: %s", all);
	free(all);
	json_decref(root);
}

/* A real BIND sending 2140-byte answers in IP fragments that a network
 * after the capture point drops (lab.sh fragments): every validator asks
 * again at EDNS 1232 and gets its answer over TCP. Everything was answered;
 * only the fragments tell why the CA saw a timeout. */
Test(scenarios, real_fragmented_answers_lost_are_large_udp_answers)
{
	check_lost_fragments(DCV_CAPTURES_DIR "/bind-fragments.pcap");
}

/* The same capture filtered on 'port 53', as operators often record: the
 * second fragments carry no ports and are gone. The first ones still show
 * the answers (not drops) and their size. */
Test(scenarios, real_fragmented_answers_without_their_second_fragments_are_still_answers)
{
	check_lost_fragments(DCV_CAPTURES_DIR "/incomplete/bind-fragments-port53.pcap");
}

Test(scenarios, fault_tcp53_rejected)
{
	check_fault("fault-tcp53-rejected");
}
Test(scenarios, fault_tc_without_tcp)
{
	check_fault("fault-tc-without-tcp");
}
Test(scenarios, fault_region_silence)
{
	check_fault("fault-region-silence");
}
Test(scenarios, fault_region_refused)
{
	check_fault("fault-region-refused");
}
Test(scenarios, fault_rate_limit)
{
	check_fault("fault-rate-limit");
}
Test(scenarios, fault_servfail_caa)
{
	check_fault("fault-servfail-caa");
}
Test(scenarios, fault_acme_missing)
{
	check_fault("fault-acme-missing");
}
Test(scenarios, fault_acme_ttl)
{
	check_fault("fault-acme-ttl");
}
Test(scenarios, fault_caa_burst)
{
	check_fault("fault-caa-burst");
}
