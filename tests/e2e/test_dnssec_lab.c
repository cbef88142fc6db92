/*
 * test_dnssec_lab.c - DNSSEC, CAA and EDNS findings from a real Knot DNS
 * serving zones signed by ldns-signzone, queried with kdig +dnssec from a
 * validator address, captured with tcpdump (tests/e2e/dnssec_lab.sh), and a
 * fake server that drops OPT. The lab runs once (one test: Criterion runs
 * every test in its own process) and each check reads what `dcvscope
 * analyze --db` stored. Needs root (tcpdump on lo).
 * The valid zone expires in 2037: ldns compares RRSIG times as signed
 * 32-bit numbers, so it calls later expiry dates earlier than inception.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LAB_SCRIPT     DCV_SOURCE_DIR "/tests/e2e/dnssec_lab.sh"
#define LAB_VALIDATORS DCV_CAPTURES_DIR "/validators-lab.tsv"
#define LAB_TIMEOUT_S  50

static char lab_dir[256];
static sqlite3 *lab_db;
static char lab_error[1024]; /* why the lab did not come up; "" when it did */

static void lab_init(void)
{
	snprintf(lab_dir, sizeof(lab_dir), "/tmp/dcv-dnssec-lab-%d", (int)getpid());
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	         "rm -rf '%s' && mkdir -p '%s' && timeout -k 5 %d '%s' '%s' '%s' '%s'", lab_dir,
	         lab_dir, LAB_TIMEOUT_S, LAB_SCRIPT, DCV_BINARY, LAB_VALIDATORS, lab_dir);
	/* no assertion here: a failing init would skip lab_fini() and its cleanup */
	if (geteuid() != 0) {
		snprintf(lab_error, sizeof(lab_error), "the DNSSEC lab needs root (tcpdump on lo)");
		return;
	}
	if (system(cmd) != 0) {
		snprintf(lab_error, sizeof(lab_error), "the lab script failed: %.900s", cmd);
		return;
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/lab.db", lab_dir);
	if (sqlite3_open_v2(path, &lab_db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		snprintf(lab_error, sizeof(lab_error), "cannot open %s", path);
}

static void lab_fini(void)
{
	sqlite3_close(lab_db);
	lab_db = NULL;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", lab_dir);
	if (lab_dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", lab_dir);
}

/* The single text column of the first row of sql ("" when no row). */
static void query_text(const char *sql, const char *arg, char *out, size_t len)
{
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(lab_db, sql, -1, &st, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(lab_db));
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static int query_int(const char *sql, const char *arg)
{
	char buf[64];
	query_text(sql, arg, buf, sizeof(buf));
	return atoi(buf);
}

#define FINDINGS_OF "SELECT count(*) FROM findings WHERE rule = ?"

static void valid_signatures_are_secure_without_finding(void)
{
	char status[32];
	query_text("SELECT status FROM dnssec_names WHERE name = ? AND qtype = 1", "good.test",
	           status, sizeof(status));
	cr_expect_str_eq(status, "SECURE");
	query_text("SELECT status FROM dnssec_names WHERE name = ? AND qtype = 1", "www.good.test",
	           status, sizeof(status));
	cr_expect_str_eq(status, "SECURE");
	/* the NXDOMAIN is proven with NSEC */
	query_text("SELECT status FROM dnssec_names WHERE name = ?", "nothere.good.test", status,
	           sizeof(status));
	cr_expect_str_eq(status, "SECURE");
	cr_expect_eq(
	    query_int("SELECT count(*) FROM findings WHERE subject LIKE '%good.test'", NULL), 0);
}

static void expired_signatures_are_bogus_naming_the_expiry(void)
{
	char ev[1024];
	query_text("SELECT evidence FROM findings WHERE rule = 'DNSSEC_BOGUS' AND subject = ?",
	           "www.expired.test", ev, sizeof(ev));
	cr_expect(strstr(ev, "expired at 2020-02-01T00:00:00Z") != NULL, "evidence: %s", ev);
	char sev[16];
	query_text("SELECT severity FROM findings WHERE rule = 'DNSSEC_BOGUS' AND subject = ?",
	           "expired.test", sev, sizeof(sev));
	cr_expect_str_eq(sev, "critical");
}

static void stripped_rrsigs_are_rrsig_missing(void)
{
	cr_expect_eq(query_int("SELECT count(*) FROM findings WHERE rule = 'DNSSEC_RRSIG_MISSING' "
	                       "AND subject = ?",
	                       "www.stripped.test"),
	             1);
	char err[32];
	query_text("SELECT error FROM dnssec_names WHERE name = ? AND qtype = 1", "stripped.test",
	           err, sizeof(err));
	cr_expect_str_eq(err, "RSIGS_MISSING");
}

static void signatures_expiring_in_two_days_are_expiring(void)
{
	char ev[1024];
	query_text("SELECT evidence FROM findings WHERE rule = 'DNSSEC_EXPIRING' AND subject = ?",
	           "www.soon.test", ev, sizeof(ev));
	cr_expect(strstr(ev, "2.0 day(s) after the newest packet") != NULL, "evidence: %s", ev);
	cr_expect_eq(query_int("SELECT count(*) FROM findings WHERE rule = 'DNSSEC_EXPIRING' AND "
	                       "subject LIKE ?",
	                       "%good.test"),
	             0);
}

static void caa_for_another_ca_denies_letsencrypt(void)
{
	char rec[1024];
	query_text("SELECT recommendation FROM findings WHERE rule = 'CAA_DENIES_CA' AND "
	           "subject = ?",
	           "letsencrypt/caa.test", rec, sizeof(rec));
	cr_expect(strstr(rec, "caa.test. CAA 0 issue \"letsencrypt.org\"") != NULL, "rec: %s", rec);
	cr_expect_eq(query_int(FINDINGS_OF, "CAA_DENIES_CA"), 1);
}

static void server_dropping_opt_is_edns_noncompliant(void)
{
	char ev[1024];
	query_text("SELECT evidence FROM findings WHERE rule = 'EDNS_NONCOMPLIANT'", NULL, ev,
	           sizeof(ev));
	cr_expect(strstr(ev, "no_opt x2") != NULL, "evidence: %s", ev);
	/* Knot itself is compliant: one server only */
	cr_expect_eq(query_int(FINDINGS_OF, "EDNS_NONCOMPLIANT"), 1);
}

Test(dnssec_lab, real_server_faults_make_their_findings_and_a_valid_zone_none, .init = lab_init,
     .fini = lab_fini, .timeout = 120)
{
	cr_assert_eq(lab_error[0], '\0', "%s", lab_error);
	valid_signatures_are_secure_without_finding();
	expired_signatures_are_bogus_naming_the_expiry();
	stripped_rrsigs_are_rrsig_missing();
	signatures_expiring_in_two_days_are_expiring();
	caa_for_another_ca_denies_letsencrypt();
	server_dropping_opt_is_edns_noncompliant();
}
