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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze_opts.h"
#include "analyze_report.h"
#include "analyze_tables.h"
#include "findings.h"
#include "rules.h"
#include "rules_config.h"
#include "analyzer.h"
#include "cli.h"
#include "db.h"
#include "db_summary.h"
#include "dnstap_file.h"
#include "depth_store.h"
#include "frame_pipe.h"
#include "hash.h"
#include "pcap_file.h"
#include "progress.h"
#include "source_scan.h"
#include "validator_store.h"

/* Frame bytes folded into the fingerprint, for the first frames only; later
 * frames add their time and lengths, which is cheap and still tells captures apart. */
#define FINGERPRINT_BYTES        64
#define FINGERPRINT_BYTES_FRAMES 4096

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
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

static int sink_second(void *ctx, const struct source_second *sec)
{
	struct db_sink *s = ctx;
	return db_source_second_add(s->db, s->run_id, sec);
}

static int sink_attempt(void *ctx, const struct mpic_attempt *a)
{
	struct db_sink *s = ctx;
	return db_attempt_add(s->db, s->run_id, a);
}

/* ---- the threads beside the analysis ---------------------------------- */

/* The CPUs this process may run on (taskset, cgroup cpusets); the online
 * CPUs when the affinity cannot be read. */
static int usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* Waits for the thread storing the low-confidence validators (storing
 * nothing unless store, if it was not told to go yet) and clears *rest.
 * Returns 0, or -1 after saying why. */
static int finish_rest(struct db_validators_rest **rest, bool store, const char *path)
{
	char err[512];
	int stored = db_validators_rest_finish(*rest, store, err, sizeof(err));
	*rest = NULL;
	if (stored >= 0 || !store)
		return 0;
	fprintf(stderr, "dcvscope analyze: %s: low-confidence validators: %s\n", path, err);
	return -1;
}

/* ---- the run ----------------------------------------------------------- */

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

/* ---- inputs: captures, or dnstap logs (--dnstap) ---------------------- */

/* One input file; exactly one of the two is set. */
struct input {
	struct cap_file *pcap;
	struct cap_dnstap_file *tap;
};

static int input_next(struct input *in, struct cap_frame *f)
{
	return in->pcap ? cap_file_next(in->pcap, f) : cap_dnstap_file_next(in->tap, f);
}

static uint64_t input_frames(const struct input *in)
{
	return in->pcap ? cap_file_frames(in->pcap) : cap_dnstap_file_frames(in->tap);
}

static const char *input_error(const struct input *in)
{
	return in->pcap ? cap_file_error(in->pcap) : cap_dnstap_file_error(in->tap);
}

static void input_close(struct input *in)
{
	cap_file_close(in->pcap);
	cap_dnstap_file_close(in->tap);
}

/* Open every input before analyzing anything: a typo in the last file name
 * must not leave a partial run behind. */
static int open_inputs(const struct analyze_opts *o, struct input *files,
                       struct analyze_input *inputs)
{
	char err[CAP_ERR_MAX];
	for (unsigned i = 0; i < o->nfiles; i++) {
		inputs[i].path = o->files[i];
		if (o->dnstap) {
			/* fstrm opens files by name; standard input has one */
			const char *path =
			    strcmp(o->files[i], "-") == 0 ? "/dev/stdin" : o->files[i];
			files[i].tap = cap_dnstap_file_open(path, err, sizeof(err));
			if (files[i].tap == NULL) {
				fprintf(stderr, "dcvscope analyze: cannot read %s\n", err);
				return CLI_EXIT_INPUT;
			}
			inputs[i].linktype = DNSTAP_LINKTYPE;
			inputs[i].dnstap = true;
			continue;
		}
		files[i].pcap = cap_file_open(o->files[i], err, sizeof(err));
		if (files[i].pcap == NULL) {
			fprintf(stderr, "dcvscope analyze: cannot read %s\n", err);
			return CLI_EXIT_INPUT;
		}
		int lt = cap_file_linktype(files[i].pcap);
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
	int rc = analyze_opts_parse(argc, argv, &o);
	if (rc != CLI_EXIT_OK)
		return rc < 0 ? CLI_EXIT_OK : rc;
	/* a bad rules configuration is a usage error before any work */
	struct rules_config rcfg;
	rules_config_defaults(&rcfg);
	char rerr[512];
	if (!o.no_rules && o.rules_config != NULL &&
	    rules_config_load(&rcfg, o.rules_config, rerr, sizeof(rerr)) != 0) {
		fprintf(stderr, "dcvscope analyze: %s\n", rerr);
		return CLI_EXIT_USAGE;
	}

	int exit_code = CLI_EXIT_OK;
	struct db *db = NULL;
	struct analyzer *an = NULL;
	struct frame_pipe *pipe = NULL;
	struct rules_early *early = NULL;       /* rules running beside the last writes */
	struct db_validators_rest *rest = NULL; /* low-confidence validators being stored */
	struct analyze_sources sources = {0};
	struct analyze_tables tables = {0};
	struct collected found = {0};
	struct analyze_report rep;
	memset(&rep, 0, sizeof(rep));
	struct input *files = calloc(o.nfiles, sizeof(*files));
	struct analyze_input *inputs = calloc(o.nfiles, sizeof(*inputs));
	char **input_errors = calloc(o.nfiles, sizeof(*input_errors));
	char *inputs_text = NULL;
	struct cap_dnstap_stats tap_stats;
	memset(&tap_stats, 0, sizeof(tap_stats));
	if (files == NULL || inputs == NULL || input_errors == NULL) {
		fprintf(stderr, "dcvscope analyze: out of memory\n");
		exit_code = CLI_EXIT_FAILURE;
		goto cleanup;
	}
	exit_code = open_inputs(&o, files, inputs);
	if (exit_code == CLI_EXIT_OK)
		exit_code = analyze_tables_load(&o, &tables);
	if (exit_code != CLI_EXIT_OK)
		goto cleanup;
	o.acfg.validators = tables.validators;
	o.acfg.reproducible = true; /* the same capture gives the same results */
	o.acfg.geo = tables.geo;
	o.acfg.depth.anchors = tables.have_anchors ? &tables.anchors : NULL;

	char err[512];
	if (db_open(&db, o.db_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcvscope analyze: %s\n", err);
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	/* SQLite writes overlap the analysis on a second CPU; on one CPU the
	 * threads would only take turns (and each other's caches): inline */
	bool threads = usable_cpus() > 1;
	if (threads && db_set_background(db, true) != 0)
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
	/* the summary and the rules read the run's per-source totals: added up
	 * as the rows are stored, they need not be read back */
	if (sink_ctx.run_id < 0 ||
	    db_source_fold_start(db, sink_ctx.run_id, ANALYZE_SOURCES_KEPT) != 0) {
		fprintf(stderr, "dcvscope analyze: %s: %s\n", o.db_path, db_errmsg(db));
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	struct analyzer_sink sink = {.ctx = &sink_ctx,
	                             .on_bucket = sink_bucket,
	                             .on_txn = sink_txn,
	                             .on_second = sink_second,
	                             .on_attempt = sink_attempt};
	an = analyzer_new(&o.acfg, &sink);
	if (an != NULL)
		pipe = frame_pipe_new(an);
	if (an == NULL || pipe == NULL) {
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
		while ((n = input_next(&files[i], &f)) == CAP_NEXT_FRAME) {
			fp = fingerprint_frame(fp, &f, nframes++);
			if (frame_pipe_push(pipe, &f) != 0) {
				db_failed = true;
				break;
			}
			if ((input_frames(&files[i]) & 0xffff) == 0) {
				progress_update(&prog, o.files[i], analyzer_accounting(an)->frames,
				                analyzer_get_totals(an)->queries);
				if (interrupted)
					break;
			}
		}
		if (frame_pipe_drain(pipe) != 0)
			db_failed = true;
		inputs[i].frames = input_frames(&files[i]);
		inputs[i].complete = n == CAP_NEXT_EOF;
		if (files[i].tap != NULL)
			cap_dnstap_stats_add(&tap_stats, cap_dnstap_file_stats(files[i].tap));
		if (n == CAP_NEXT_ERROR) {
			input_errors[i] = strdup(input_error(&files[i]));
			inputs[i].error = input_errors[i];
			fprintf(stderr, "dcvscope analyze: %s\n", input_error(&files[i]));
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
	/* every source judged a validator, even at low confidence: the report
	 * filters, the database keeps the evidence. The summary and the rules
	 * read medium confidence or above: with a second CPU a thread copies
	 * the low ones now and stores them on a connection of its own while
	 * they are read (validator_rest.c) */
	const struct mpic *mpic = analyzer_mpic(an);
	if (threads && !db_failed)
		rest = db_validators_rest_start(o.db_path, sink_ctx.run_id, mpic, MPIC_CONF_LOW,
		                                MPIC_CONF_MEDIUM);
	/* the totals of every source, added up in memory: read while the
	 * writer thread stores the last batch (else once the run is stored) */
	bool have_sources =
	    threads && !db_failed &&
	    analyze_sources_read_early(db, sink_ctx.run_id, mpic, o.top, &sources) == 0;

	char fp_text[32];
	/* a dnstap log never stands for the same run as a capture of the same traffic */
	snprintf(fp_text, sizeof(fp_text), "%s:%016llx", o.dnstap ? "dnstap" : "frames",
	         (unsigned long long)fp);
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
	/* the rules see what was just stored, like `dcvscope rules` would;
	 * every transaction and attempt is stored: the rules that read only
	 * those run meanwhile, on a connection of their own */
	struct rules_scope scope = {.run_id = sink_ctx.run_id};
	if (!o.no_rules && threads)
		early = rules_early_start(o.db_path, &scope, &rcfg);
	enum mpic_confidence first = rest != NULL ? MPIC_CONF_MEDIUM : MPIC_CONF_LOW;
	if (db_validator_sources_store_range(db, sink_ctx.run_id, mpic, first,
	                                     DB_VALIDATOR_CONF_ALL, true) < 0 ||
	    db_depth_store(db, sink_ctx.run_id, analyzer_depth(an)) < 0) {
		fprintf(stderr, "dcvscope analyze: %s: %s\n", o.db_path, db_errmsg(db));
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	db_validators_rest_go(rest); /* this connection only reads until it is done */
	if ((!have_sources && analyze_sources_read(db, sink_ctx.run_id, o.top, &sources) != 0) ||
	    analyze_collect(db, sink_ctx.run_id, o.top, &sources, &rep) != 0) {
		fprintf(stderr, "dcvscope analyze: %s: %s\n", o.db_path, db_errmsg(db));
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	rep.inputs = inputs;
	rep.ninputs = o.nfiles;
	rep.acc = analyzer_accounting(an);
	rep.totals = tot;
	rep.timeout_ms = info.timeout_ms;
	rep.bucket_len_s = info.bucket_len_s;
	rep.db_path = o.db_path;
	rep.run_id = sink_ctx.run_id;
	rep.replaced_runs = replaced;
	rep.table_warnings = tables.warnings;
	rep.dnstap = o.dnstap ? &tap_stats : NULL;
	if (!o.no_rules) {
		/* the totals just read: the rules need not read them again */
		if (rules_run_with_early(db, &scope, &rcfg, sources.too_many ? NULL : sources.src,
		                         sources.n, sources.spill, early, findings_collect,
		                         &found) < 0 ||
		    found.oom) {
			fprintf(stderr, "dcvscope analyze: rules: %s: %s\n", o.db_path,
			        db_errmsg(db));
			exit_code = CLI_EXIT_DB;
			goto cleanup;
		}
		rep.findings = &found;
	}
	/* the low-confidence validators stored: the file is whole, and this
	 * connection may write again */
	if (rest != NULL && finish_rest(&rest, true, o.db_path) != 0) {
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	if (!o.no_rules && db_findings_replace(db, &scope, found.f, found.n) != 0) {
		fprintf(stderr, "dcvscope analyze: rules: %s: %s\n", o.db_path, db_errmsg(db));
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	rep.elapsed_s = (double)(progress_now_ns() - prog.start_ns) / 1e9;
	if (o.json) {
		if (summary_json(stdout, &rep) != 0)
			exit_code = CLI_EXIT_FAILURE;
	} else {
		summary_text(stdout, &rep);
	}
	if (o.fail_on >= 0 && exit_code == CLI_EXIT_OK &&
	    findings_at_least(&found, (enum rule_severity)o.fail_on) > 0)
		exit_code = CLI_EXIT_FINDINGS;

cleanup:
	if (rest != NULL) /* before the analyzer (and its MPIC table) is freed */
		(void)finish_rest(&rest, false, o.db_path);
	rules_early_free(early);
	analyze_sources_free(&sources);
	frame_pipe_free(pipe);
	analyzer_free(an);
	if (db != NULL && db_close(db) != 0 && exit_code == CLI_EXIT_OK)
		exit_code = CLI_EXIT_DB;
	for (unsigned i = 0; files != NULL && i < o.nfiles; i++)
		input_close(&files[i]);
	for (unsigned i = 0; input_errors != NULL && i < o.nfiles; i++)
		free(input_errors[i]);
	free(input_errors);
	free(files);
	free(inputs);
	free(inputs_text);
	analyze_collect_free(&rep);
	findings_free(&found);
	analyze_tables_free(&tables);
	return exit_code;
}
