/*
 * cmd_ship.c - `dcvscope ship`: send what the SQLite database holds and the
 * fleet's ClickHouse does not have yet (db/ship.h), and say what was sent.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clickhouse.h"
#include "db.h"
#include "ship.h"
#include "ship_opts.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: dcvscope ship --clickhouse URL [--db FILE] [--server NAME] [--site NAME]\n"
	    "                     [--spool DIR] [--spool-max-mb N] [--batch-rows N]\n"
	    "                     [--tries N] [--format text|json] [--help]\n"
	    "\n"
	    "Send the statistics, validator transactions, attempts, validator sources,\n"
	    "findings and runs that the database holds and ClickHouse does not have yet.\n"
	    "Watermarks in the database remember what was sent; ClickHouse keeps one row\n"
	    "per key, so sending again never counts twice (db/CLICKHOUSE.md).\n"
	    "\n"
	    "options:\n"
	    "  --clickhouse URL   http://[USER[:PASSWORD]@]HOST:PORT[/DATABASE] of ClickHouse's\n"
	    "                     HTTP interface (database default %s; created with\n"
	    "                     its tables when missing)\n"
	    "  --db FILE          SQLite database (default %s)\n"
	    "  --server NAME      this host's name in the fleet (default: the host name)\n"
	    "  --site NAME        its site (default %s)\n"
	    "  --spool DIR        keep batches ClickHouse could not take here; they are sent\n"
	    "                     first next time (default: none; without a spool they stay\n"
	    "                     unsent in the database)\n"
	    "  --spool-max-mb N   most the spool may hold (default %d)\n"
	    "  --batch-rows N     rows per INSERT (default %d, at most %d)\n"
	    "  --tries N          tries per batch, waits doubling from %d ms to %d ms\n"
	    "                     (default %d)\n"
	    "  --format FMT       text (default) or json\n"
	    "  -h, --help         this help\n"
	    "\n"
	    "exit codes: 0 everything delivered, 2 usage error, 4 database error or\n"
	    "something left unsent (ClickHouse refused a batch, the spool is full or\n"
	    "absent; it is sent next time), 6 ClickHouse unreachable and the batches are\n"
	    "in the spool (nothing lost; sent next time)\n",
	    DB_CH_DATABASE_DEFAULT, DB_PATH_DEFAULT, SHIP_SITE_DEFAULT,
	    DB_SHIP_SPOOL_MAX_MB_DEFAULT, DB_SHIP_BATCH_ROWS_DEFAULT, DB_SHIP_BATCH_ROWS_MAX,
	    DB_SHIP_BACKOFF_MS_FIRST, DB_SHIP_BACKOFF_MS_MAX, DB_SHIP_TRIES_DEFAULT);
}

static json_t *report_json(const struct ship_opts *so, struct db_ch *ch,
                           const struct db_ship_report *rep, int result)
{
	json_t *root = json_object(), *tables = json_object();
	json_object_set_new(root, "server", json_string(so->server ? so->server : so->hostname));
	json_object_set_new(root, "site", json_string(so->site));
	json_object_set_new(root, "clickhouse", json_string(db_ch_target(ch)));
	json_object_set_new(root, "schema_version", json_integer(rep->schema_version));
	json_object_set_new(root, "delivered", json_boolean(result == 0));
	json_object_set_new(root, "unreachable", json_boolean(rep->unreachable));
	json_object_set_new(root, "runs", json_integer((json_int_t)rep->runs));
	json_object_set_new(root, "retries", json_integer((json_int_t)rep->retries));
	for (int t = 0; t < DB_SHIP_TABLES; t++) {
		json_t *o = json_object();
		json_object_set_new(o, "rows", json_integer((json_int_t)rep->table[t].rows));
		json_object_set_new(o, "batches", json_integer((json_int_t)rep->table[t].batches));
		json_object_set_new(o, "spooled_rows",
		                    json_integer((json_int_t)rep->table[t].spooled_rows));
		json_object_set_new(o, "spooled_batches",
		                    json_integer((json_int_t)rep->table[t].spooled_batches));
		json_object_set_new(tables, db_ship_table_name((enum db_ship_table)t), o);
	}
	json_object_set_new(root, "tables", tables);
	json_t *spool = json_object();
	json_object_set_new(spool, "dir", so->spool_dir ? json_string(so->spool_dir) : json_null());
	json_object_set_new(spool, "replayed", json_integer((json_int_t)rep->spool_replayed));
	json_object_set_new(spool, "rejected", json_integer((json_int_t)rep->spool_rejected));
	json_object_set_new(spool, "batches_left", json_integer((json_int_t)rep->spool_left));
	json_object_set_new(spool, "bytes_left", json_integer((json_int_t)rep->spool_bytes));
	json_object_set_new(root, "spool", spool);
	json_object_set_new(root, "error", rep->err[0] ? json_string(rep->err) : json_null());
	return root;
}

static void report_text(const struct ship_opts *so, struct db_ch *ch,
                        const struct db_ship_report *rep)
{
	printf("shipped to %s as %s (site %s), %llu runs looked at\n", db_ch_target(ch),
	       so->server ? so->server : so->hostname, so->site, (unsigned long long)rep->runs);
	for (int t = 0; t < DB_SHIP_TABLES; t++) {
		if (rep->table[t].rows == 0)
			continue;
		printf("  %-22s %10llu rows in %llu batches",
		       db_ship_table_name((enum db_ship_table)t),
		       (unsigned long long)rep->table[t].rows,
		       (unsigned long long)rep->table[t].batches);
		if (rep->table[t].spooled_rows > 0)
			printf(", %llu rows spooled",
			       (unsigned long long)rep->table[t].spooled_rows);
		printf("\n");
	}
	if (rep->spool_replayed > 0 || rep->spool_left > 0)
		printf("  spool: %llu batches delivered, %llu left (%llu bytes)\n",
		       (unsigned long long)rep->spool_replayed, (unsigned long long)rep->spool_left,
		       (unsigned long long)rep->spool_bytes);
}

enum {
	O_DB = 1000,
	O_CLICKHOUSE,
	O_SERVER,
	O_SITE,
	O_SPOOL,
	O_SPOOL_MAX_MB,
	O_BATCH_ROWS,
	O_TRIES,
	O_FORMAT
};

/* Parses an unsigned number in [min, max]. Returns 0 or -1. */
static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cmd_ship(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"clickhouse", required_argument, NULL, O_CLICKHOUSE},
	    {"server", required_argument, NULL, O_SERVER},
	    {"site", required_argument, NULL, O_SITE},
	    {"spool", required_argument, NULL, O_SPOOL},
	    {"spool-max-mb", required_argument, NULL, O_SPOOL_MAX_MB},
	    {"batch-rows", required_argument, NULL, O_BATCH_ROWS},
	    {"tries", required_argument, NULL, O_TRIES},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db_path = DB_PATH_DEFAULT, *url = NULL;
	bool json = false;
	struct ship_opts so;
	ship_opts_init(&so);
	unsigned long v = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			db_path = optarg;
			break;
		case O_CLICKHOUSE:
			url = optarg;
			break;
		case O_SERVER:
			so.server = optarg;
			break;
		case O_SITE:
			so.site = optarg;
			break;
		case O_SPOOL:
			so.spool_dir = optarg;
			break;
		case O_SPOOL_MAX_MB:
			if (parse_uint(optarg, 1, 1u << 20, &v) != 0) {
				fprintf(stderr, "dcvscope ship: --spool-max-mb: 1..%u\n", 1u << 20);
				return CLI_EXIT_USAGE;
			}
			so.spool_max_mb = (unsigned)v;
			break;
		case O_BATCH_ROWS:
			if (parse_uint(optarg, 1, DB_SHIP_BATCH_ROWS_MAX, &v) != 0) {
				fprintf(stderr, "dcvscope ship: --batch-rows: 1..%d\n",
				        DB_SHIP_BATCH_ROWS_MAX);
				return CLI_EXIT_USAGE;
			}
			so.batch_rows = v;
			break;
		case O_TRIES:
			if (parse_uint(optarg, 1, SHIP_TRIES_MAX, &v) != 0) {
				fprintf(stderr, "dcvscope ship: --tries: 1..%d\n", SHIP_TRIES_MAX);
				return CLI_EXIT_USAGE;
			}
			so.tries = (unsigned)v;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
				fprintf(stderr, "dcvscope ship: --format: text or json\n");
				return CLI_EXIT_USAGE;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || url == NULL) {
		fprintf(stderr, "dcvscope ship: %s\n",
		        url == NULL ? "--clickhouse URL is required" : "unexpected argument");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (ship_opts_check(&so) != 0) {
		fprintf(stderr, "dcvscope ship: --server and --site must not be empty\n");
		return CLI_EXIT_USAGE;
	}
	char err[512];
	struct db_ch *ch = NULL;
	if (db_ch_open(&ch, url, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcvscope ship: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	struct db *db = NULL;
	if (db_open(&db, db_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcvscope ship: %s\n", err);
		db_ch_close(ch);
		return CLI_EXIT_DB;
	}
	struct db_ship_opts o;
	ship_opts_to_db(&so, &o);
	struct db_ship_report rep;
	int result = db_ship(db, ch, &o, &rep);
	if (json) {
		json_t *root = report_json(&so, ch, &rep, result);
		json_dumpf(root, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(root);
	} else {
		report_text(&so, ch, &rep);
	}
	if (result != 0)
		fprintf(stderr, "dcvscope ship: %s%s\n", rep.err,
		        result > 0 ? " (the batches are in the spool; they are sent next time)"
		                   : "");
	int exit_code = result == 0 ? CLI_EXIT_OK : result > 0 ? CLI_EXIT_SPOOLED : CLI_EXIT_DB;
	if (db_close(db) != 0 && exit_code == CLI_EXIT_OK)
		exit_code = CLI_EXIT_DB;
	db_ch_close(ch);
	return exit_code;
}
