/*
 * cmd_watch.c - `dcvscope watch -i IFACE`: the sidecar. Live frames
 * (capture/live.h: eBPF or libpcap) go through the same analyzer as
 * `analyze` into one run of kind "live".
 *
 * LIFE OF A LIVE RUN
 *
 *   start     options (watch_opts.h), tables, database, db_run_begin(kind
 *             "live", fingerprint "live:IFACE:<start ns>:<pid>": unique, so
 *             no earlier run is ever replaced), retention, capture open.
 *   frames    analyzer_frame(); the analyzer emits each bucket, transaction,
 *             busy second and attempt when it is final (capture time drives
 *             it), and the sink queues them (db_*_add()). When no frame
 *             arrives within WATCH_POLL_MS, analyzer_advance() moves its
 *             clock to the wall clock minus WATCH_CLOCK_LAG_NS, so a quiet
 *             interface still closes buckets and judges drops on time.
 *   flush     every --flush-s: db_flush() writes the queue; the capture's
 *             losses since the last flush go into capture_intervals; the
 *             run row gets the accounting so far (db_run_progress(),
 *             finished_ns stays NULL). A failed flush keeps the rows queued
 *             and is retried at the next interval.
 *   rules     every --rules-s: the validator sources recognised so far are
 *             stored (db_validator_sources_store() replaces the run's rows),
 *             then the rules run over this run; changes as JSON lines.
 *   ship      with --clickhouse, after every flush that succeeded: the
 *             loop asks the shipping thread (watch_ship.h) for a pass, which
 *             sends the new rows to the fleet's ClickHouse (db/ship.h) on a
 *             connection of its own with one try per batch; a server that
 *             is unreachable or hangs holds up that thread, never the
 *             capture. What it cannot take goes to the spool (or stays
 *             unshipped) and goes out with a later pass. At stop, after the
 *             last rules pass, the thread is joined and one more pass runs
 *             here with the full retries.
 *   retention at start and every WATCH_RETENTION_EVERY_S.
 *   SIGHUP    reload between two frames (see reload()).
 *   stop      SIGINT/SIGTERM/--duration-s: the frames the capture already
 *             holds are read (at most WATCH_DRAIN_MAX_NS); then "finish"
 *             for a live run means the input ended here: analyzer_finish() closes TCP sessions,
 *             decides open transactions (pending ones are counted as
 *             pending_at_end, not as drops) and emits every open bucket;
 *             the clock is first advanced to the stop time (minus the
 *             lag), so queries older than the timeout by then count as
 *             unanswered; then a last flush and interval row, db_run_finish() with
 *             complete = 1 (0 when the capture failed), the validator
 *             sources, the DNSSEC/CAA/EDNS results (judged once, at the
 *             end: a DNSKEY answer may follow the answers it signs), a
 *             last rules pass. Exit 0.
 *
 * A kill -9 leaves the run with finished_ns NULL and everything up to the
 * last flush stored.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "analyze_opts.h"
#include "analyze_tables.h"
#include "analyzer.h"
#include "cli.h"
#include "clickhouse.h"
#include "db.h"
#include "depth_store.h"
#include "live.h"
#include "live_store.h"
#include "ship_opts.h"
#include "watch_ship.h"
#include "validator_store.h"
#include "watch_findings.h"
#include "watch_opts.h"
#include "watch_pcap.h"

/* How long one wait for a frame lasts: the longest delay before a flag or
 * a timer is looked at when no traffic arrives. */
#define WATCH_POLL_MS 100

/* How far the analyzer's clock trails the wall clock in quiet moments
 * (analyzer_advance()): frames still in the capture's buffers are at most
 * this late, so a query is not judged unanswered before its response has
 * been read. A guess well above the buffering of both sources (immediate
 * mode; ring-buffer wake-up) and well below the query timeout. */
#define WATCH_CLOCK_LAG_NS 1000000000ULL

/* Signal flags: set by the handler only, read by the loop (this file only). */
static volatile sig_atomic_t stop_requested, reload_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

struct watch {
	struct watch_opts o;
	int argc;
	char **argv;
	struct analyze_tables tables;
	struct db *db;
	int64_t run_id;
	struct analyzer *an;
	struct cap_live *cap;
	const char *capture; /* "ebpf" or "pcap" */
	struct watch_pcap *pcap;
	struct watch_findings *findings;
	/* what the last interval row left off at */
	struct cap_live_stats last;
	uint64_t last_evictions;
	uint64_t interval_start_ns;
	bool db_failing;            /* the last flush failed (logged once until it recovers) */
	struct db_ch *ch;           /* --clickhouse: the fleet's server, else NULL */
	struct watch_ship *shipper; /* --clickhouse: the passes between flushes */
	struct ship_opts ship;      /* --clickhouse: identity and spool */
	bool ship_failing;          /* the last ship did not deliver everything (logged once) */
};

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void wlog(const struct watch *w, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void wlog(const struct watch *w, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dcvscope watch: %s\n", msg);
	if (w->o.syslog)
		syslog(prio, "%s", msg);
}

/* ---- sink: analyzer output into the database ------------------------ */

static int sink_bucket(void *ctx, const struct source_bucket *row)
{
	struct watch *w = ctx;
	return db_source_bucket_add(w->db, w->run_id, row);
}

static int sink_txn(void *ctx, const struct txn_record *rec)
{
	struct watch *w = ctx;
	return db_txn_add(w->db, w->run_id, rec);
}

static int sink_second(void *ctx, const struct source_second *sec)
{
	struct watch *w = ctx;
	return db_source_second_add(w->db, w->run_id, sec);
}

static int sink_attempt(void *ctx, const struct mpic_attempt *a)
{
	struct watch *w = ctx;
	return db_attempt_add(w->db, w->run_id, a);
}

/* ---- tables ------------------------------------------------------------ */

/* Loads the validator ranges and geo databases that o names, through the
 * same code as analyze. */
static int load_tables(const struct watch_opts *o, struct analyze_tables *t)
{
	struct analyze_opts ao;
	memset(&ao, 0, sizeof(ao));
	for (unsigned i = 0; i < o->nvalidator_files; i++)
		ao.validator_files[i] = o->validator_files[i];
	ao.nvalidator_files = o->nvalidator_files;
	ao.no_default_validators = o->no_default_validators;
	ao.validators_dir = o->validators_dir;
	ao.geoip = o->geoip;
	ao.asn_db = o->asn_db;
	return analyze_tables_load(&ao, t);
}

/* ---- flush, rules, retention --------------------------------------------- */

/* The run's accounting with the capture's losses in kernel_dropped. */
static void accounting_now(struct watch *w, const struct cap_live_stats *st,
                           struct run_accounting *acc)
{
	*acc = *analyzer_accounting(w->an);
	acc->kernel_dropped = st->kernel_dropped + st->if_dropped + st->ringbuf_dropped;
}

/* Writes the queued rows, the interval's losses and the run's progress.
 * Returns 0 or -1 (logged; the rows stay queued for the next try). */
static int flush_interval(struct watch *w, bool final)
{
	struct cap_live_stats st;
	memset(&st, 0, sizeof(st));
	if (cap_live_get_stats(w->cap, &st) != 0)
		wlog(w, LOG_WARNING, "capture statistics: %s", cap_live_error(w->cap));
	if (w->pcap != NULL)
		watch_pcap_flush(w->pcap);
	uint64_t now = wall_ns();
	const struct analyzer_totals *tot = analyzer_get_totals(w->an);
	struct run_accounting acc;
	accounting_now(w, &st, &acc);
	struct db_capture_interval iv = {
	    .start_ns = w->interval_start_ns,
	    .end_ns = now,
	    .capture = w->capture,
	    .frames = st.received - w->last.received,
	    .kernel_matched = st.kernel_matched - w->last.kernel_matched,
	    .kernel_dropped = st.kernel_dropped - w->last.kernel_dropped,
	    .if_dropped = st.if_dropped - w->last.if_dropped,
	    .ringbuf_dropped = st.ringbuf_dropped - w->last.ringbuf_dropped,
	    .truncated = st.truncated - w->last.truncated,
	    .evictions = acc.evictions - w->last_evictions,
	};
	struct db_run_summary sum = {
	    .first_packet_ns = tot->first_ts_ns, .last_packet_ns = tot->last_ts_ns, .acc = &acc};
	/* a dnstap socket has no capture losses to record: the server logs after
	 * the kernel (what dnstap cannot see is stated by the summaries) */
	bool dnstap = cap_live_kind_of(w->cap) == CAP_LIVE_DNSTAP;
	if (db_flush(w->db) != 0 ||
	    (!dnstap && db_capture_interval_add(w->db, w->run_id, &iv) != 0) ||
	    (!final && db_run_progress(w->db, w->run_id, &sum) != 0)) {
		if (!w->db_failing || final)
			wlog(w, LOG_ERR, "%s: %s (retrying at the next flush)", w->o.db_path,
			     db_errmsg(w->db));
		w->db_failing = true;
		return -1;
	}
	if (w->db_failing)
		wlog(w, LOG_NOTICE, "%s: writing again", w->o.db_path);
	w->db_failing = false;
	w->last = st;
	w->last_evictions = acc.evictions;
	w->interval_start_ns = now;
	return 0;
}

static void run_rules(struct watch *w)
{
	struct rules_scope scope = {.run_id = w->run_id};
	/* the rules read what is stored: the rows so far, and the validator
	 * sources recognised so far (replaced at every pass, and at the end) */
	if (db_flush(w->db) != 0 ||
	    db_validator_sources_store(w->db, w->run_id, analyzer_mpic(w->an), MPIC_CONF_LOW) < 0) {
		wlog(w, LOG_ERR, "rules: %s", db_errmsg(w->db));
		return;
	}
	int rc = watch_findings_run(w->findings, w->db, &scope);
	if (rc == -1)
		wlog(w, LOG_ERR, "rules: %s", db_errmsg(w->db));
}

/* The shipping options of --clickhouse, with tries per batch (0: the
 * default); o points into w->ship. */
static void ship_options(struct watch *w, unsigned tries, struct db_ship_opts *o)
{
	ship_opts_init(&w->ship);
	w->ship.server = w->o.ship_server;
	if (w->o.ship_site != NULL)
		w->ship.site = w->o.ship_site;
	w->ship.spool_dir = w->o.ship_spool;
	w->ship.spool_max_mb = w->o.ship_spool_mb;
	w->ship.tries = tries;
	ship_opts_to_db(&w->ship, o);
}

/* Logs what a pass did: a failure once until shipping recovers. */
static void ship_note(struct watch *w, int rc, const char *msg)
{
	if (rc != 0 && !w->ship_failing)
		wlog(w, LOG_WARNING, "ship: %s%s", msg,
		     rc > 0 ? " (spooled; retrying at the next flush)"
		            : " (left in the database; retrying at the next flush)");
	else if (rc == 0 && w->ship_failing)
		wlog(w, LOG_NOTICE, "ship: delivering to %s again", db_ch_target(w->ch));
	w->ship_failing = rc != 0;
}

/* After a flush: asks the shipping thread for a pass (one try per batch, so
 * that an unreachable server costs one connect timeout per interval, in
 * that thread) and logs the passes that ended meanwhile. */
static void ship_request(struct watch *w)
{
	if (w->shipper == NULL)
		return;
	int rc;
	char msg[DB_CH_ERRMSG_MAX];
	if (watch_ship_result(w->shipper, &rc, msg, sizeof(msg)))
		ship_note(w, rc, msg);
	watch_ship_request(w->shipper);
}

/* At stop: ends the shipping thread (after its running pass), then one
 * last pass in this thread with the full retries. */
static void ship_last(struct watch *w)
{
	if (w->ch == NULL)
		return;
	watch_ship_stop(w->shipper); /* its last pass's result is this pass's too */
	w->shipper = NULL;
	struct db_ship_opts o;
	ship_options(w, 0, &o);
	struct db_ship_report rep;
	int rc = db_ship(w->db, w->ch, &o, &rep);
	ship_note(w, rc, rep.err);
}

static void run_retention(struct watch *w)
{
	if (w->o.retention_days == 0)
		return;
	uint64_t keep_ns = (uint64_t)w->o.retention_days * 86400ULL * 1000000000ULL;
	uint64_t now = wall_ns();
	int64_t n = db_retention_purge(w->db, now > keep_ns ? now - keep_ns : 0, w->run_id);
	if (n < 0)
		wlog(w, LOG_ERR, "retention: %s", db_errmsg(w->db));
	else if (n > 0)
		wlog(w, LOG_INFO, "retention: deleted %lld rows older than %u days", (long long)n,
		     w->o.retention_days);
}

/* ---- SIGHUP -------------------------------------------------------------- */

/* Options that only a restart changes (the capture, the database, the
 * analyzer's shape); a reload that changes them says so and keeps the old. */
static bool needs_restart(const struct watch_opts *a, const struct watch_opts *b)
{
	return strcmp(watch_input_name(a), watch_input_name(b)) != 0 ||
	       strcmp(a->db_path, b->db_path) != 0 || a->capture != b->capture ||
	       a->snaplen != b->snaplen || a->buffer_mb != b->buffer_mb ||
	       a->acfg.nports != b->acfg.nports ||
	       memcmp(a->acfg.ports, b->acfg.ports, sizeof(a->acfg.ports)) != 0 ||
	       a->acfg.timeout_ms != b->acfg.timeout_ms ||
	       a->acfg.bucket_len_s != b->acfg.bucket_len_s ||
	       a->acfg.max_sources != b->acfg.max_sources ||
	       a->acfg.max_pending != b->acfg.max_pending ||
	       (a->pcap_dir == NULL) != (b->pcap_dir == NULL) ||
	       (a->pcap_dir && strcmp(a->pcap_dir, b->pcap_dir) != 0) ||
	       a->rotate_mb != b->rotate_mb || a->rotate_s != b->rotate_s;
}

/*
 * reload() re-reads the configuration file (the command line still
 * overrides it) and the validator ranges. It runs in the loop between two
 * frames, so the analyzer is not in the middle of one: the new table is
 * built aside, handed over with analyzer_set_validators() (which forgets
 * what its cache drew from the old one), and only then is the old table
 * freed. Statistics, open transactions, sessions and the run stay as they
 * are. Anything that fails leaves the running configuration untouched.
 * The geo databases stay those of the start.
 */
static void reload(struct watch *w)
{
	struct watch_opts n;
	char err[WATCH_ERR_MAX];
	if (watch_opts_load(w->argc, w->argv, &n, err, sizeof(err)) != CLI_EXIT_OK) {
		wlog(w, LOG_ERR, "reload: %s; keeping the running configuration", err);
		watch_opts_free(&n);
		return;
	}
	if (needs_restart(&w->o, &n))
		wlog(w, LOG_WARNING,
		     "reload: interface, capture, database, ports, analyzer or "
		     "pcap settings changed; they take effect at the next start");
	struct analyze_tables t;
	if (load_tables(&n, &t) != CLI_EXIT_OK) {
		wlog(w, LOG_ERR,
		     "reload: the validator ranges could not be loaded; keeping the "
		     "current ones");
		analyze_tables_free(&t);
		watch_opts_free(&n);
		return;
	}
	analyzer_set_validators(w->an, t.validators);
	validators_free(w->tables.validators);
	w->tables.validators = t.validators;
	t.validators = NULL;
	analyze_tables_free(&t); /* a geo opened by the reload: not used */
	w->o.flush_s = n.flush_s;
	w->o.rules_s = n.rules_s;
	w->o.retention_days = n.retention_days;
	w->o.duration_s = n.duration_s;
	if (w->o.syslog != n.syslog) {
		if (n.syslog)
			openlog("dcvscope", LOG_PID, LOG_DAEMON);
		w->o.syslog = n.syslog;
		watch_findings_set_syslog(w->findings, n.syslog);
	}
	wlog(w, LOG_NOTICE, "reloaded %s and the validator ranges (%u warnings)", n.config_path,
	     w->tables.warnings);
	watch_opts_free(&n);
}

/* ---- main -------------------------------------------------------------- */

static int open_capture(struct watch *w)
{
	struct cap_live_opts co;
	memset(&co, 0, sizeof(co));
	co.ifname = w->o.iface;
	co.kind = w->o.capture;
	co.dnstap_path = w->o.dnstap;
	for (unsigned i = 0; i < w->o.acfg.nports && i < CAP_LIVE_MAX_PORTS; i++)
		co.ports[co.n_ports++] = w->o.acfg.ports[i];
	co.snaplen = w->o.snaplen;
	co.buffer_bytes = w->o.buffer_mb * 1024u * 1024u;
	char err[CAP_LIVE_ERR_MAX];
	w->cap = cap_live_open(&co, err, sizeof(err));
	if (w->cap == NULL) {
		wlog(w, LOG_ERR, "cannot capture on %s (%s): %s", watch_input_name(&w->o),
		     watch_capture_name(w->o.capture), err);
		return CLI_EXIT_INPUT;
	}
	w->capture = watch_capture_name(cap_live_kind_of(w->cap));
	wlog(w, LOG_NOTICE, "capturing on %s with %s", watch_input_name(&w->o),
	     cap_live_choice(w->cap));
	return CLI_EXIT_OK;
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop; /* no SA_RESTART: a wait returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Longest time spent at stop reading what the capture already holds (a
 * flood could otherwise keep the drain going for ever). */
#define WATCH_DRAIN_MAX_NS 2000000000ULL

/* Hands one frame to the analyzer and the pcap writer. */
static void take_frame(struct watch *w, const struct cap_frame *f)
{
	char err[512];
	/* a failing sink is reported by the next flush; the frame is counted */
	(void)analyzer_frame(w->an, f);
	if (w->pcap != NULL && watch_pcap_write(w->pcap, f, f->ts_ns, err, sizeof(err)) != 0)
		wlog(w, LOG_ERR, "write-pcap: %s", err);
}

/* At stop: the frames captured before the signal but not yet read (ring
 * buffer, socket buffer) belong to the run. Returns 0, or -1 when the
 * capture failed. */
static int drain(struct watch *w)
{
	uint64_t until = mono_ns() + WATCH_DRAIN_MAX_NS;
	struct cap_frame f;
	int rc;
	while ((rc = cap_live_next(w->cap, &f, 0)) == CAP_LIVE_FRAME) {
		take_frame(w, &f);
		if (mono_ns() >= until)
			break;
	}
	return rc == CAP_LIVE_ERROR ? -1 : 0;
}

/* The capture loop; returns CLI_EXIT_OK, or CLI_EXIT_INPUT when the capture failed. */
static int watch_loop(struct watch *w)
{
	uint64_t start = mono_ns(), s = 1000000000ULL;
	uint64_t next_flush = start + w->o.flush_s * s;
	uint64_t next_rules = start + (uint64_t)w->o.rules_s * s;
	uint64_t next_retention = start + WATCH_RETENTION_EVERY_S * s;
	while (!stop_requested) {
		struct cap_frame f;
		int rc = cap_live_next(w->cap, &f, WATCH_POLL_MS);
		if (rc == CAP_LIVE_ERROR) {
			wlog(w, LOG_ERR, "capture failed: %s", cap_live_error(w->cap));
			return CLI_EXIT_INPUT;
		}
		if (rc == CAP_LIVE_FRAME)
			take_frame(w, &f);
		else /* quiet: time goes on without frames (buckets close, drops are judged) */
			(void)analyzer_advance(w->an, wall_ns() - WATCH_CLOCK_LAG_NS);
		if (reload_requested) {
			reload_requested = 0;
			reload(w);
		}
		uint64_t now = mono_ns();
		if (now >= next_flush) {
			if (flush_interval(w, false) == 0)
				ship_request(w);
			next_flush = now + w->o.flush_s * s;
		}
		if (w->o.rules_s > 0 && now >= next_rules) {
			run_rules(w);
			next_rules = now + (uint64_t)w->o.rules_s * s;
		}
		if (now >= next_retention) {
			run_retention(w);
			next_retention = now + WATCH_RETENTION_EVERY_S * s;
		}
		if (w->o.duration_s > 0 && now - start >= (uint64_t)w->o.duration_s * s)
			break;
	}
	if (drain(w) != 0) {
		wlog(w, LOG_ERR, "capture failed: %s", cap_live_error(w->cap));
		return CLI_EXIT_INPUT;
	}
	return CLI_EXIT_OK;
}

int cmd_watch(int argc, char **argv)
{
	struct watch w;
	memset(&w, 0, sizeof(w));
	w.argc = argc;
	w.argv = argv;
	int rc = watch_opts_load(argc, argv, &w.o, NULL, 0);
	if (rc != CLI_EXIT_OK) {
		watch_opts_free(&w.o);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	if (w.o.syslog)
		openlog("dcvscope", LOG_PID, LOG_DAEMON);
	int exit_code = load_tables(&w.o, &w.tables);
	if (exit_code != CLI_EXIT_OK)
		goto cleanup;
	w.o.acfg.validators = w.tables.validators;
	w.o.acfg.geo = w.tables.geo;

	char err[512];
	if (db_open(&w.db, w.o.db_path, err, sizeof(err)) != 0) {
		wlog(&w, LOG_ERR, "%s", err);
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	if (w.o.ch_url != NULL && db_ch_open(&w.ch, w.o.ch_url, err, sizeof(err)) != 0) {
		wlog(&w, LOG_ERR, "%s", err);
		exit_code = CLI_EXIT_USAGE;
		goto cleanup;
	}
	if (w.ch != NULL) {
		struct db_ship_opts so;
		ship_options(&w, 1, &so);
		w.shipper = watch_ship_start(w.o.db_path, w.o.ch_url, &so, err, sizeof(err));
		if (w.shipper == NULL) {
			wlog(&w, LOG_ERR, "%s", err);
			exit_code = CLI_EXIT_DB;
			goto cleanup;
		}
	}
	install_signals();
	exit_code = open_capture(&w);
	if (exit_code != CLI_EXIT_OK)
		goto cleanup;
	char inputs[256], fp[256];
	snprintf(inputs, sizeof(inputs), "%s (%s)", watch_input_name(&w.o), w.capture);
	uint64_t started = wall_ns();
	snprintf(fp, sizeof(fp), "live:%s:%llu:%d", watch_input_name(&w.o),
	         (unsigned long long)started, (int)getpid());
	struct db_run_info info = {
	    .kind = "live",
	    .inputs = inputs,
	    .fingerprint = fp,
	    .started_ns = started,
	    .bucket_len_s =
	        w.o.acfg.bucket_len_s ? w.o.acfg.bucket_len_s : AGG_BUCKET_LEN_S_DEFAULT,
	    .timeout_ms = w.o.acfg.timeout_ms ? w.o.acfg.timeout_ms : TXN_TIMEOUT_MS_DEFAULT,
	};
	w.run_id = db_run_begin(w.db, &info);
	if (w.run_id < 0) {
		wlog(&w, LOG_ERR, "%s: %s", w.o.db_path, db_errmsg(w.db));
		exit_code = CLI_EXIT_DB;
		goto cleanup;
	}
	wlog(&w, LOG_INFO, "run %lld in %s", (long long)w.run_id, w.o.db_path);
	run_retention(&w);
	struct analyzer_sink sink = {.ctx = &w,
	                             .on_bucket = sink_bucket,
	                             .on_txn = sink_txn,
	                             .on_second = sink_second,
	                             .on_attempt = sink_attempt};
	w.an = analyzer_new(&w.o.acfg, &sink);
	w.findings = watch_findings_new(stdout, w.o.syslog);
	if (w.an == NULL || w.findings == NULL) {
		wlog(&w, LOG_ERR, "out of memory");
		exit_code = CLI_EXIT_FAILURE;
		goto cleanup;
	}
	if (w.o.pcap_dir != NULL) {
		w.pcap = watch_pcap_new(w.o.pcap_dir, (uint64_t)w.o.rotate_mb << 20,
		                        (uint64_t)w.o.rotate_s * 1000000000ULL, err, sizeof(err));
		if (w.pcap == NULL) {
			wlog(&w, LOG_ERR, "write-pcap: %s", err);
			exit_code = CLI_EXIT_FAILURE;
			goto cleanup;
		}
	}
	w.interval_start_ns = started;

	int loop_rc = watch_loop(&w);

	/* finish: the input ends here (see LIFE OF A LIVE RUN) */
	(void)analyzer_advance(w.an, wall_ns() - WATCH_CLOCK_LAG_NS);
	bool db_ok = analyzer_finish(w.an) == 0;
	if (flush_interval(&w, true) != 0)
		db_ok = false;
	struct cap_live_stats st;
	memset(&st, 0, sizeof(st));
	cap_live_get_stats(w.cap, &st);
	struct run_accounting acc;
	accounting_now(&w, &st, &acc);
	const struct analyzer_totals *tot = analyzer_get_totals(w.an);
	struct db_run_summary sum = {
	    .finished_ns = wall_ns(),
	    .first_packet_ns = tot->first_ts_ns,
	    .last_packet_ns = tot->last_ts_ns,
	    .acc = &acc,
	    .complete = loop_rc == CLI_EXIT_OK,
	};
	if (!db_ok || db_run_finish(w.db, w.run_id, &sum) < 0 ||
	    db_validator_sources_store(w.db, w.run_id, analyzer_mpic(w.an), MPIC_CONF_LOW) < 0 ||
	    db_depth_store(w.db, w.run_id, analyzer_depth(w.an)) < 0) {
		wlog(&w, LOG_ERR, "%s: %s", w.o.db_path, db_errmsg(w.db));
		exit_code = CLI_EXIT_DB;
	} else {
		if (w.o.rules_s > 0)
			run_rules(&w);
		ship_last(&w);
		exit_code = loop_rc;
	}
	const struct cap_dnstap_stats *tap = cap_live_dnstap_stats(w.cap);
	if (tap != NULL)
		wlog(&w, LOG_NOTICE,
		     "dnstap: %llu messages, %llu analyzed, %llu of types not used, %llu without "
		     "needed fields, %llu invalid, %llu malformed, %llu too large; not measured: "
		     "TCP session states, kernel drops, IP fragments",
		     (unsigned long long)tap->payloads, (unsigned long long)tap->frames,
		     (unsigned long long)tap->not_used, (unsigned long long)tap->missing_total,
		     (unsigned long long)(tap->invalid + tap->not_message),
		     (unsigned long long)tap->malformed, (unsigned long long)tap->oversize);
	wlog(&w, LOG_NOTICE,
	     "stopped: %llu frames, %llu queries, %llu responses, %llu capture drops, %llu "
	     "evictions",
	     (unsigned long long)acc.frames, (unsigned long long)acc.queries,
	     (unsigned long long)acc.responses, (unsigned long long)acc.kernel_dropped,
	     (unsigned long long)acc.evictions);

cleanup:
	watch_ship_stop(w.shipper);
	cap_live_close(w.cap);
	watch_pcap_free(w.pcap);
	analyzer_free(w.an);
	watch_findings_free(w.findings);
	db_ch_close(w.ch);
	if (w.db != NULL && db_close(w.db) != 0 && exit_code == CLI_EXIT_OK)
		exit_code = CLI_EXIT_DB;
	analyze_tables_free(&w.tables);
	if (w.o.syslog)
		closelog();
	watch_opts_free(&w.o);
	return exit_code;
}
