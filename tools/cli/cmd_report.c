/*
 * cmd_report.c - `dcvscope report`: the nightly report of a period from the
 * database, as text, Markdown, JSON or a self-contained HTML page.
 *
 * The report only reads: the rules run over the period (and over the
 * period of the same length before it, for the comparison) but their
 * findings are not stored; `dcvscope rules` stores them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clickhouse.h"
#include "cli.h"
#include "db.h"
#include "fleet_report.h"
#include "report_data.h"
#include "report_render.h"
#include "rules_config.h"
#include "scope_opts.h"

/* The period when no --since/--from/--to is given: one day back from the
 * newest stored data. */
#define REPORT_SINCE_DEFAULT_NS (86400ull * 1000000000ull)

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dcvscope report [--db FILE] [--since DURATION | --from T --to T]\n"
	        "                       [--format text|markdown|json|html] [-o FILE]\n"
	        "                       [--fail-on critical|warning] [--config FILE] [--help]\n"
	        "       dcvscope report --clickhouse URL [--since DURATION | --from T --to T] ...\n"
	        "\n"
	        "The report of a period from the database: coverage (what was seen and lost),\n"
	        "findings with evidence and fix, per-CA and per-region tables, DNSSEC status\n"
	        "per name, CAA decisions and failing EDNS checks, validation attempts, the\n"
	        "names that failed most, and the change against the period of the same length\n"
	        "before it. Reads only: findings are not stored.\n"
	        "\n"
	        "options:\n"
	        "  --db FILE          SQLite database (default dcvscope.db); must exist\n"
	        "  --since DURATION   the last DURATION before the newest stored data:\n"
	        "                     N followed by s, m, h or d (default 24h)\n"
	        "  --from T, --to T   a time span: Unix seconds or UTC YYYY-MM-DD[THH:MM[:SS]]\n"
	        "                     (--to defaults to the newest data)\n"
	        "  --format FMT       text (default), markdown, json (one object; keys are only\n"
	        "                     ever added) or html (one self-contained page with charts)\n"
	        "  -o, --output FILE  write the report to FILE (replaced atomically) instead of\n"
	        "                     standard output\n"
	        "  --fail-on SEV      exit 5 when a finding is at or above SEV (critical|warning)\n"
	        "  --config FILE      rule thresholds from the [rules] section of an INI file\n"
	        "  --clickhouse URL   the fleet report instead: what every host shipped to\n"
	        "                     ClickHouse (dcvscope ship) over the period, summed inside\n"
	        "                     ClickHouse per site, per server and for the fleet: queries,\n"
	        "                     REFUSED, SERVFAIL, unanswered, validator queries and\n"
	        "                     their failures, MPIC attempts by outcome, the findings\n"
	        "                     each host shipped, and the fleet rules' findings (those\n"
	        "                     of dcvscope rules --clickhouse; --fail-on looks at them).\n"
	        "                     --since and --to count from the newest shipped bucket.\n"
	        "                     No --db is read. JSON keys: fleet, generated_ns, period\n"
	        "                     {from, to, from_ns, to_ns}, totals, sites[], servers[]\n"
	        "                     (each: site, server or servers, sources, queries,\n"
	        "                     responses, noerror, nxdomain, refused, servfail,\n"
	        "                     unanswered, first_ns, last_ns, validators {sources,\n"
	        "                     queries, unanswered, refused, servfail, tcp_failed,\n"
	        "                     failures}, attempts {total, corroborated, at_risk,\n"
	        "                     failed}, host_findings {critical, warning, info}),\n"
	        "                     fleet_findings[] (as dcvscope rules), host_findings[]\n"
	        "                     {site, server, rule, severity, subject_kind, subject,\n"
	        "                     runs, first_seen_ns, last_seen_ns, evidence}\n"
	        "  -h, --help         this help\n"
	        "\n"
	        "exit codes: 0 ok, 1 internal failure, 2 usage error, 3 the output file could\n"
	        "not be written, 4 database error (also: the file does not exist), 5 findings\n"
	        "at or above --fail-on\n");
}

enum report_fmt { FMT_TEXT, FMT_MARKDOWN, FMT_JSON, FMT_HTML };

static int parse_format(const char *s, enum report_fmt *out)
{
	static const char *const names[] = {"text", "markdown", "json", "html"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum report_fmt)i;
			return 0;
		}
	if (strcmp(s, "md") == 0) {
		*out = FMT_MARKDOWN;
		return 0;
	}
	return -1;
}

/* What is written: the report of one database or of the fleet. */
struct output {
	enum report_fmt fmt;
	const struct report *local;       /* NULL for the fleet report */
	const struct fleet_report *fleet; /* NULL for a database's report */
};

static int render(FILE *out, const struct output *o)
{
	if (o->fleet != NULL) {
		switch (o->fmt) {
		case FMT_MARKDOWN:
			return fleet_render_markdown(out, o->fleet);
		case FMT_JSON:
			return fleet_render_json(out, o->fleet);
		case FMT_HTML:
			return fleet_render_html(out, o->fleet);
		case FMT_TEXT:
			break;
		}
		return fleet_render_text(out, o->fleet);
	}
	switch (o->fmt) {
	case FMT_MARKDOWN:
		return report_render_markdown(out, o->local);
	case FMT_JSON:
		return report_render_json(out, o->local);
	case FMT_HTML:
		return report_render_html(out, o->local);
	case FMT_TEXT:
		break;
	}
	return report_render_text(out, o->local);
}

/* Writes the report to path through a temporary file in the same directory
 * renamed over it, so a reader (a web server, a mailer) never sees half a
 * report. A path that exists and is not a regular file (/dev/null, a FIFO,
 * a symlink the operator made) is written in place: renaming over it would
 * replace it. Returns 0 or -1 (message on stderr). */
static int write_file(const char *path, const struct output *o)
{
	struct stat st;
	bool in_place = lstat(path, &st) == 0 && !S_ISREG(st.st_mode);
	size_t len = strlen(path) + 32;
	char *tmp = malloc(len);
	if (tmp == NULL)
		return -1;
	snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
	const char *target = in_place ? path : tmp;
	int rc = -1, err = 0;
	FILE *f = fopen(target, "w");
	if (f == NULL) {
		err = errno;
		goto cleanup;
	}
	errno = 0;
	int wrc = render(f, o), werr = errno;
	if (fclose(f) != 0 || wrc != 0) {
		err = wrc != 0 ? werr : errno;
		goto cleanup;
	}
	if (!in_place && rename(tmp, path) != 0) {
		err = errno;
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (rc != 0) {
		fprintf(stderr, "dcvscope report: cannot write %s: %s\n", path,
		        err ? strerror(err) : "write error");
		if (!in_place)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

enum { O_DB = 1000, O_SINCE, O_FROM, O_TO, O_CONFIG, O_FORMAT, O_FAIL_ON, O_CLICKHOUSE };

/* `dcvscope report --clickhouse URL`: the fleet report of the period that
 * so gives (counted from the newest shipped bucket). Returns an exit code. */
static int fleet_report(const char *url, const struct scope_opts *so,
                        const struct rules_config *cfg, enum report_fmt fmt, const char *output,
                        int fail_on)
{
	char err[512];
	struct db_ch *ch = NULL;
	if (db_ch_open(&ch, url, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcvscope report: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	int exit_code = CLI_EXIT_OK;
	struct fleet_report rep;
	memset(&rep, 0, sizeof(rep));
	uint64_t newest = 0, from = so->from_ns, to = so->to_ns;
	if (!so->have_to || so->have_since) {
		if (db_ch_report_newest(ch, &newest) != DB_CH_OK) {
			fprintf(stderr, "dcvscope report: %s\n", db_ch_errmsg(ch));
			exit_code = CLI_EXIT_DB;
			goto cleanup;
		}
		if (!so->have_to)
			to = newest;
		if (so->have_since)
			from = to > so->since_ns ? to - so->since_ns : 0;
	}
	if (from >= to && to != 0) {
		fprintf(stderr, "dcvscope report: the time span is empty (--from >= --to)\n");
		exit_code = CLI_EXIT_USAGE;
		goto cleanup;
	}
	/* to 0: nothing shipped yet, an empty period (0 would mean "no end") */
	int rc = fleet_report_collect(ch, from, to ? to : 1, cfg, &rep);
	if (rc != 0) {
		fprintf(stderr, "dcvscope report: %s\n",
		        rc > 0 ? "out of memory" : db_ch_errmsg(ch));
		exit_code = rc > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_DB;
		goto cleanup;
	}
	struct output o = {fmt, NULL, &rep};
	if (output != NULL) {
		if (write_file(output, &o) != 0) {
			exit_code = CLI_EXIT_INPUT;
			goto cleanup;
		}
	} else if (render(stdout, &o) != 0 || fflush(stdout) != 0) {
		perror("dcvscope report: standard output");
		exit_code = CLI_EXIT_INPUT;
		goto cleanup;
	}
	if (fail_on >= 0 && findings_at_least(&rep.findings, (enum rule_severity)fail_on) > 0)
		exit_code = CLI_EXIT_FINDINGS;
cleanup:
	fleet_report_free(&rep);
	db_ch_close(ch);
	return exit_code;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"since", required_argument, NULL, O_SINCE},
	    {"from", required_argument, NULL, O_FROM},
	    {"to", required_argument, NULL, O_TO},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"output", required_argument, NULL, 'o'},
	    {"fail-on", required_argument, NULL, O_FAIL_ON},
	    {"clickhouse", required_argument, NULL, O_CLICKHOUSE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *db_path = DB_PATH_DEFAULT, *config = NULL, *output = NULL, *ch_url = NULL;
	struct scope_opts so = {0};
	enum report_fmt fmt = FMT_TEXT;
	int fail_on = -1; /* severity, or -1 */
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			db_path = optarg;
			break;
		case O_SINCE:
		case O_FROM:
		case O_TO:
			if (scope_opts_set(&so,
			                   c == O_SINCE  ? SCOPE_OPT_SINCE
			                   : c == O_FROM ? SCOPE_OPT_FROM
			                                 : SCOPE_OPT_TO,
			                   optarg, "dcvscope report") != 0)
				return CLI_EXIT_USAGE;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case O_FORMAT:
			if (parse_format(optarg, &fmt) != 0) {
				fprintf(stderr, "dcvscope report: --format must be text, markdown, "
				                "json or html\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case O_CLICKHOUSE:
			ch_url = optarg;
			break;
		case O_FAIL_ON:
			if (findings_parse_fail_on(optarg, &fail_on, "dcvscope report") != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dcvscope report: unexpected argument '%s'\n", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (so.have_since && (so.have_from || so.have_to)) {
		fprintf(stderr, "dcvscope report: give --since or --from/--to, not both\n");
		return CLI_EXIT_USAGE;
	}
	if (so.have_from && so.have_to && so.from_ns >= so.to_ns) {
		fprintf(stderr, "dcvscope report: the time span is empty (--from >= --to)\n");
		return CLI_EXIT_USAGE;
	}
	if (!scope_opts_given(&so)) {
		so.since_ns = REPORT_SINCE_DEFAULT_NS;
		so.have_since = 1;
	}
	struct rules_config cfg;
	rules_config_defaults(&cfg);
	char err[512];
	if (config != NULL && rules_config_load(&cfg, config, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcvscope report: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (ch_url != NULL)
		return fleet_report(ch_url, &so, &cfg, fmt, output, fail_on);
	/* a report reads: a missing file is an error, not a new empty database */
	if (access(db_path, F_OK) != 0) {
		fprintf(stderr, "dcvscope report: %s: no such database\n", db_path);
		return CLI_EXIT_DB;
	}
	struct db *db = NULL;
	if (db_open(&db, db_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcvscope report: %s\n", err);
		return CLI_EXIT_DB;
	}
	int exit_code = CLI_EXIT_OK;
	struct report rep;
	memset(&rep, 0, sizeof(rep));
	struct rules_scope scope;
	enum scope_resolve sr = scope_opts_resolve(&so, db, &scope, NULL, 0);
	if (sr != SCOPE_OK) {
		fprintf(stderr, "dcvscope report: %s\n",
		        sr == SCOPE_EMPTY ? "the time span is empty (--from >= --to)"
		                          : db_errmsg(db));
		exit_code = sr == SCOPE_EMPTY ? CLI_EXIT_USAGE : CLI_EXIT_DB;
		goto cleanup;
	}
	struct progress prog;
	progress_init(&prog, false);
	int rc = report_collect(db, &scope, &cfg, &prog, &rep, err, sizeof(err));
	progress_done(&prog);
	if (rc != 0) {
		fprintf(stderr, "dcvscope report: %s\n", err);
		exit_code = strcmp(err, "out of memory") == 0 ? CLI_EXIT_FAILURE : CLI_EXIT_DB;
		goto cleanup;
	}
	struct output o = {fmt, &rep, NULL};
	if (output != NULL) {
		if (write_file(output, &o) != 0) {
			exit_code = CLI_EXIT_INPUT;
			goto cleanup;
		}
	} else if (render(stdout, &o) != 0 || fflush(stdout) != 0) {
		perror("dcvscope report: standard output");
		exit_code = CLI_EXIT_INPUT;
		goto cleanup;
	}
	if (fail_on >= 0 && findings_at_least(&rep.cur.findings, (enum rule_severity)fail_on) > 0)
		exit_code = CLI_EXIT_FINDINGS;
cleanup:
	report_free(&rep);
	if (db_close(db) != 0 && exit_code == CLI_EXIT_OK)
		exit_code = CLI_EXIT_DB;
	return exit_code;
}
