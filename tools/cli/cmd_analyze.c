/*
 * cmd_analyze.c - `dcvscope analyze FILE...`: captures -> analyzer -> SQLite,
 * then a summary (text or JSON) read back from what was stored.
 *
 * All inputs of one invocation form one run and one continuous stream of
 * frames (rotated capture files continue each other: a query in one file
 * may be answered in the next). The run is identified by a fingerprint of
 * the frames themselves, so analyzing the same capture again (even
 * converted to another file format) replaces the earlier run instead of
 * counting it twice.
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze_report.h"
#include "analyzer.h"
#include "cli.h"
#include "db.h"
#include "db_summary.h"
#include "hash.h"
#include "pcap_file.h"
#include "progress.h"

#define ANALYZE_TOP_DEFAULT 10
/* Frame bytes folded into the fingerprint, for the first frames only; later
 * frames add their time and lengths, which is cheap and still tells captures apart. */
#define FINGERPRINT_BYTES        64
#define FINGERPRINT_BYTES_FRAMES 4096

struct analyze_opts {
	const char *db_path;
	bool json;
	bool no_progress;
	unsigned top;
	struct analyzer_config acfg;
	char **files;
	unsigned nfiles;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dcvscope analyze [OPTIONS] FILE...\n"
	        "\n"
	        "Analyze pcap/pcapng captures (\"-\" reads standard input) of the traffic of an\n"
	        "authoritative DNS server: decode, match queries with responses, find unanswered\n"
	        "queries and TCP session problems, store per-source statistics in SQLite, and\n"
	        "print a summary. All files form one run, in the order given.\n"
	        "\n"
	        "options:\n"
	        "  --db PATH           SQLite database (default %s); created if missing\n"
	        "  --format FMT        text (default) or json\n"
	        "  --port N            also treat port N as DNS (repeatable; 53 is always DNS)\n"
	        "  --timeout-ms N      a query unanswered after N ms is a drop (default %u)\n"
	        "  --bucket-s N        statistics bucket length in seconds (default %u)\n"
	        "  --top N             sources listed in the summary (default %u; 0 = all)\n"
	        "  --max-sources N     aggregation table size (default %u); a full table\n"
	        "                      stores its oldest rows early, nothing is lost\n"
	        "  --max-pending N     open queries tracked at once (default %u); when full the\n"
	        "                      oldest is dropped and counted as evicted\n"
	        "  --no-progress       no progress line (it is shown only on a terminal anyway)\n"
	        "  -h, --help          this help\n"
	        "\n"
	        "exit codes: 0 success, 1 internal failure, 2 usage error, 3 an input could not\n"
	        "be read (nothing is analyzed) or was read only in part (what was read is stored\n"
	        "and reported), 4 database error\n",
	        DB_PATH_DEFAULT, TXN_TIMEOUT_MS_DEFAULT, AGG_BUCKET_LEN_S_DEFAULT,
	        ANALYZE_TOP_DEFAULT, AGG_MAX_ENTRIES_DEFAULT, TXN_MAX_PENDING_DEFAULT);
}

/* parse_uint() parses a decimal in [min, max]; false on anything else. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* parse_opts() fills o; returns -1 after printing help, else an exit code
 * (CLI_EXIT_OK to go on). */
static int parse_opts(int argc, char **argv, struct analyze_opts *o)
{
	enum {
		O_DB = 256,
		O_FORMAT,
		O_PORT,
		O_TIMEOUT,
		O_BUCKET,
		O_TOP,
		O_MAXSRC,
		O_MAXPEND,
		O_NOPROG
	};
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"port", required_argument, NULL, O_PORT},
	    {"timeout-ms", required_argument, NULL, O_TIMEOUT},
	    {"bucket-s", required_argument, NULL, O_BUCKET},
	    {"top", required_argument, NULL, O_TOP},
	    {"max-sources", required_argument, NULL, O_MAXSRC},
	    {"max-pending", required_argument, NULL, O_MAXPEND},
	    {"no-progress", no_argument, NULL, O_NOPROG},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->db_path = DB_PATH_DEFAULT;
	o->top = ANALYZE_TOP_DEFAULT;
	o->acfg.ports[o->acfg.nports++] = ANALYZER_DNS_PORT_DEFAULT;
	optind = 1;
	int c;
	unsigned long v;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			o->db_path = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") == 0)
				o->json = true;
			else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr,
				        "dcvscope analyze: --format must be text or json\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case O_PORT:
			if (!parse_uint(optarg, 1, 65535, &v)) {
				fprintf(stderr,
				        "dcvscope analyze: --port needs 1..65535, got '%s'\n",
				        optarg);
				return CLI_EXIT_USAGE;
			}
			if (o->acfg.nports == ANALYZER_MAX_PORTS) {
				fprintf(stderr, "dcvscope analyze: at most %d ports\n",
				        ANALYZER_MAX_PORTS);
				return CLI_EXIT_USAGE;
			}
			o->acfg.ports[o->acfg.nports++] = (uint16_t)v;
			break;
		case O_TIMEOUT:
			if (!parse_uint(optarg, 1, 3600000, &v)) {
				fprintf(stderr,
				        "dcvscope analyze: --timeout-ms needs 1..3600000\n");
				return CLI_EXIT_USAGE;
			}
			o->acfg.timeout_ms = (uint32_t)v;
			break;
		case O_BUCKET:
			if (!parse_uint(optarg, 1, 86400, &v)) {
				fprintf(stderr, "dcvscope analyze: --bucket-s needs 1..86400\n");
				return CLI_EXIT_USAGE;
			}
			o->acfg.bucket_len_s = (uint32_t)v;
			break;
		case O_TOP:
			if (!parse_uint(optarg, 0, 1000000, &v)) {
				fprintf(stderr, "dcvscope analyze: --top needs 0..1000000\n");
				return CLI_EXIT_USAGE;
			}
			o->top = (unsigned)v;
			break;
		case O_MAXSRC:
		case O_MAXPEND:
			if (!parse_uint(optarg, 16, 1u << 26, &v)) {
				fprintf(stderr, "dcvscope analyze: %s needs 16..%u\n",
				        c == O_MAXSRC ? "--max-sources" : "--max-pending",
				        1u << 26);
				return CLI_EXIT_USAGE;
			}
			if (c == O_MAXSRC)
				o->acfg.max_sources = (uint32_t)v;
			else
				o->acfg.max_pending = (uint32_t)v;
			break;
		case O_NOPROG:
			o->no_progress = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "dcvscope analyze: no input files (use - for standard input)\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	o->files = argv + optind;
	o->nfiles = (unsigned)(argc - optind);
	unsigned stdin_count = 0;
	for (unsigned i = 0; i < o->nfiles; i++)
		stdin_count += strcmp(o->files[i], "-") == 0;
	if (stdin_count > 1) {
		fprintf(stderr, "dcvscope analyze: standard input (-) can be given only once\n");
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* ---- sink: analyzer output into the database ------------------------ */

struct db_sink {
	struct db *db;
	int64_t run_id;
};

static int sink_bucket(void *ctx, const struct source_bucket *row)
{
	struct db_sink *s = ctx;
	return db_source_bucket_add(s->db, s->run_id, row);
}

static int sink_txn(void *ctx, const struct txn_record *rec)
{
	struct db_sink *s = ctx;
	return db_txn_add(s->db, s->run_id, rec);
}

/* ---- top sources ------------------------------------------------------ */

struct top_list {
	struct db_source_total *items;
	unsigned n, cap;
};

static int collect_top(void *ctx, const struct db_source_total *t)
{
	struct top_list *l = ctx;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 16;
		struct db_source_total *grown = realloc(l->items, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = *t;
	return 0;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Fold the index-th frame into the run fingerprint. */
static uint64_t fingerprint_frame(uint64_t fp, const struct cap_frame *f, uint64_t index)
{
	uint64_t lens = (uint64_t)f->caplen << 32 | f->wirelen;
	fp = dcv_hash_mix(fp ^ f->ts_ns) ^ lens;
	if (index >= FINGERPRINT_BYTES_FRAMES)
		return fp;
	size_t n = f->caplen < FINGERPRINT_BYTES ? f->caplen : FINGERPRINT_BYTES;
	return dcv_hash_bytes(f->data, n, fp);
}

/* Open every input before analyzing anything: a typo in the last file name
 * must not leave a partial run behind. */
static int open_inputs(const struct analyze_opts *o, struct cap_file **files,
                       struct analyze_input *inputs)
{
	char err[CAP_ERR_MAX];
	for (unsigned i = 0; i < o->nfiles; i++) {
		inputs[i].path = o->files[i];
		files[i] = cap_file_open(o->files[i], err, sizeof(err));
		if (files[i] == NULL) {
			fprintf(stderr, "dcvscope analyze: cannot read %s\n", err);
			return CLI_EXIT_INPUT;
		}
		int lt = cap_file_linktype(files[i]);
		inputs[i].linktype = lt;
		if (!decode_linktype_supported(lt)) {
			const char *name = pcap_datalink_val_to_name(lt);
			fprintf(stderr,
			        "dcvscope analyze: %s: link type %d (%s) is not supported; "
			        "supported: Ethernet (with VLAN/QinQ), Linux cooked v1/v2, raw "
			        "IPv4/IPv6, "
			        "BSD loopback\n",
			        o->files[i], lt, name ? name : "unknown");
			return CLI_EXIT_INPUT;
		}
	}
	return CLI_EXIT_OK;
}

int cmd_analyze(int argc, char **argv)
{
	struct analyze_opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc != CLI_EXIT_OK)
		return rc < 0 ? CLI_EXIT_OK : rc;

	int exit_code = CLI_EXIT_OK;
	struct db *db = NULL;
	struct analyzer *an = NULL;
	struct top_list top_q = {0}, top_f = {0};
	struct cap_file **files = calloc(o.nfiles, sizeof(*files));
	struct analyze_input *inputs = calloc(o.nfiles, sizeof(*inputs));
	char **input_errors = calloc(o.nfiles, sizeof(*input_errors));
	char *inputs_text = NULL;
	if (files == NULL || inputs == NULL || input_errors == NULL) {
		fprintf(stderr, "dcvscope analyze: out of memory\n");
		exit_code = CLI_EXIT_FAILURE;
		goto cleanup;
	}
	exit_code = open_inputs(&o, files, inputs);
	if (exit_code != CLI_EXIT_OK)
		goto cleanup;

	char err[512];
	if (db_open(&db, o.db_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcvscope analyze: %s\n", err);
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	/* SQLite writes overlap the analysis; without the thread they run inline */
	if (db_set_background(db, true) != 0)
		fprintf(stderr, "dcvscope analyze: %s; writing inline\n", db_errmsg(db));
	size_t tlen = 1;
	for (unsigned i = 0; i < o.nfiles; i++)
		tlen += strlen(o.files[i]) + 1;
	inputs_text = calloc(1, tlen);
	if (inputs_text == NULL) {
		exit_code = CLI_EXIT_FAILURE;
		goto cleanup;
	}
	for (unsigned i = 0; i < o.nfiles; i++) {
		if (i > 0)
			strcat(inputs_text, " ");
		strcat(inputs_text, o.files[i]);
	}
	struct db_run_info info = {
	    .kind = "offline",
	    .inputs = inputs_text,
	    .fingerprint = "pending",
	    .started_ns = wall_ns(),
	    .bucket_len_s = o.acfg.bucket_len_s ? o.acfg.bucket_len_s : AGG_BUCKET_LEN_S_DEFAULT,
	    .timeout_ms = o.acfg.timeout_ms ? o.acfg.timeout_ms : TXN_TIMEOUT_MS_DEFAULT,
	};
	struct db_sink sink_ctx = {.db = db, .run_id = db_run_begin(db, &info)};
	if (sink_ctx.run_id < 0) {
		fprintf(stderr, "dcvscope analyze: %s: %s\n", o.db_path, db_errmsg(db));
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	struct analyzer_sink sink = {
	    .ctx = &sink_ctx, .on_bucket = sink_bucket, .on_txn = sink_txn};
	an = analyzer_new(&o.acfg, &sink);
	if (an == NULL) {
		fprintf(stderr, "dcvscope analyze: out of memory\n");
		exit_code = CLI_EXIT_FAILURE;
		goto cleanup;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct progress prog;
	progress_init(&prog, o.no_progress);
	uint64_t fp = 0x64637673636f7065ULL; /* "dcvscope" */
	bool complete = true, db_failed = false;
	uint64_t nframes = 0;
	for (unsigned i = 0; i < o.nfiles && !interrupted && !db_failed; i++) {
		struct cap_frame f;
		int n;
		while ((n = cap_file_next(files[i], &f)) == CAP_NEXT_FRAME) {
			fp = fingerprint_frame(fp, &f, nframes++);
			if (analyzer_frame(an, &f) != 0) {
				db_failed = true;
				break;
			}
			if ((cap_file_frames(files[i]) & 0xffff) == 0) {
				progress_update(&prog, o.files[i], analyzer_accounting(an)->frames,
				                analyzer_get_totals(an)->queries);
				if (interrupted)
					break;
			}
		}
		inputs[i].frames = cap_file_frames(files[i]);
		inputs[i].complete = n == CAP_NEXT_EOF;
		if (n == CAP_NEXT_ERROR) {
			input_errors[i] = strdup(cap_file_error(files[i]));
			inputs[i].error = input_errors[i];
			fprintf(stderr, "dcvscope analyze: %s\n", cap_file_error(files[i]));
			complete = false;
			exit_code = CLI_EXIT_INPUT;
		}
	}
	if (interrupted) {
		fprintf(stderr, "dcvscope analyze: interrupted; storing what was read\n");
		complete = false;
	}
	progress_done(&prog);
	if (analyzer_finish(an) != 0)
		db_failed = true;

	char fp_text[32];
	snprintf(fp_text, sizeof(fp_text), "frames:%016llx", (unsigned long long)fp);
	const struct analyzer_totals *tot = analyzer_get_totals(an);
	struct db_run_summary sum = {
	    .finished_ns = wall_ns(),
	    .first_packet_ns = tot->first_ts_ns,
	    .last_packet_ns = tot->last_ts_ns,
	    .acc = analyzer_accounting(an),
	    .complete = complete,
	    .fingerprint = fp_text,
	};
	int replaced = db_failed ? -1 : db_run_finish(db, sink_ctx.run_id, &sum);
	if (replaced < 0) {
		fprintf(stderr, "dcvscope analyze: %s: %s\n", o.db_path, db_errmsg(db));
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	if (db_top_sources(db, sink_ctx.run_id, DB_TOP_BY_QUERIES, o.top, collect_top, &top_q) <
	        0 ||
	    db_top_sources(db, sink_ctx.run_id, DB_TOP_BY_FAILURES, o.top, collect_top, &top_f) <
	        0) {
		fprintf(stderr, "dcvscope analyze: %s: %s\n", o.db_path, db_errmsg(db));
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}

	struct analyze_report rep = {
	    .inputs = inputs,
	    .ninputs = o.nfiles,
	    .acc = analyzer_accounting(an),
	    .totals = tot,
	    .timeout_ms = info.timeout_ms,
	    .bucket_len_s = info.bucket_len_s,
	    .db_path = o.db_path,
	    .run_id = sink_ctx.run_id,
	    .replaced_runs = replaced,
	    .source_count = db_source_count(db, sink_ctx.run_id),
	    .top_queries = top_q.items,
	    .ntop_queries = top_q.n,
	    .top_failures = top_f.items,
	    .ntop_failures = top_f.n,
	    .elapsed_s = (double)(progress_now_ns() - prog.start_ns) / 1e9,
	};
	if (o.json) {
		if (summary_json(stdout, &rep) != 0)
			exit_code = CLI_EXIT_FAILURE;
	} else {
		summary_text(stdout, &rep);
	}

cleanup:
	analyzer_free(an);
	if (db != NULL && db_close(db) != 0 && exit_code == CLI_EXIT_OK)
		exit_code = CLI_EXIT_DB;
	for (unsigned i = 0; files != NULL && i < o.nfiles; i++)
		cap_file_close(files[i]);
	for (unsigned i = 0; input_errors != NULL && i < o.nfiles; i++)
		free(input_errors[i]);
	free(input_errors);
	free(files);
	free(inputs);
	free(inputs_text);
	free(top_q.items);
	free(top_f.items);
	return exit_code;
}
