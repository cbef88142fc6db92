/*
 * cmd_rules.c - `dcvscope rules`: run the rules over a database, store the
 * findings and print them (text grouped by severity, or JSON).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ch_fleet.h"
#include "cli.h"
#include "clickhouse.h"
#include "db.h"
#include "findings.h"
#include "findings_out.h"
#include "fleet_rules.h"
#include "rule_queries.h"
#include "rules.h"
#include "rules_config.h"
#include "scope_opts.h"

#define NS_PER_S 1000000000ull

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: dcvscope rules [--db FILE] [--run ID | --since DURATION | --from T --to T]\n"
	    "                      [--config FILE] [--format text|json]\n"
	    "                      [--fail-on critical|warning] [--print-config] [--help]\n"
	    "       dcvscope rules --clickhouse URL [--since DURATION | --from T --to T] ...\n"
	    "\n"
	    "Run the rules over the stored statistics, store the findings in the database\n"
	    "(replacing earlier findings for the same scope) and print them.\n"
	    "\n"
	    "options:\n"
	    "  --db FILE          SQLite database (default dcvscope.db)\n"
	    "  --run ID           look at one run (default: the latest run)\n"
	    "  --since DURATION   the last DURATION before the newest stored data, across\n"
	    "                     runs: N followed by s, m, h or d (24h, 7d)\n"
	    "  --from T, --to T   a time span across runs: Unix seconds or UTC\n"
	    "                     YYYY-MM-DD[THH:MM[:SS]] (--to defaults to the newest data)\n"
	    "  --config FILE      thresholds from the [rules] section of an INI file\n"
	    "  --format FMT       text (default) or json ({\"findings\": [...]})\n"
	    "  --fail-on SEV      exit 5 when a finding is at or above SEV (critical|warning)\n"
	    "  --print-config     print every threshold with its default and meaning\n"
	    "  --clickhouse URL   fleet rules over what every host shipped to ClickHouse\n"
	    "                     (dcvscope ship), aggregated inside ClickHouse: SITE_ASYMMETRY\n"
	    "                     (one site fails a region's validators that the other sites\n"
	    "                     serve, subject SITE/REGION), and per server TCP53_REJECTED,\n"
	    "                     REFUSED_TO_VALIDATORS, SERVFAIL_TO_VALIDATORS,\n"
	    "                     VALIDATOR_DROPS and MPIC_QUORUM_AT_RISK with the thresholds\n"
	    "                     of the per-host rules (subject SITE/SERVER/CA). --since\n"
	    "                     counts back from now. The findings are printed, not stored;\n"
	    "                     no --db is read.\n"
	    "  -h, --help         this help\n"
	    "\n"
	    "exit codes: 0 ok (no finding at or above --fail-on), 1 internal failure, 2 usage\n"
	    "error, 4 database error, 5 findings at or above --fail-on\n");
}

static int print_json(const struct collected *c, const struct rules_scope *scope)
{
	json_t *root = json_object(), *sc = json_object();
	if (root == NULL || sc == NULL)
		return -1;
	if (scope->run_id > 0)
		json_object_set_new(sc, "run", json_integer(scope->run_id));
	else {
		json_object_set_new(sc, "from_ns", json_integer((json_int_t)scope->from_ns));
		json_object_set_new(sc, "to_ns", json_integer((json_int_t)scope->to_ns));
	}
	json_object_set_new(root, "scope", sc);
	json_object_set_new(root, "findings", findings_json(c));
	int rc = json_dumpf(root, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(root);
	return rc;
}

enum {
	O_DB = 1000,
	O_RUN,
	O_SINCE,
	O_FROM,
	O_TO,
	O_CONFIG,
	O_FORMAT,
	O_FAIL_ON,
	O_PRINT_CONFIG,
	O_CLICKHOUSE
};

/* `dcvscope rules --clickhouse URL`: the fleet rules over [from, to) (to 0:
 * no end). Returns an exit code. */
static int fleet_rules(const char *url, uint64_t from, uint64_t to, const struct rules_config *cfg,
                       int json, int fail_on)
{
	char err[512];
	struct db_ch *ch = NULL;
	if (db_ch_open(&ch, url, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcvscope rules: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	struct collected col = {0};
	int exit_code = CLI_EXIT_OK;
	int n = fleet_rules_run(ch, from, to, cfg, findings_collect, &col);
	if (n < 0 || col.oom) {
		bool db_failed = n == DB_CH_UNREACHABLE || n == DB_CH_REJECTED;
		fprintf(stderr, "dcvscope rules: %s\n",
		        db_failed ? db_ch_errmsg(ch) : "out of memory");
		exit_code = db_failed ? CLI_EXIT_DB : CLI_EXIT_FAILURE;
		goto out;
	}
	if (json) {
		json_t *root = json_object(), *sc = json_object();
		json_object_set_new(sc, "clickhouse", json_string(db_ch_target(ch)));
		json_object_set_new(sc, "from_ns", json_integer((json_int_t)from));
		json_object_set_new(sc, "to_ns", json_integer((json_int_t)to));
		json_object_set_new(root, "scope", sc);
		json_object_set_new(root, "findings", findings_json(&col));
		json_dumpf(root, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(root);
	} else {
		char scope_text[160];
		snprintf(scope_text, sizeof(scope_text), "fleet %s", db_ch_target(ch));
		findings_print_text(stdout, &col, scope_text);
	}
	for (unsigned i = 0; i < col.n && fail_on >= 0; i++)
		if ((int)col.f[i].severity >= fail_on)
			exit_code = CLI_EXIT_FINDINGS;
out:
	free(col.f);
	db_ch_close(ch);
	return exit_code;
}

int cmd_rules(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"run", required_argument, NULL, O_RUN},
	    {"since", required_argument, NULL, O_SINCE},
	    {"from", required_argument, NULL, O_FROM},
	    {"to", required_argument, NULL, O_TO},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"fail-on", required_argument, NULL, O_FAIL_ON},
	    {"print-config", no_argument, NULL, O_PRINT_CONFIG},
	    {"clickhouse", required_argument, NULL, O_CLICKHOUSE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *db_path = DB_PATH_DEFAULT, *config = NULL, *ch_url = NULL;
	int64_t run_id = 0;
	struct scope_opts so = {0};
	int json = 0, print_config = 0;
	int fail_on = -1; /* severity, or -1 */
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case O_DB:
			db_path = optarg;
			break;
		case O_RUN:
			errno = 0;
			run_id = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || run_id <= 0) {
				fprintf(stderr, "dcvscope rules: --run needs a run id (> 0)\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case O_SINCE:
		case O_FROM:
		case O_TO:
			if (scope_opts_set(&so,
			                   c == O_SINCE  ? SCOPE_OPT_SINCE
			                   : c == O_FROM ? SCOPE_OPT_FROM
			                                 : SCOPE_OPT_TO,
			                   optarg, "dcvscope rules") != 0)
				return CLI_EXIT_USAGE;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
				fprintf(stderr, "dcvscope rules: --format must be text or json\n");
				return CLI_EXIT_USAGE;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case O_FAIL_ON:
			if (findings_parse_fail_on(optarg, &fail_on, "dcvscope rules") != 0)
				return CLI_EXIT_USAGE;
			break;
		case O_PRINT_CONFIG:
			print_config = 1;
			break;
		case O_CLICKHOUSE:
			ch_url = optarg;
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
		fprintf(stderr, "dcvscope rules: unexpected argument '%s'\n", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if ((run_id > 0) + so.have_since + (so.have_from || so.have_to) > 1) {
		fprintf(stderr, "dcvscope rules: give one of --run, --since, --from/--to\n");
		return CLI_EXIT_USAGE;
	}
	struct rules_config cfg;
	rules_config_defaults(&cfg);
	if (config != NULL) {
		char err[512];
		if (rules_config_load(&cfg, config, err, sizeof(err)) != 0) {
			fprintf(stderr, "dcvscope rules: %s\n", err);
			return CLI_EXIT_USAGE;
		}
	}
	if (print_config) {
		rules_config_print(&cfg, stdout);
		return CLI_EXIT_OK;
	}
	if (ch_url != NULL) {
		if (run_id > 0) {
			fprintf(stderr, "dcvscope rules: --run names a run of one database, not "
			                "of the fleet\n");
			return CLI_EXIT_USAGE;
		}
		uint64_t from = so.from_ns, to = so.to_ns;
		if (so.have_since) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			to = (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
			from = to > so.since_ns ? to - so.since_ns : 0;
		}
		return fleet_rules(ch_url, from, so.have_to || so.have_since ? to : 0, &cfg, json,
		                   fail_on);
	}

	struct db *db = NULL;
	char err[512];
	if (db_open(&db, db_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcvscope rules: %s\n", err);
		return CLI_EXIT_DB;
	}
	int exit_code = CLI_EXIT_OK;
	struct collected col = {0};
	struct rules_scope scope = {0};
	char scope_text[128];
	if (scope_opts_given(&so)) {
		enum scope_resolve r =
		    scope_opts_resolve(&so, db, &scope, scope_text, sizeof(scope_text));
		if (r == SCOPE_DB_ERROR) {
			fprintf(stderr, "dcvscope rules: %s\n", db_errmsg(db));
			exit_code = CLI_EXIT_DB;
			goto out;
		}
		if (r == SCOPE_EMPTY) {
			fprintf(stderr,
			        "dcvscope rules: the time span is empty (--from >= --to)\n");
			exit_code = CLI_EXIT_USAGE;
			goto out;
		}
	} else {
		scope.run_id = run_id > 0 ? run_id : db_rule_latest_run(db);
		if (scope.run_id < 0) {
			fprintf(stderr, "dcvscope rules: %s\n", db_errmsg(db));
			exit_code = CLI_EXIT_DB;
			goto out;
		}
		if (scope.run_id == 0) {
			fprintf(stderr, "dcvscope rules: %s holds no run yet\n", db_path);
			goto out;
		}
		snprintf(scope_text, sizeof(scope_text), "run %" PRId64, scope.run_id);
	}
	if (rules_run(db, &scope, &cfg, findings_collect, &col) < 0 || col.oom) {
		fprintf(stderr, "dcvscope rules: %s\n", col.oom ? "out of memory" : db_errmsg(db));
		exit_code = col.oom ? CLI_EXIT_FAILURE : CLI_EXIT_DB;
		goto out;
	}
	if (db_findings_replace(db, &scope, col.f, col.n) != 0) {
		fprintf(stderr, "dcvscope rules: storing findings: %s\n", db_errmsg(db));
		exit_code = CLI_EXIT_DB;
		goto out;
	}
	if (json)
		print_json(&col, &scope);
	else
		findings_print_text(stdout, &col, scope_text);
	for (unsigned i = 0; i < col.n && fail_on >= 0; i++)
		if ((int)col.f[i].severity >= fail_on)
			exit_code = CLI_EXIT_FINDINGS;
out:
	free(col.f);
	if (db_close(db) != 0 && exit_code == CLI_EXIT_OK)
		exit_code = CLI_EXIT_DB;
	return exit_code;
}
