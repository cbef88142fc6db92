/*
 * schema.c - the database file format and its migrations.
 *
 * FILE FORMAT
 *
 * A dcvscope database is an SQLite 3 file in WAL mode with 16 KiB pages
 * (DB_PAGE_SIZE; set when the file is created). Two header fields identify it:
 *   PRAGMA application_id = 0x44435653 ("DCVS"), set with migration 1;
 *   PRAGMA user_version   = the schema version, 1..DB_SCHEMA_VERSION.
 * A file whose user_version is higher than this build knows is refused; a
 * file with another application_id, or one at version 0 that already holds
 * tables, is refused as "not a dcvscope database" instead of being written to.
 *
 * Conventions: every *_ns column is nanoseconds since the Unix epoch (UTC);
 * *_us is microseconds; *_s seconds; *_ms milliseconds. Counters are
 * INTEGER (SQLite's signed 64-bit; larger values are clamped to 2^63-1).
 * Flags are INTEGER 0/1. Addresses are stored twice: as text (inet_ntop form,
 * the key reports show and search) and as a 16-byte BLOB in network order
 * with the family beside it: IPv4 uses the first 4 bytes and 12 zero bytes,
 * so within one family BLOB comparison is address order and a CIDR range is
 * "family = ? AND x_bin BETWEEN first AND last".
 *
 * Table runs: one row per analysis run (a capture file set, or a live watch).
 *   id                 INTEGER PRIMARY KEY; referenced as run_id elsewhere.
 *   kind               'offline' or 'live'.
 *   inputs             human-readable list of inputs (file names, interface).
 *   fingerprint        identity of the input; when a run finishes, earlier
 *                      runs with the same fingerprint are deleted with all
 *                      their rows (db_run_finish()).
 *   started_ns         wall clock when the run started.
 *   finished_ns        wall clock when it finished; NULL while running (or
 *                      when the run never finished: crash, kill -9).
 *   first_packet_ns    capture time of the first / last packet; NULL until
 *   last_packet_ns     finished.
 *   bucket_len_s       length of the statistics buckets of this run.
 *   timeout_ms         query timeout after which a query counts as unanswered.
 *   complete           1 when every input was read to its end, else 0.
 *   frames .. evictions  the run's packet accounting, one column per field of
 *                      struct run_accounting (analyzer/records.h), same names
 *                      and meaning: frames, bytes, dns_frames, not_ip,
 *                      other_proto, other_port, fragments_held,
 *                      malformed_frames, unsupported_link, snap_truncated,
 *                      fragments, reassembled, tcp_streams, dns_messages,
 *                      queries, responses, dns_malformed, dns_trailing,
 *                      kernel_dropped, evictions. 0 until finished. The
 *                      per-reason array malformed[] is in run_malformed.
 *
 * Table run_malformed: malformed packets/messages of a run by reason; only
 * non-zero reasons have a row. PRIMARY KEY (run_id, reason).
 *   run_id             runs.id.
 *   reason             stable key of the DCV_E* code, dcv_error_name()
 *                      ("dns_ptr_loop", "ip_checksum", ...).
 *   count              how many.
 *
 * Table source_stats: per-source statistics over one time bucket; one row
 * per (run, source, bucket). Parts of a row written separately (the
 * aggregation table evicting a source early) are merged on insert: counters
 * add up, peak_qps / max_concurrent_tcp / latency_max_us take the maximum.
 * Key (run_id, source, bucket_start_ns): the PRIMARY KEY lists these
 * columns as (run_id, bucket_start_ns, source), WITHOUT ROWID (see Indexes).
 *   run_id             runs.id.
 *   source             client address, text.
 *   family             4 or 6.
 *   source_bin         client address, 16-byte BLOB (see conventions).
 *   bucket_start_ns    start of the bucket, nanoseconds, a multiple of
 *                      bucket_len_s seconds.
 *   bucket_len_s       bucket length in seconds.
 *   queries            DNS queries received from the source.
 *   queries_udp        ... of them over UDP,
 *   queries_tcp        ... over TCP,
 *   queries_edns       ... with an OPT record,
 *   queries_do         ... with the DO bit.
 *   retransmits        queries repeating an open query (same id, name, type,
 *                      ports).
 *   responses          responses sent to the source.
 *   noerror, formerr, servfail, nxdomain, notimp, refused
 *                      responses by rcode.
 *   other_rcode        responses with any other (extended) rcode.
 *   truncated          responses with TC=1.
 *   unanswered         queries with no response within the timeout.
 *   peak_qps           most queries in any 1-s window starting on a whole
 *                      second (max over parts).
 *   max_concurrent_tcp most TCP sessions of the source open at one instant
 *                      (max over parts); a SYN refused or never answered in
 *                      the bucket counts the sessions the server held for
 *                      the source when it refused: open ones, older
 *                      handshakes in flight, and for an unanswered SYN at
 *                      least those open at the SYN.
 *   tcp_sessions       TCP sessions established.
 *   tcp_rejected       SYNs answered with RST.
 *   tcp_filtered       SYNs never answered.
 *   tcp_server_closed  established sessions the server closed or reset first.
 *   tcp_stalled        sessions that carried a query and ended (FIN, RST,
 *                      idle) without any data from the server (version 7).
 *   max_served_tcp     most of the source's sessions open at one instant
 *                      that the server had sent data on (max over parts;
 *                      version 7).
 *   latency_count      answered transactions (denominator of the mean).
 *   latency_sum_us     sum of their latencies.
 *   latency_max_us     largest latency (max over parts).
 *
 * Table transactions: notable transactions stored one by one: every answer
 * that is not NOERROR/NXDOMAIN (or has TC=1), and every unanswered query.
 *   id                 INTEGER PRIMARY KEY (row id, no meaning).
 *   run_id             runs.id.
 *   kind               'answered' or 'unanswered' (enum txn_kind).
 *   query_ts_ns        capture time of the query.
 *   latency_us         response time; NULL when unanswered.
 *   family             4 or 6 (of both addresses).
 *   client, client_bin client address, text and 16-byte BLOB.
 *   client_port        client's port.
 *   server             server address, text.
 *   server_port        server's port (53 normally).
 *   transport          'udp' or 'tcp'.
 *   msg_id             DNS message id.
 *   qname              query name, lowercased presentation form ("." = root).
 *   qtype              query type (numeric).
 *   rcode              full (extended) rcode; NULL when unanswered.
 *   tc                 1 when the response had TC=1.
 *   query_edns         1 when the query had an OPT record.
 *   query_do           1 when the query had the DO bit.
 *
 * Indexes, and the read patterns they serve:
 *   source_stats PRIMARY KEY (run_id, bucket_start_ns, source)
 *       by run, by time within a run, one source in one bucket; also the
 *       UPSERT's conflict target and the deletes by run. Time comes before
 *       source so that an analysis, which emits buckets in time order,
 *       appends to the b-tree: with source first every batch rewrote pages
 *       all over the table (27k rows/s instead of 350k; a secondary index on
 *       source costs as much, 80k rows/s, so there is none). "One source
 *       over a run" scans the run's rows, or, when the buckets are known,
 *       looks them up along the run's grid of bucket starts
 *       (db_report_source_series()). Per-source totals over a span read the
 *       span's rows in key order and add them up in memory, keyed by source
 *       (db_source_scan(), source_scan.h), instead of sorting them.
 *   runs_fingerprint (fingerprint)              run replacement.
 *   transactions_run_outcome (run_id, kind, rcode)  drops / SERVFAILs /
 *                                                   REFUSED of a run;
 *                                                   deletes by run.
 *   transactions_time (run_id, query_ts_ns)     a time span of a run.
 *   transactions_client (client, query_ts_ns)   one source's notable
 *                                               transactions, across runs.
 * A time span across runs first selects the runs whose
 * [first_packet_ns, last_packet_ns] overlaps it, then uses the per-run keys.
 *
 * Version 2 adds the CA validators (analyzer/mpic.h) and their attempts.
 *
 * Table transactions gains a column:
 *   shape              DCV query shape key (dcv_shape_name(): "acme_dns01",
 *                      "caa", ...) of validation-shaped queries, else NULL.
 *                      Every validation-shaped transaction is stored, also
 *                      when it was answered NOERROR: the validator
 *                      transactions.
 *
 * Table validator_sources: every source judged a CA validator in a run.
 * PRIMARY KEY (run_id, source), WITHOUT ROWID.
 *   source, family, source_bin   as in source_stats.
 *   ca                 CA id ("unknown" unless a range or a listed
 *                      co-perspective names it).
 *   region             arin|ripe|apnic|lacnic|afrinic|aws:<r>|unknown.
 *   confidence         low | medium | high | listed.
 *   evidence           short text: why the source was judged a validator.
 *   first_ns, last_ns  first and last query seen from it.
 *   queries            all its queries; validation_queries: validation-shaped.
 *   failures           its queries that got no usable answer.
 *   attempts           validation attempts it took part in.
 *
 * Table attempts: one MPIC validation attempt (the perspectives of one CA
 * querying one validation name within the window).
 *   id, run_id         row id; runs.id.
 *   first_ns, last_ns  first and last query of the attempt.
 *   name               the validation name (without _acme-challenge. etc.).
 *   ca                 CA id or "unknown".
 *   method             the shape that opened it (dcv_shape_name()).
 *   caa_climb          1 when CAA for the name and its ancestors was seen.
 *   caa_labels         most names one perspective climbed.
 *   perspectives       distinct sources; usable / failed: with / without a
 *                      usable answer.
 *   status             corroborated | at_risk | failed (CA/B BR 3.2.2.9 quorum).
 *
 * Table attempt_perspectives: one row per perspective of an attempt (the
 * first MPIC_MAX_PERSPECTIVES). PRIMARY KEY (attempt_id, source).
 *   attempt_id, run_id, source, region, confidence.
 *   outcome            answered | negative | refused | servfail | other_rcode |
 *                      unanswered | tcp_failure (the worst it saw).
 *   queries, failures  its queries in the attempt, and how many failed.
 *
 * View validator_stats: per run, bucket, CA and region, the sums of the
 * source_stats rows of that CA's validator sources (queries, rcodes,
 * unanswered, TCP outcomes) and the maxima of peak_qps and
 * max_concurrent_tcp.
 *
 * Version 3 adds per-second counts of busy sources and the findings.
 *
 * Table transactions gains a column:
 *   answer_ttl         smallest TTL in the answer section of the response
 *                      (e.g. of an _acme-challenge TXT); NULL when
 *                      unanswered or when the answer section was empty.
 * and, with version 8 (0 in rows written before it):
 *   resp_size          the response's DNS message bytes; 0 when unanswered.
 *   fragmented         1 when the response came over UDP in IP fragments.
 * Version 8 also stores every UDP answer to a listed CA validator larger
 * than 1232 bytes or sent in fragments (analyzer/records.h
 * DCV_UDP_SAFE_SIZE).
 *
 * Table source_seconds: one row per (run, source, whole second) in which the
 * source sent at least AGG_SECOND_MIN_QUERIES queries (analyzer/agg.h): the
 * time series the rate-limit rule reads. PRIMARY KEY (run_id, second_ns,
 * source), WITHOUT ROWID.
 *   source             client address, text.
 *   second_ns          start of the second.
 *   queries            queries received in that second.
 *   responses          responses sent to the source in that second, and by
 *   noerror, nxdomain, refused, servfail, other_rcode   rcode;
 *   truncated          of them with TC=1.
 *
 * Table findings: the rules' conclusions (rules/, db/finding.h).
 *   id                 row id.
 *   run_id             the run the rules looked at; NULL for a time span
 *                      across runs.
 *   rule               rule id ("SESSION_CAP", ...).
 *   severity           info | warning | critical.
 *   subject_kind       ca | region | source | name | server (or "a/b").
 *   subject            what the finding is about.
 *   first_seen_ns, last_seen_ns   time span of the evidence.
 *   evidence           the numbers that prove it, in words.
 *   recommendation     what to change.
 *   metrics            the numbers as a JSON object {"key": value, ...}.
 *   created_ns         when the rules ran.
 *
 * Version 4 adds what a live capture (`dcvscope watch`) lost, per flush
 * interval, written by db_capture_interval_add() (live_store.h).
 *
 * Table capture_intervals: one row per (live run, flush interval).
 * PRIMARY KEY (run_id, start_ns), WITHOUT ROWID.
 *   run_id             runs.id (a run of kind 'live').
 *   start_ns, end_ns   wall clock at the start and end of the interval.
 *   capture            the source in use: 'ebpf' or 'pcap'.
 *   frames             frames the source delivered during the interval.
 *   kernel_matched     packets the kernel filter/program matched.
 *   kernel_dropped     pcap: dropped for lack of buffer (ps_drop).
 *   if_dropped         pcap: dropped by the interface (ps_ifdrop).
 *   ringbuf_dropped    eBPF: records lost to a full ring buffer.
 *   truncated          eBPF: records cut by the snap length.
 *   evictions          analyzer table evictions (run_accounting.evictions).
 * Every counter is the increase during the interval, not a running total;
 * summing a run's rows gives its totals. A live run also keeps its row in
 * runs up to date at every flush (accounting columns, first/last packet;
 * finished_ns stays NULL until the watch stops).
 *   Index capture_intervals_time (end_ns): retention.
 *
 * Version 5 adds the deeper look at selected answers (analyzer/depth.h):
 * DNSSEC status per name, CAA decisions per CA and name, EDNS compliance per
 * server, written once per run by db_depth_store() (depth_store.h).
 *
 * Table dnssec_names: one row per (run, name, qtype) asked with DO=1.
 * PRIMARY KEY (run_id, name, qtype), WITHOUT ROWID.
 *   name, qtype        the question (lowercase presentation form, type number).
 *   zone               the signer / closest zone with keys; "" when unsigned.
 *   status             SECURE | INSECURE | INDETERMINATE | BOGUS, the worst
 *                      over the answers.
 *   error              "" | DNSKEY_MISSING | RSIGS_MISSING | NSEC_MISSING |
 *                      DNSSEC_BOGUS | IO_EXCEPTION (analyzer/dnssec.h).
 *   detail             why, in words (e.g. the expiry of an expired RRSIG).
 *   ca                 a CA whose validators got such an answer; "" none.
 *   responses          answers (and unanswered queries) judged.
 *   first_ns, last_ns  span of those answers.
 *   expires_ns         earliest expiry of the verified RRSIGs; NULL none.
 *
 * Table caa_decisions: one row per (run, CA, name) a CA's validators asked
 * CAA for (names only climbed through are left out). PRIMARY KEY
 * (run_id, ca, name), WITHOUT ROWID.
 *   owner              owner of the relevant RRset (RFC 8659 3); "" none.
 *   rrset              its records as text ("0 issue \"ca.example\"; ...").
 *   allowed            1 when the CA may issue; wild_allowed for wildcards.
 *   reason             why, in words.
 *   fix                the record that would allow the CA; "" when allowed.
 *   queries, first_ns, last_ns   the CA's CAA queries for the name.
 *
 * Table edns_checks: one row per (run, server, failing check).
 * PRIMARY KEY (run_id, server, check_name), WITHOUT ROWID.
 *   check_name         analyzer/edns_check.h ("no_opt", "badvers", ...).
 *   failures           answers failing the check; edns_queries: answered
 *                      EDNS queries of the server.
 *   example            the first failing query, in words.
 *   first_ns, last_ns  span of the server's failures.
 *
 * Table depth_accounting: one row per run, what the deeper look kept and
 * lost (struct depth_stats): handed, kept, duplicates, dropped, unparsable,
 * incomplete, edns_dropped.
 *
 * Version 6 adds what `dcvscope ship` has sent to ClickHouse (db/ship.c,
 * db/CLICKHOUSE.md).
 *
 * Table ship_watermarks: one row per (ClickHouse target, table, run): how
 * far the run's rows of that table have been delivered (or spooled).
 * PRIMARY KEY (target, tbl, run_id), WITHOUT ROWID.
 *   target             "host:port/database" of the ClickHouse server (no
 *                      credentials): each target has its own watermarks.
 *   tbl                the ClickHouse table ("source_stats", "runs", ...).
 *   run_id             runs.id (no foreign key: marks of runs deleted by
 *                      replacement or retention are pruned by the shipper).
 *   mark               the table's key shipped so far: a row id (rows with a
 *                      larger id are not shipped yet), a time in ns (rows
 *                      at or after it may still change and are sent again),
 *                      or, for tbl "runs", the run's state: 1 shipped while
 *                      running, 2 finished and shipped completely.
 *   updated_ns         wall clock of the last change.
 *
 * RETENTION
 *
 * db_retention_purge() (live_store.h) deletes rows whose time is before a
 * cutoff: source_stats (bucket_start_ns), source_seconds (second_ns),
 * transactions (query_ts_ns), attempts and their perspectives (last_ns),
 * validator_sources (last_ns), findings (last_seen_ns), capture_intervals
 * (end_ns); then the finished runs left without any row, with their
 * run_malformed rows.
 *
 * MIGRATIONS
 *
 * migrations[i] takes the file from version i to version i + 1. Each step
 * runs in its own BEGIN IMMEDIATE transaction together with the new
 * user_version, so a file is always at exactly one version; the version is
 * re-read inside the transaction, so two processes opening an old file at
 * once migrate it once. A step is never edited after release: a schema
 * change is a new step appended at the end.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

/* "DCVS": marks the file as dcvscope's (PRAGMA application_id). */
#define DB_APPLICATION_ID 0x44435653

struct db_migration {
	const char *what; /* one line, for error messages */
	const char *sql;
};

static const struct db_migration migrations[] = {
    /* version 1: initial schema */
    {"create the initial schema",
     "CREATE TABLE runs ("
     " id INTEGER PRIMARY KEY,"
     " kind TEXT NOT NULL CHECK (kind IN ('offline', 'live')),"
     " inputs TEXT NOT NULL,"
     " fingerprint TEXT NOT NULL,"
     " started_ns INTEGER NOT NULL,"
     " finished_ns INTEGER,"
     " first_packet_ns INTEGER,"
     " last_packet_ns INTEGER,"
     " bucket_len_s INTEGER NOT NULL,"
     " timeout_ms INTEGER NOT NULL,"
     " complete INTEGER NOT NULL DEFAULT 0,"
     " frames INTEGER NOT NULL DEFAULT 0,"
     " bytes INTEGER NOT NULL DEFAULT 0,"
     " dns_frames INTEGER NOT NULL DEFAULT 0,"
     " not_ip INTEGER NOT NULL DEFAULT 0,"
     " other_proto INTEGER NOT NULL DEFAULT 0,"
     " other_port INTEGER NOT NULL DEFAULT 0,"
     " fragments_held INTEGER NOT NULL DEFAULT 0,"
     " malformed_frames INTEGER NOT NULL DEFAULT 0,"
     " unsupported_link INTEGER NOT NULL DEFAULT 0,"
     " snap_truncated INTEGER NOT NULL DEFAULT 0,"
     " fragments INTEGER NOT NULL DEFAULT 0,"
     " reassembled INTEGER NOT NULL DEFAULT 0,"
     " tcp_streams INTEGER NOT NULL DEFAULT 0,"
     " dns_messages INTEGER NOT NULL DEFAULT 0,"
     " queries INTEGER NOT NULL DEFAULT 0,"
     " responses INTEGER NOT NULL DEFAULT 0,"
     " dns_malformed INTEGER NOT NULL DEFAULT 0,"
     " dns_trailing INTEGER NOT NULL DEFAULT 0,"
     " kernel_dropped INTEGER NOT NULL DEFAULT 0,"
     " evictions INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX runs_fingerprint ON runs (fingerprint);"
     "CREATE TABLE run_malformed ("
     " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
     " reason TEXT NOT NULL,"
     " count INTEGER NOT NULL,"
     " PRIMARY KEY (run_id, reason)"
     ") WITHOUT ROWID;"
     "CREATE TABLE source_stats ("
     " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
     " source TEXT NOT NULL,"
     " family INTEGER NOT NULL CHECK (family IN (4, 6)),"
     " source_bin BLOB NOT NULL CHECK (length(source_bin) = 16),"
     " bucket_start_ns INTEGER NOT NULL,"
     " bucket_len_s INTEGER NOT NULL,"
     " queries INTEGER NOT NULL,"
     " queries_udp INTEGER NOT NULL,"
     " queries_tcp INTEGER NOT NULL,"
     " queries_edns INTEGER NOT NULL,"
     " queries_do INTEGER NOT NULL,"
     " retransmits INTEGER NOT NULL,"
     " responses INTEGER NOT NULL,"
     " noerror INTEGER NOT NULL,"
     " formerr INTEGER NOT NULL,"
     " servfail INTEGER NOT NULL,"
     " nxdomain INTEGER NOT NULL,"
     " notimp INTEGER NOT NULL,"
     " refused INTEGER NOT NULL,"
     " other_rcode INTEGER NOT NULL,"
     " truncated INTEGER NOT NULL,"
     " unanswered INTEGER NOT NULL,"
     " peak_qps INTEGER NOT NULL,"
     " max_concurrent_tcp INTEGER NOT NULL,"
     " tcp_sessions INTEGER NOT NULL,"
     " tcp_rejected INTEGER NOT NULL,"
     " tcp_filtered INTEGER NOT NULL,"
     " tcp_server_closed INTEGER NOT NULL,"
     " latency_count INTEGER NOT NULL,"
     " latency_sum_us INTEGER NOT NULL,"
     " latency_max_us INTEGER NOT NULL,"
     " PRIMARY KEY (run_id, bucket_start_ns, source)"
     ") WITHOUT ROWID;"
     "CREATE TABLE transactions ("
     " id INTEGER PRIMARY KEY,"
     " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
     " kind TEXT NOT NULL CHECK (kind IN ('answered', 'unanswered')),"
     " query_ts_ns INTEGER NOT NULL,"
     " latency_us INTEGER,"
     " family INTEGER NOT NULL CHECK (family IN (4, 6)),"
     " client TEXT NOT NULL,"
     " client_bin BLOB NOT NULL CHECK (length(client_bin) = 16),"
     " client_port INTEGER NOT NULL,"
     " server TEXT NOT NULL,"
     " server_port INTEGER NOT NULL,"
     " transport TEXT NOT NULL CHECK (transport IN ('udp', 'tcp')),"
     " msg_id INTEGER NOT NULL,"
     " qname TEXT NOT NULL,"
     " qtype INTEGER NOT NULL,"
     " rcode INTEGER,"
     " tc INTEGER NOT NULL,"
     " query_edns INTEGER NOT NULL,"
     " query_do INTEGER NOT NULL"
     ");"
     "CREATE INDEX transactions_run_outcome ON transactions (run_id, kind, rcode);"
     "CREATE INDEX transactions_time ON transactions (run_id, query_ts_ns);"
     "CREATE INDEX transactions_client ON transactions (client, query_ts_ns);"},
    /* version 2: CA validators and their MPIC attempts */
    {"add validator sources and attempts",
     "CREATE TABLE validator_sources ("
     " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
     " source TEXT NOT NULL,"
     " family INTEGER NOT NULL CHECK (family IN (4, 6)),"
     " source_bin BLOB NOT NULL CHECK (length(source_bin) = 16),"
     " ca TEXT NOT NULL,"
     " region TEXT NOT NULL,"
     " confidence TEXT NOT NULL CHECK (confidence IN ('low', 'medium', 'high', 'listed')),"
     " evidence TEXT NOT NULL,"
     " first_ns INTEGER NOT NULL,"
     " last_ns INTEGER NOT NULL,"
     " queries INTEGER NOT NULL,"
     " validation_queries INTEGER NOT NULL,"
     " failures INTEGER NOT NULL,"
     " attempts INTEGER NOT NULL,"
     " PRIMARY KEY (run_id, source)"
     ") WITHOUT ROWID;"
     "CREATE TABLE attempts ("
     " id INTEGER PRIMARY KEY,"
     " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
     " first_ns INTEGER NOT NULL,"
     " last_ns INTEGER NOT NULL,"
     " name TEXT NOT NULL,"
     " ca TEXT NOT NULL,"
     " method TEXT NOT NULL,"
     " caa_climb INTEGER NOT NULL,"
     " caa_labels INTEGER NOT NULL,"
     " perspectives INTEGER NOT NULL,"
     " usable INTEGER NOT NULL,"
     " failed INTEGER NOT NULL,"
     " status TEXT NOT NULL CHECK (status IN ('corroborated', 'at_risk', 'failed'))"
     ");"
     "CREATE INDEX attempts_run_time ON attempts (run_id, first_ns);"
     "CREATE TABLE attempt_perspectives ("
     " attempt_id INTEGER NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,"
     " run_id INTEGER NOT NULL,"
     " source TEXT NOT NULL,"
     " region TEXT NOT NULL,"
     " confidence TEXT NOT NULL,"
     " outcome TEXT NOT NULL,"
     " queries INTEGER NOT NULL,"
     " failures INTEGER NOT NULL,"
     " PRIMARY KEY (attempt_id, source)"
     ") WITHOUT ROWID;"
     "CREATE INDEX attempt_perspectives_run ON attempt_perspectives (run_id);"
     /* per-CA, per-region statistics per bucket: the validators' own rows */
     "CREATE VIEW validator_stats AS SELECT s.run_id AS run_id,"
     " s.bucket_start_ns AS bucket_start_ns, s.bucket_len_s AS bucket_len_s,"
     " v.ca AS ca, v.region AS region, count(*) AS sources,"
     " sum(s.queries) AS queries, sum(s.queries_tcp) AS queries_tcp,"
     " sum(s.responses) AS responses, sum(s.noerror) AS noerror, sum(s.nxdomain) AS nxdomain,"
     " sum(s.servfail) AS servfail, sum(s.refused) AS refused,"
     " sum(s.formerr + s.notimp + s.other_rcode) AS other_rcode, sum(s.truncated) AS truncated,"
     " sum(s.unanswered) AS unanswered, sum(s.tcp_sessions) AS tcp_sessions,"
     " sum(s.tcp_rejected) AS tcp_rejected, sum(s.tcp_filtered) AS tcp_filtered,"
     " max(s.peak_qps) AS peak_qps, max(s.max_concurrent_tcp) AS max_concurrent_tcp"
     " FROM source_stats s JOIN validator_sources v"
     " ON v.run_id = s.run_id AND v.source = s.source"
     " GROUP BY s.run_id, s.bucket_start_ns, v.ca, v.region;"
     "ALTER TABLE transactions ADD COLUMN shape TEXT;"},
    /* version 3: per-second counts of busy sources, and the rules' findings */
    {"add source_seconds and findings",
     "CREATE TABLE source_seconds ("
     " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
     " source TEXT NOT NULL,"
     " second_ns INTEGER NOT NULL,"
     " queries INTEGER NOT NULL,"
     " responses INTEGER NOT NULL,"
     " noerror INTEGER NOT NULL,"
     " nxdomain INTEGER NOT NULL,"
     " refused INTEGER NOT NULL,"
     " servfail INTEGER NOT NULL,"
     " other_rcode INTEGER NOT NULL,"
     " truncated INTEGER NOT NULL,"
     " PRIMARY KEY (run_id, second_ns, source)"
     ") WITHOUT ROWID;"
     "CREATE TABLE findings ("
     " id INTEGER PRIMARY KEY,"
     " run_id INTEGER REFERENCES runs (id) ON DELETE CASCADE,"
     " rule TEXT NOT NULL,"
     " severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),"
     " subject_kind TEXT NOT NULL,"
     " subject TEXT NOT NULL,"
     " first_seen_ns INTEGER NOT NULL,"
     " last_seen_ns INTEGER NOT NULL,"
     " evidence TEXT NOT NULL,"
     " recommendation TEXT NOT NULL,"
     " metrics TEXT NOT NULL,"
     " created_ns INTEGER NOT NULL"
     ");"
     "CREATE INDEX findings_run ON findings (run_id, severity);"
     "CREATE INDEX findings_time ON findings (last_seen_ns);"
     "ALTER TABLE transactions ADD COLUMN answer_ttl INTEGER;"},
    /* version 4: what a live capture lost, interval by interval */
    {"add capture_intervals", "CREATE TABLE capture_intervals ("
                              " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
                              " start_ns INTEGER NOT NULL,"
                              " end_ns INTEGER NOT NULL,"
                              " capture TEXT NOT NULL CHECK (capture IN ('ebpf', 'pcap')),"
                              " frames INTEGER NOT NULL,"
                              " kernel_matched INTEGER NOT NULL,"
                              " kernel_dropped INTEGER NOT NULL,"
                              " if_dropped INTEGER NOT NULL,"
                              " ringbuf_dropped INTEGER NOT NULL,"
                              " truncated INTEGER NOT NULL,"
                              " evictions INTEGER NOT NULL,"
                              " PRIMARY KEY (run_id, start_ns)"
                              ") WITHOUT ROWID;"
                              "CREATE INDEX capture_intervals_time ON capture_intervals (end_ns);"},
    /* version 5: DNSSEC status per name, CAA decisions, EDNS compliance */
    {"add dnssec_names, caa_decisions, edns_checks and depth_accounting",
     "CREATE TABLE dnssec_names ("
     " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
     " name TEXT NOT NULL,"
     " qtype INTEGER NOT NULL,"
     " zone TEXT NOT NULL,"
     " status TEXT NOT NULL CHECK (status IN ('SECURE', 'INSECURE', 'INDETERMINATE', 'BOGUS')),"
     " error TEXT NOT NULL,"
     " detail TEXT NOT NULL,"
     " ca TEXT NOT NULL,"
     " responses INTEGER NOT NULL,"
     " first_ns INTEGER NOT NULL,"
     " last_ns INTEGER NOT NULL,"
     " expires_ns INTEGER,"
     " PRIMARY KEY (run_id, name, qtype)"
     ") WITHOUT ROWID;"
     "CREATE TABLE caa_decisions ("
     " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
     " ca TEXT NOT NULL,"
     " name TEXT NOT NULL,"
     " owner TEXT NOT NULL,"
     " rrset TEXT NOT NULL,"
     " allowed INTEGER NOT NULL,"
     " wild_allowed INTEGER NOT NULL,"
     " reason TEXT NOT NULL,"
     " fix TEXT NOT NULL,"
     " queries INTEGER NOT NULL,"
     " first_ns INTEGER NOT NULL,"
     " last_ns INTEGER NOT NULL,"
     " PRIMARY KEY (run_id, ca, name)"
     ") WITHOUT ROWID;"
     "CREATE TABLE edns_checks ("
     " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
     " server TEXT NOT NULL,"
     " check_name TEXT NOT NULL,"
     " failures INTEGER NOT NULL,"
     " edns_queries INTEGER NOT NULL,"
     " example TEXT NOT NULL,"
     " first_ns INTEGER NOT NULL,"
     " last_ns INTEGER NOT NULL,"
     " PRIMARY KEY (run_id, server, check_name)"
     ") WITHOUT ROWID;"
     "CREATE TABLE depth_accounting ("
     " run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
     " handed INTEGER NOT NULL,"
     " kept INTEGER NOT NULL,"
     " duplicates INTEGER NOT NULL,"
     " dropped INTEGER NOT NULL,"
     " unparsable INTEGER NOT NULL,"
     " incomplete INTEGER NOT NULL,"
     " edns_dropped INTEGER NOT NULL"
     ");"
     "CREATE INDEX dnssec_names_time ON dnssec_names (last_ns);"
     "CREATE INDEX caa_decisions_time ON caa_decisions (last_ns);"
     "CREATE INDEX edns_checks_time ON edns_checks (last_ns);"},
    /* version 6: how far each table has been shipped to ClickHouse */
    {"add ship_watermarks", "CREATE TABLE ship_watermarks ("
                            " target TEXT NOT NULL,"
                            " tbl TEXT NOT NULL,"
                            " run_id INTEGER NOT NULL,"
                            " mark INTEGER NOT NULL,"
                            " updated_ns INTEGER NOT NULL,"
                            " PRIMARY KEY (target, tbl, run_id)"
                            ") WITHOUT ROWID;"},
    /* version 7: TCP sessions the server completed but never answered on */
    {"add source_stats.tcp_stalled and max_served_tcp",
     "ALTER TABLE source_stats ADD COLUMN tcp_stalled INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE source_stats ADD COLUMN max_served_tcp INTEGER NOT NULL DEFAULT 0;"},
    /* version 8: answers too large for one unfragmented UDP datagram */
    {"add transactions.resp_size and fragmented",
     "ALTER TABLE transactions ADD COLUMN resp_size INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE transactions ADD COLUMN fragmented INTEGER NOT NULL DEFAULT 0;"},
};

/* The schema version this build writes: one per migration step. */
#define DB_SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Reads one integer PRAGMA (or any single-integer query) into *out. */
static int query_int(struct db *db, const char *op, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, op, rc);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_sql_fail(db, op, rc == SQLITE_DONE ? SQLITE_ERROR : rc);
		sqlite3_finalize(st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Refuses files that are not ours; called inside the migration transaction
 * of a version-0 file, and on every open. */
static int check_identity(struct db *db, int64_t version)
{
	int64_t app_id = 0, objects = 0;
	if (query_int(db, "read application_id", "PRAGMA application_id", &app_id) != 0)
		return -1;
	if (app_id != 0 && app_id != DB_APPLICATION_ID)
		return db_set_err(db,
		                  "db_open: %s: not a dcvscope database (SQLite application_id "
		                  "0x%08llx)",
		                  db->path, (unsigned long long)app_id);
	if (version != 0)
		return 0;
	if (query_int(db, "read schema", "SELECT count(*) FROM sqlite_schema", &objects) != 0)
		return -1;
	if (objects != 0)
		return db_set_err(db,
		                  "db_open: %s: not a dcvscope database (an SQLite database with "
		                  "%lld other tables or indexes and no dcvscope schema version)",
		                  db->path, (long long)objects);
	return 0;
}

/* Applies migrations[version] in its own transaction (see MIGRATIONS). */
static int migrate_step(struct db *db, int version)
{
	char op[128];
	snprintf(op, sizeof(op), "migrate schema to version %d (%s)", version + 1,
	         migrations[version].what);
	if (db_begin(db, op) != 0)
		return -1;
	int64_t now = 0;
	if (query_int(db, op, "PRAGMA user_version", &now) != 0)
		goto fail;
	if (now > version) /* another process migrated it meanwhile */
		return db_commit(db, op);
	if (check_identity(db, now) != 0)
		goto fail;
	if (db_exec(db, op, migrations[version].sql) != 0)
		goto fail;
	char pragma[96];
	snprintf(pragma, sizeof(pragma), "PRAGMA application_id = %d; PRAGMA user_version = %d",
	         DB_APPLICATION_ID, version + 1);
	if (db_exec(db, op, pragma) != 0)
		goto fail;
	return db_commit(db, op);
fail:
	db_rollback(db);
	return -1;
}

int db_schema_migrate(struct db *db)
{
	int64_t version = 0;
	if (query_int(db, "read schema version", "PRAGMA user_version", &version) != 0)
		return -1;
	if (version > DB_SCHEMA_VERSION)
		return db_set_err(db,
		                  "db_open: %s: schema version %lld is newer than this build of "
		                  "dcvscope knows (%d); use a newer dcvscope",
		                  db->path, (long long)version, DB_SCHEMA_VERSION);
	if (version < 0)
		return db_set_err(db, "db_open: %s: invalid schema version %lld", db->path,
		                  (long long)version);
	if (check_identity(db, version) != 0)
		return -1;
	for (int v = (int)version; v < DB_SCHEMA_VERSION; v++)
		if (migrate_step(db, v) != 0)
			return -1;
	return 0;
}

int db_schema_version(struct db *db)
{
	int64_t version = 0;
	if (db != NULL)
		db_writer_quiesce(db);
	if (db == NULL || query_int(db, "read schema version", "PRAGMA user_version", &version))
		return -1;
	return (int)version;
}
