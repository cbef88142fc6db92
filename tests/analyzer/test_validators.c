/*
 * test_validators.c - the validator range table: every kind of bad line is
 * one warning naming the problem and is skipped; later rows replace earlier
 * ones across files and drop-ins; -remove deletes; lookups return every CA
 * at the longest prefix, strongest evidence first, plus AS rows; lookups
 * agree with a linear scan; the built-in tables load cleanly.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_support.h"
#include "validators.h"

/* ---- warning collector ---------------------------------------------------- */

#define MAX_WARN 64

struct warns {
	unsigned n;
	char file[MAX_WARN][256];
	unsigned line[MAX_WARN];
	char msg[MAX_WARN][512];
};

static void collect(void *ctx, const char *file, unsigned line, const char *msg)
{
	struct warns *w = ctx;
	if (w->n < MAX_WARN) {
		snprintf(w->file[w->n], sizeof(w->file[0]), "%s", file);
		w->line[w->n] = line;
		snprintf(w->msg[w->n], sizeof(w->msg[0]), "%s", msg);
	}
	w->n++;
}

static int load_text(struct validators *v, const char *text, struct warns *w)
{
	return validators_load_buffer(v, "t.tsv", (const uint8_t *)text, strlen(text), collect, w);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static unsigned look(const struct validators *v, const char *addr, uint32_t asn,
                     struct validator_match *m, unsigned max)
{
	struct dcv_addr a;
	cr_assert(dcv_addr_parse(addr, &a), "bad address %s", addr);
	return validators_lookup(v, &a, asn, m, max);
}

#define HEAD "#@ format ca-validators 1\n#@ src k https://example.org/list\n"

/* ---- bad lines -------------------------------------------------------------- */

struct bad_line {
	const char *line;
	const char *fragment;
};

static const struct bad_line bad_lines[] = {
    {"Digicert\t192.0.2.1\tdcv\t-\t@k\t-\treseller", "bad CA id 'Digicert'"},
    {"ca_x\t192.0.2.1\tdcv\t-\t@k\t-\treseller", "bad CA id 'ca_x'"},
    {"abcdefghijklmnopqrstuvwxyz0123456\t192.0.2.1\tdcv\t-\t@k\t-\treseller", "bad CA id"},
    {"ca\t192.0.2.1/33\tdcv\t-\t@k\t-\treseller", "prefix length /33 out of range for IPv4"},
    {"ca\t10.0.0.0/7\tdcv\t-\t@k\t-\treseller",
     "prefix length /7 out of range for IPv4 (/8 to /32)"},
    {"ca\t2001:db8::/15\tdcv\t-\t@k\t-\treseller", "out of range for IPv6 (/16 to /128)"},
    {"ca\t2001:db8::/129\tdcv\t-\t@k\t-\treseller", "prefix length /129 out of range"},
    {"ca\t192.0.2.1/24\tdcv\t-\t@k\t-\treseller",
     "host bits set in '192.0.2.1/24' (did you mean 192.0.2.0/24?)"},
    {"ca\t2001:db8::1/32\tdcv\t-\t@k\t-\treseller", "did you mean 2001:db8::/32?"},
    {"ca\t192.0.2/24\tdcv\t-\t@k\t-\treseller", "bad prefix '192.0.2/24'"},
    {"ca\t192.0.2.256\tdcv\t-\t@k\t-\treseller", "bad prefix"},
    {"ca\t192.0.2.0/\tdcv\t-\t@k\t-\treseller", "bad prefix length in '192.0.2.0/'"},
    {"ca\t192.0.2.0/024\tdcv\t-\t@k\t-\treseller", "bad prefix length"},
    {"ca\t192.0.2.0/+24\tdcv\t-\t@k\t-\treseller", "bad prefix length"},
    {"ca\tAS0\tdcv\t-\t@k\t-\treseller", "bad AS number 'AS0'"},
    {"ca\tAS01\tdcv\t-\t@k\t-\treseller", "bad AS number"},
    {"ca\tAS4294967296\tdcv\t-\t@k\t-\treseller", "bad AS number"},
    {"ca\tAS\tdcv\t-\t@k\t-\treseller", "bad AS number"},
    {"ca\tas13649\tdcv\t-\t@k\t-\treseller", "bad prefix 'as13649'"},
    {"ca\t192.0.2.1\tvalidator\t-\t@k\t-\treseller", "unknown role 'validator'"},
    {"ca\t192.0.2.1\tDCV\t-\t@k\t-\treseller", "unknown role 'DCV'"},
    {"ca\t192.0.2.1\tdcv\teurope\t@k\t-\treseller", "unknown region 'europe'"},
    {"ca\t192.0.2.1\tdcv\taws:\t@k\t-\treseller", "unknown region 'aws:'"},
    {"ca\t192.0.2.1\tdcv\taws:EU-west-1\t@k\t-\treseller", "unknown region"},
    {"ca\t192.0.2.1\tdcv\tgcp:us-east1\t@k\t-\treseller", "unknown region"},
    {"ca\t192.0.2.1\tdcv\t-\t@nokey\t-\treseller", "unknown source key '@nokey'"},
    {"ca\t192.0.2.1\tdcv\t-\tftp://example.org/x\t-\treseller", "bad source 'ftp://example.org/x'"},
    {"ca\t192.0.2.1\tdcv\t-\t-\t-\treseller", "bad source '-'"},
    {"ca\t192.0.2.1\tdcv\t-\thttps://\t-\treseller", "bad source"},
    {"ca\t192.0.2.1\tdcv\t-\texample.org/page\t-\treseller", "bad source"},
    {"ca\t192.0.2.1\tdcv\t-\towner/repo:path@xyz1234\t-\treseller", "bad source"},
    {"ca\t192.0.2.1\tdcv\t-\towner:path@abcdef12\t-\treseller", "bad source"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t2025-13\treseller", "bad asof '2025-13'"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t2025-02-29\treseller", "bad asof '2025-02-29'"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t25\treseller", "bad asof"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t2025/01\treseller", "bad asof"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t-\tverified", "unknown conf 'verified'"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t-\tremove", "unknown conf 'remove'"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t-", "expected 7 TAB-separated columns, found 6"},
    {"ca 192.0.2.1 dcv - @k - reseller", "found 1 (columns are separated by TABs, not spaces)"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t-\treseller\textra", "expected 7 TAB-separated columns, found 8"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t-\treseller\t", "found 8"},
    {"ca\t\tdcv\t-\t@k\t-\treseller", "column 2 is empty"},
    {"ca\t192.0.2.1\tdcv\t-\t@k\t-\t-remove", "-remove: no earlier row for ca"},
    {"#@ bogus 1", "unknown directive '#@ bogus'"},
    {"#@", "empty '#@' directive"},
    {"#@ src k2 notaurl", "bad '#@ src' line"},
    {"#@ src k2", "bad '#@ src' line"},
    {"#@ updated 2026-02-30", "bad '#@ updated' line"},
    {"#@ format ca-validators 1", "'#@ format' line after the first row"},
};

Test(validators, every_bad_line_is_one_warning_and_is_skipped)
{
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const struct bad_line *b = &bad_lines[i];
		/* a good row first, so that "after the first row" cases have one */
		char text[8192];
		snprintf(text, sizeof(text),
		         HEAD "good\t198.51.100.0/24\tdcv\t-\t@k\t-\treseller\n%s\n", b->line);
		struct validators *v = validators_new();
		struct warns w = {0};
		int n = load_text(v, text, &w);
		cr_expect_eq(n, 1, "[%s]: %d rows applied, want only the good one", b->line, n);
		cr_expect_eq(w.n, 1, "[%s]: %u warnings", b->line, w.n);
		if (w.n >= 1) {
			cr_expect_eq(w.line[0], 4, "[%s]: warning at line %u", b->line, w.line[0]);
			cr_expect_str_eq(w.file[0], "t.tsv");
			cr_expect(strstr(w.msg[0], b->fragment) != NULL, "[%s]: '%s' lacks '%s'",
			          b->line, w.msg[0], b->fragment);
		}
		cr_expect_eq(validators_count(v), 1, "[%s]", b->line);
		validators_free(v);
	}
}

Test(validators, nul_bytes_and_overlong_lines_are_warnings)
{
	static const char text[] = HEAD "ca\t192.0.2.1\tdcv\0\t-\t@k\t-\treseller\n";
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_expect_eq(validators_load_buffer(v, "t.tsv", (const uint8_t *)text, sizeof(text) - 1,
	                                    collect, &w),
	             0);
	cr_assert_eq(w.n, 1);
	cr_expect(strstr(w.msg[0], "NUL byte") != NULL, "%s", w.msg[0]);

	size_t big = 5000;
	char *line = malloc(sizeof(HEAD) + big + 2);
	strcpy(line, HEAD);
	memset(line + strlen(HEAD), 'a', big);
	strcpy(line + strlen(HEAD) + big, "\n");
	w.n = 0;
	cr_expect_eq(load_text(v, line, &w), 0);
	cr_assert_eq(w.n, 1);
	cr_expect(strstr(w.msg[0], "line longer than 4096 bytes") != NULL, "%s", w.msg[0]);
	cr_expect_eq(w.line[0], 3);
	free(line);
	validators_free(v);
}

Test(validators, good_rows_keep_every_column)
{
	static const char text[] =
	    "\xef\xbb\xbf" /* a byte order mark is skipped */
	    "#@ format ca-validators 1   # trailing comment on a directive\n"
	    "#@ updated 2024-02-29\n"
	    "#@ src goog  https://pki.goog/faq/#faq-mpic\n"
	    "   # indented comment\n"
	    "\t \n"
	    "gts\t2001:db8:10::/48\tremote\taws:us-east-1\t@goog\t2024-02-29\tofficial\r\n"
	    "le\t203.0.113.7\tresolver\tarin\tletsencrypt/boulder:va/"
	    "va.go@2d00c8e27919\t2023\thistorical\n"
	    "x\t198.51.100.0/24\temail\tlacnic\thttp://example.org/a#b\t2025-06\tthirdparty";
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_expect_eq(load_text(v, text, &w), 3);
	cr_expect_eq(w.n, 0, "%u warnings: %s", w.n, w.n ? w.msg[0] : "");
	struct validator_match m[4];
	cr_assert_eq(look(v, "2001:db8:10:ffff::1", 0, m, 4), 1);
	cr_expect_str_eq(m[0].ca, "gts");
	cr_expect_eq(m[0].role, VROLE_REMOTE);
	cr_expect_str_eq(m[0].region, "aws:us-east-1");
	cr_expect_str_eq(m[0].source, "https://pki.goog/faq/#faq-mpic");
	cr_expect_str_eq(m[0].asof, "2024-02-29");
	cr_expect_eq(m[0].conf, VCONF_OFFICIAL);
	cr_expect_eq(m[0].prefix_len, 48);
	cr_expect(!m[0].by_asn);
	cr_assert_eq(look(v, "203.0.113.7", 0, m, 4), 1);
	cr_expect_eq(m[0].prefix_len, 32);
	cr_expect_eq(m[0].role, VROLE_RESOLVER);
	cr_expect_str_eq(m[0].source, "letsencrypt/boulder:va/va.go@2d00c8e27919");
	cr_expect_eq(m[0].conf, VCONF_HISTORICAL);
	cr_expect_eq(look(v, "203.0.113.8", 0, m, 4), 0);
	cr_assert_eq(look(v, "198.51.100.200", 0, m, 4), 1);
	cr_expect_str_eq(m[0].source, "http://example.org/a#b");
	cr_expect_eq(m[0].role, VROLE_EMAIL);
	cr_expect_str_eq(m[0].asof, "2025-06");
	validators_free(v);
}

Test(validators, missing_format_line_warns_once_and_still_reads)
{
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_expect_eq(load_text(v,
	                       "a\t192.0.2.1\tdcv\t-\thttps://e.org/\t-\treseller\n"
	                       "b\t192.0.2.2\tdcv\t-\thttps://e.org/\t-\treseller\n",
	                       &w),
	             2);
	cr_assert_eq(w.n, 1);
	cr_expect_eq(w.line[0], 1);
	cr_expect(strstr(w.msg[0], "no '#@ format ca-validators 1' line") != NULL, "%s", w.msg[0]);
	validators_free(v);
}

Test(validators, unknown_format_version_skips_the_rest_of_the_file)
{
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_expect_eq(load_text(v,
	                       "#@ format ca-validators 2\n"
	                       "a\t192.0.2.1\tdcv\t-\thttps://e.org/\t-\treseller\n",
	                       &w),
	             0);
	cr_assert_eq(w.n, 1);
	cr_expect(strstr(w.msg[0], "unsupported format 'ca-validators 2'") != NULL, "%s", w.msg[0]);
	cr_expect_eq(validators_count(v), 0);
	/* a caa file handed to the validators loader is refused the same way */
	w.n = 0;
	cr_expect_eq(load_text(v, "#@ format caa-identifiers 1\nx\ty.org\thttps://e.org/\t-\n", &w),
	             0);
	cr_expect_eq(w.n, 1);
	validators_free(v);
}

Test(validators, source_keys_belong_to_their_file)
{
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_expect_eq(load_text(v, HEAD "a\t192.0.2.1\tdcv\t-\t@k\t-\treseller\n", &w), 1);
	cr_expect_eq(
	    load_text(v, "#@ format ca-validators 1\nb\t192.0.2.2\tdcv\t-\t@k\t-\treseller\n", &w),
	    0);
	cr_assert_eq(w.n, 1);
	cr_expect(strstr(w.msg[0], "unknown source key '@k'") != NULL);
	validators_free(v);
}

/* ---- merging ------------------------------------------------------------------ */

Test(validators, later_rows_replace_and_remove_across_files)
{
	const char *dir = test_tmpdir();
	char a[512], b[512], c[512];
	snprintf(a, sizeof(a), "%s/a.tsv", dir);
	snprintf(b, sizeof(b), "%s/b.tsv", dir);
	snprintf(c, sizeof(c), "%s/c.tsv", dir);
	write_file(a, HEAD "dc\t192.0.2.0/24\tdcv\t-\t@k\t-\treseller\n"
	                   "dc\t198.51.100.1\tdcv\t-\t@k\t-\treseller\n"
	                   "sg\t192.0.2.0/24\tunknown\t-\t@k\t-\tthirdparty\n");
	write_file(b, HEAD
	           "dc\t192.0.2.0/24\tremote\tarin\thttps://example.org/new\t2026-01-02\tofficial\n"
	           "dc\t198.51.100.1\tdcv\t-\t@k\t-\t-remove\n");
	write_file(c, HEAD "dc\t198.51.100.1/32\tprimary\t-\t@k\t-\thistorical\n");
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_expect_eq(validators_load_file(v, a, collect, &w), 3);
	cr_expect_eq(validators_count(v), 3);
	cr_expect_eq(validators_load_file(v, b, collect, &w), 2);
	cr_expect_eq(w.n, 0);
	cr_expect_eq(validators_count(v), 2, "replaced in place, one removed");
	struct validator_match m[4];
	cr_assert_eq(look(v, "192.0.2.9", 0, m, 4), 2);
	cr_expect_str_eq(m[0].ca, "dc");
	cr_expect_eq(m[0].conf, VCONF_OFFICIAL);
	cr_expect_eq(m[0].role, VROLE_REMOTE);
	cr_expect_str_eq(m[0].region, "arin");
	cr_expect_str_eq(m[0].source, "https://example.org/new");
	cr_expect_str_eq(m[0].asof, "2026-01-02");
	cr_expect_str_eq(m[1].ca, "sg");
	cr_expect_eq(look(v, "198.51.100.1", 0, m, 4), 0, "removed");
	/* a bare address and its /32 are the same prefix: c brings it back */
	cr_expect_eq(validators_load_file(v, c, collect, &w), 1);
	cr_assert_eq(look(v, "198.51.100.1", 0, m, 4), 1);
	cr_expect_eq(m[0].role, VROLE_PRIMARY);
	cr_expect_eq(validators_count(v), 3);
	validators_free(v);
}

Test(validators, unreadable_file_is_minus_one_with_errno)
{
	struct validators *v = validators_new();
	errno = 0;
	cr_expect_eq(validators_load_file(v, "/nonexistent/validators.tsv", NULL, NULL), -1);
	cr_expect_eq(errno, ENOENT);
	errno = 0;
	cr_expect_eq(validators_load_caa_file(v, "/nonexistent/caa.tsv", NULL, NULL), -1);
	cr_expect_eq(errno, ENOENT);
	errno = 0;
	cr_expect_eq(validators_load_file(v, "/", NULL, NULL), -1, "a directory");
	cr_expect_eq(errno, EISDIR);
	validators_free(v);
}

Test(validators, defaults_then_etc_then_dropins_in_byte_order)
{
	const char *dir = test_tmpdir();
	char path[512];
	snprintf(path, sizeof(path), "%s/validators.tsv", dir);
	write_file(path, HEAD "op\t192.0.2.0/24\tdcv\tarin\t@k\t-\treseller\n"
	                      "digicert\t216.168.240.0/20\tdcv\t-\t@k\t-\t-remove\n");
	snprintf(path, sizeof(path), "%s/validators.d", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	/* byte order: "10-b" < "2-a" < "Z" is not the order; 'Z' (0x5a) < 'a' */
	snprintf(path, sizeof(path), "%s/validators.d/2-a.tsv", dir);
	write_file(path, HEAD "op\t192.0.2.0/24\tdcv\tapnic\t@k\t-\treseller\n");
	snprintf(path, sizeof(path), "%s/validators.d/10-b.tsv", dir);
	write_file(path, HEAD "op\t192.0.2.0/24\tdcv\tripe\t@k\t-\treseller\n");
	snprintf(path, sizeof(path), "%s/validators.d/.hidden.tsv", dir);
	write_file(path, HEAD "op\t192.0.2.0/24\tdcv\tlacnic\t@k\t-\treseller\n");
	snprintf(path, sizeof(path), "%s/validators.d/notes.txt", dir);
	write_file(path, "not a table\n");
	snprintf(path, sizeof(path), "%s/caa-identifiers.tsv", dir);
	write_file(path, "#@ format caa-identifiers 1\nop\tca.example.net\thttps://e.org/\t-\n");
	struct validators *v = validators_new();
	struct warns w = {0};
	int n = validators_load_defaults(v, dir, collect, &w);
	cr_expect_eq(w.n, 0, "%u warnings, first: %s", w.n, w.n ? w.msg[0] : "");
	cr_expect_eq(n, 35 + 2 + 1 + 1);
	struct validator_match m[4];
	cr_assert_eq(look(v, "192.0.2.1", 0, m, 4), 1);
	cr_expect_str_eq(m[0].region, "apnic", "2-a.tsv is read last");
	/* the /20 is gone, its /32s inside stay */
	cr_assert_eq(look(v, "216.168.247.9", 0, m, 4), 1);
	cr_expect_eq(m[0].prefix_len, 32);
	cr_expect_eq(look(v, "216.168.241.1", 0, m, 4), 0);
	cr_expect_str_eq(validators_ca_of_issuer(v, "CA.example.NET"), "op");
	validators_free(v);
}

/* ---- lookup -------------------------------------------------------------------- */

Test(validators, shared_prefix_returns_every_ca_strongest_first)
{
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_assert_eq(load_text(v,
	                       HEAD "old\t192.0.2.0/24\tdcv\t-\t@k\t2017\thistorical\n"
	                            "pub\t192.0.2.0/24\tdcv\t-\t@k\t-\tofficial\n"
	                            "res-new\t192.0.2.0/24\tdcv\t-\t@k\t2025-01\treseller\n"
	                            "res-undated\t192.0.2.0/24\tdcv\t-\t@k\t-\treseller\n"
	                            "res-old\t192.0.2.0/24\tdcv\t-\t@k\t2019\treseller\n"
	                            "wide\t192.0.0.0/16\tdcv\t-\t@k\t-\tofficial\n",
	                       &w),
	             6);
	struct validator_match m[8];
	cr_assert_eq(look(v, "192.0.2.200", 0, m, 8), 5, "only the longest prefix applies");
	const char *want[] = {"pub", "res-new", "res-old", "res-undated", "old"};
	for (int i = 0; i < 5; i++) {
		cr_expect_str_eq(m[i].ca, want[i], "position %d", i);
		cr_expect_eq(m[i].prefix_len, 24);
	}
	cr_expect_eq(look(v, "192.0.2.200", 0, m, 2), 2, "max caps the answer");
	cr_expect_str_eq(m[1].ca, "res-new");
	cr_assert_eq(look(v, "192.0.3.1", 0, m, 8), 1);
	cr_expect_str_eq(m[0].ca, "wide");
	validators_free(v);
}

Test(validators, as_rows_match_only_with_their_asn)
{
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_assert_eq(load_text(v,
	                       HEAD "sg\tAS48447\tdcv\t-\t@k\t2017\thistorical\n"
	                            "le\tAS13649\tprimary\t-\t@k\t-\tofficial\n"
	                            "le2\tAS13649\tremote\t-\t@k\t-\tthirdparty\n"
	                            "pf\t192.0.2.0/24\tdcv\t-\t@k\t-\treseller\n",
	                       &w),
	             4);
	struct validator_match m[8];
	cr_expect_eq(look(v, "203.0.113.1", 0, m, 8), 0, "asn 0 never matches AS rows");
	cr_expect_eq(look(v, "203.0.113.1", 1, m, 8), 0);
	cr_assert_eq(look(v, "203.0.113.1", 48447, m, 8), 1);
	cr_expect_str_eq(m[0].ca, "sg");
	cr_expect(m[0].by_asn);
	cr_expect_eq(m[0].prefix_len, 0);
	/* merged with the prefix rows, by conf: official AS, reseller prefix, thirdparty AS */
	cr_assert_eq(look(v, "192.0.2.1", 13649, m, 8), 3);
	cr_expect_str_eq(m[0].ca, "le");
	cr_expect(m[0].by_asn);
	cr_expect_str_eq(m[1].ca, "pf");
	cr_expect(!m[1].by_asn);
	cr_expect_str_eq(m[2].ca, "le2");
	/* the same AS number in an IPv6 lookup */
	cr_expect_eq(look(v, "2001:db8::1", 13649, m, 8), 2);
	struct validators_stats st;
	validators_stats(v, &st);
	cr_expect_eq(st.asn, 3);
	cr_expect_eq(st.v4, 1);
	cr_expect_eq(st.v6, 0);
	cr_expect_eq(st.cas, 4);
	validators_free(v);
}

static uint64_t rng_state = 0x5851f42d4c957f2dull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct ref_row {
	struct dcv_addr net;
	unsigned len;
	char ca[8];
};

static bool covers(const struct ref_row *r, const struct dcv_addr *a)
{
	if (r->net.family != a->family)
		return false;
	unsigned full = r->len / 8, rest = r->len % 8;
	if (memcmp(r->net.bytes, a->bytes, full) != 0)
		return false;
	uint8_t m = rest ? (uint8_t)(0xff << (8 - rest)) : 0;
	return rest == 0 || (r->net.bytes[full] & m) == (a->bytes[full] & m);
}

static void linear_scan_agrees(int family)
{
	enum { NPREFIX = 10000, NLOOKUP = 100000 };
	unsigned width = family == DCV_ADDR_V4 ? 4 : 16;
	unsigned minlen = family == DCV_ADDR_V4 ? 8 : 16;
	struct ref_row *ref = calloc(NPREFIX, sizeof(*ref));
	size_t cap = (size_t)NPREFIX * 96 + 128, used = 0;
	char *text = malloc(cap);
	used += (size_t)snprintf(text, cap, HEAD);
	for (unsigned i = 0; i < NPREFIX; i++) {
		struct ref_row *r = &ref[i];
		if (i > 0 && rnd() % 8 == 0) {
			/* a second CA on an existing prefix */
			*r = ref[rnd() % i];
		} else {
			r->net.family = (uint8_t)family;
			for (unsigned b = 0; b < width; b++)
				r->net.bytes[b] = (uint8_t)rnd();
			r->net.bytes[0] = (uint8_t)(40 + rnd() % 3);
			r->len = minlen + (unsigned)(rnd() % (width * 8 - minlen + 1));
			for (unsigned b = 0; b < 16; b++) {
				int keep = (int)r->len - (int)b * 8;
				r->net.bytes[b] &= keep >= 8   ? 0xff
				                   : keep <= 0 ? 0
				                               : (uint8_t)(0xff << (8 - keep));
			}
		}
		snprintf(r->ca, sizeof(r->ca), "c%u", (unsigned)(rnd() % 5));
		char at[DCV_ADDR_TEXT_MAX];
		used += (size_t)snprintf(text + used, cap - used,
		                         "%s\t%s/%u\tdcv\t-\t@k\t-\treseller\n", r->ca,
		                         dcv_addr_format(&r->net, at, sizeof(at)), r->len);
	}
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_assert_geq(load_text(v, text, &w), NPREFIX / 2);
	cr_assert_eq(w.n, 0, "%s", w.n ? w.msg[0] : "");
	unsigned hits = 0;
	for (unsigned i = 0; i < NLOOKUP; i++) {
		struct dcv_addr a;
		memset(&a, 0, sizeof(a));
		a.family = (uint8_t)family;
		if (i % 2) {
			a = ref[rnd() % NPREFIX].net;
			a.bytes[width - 1 - rnd() % 3] ^= (uint8_t)rnd();
		} else {
			for (unsigned b = 0; b < width; b++)
				a.bytes[b] = (uint8_t)rnd();
			a.bytes[0] = (uint8_t)(39 + rnd() % 5);
		}
		/* expected: the distinct CAs at the longest covering prefix */
		int best = -1;
		for (unsigned k = 0; k < NPREFIX; k++)
			if (covers(&ref[k], &a) && (int)ref[k].len > best)
				best = (int)ref[k].len;
		char want[8][8];
		unsigned nwant = 0;
		for (unsigned k = 0; best >= 0 && k < NPREFIX; k++) {
			if (!covers(&ref[k], &a) || (int)ref[k].len != best)
				continue;
			bool dup = false;
			for (unsigned j = 0; j < nwant; j++)
				dup |= strcmp(want[j], ref[k].ca) == 0;
			if (!dup)
				strcpy(want[nwant++], ref[k].ca);
		}
		struct validator_match m[8];
		unsigned got = validators_lookup(v, &a, 0, m, 8);
		char at[DCV_ADDR_TEXT_MAX];
		dcv_addr_format(&a, at, sizeof(at));
		cr_assert_eq(got, nwant, "%s: %u rows, linear scan %u (at /%d)", at, got, nwant,
		             best);
		for (unsigned j = 0; j < got; j++) {
			cr_assert_eq(m[j].prefix_len, best, "%s", at);
			bool found = false;
			for (unsigned k = 0; k < nwant; k++)
				found |= strcmp(want[k], m[j].ca) == 0;
			cr_assert(found, "%s: unexpected CA %s", at, m[j].ca);
			/* same conf everywhere: CA ids in order */
			if (j > 0)
				cr_assert_lt(strcmp(m[j - 1].ca, m[j].ca), 0);
		}
		hits += got > 0;
	}
	cr_expect_gt(hits, NLOOKUP / 4);
	cr_expect_lt(hits, NLOOKUP);
	validators_free(v);
	free(text);
	free(ref);
}

Test(validators, ipv4_lookup_agrees_with_linear_scan, .timeout = 300)
{
	linear_scan_agrees(DCV_ADDR_V4);
}

Test(validators, ipv6_lookup_agrees_with_linear_scan, .timeout = 300)
{
	linear_scan_agrees(DCV_ADDR_V6);
}

Test(validators, empty_table_matches_nothing)
{
	struct validators *v = validators_new();
	struct validator_match m[2];
	cr_expect_eq(look(v, "192.0.2.1", 13649, m, 2), 0);
	cr_expect_eq(validators_count(v), 0);
	cr_expect_null(validators_ca_of_issuer(v, "letsencrypt.org"));
	validators_free(v);
	validators_free(NULL);
}

/* ---- built-in tables --------------------------------------------------------------- */

Test(validators, defaults_load_without_warnings_and_hold_the_research_rows)
{
	const char *dir = test_tmpdir(); /* empty etc dir: built-ins only */
	struct validators *v = validators_new();
	struct warns w = {0};
	int n = validators_load_defaults(v, dir, collect, &w);
	cr_expect_eq(w.n, 0, "%u warnings, first %s:%u: %s", w.n, w.file[0], w.line[0], w.msg[0]);
	cr_expect_eq(n, 35);
	cr_expect_eq(validators_count(v), 35);
	struct validators_stats st;
	validators_stats(v, &st);
	cr_expect_eq(st.v4, 33);
	cr_expect_eq(st.v6, 0);
	cr_expect_eq(st.asn, 2);
	cr_expect_eq(st.cas, 5);
	cr_expect_eq(st.issuers, 17);
	struct validator_match m[8];
	cr_assert_eq(look(v, "216.168.241.1", 0, m, 8), 1);
	cr_expect_str_eq(m[0].ca, "digicert");
	cr_expect_eq(m[0].prefix_len, 20);
	cr_expect_eq(m[0].role, VROLE_DCV);
	cr_expect_eq(m[0].conf, VCONF_RESELLER);
	cr_expect_str_eq(m[0].source, "https://www.thesslstore.com/knowledgebase/ssl-validation/"
	                              "troubleshooting-domain-control-validation-dcv/");
	cr_assert_eq(look(v, "216.168.249.9", 0, m, 8), 1);
	cr_expect_eq(m[0].conf, VCONF_THIRDPARTY);
	cr_expect_str_eq(m[0].source,
	                 "https://knowledge.digicert.com/alerts/ip-address-domain-validation");
	cr_assert_eq(look(v, "133.88.2.119", 0, m, 8), 1);
	cr_expect_str_eq(m[0].ca, "globalsign");
	cr_expect_str_eq(m[0].asof, "2025-09");
	cr_assert_eq(look(v, "52.64.70.230", 0, m, 8), 1);
	cr_expect_str_eq(m[0].region, "aws:ap-southeast-2");
	cr_expect_eq(m[0].role, VROLE_REMOTE);
	cr_assert_eq(look(v, "198.18.0.1", 13649, m, 8), 1);
	cr_expect_str_eq(m[0].ca, "letsencrypt");
	cr_expect_eq(m[0].conf, VCONF_HISTORICAL);
	cr_expect_str_eq(validators_ca_of_issuer(v, "LetsEncrypt.org"), "letsencrypt");
	cr_expect_str_eq(validators_ca_of_issuer(v, "comodoca.com"), "sectigo");
	cr_expect_str_eq(validators_ca_of_issuer(v, "pki.goog"), "google");
	cr_expect_str_eq(validators_ca_of_issuer(v, "amazonaws.com"), "amazon");
	cr_expect_null(validators_ca_of_issuer(v, "example.com"));
	validators_free(v);
}

Test(validators, installed_copies_match_the_source_tables)
{
	/* the embedded copy is what the shipped file says: load the file too */
	struct validators *v = validators_new();
	struct warns w = {0};
	cr_expect_eq(
	    validators_load_file(v, DCV_SOURCE_DIR "/analyzer/data/validators.tsv", collect, &w),
	    35);
	cr_expect_eq(validators_load_caa_file(
	                 v, DCV_SOURCE_DIR "/analyzer/data/caa-identifiers.tsv", collect, &w),
	             17);
	cr_expect_eq(w.n, 0);
	validators_free(v);
}

/* ---- caa-identifiers ------------------------------------------------------------------ */

static const struct bad_line bad_caa[] = {
    {"x\t-bad.example\thttps://e.org/\t-", "bad issuer domain '-bad.example'"},
    {"x\tcom\thttps://e.org/\t-", "bad issuer domain 'com'"},
    {"x\ta..b\thttps://e.org/\t-", "bad issuer domain"},
    {"x\texample.org.\thttps://e.org/\t-", "bad issuer domain"},
    {"x\tbad-.org\thttps://e.org/\t-", "bad issuer domain"},
    {"x\tex_ample.org\thttps://e.org/\t-", "bad issuer domain"},
    {"X\texample.org\thttps://e.org/\t-", "bad CA id 'X'"},
    {"x\texample.org\t@nokey\t-", "unknown source key"},
    {"x\texample.org\thttps://e.org/\t2020-00", "bad asof"},
    {"x\texample.org\thttps://e.org/", "expected 4 TAB-separated columns, found 3"},
};

Test(validators, caa_bad_lines_are_warnings)
{
	for (size_t i = 0; i < sizeof(bad_caa) / sizeof(bad_caa[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), "#@ format caa-identifiers 1\n%s\n", bad_caa[i].line);
		struct validators *v = validators_new();
		struct warns w = {0};
		cr_expect_eq(validators_load_caa_buffer(v, "c.tsv", (const uint8_t *)text,
		                                        strlen(text), collect, &w),
		             0, "[%s]", bad_caa[i].line);
		cr_expect_eq(w.n, 1, "[%s]", bad_caa[i].line);
		if (w.n)
			cr_expect(strstr(w.msg[0], bad_caa[i].fragment) != NULL, "[%s]: %s",
			          bad_caa[i].line, w.msg[0]);
		validators_free(v);
	}
}

Test(validators, caa_later_domain_row_reassigns_the_ca)
{
	static const char text[] = "#@ format caa-identifiers 1\n"
	                           "a\tIssuer.Example.org\thttps://e.org/\t-\n"
	                           "b\tissuer.example.org\thttps://e.org/\t2026\n";
	struct validators *v = validators_new();
	cr_expect_eq(
	    validators_load_caa_buffer(v, "c.tsv", (const uint8_t *)text, strlen(text), NULL, NULL),
	    2);
	cr_expect_str_eq(validators_ca_of_issuer(v, "ISSUER.example.org"), "b");
	struct validators_stats st;
	validators_stats(v, &st);
	cr_expect_eq(st.issuers, 1);
	validators_free(v);
}

Test(validators, role_and_conf_names_are_the_file_words)
{
	cr_expect_str_eq(validators_role_name(VROLE_PRIMARY), "primary");
	cr_expect_str_eq(validators_role_name(VROLE_RESOLVER), "resolver");
	cr_expect_str_eq(validators_role_name(VROLE_UNKNOWN), "unknown");
	cr_expect_str_eq(validators_conf_name(VCONF_OFFICIAL), "official");
	cr_expect_str_eq(validators_conf_name(VCONF_HISTORICAL), "historical");
}
