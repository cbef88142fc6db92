/*
 * analyzer.h - the analysis pipeline for one run: frames in, statistics,
 * notable transactions and packet accounting out.
 *
 *   frame ─▶ decode (link, IP, fragments, UDP/TCP)
 *              ├─ UDP on a DNS port ─────────────▶ DNS message
 *              └─ TCP on a DNS port ─▶ tcp_track ─▶ DNS message(s), session events
 *   DNS message ─▶ dns_parse ─▶ txn (query↔response, unanswered) ─▶ agg (per source, per bucket)
 *
 * Capture time (frame timestamps) drives every timeout, so offline and live
 * input behave the same. Output goes to the sink callbacks as soon as it is
 * final; the analyzer itself keeps only bounded tables.
 */
#ifndef DCV_ANALYZER_H
#define DCV_ANALYZER_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/frame.h"
#include "agg.h"
#include "decode.h"
#include "depth.h"
#include "geo.h"
#include "mpic.h"
#include "validators.h"
#include "records.h"
#include "tcp_track.h"
#include "txn.h"

#define ANALYZER_MAX_PORTS        16
#define ANALYZER_DNS_PORT_DEFAULT 53

struct analyzer_config {
	uint16_t ports[ANALYZER_MAX_PORTS]; /* DNS ports; nports == 0 means {53} */
	unsigned nports;
	uint32_t timeout_ms;   /* transaction timeout; 0 = TXN_TIMEOUT_MS_DEFAULT */
	uint32_t bucket_len_s; /* 0 = AGG_BUCKET_LEN_S_DEFAULT */
	uint32_t max_sources;  /* aggregation entries; 0 = AGG_MAX_ENTRIES_DEFAULT */
	uint32_t max_pending;  /* open transactions; 0 = TXN_MAX_PENDING_DEFAULT */
	struct decoder_config decoder;
	struct tcp_config tcp;
	struct mpic_config mpic;
	struct depth_config depth; /* kept answers and trust anchors (depth.h) */
	/* optional, not owned; must outlive the analyzer */
	const struct validators *validators; /* CA validator ranges */
	const struct geo *geo;               /* country / ASN databases */
	/* Same input, same results: the validator recognition's hash seed comes
	 * from the first frame (its time and bytes) instead of getrandom(), so
	 * analyzing a capture again gives the same attempts and confidences.
	 * For captures (analyze); a live capture keeps a random seed. */
	bool reproducible;
};

/* Where results go. Each callback returns 0, or -1 on a storage failure,
 * which makes analyzer_frame()/analyzer_finish() return -1. */
struct analyzer_sink {
	void *ctx;
	int (*on_bucket)(void *ctx, const struct source_bucket *row);
	int (*on_txn)(void *ctx, const struct txn_record *rec);
	/* a busy second of a source (agg.h; may be NULL) */
	int (*on_second)(void *ctx, const struct source_second *sec);
	/* a validation attempt whose window closed (may be NULL) */
	int (*on_attempt)(void *ctx, const struct mpic_attempt *a);
};

/* Run-wide totals for summaries (the per-source detail is in the buckets). */
struct analyzer_totals {
	uint64_t queries, responses;
	uint64_t udp, tcp, ipv4, ipv6; /* DNS messages by transport / IP version */
	uint64_t queries_edns, queries_do, responses_tc;
	uint64_t responses_partial; /* responses of which only the first IP fragments came */
	uint64_t rcodes[4096];      /* responses by full rcode */
	uint64_t answered, unanswered, retransmits, unmatched_responses, pending_at_end,
	    txn_evicted, txn_kept; /* txn_stats' evicted and kept */
	uint64_t latency_count, latency_sum_us, latency_max_us;
	uint64_t tcp_sessions, tcp_rejected, tcp_filtered, tcp_server_closed, tcp_stalled,
	    tcp_midstream, tcp_syn_pending_at_end;
	uint64_t first_ts_ns, last_ts_ns;
};

struct analyzer;

/* analyzer_new() builds the pipeline; NULL on allocation failure or a bad
 * config (more than ANALYZER_MAX_PORTS ports). cfg and sink are copied. */
struct analyzer *analyzer_new(const struct analyzer_config *cfg, const struct analyzer_sink *sink);

/* analyzer_free() frees everything without emitting. NULL is a no-op. */
void analyzer_free(struct analyzer *a);

/* analyzer_frame() processes one frame. Returns 0, or -1 when the sink
 * failed (the frame itself is always accounted for). */
int analyzer_frame(struct analyzer *a, const struct cap_frame *f);

/* analyzer_finish() ends the input: closes TCP sessions, decides the open
 * transactions, emits every remaining bucket. Returns 0 or -1 (sink). */
int analyzer_finish(struct analyzer *a);

/* analyzer_accounting() returns the packet accounting so far. */
const struct run_accounting *analyzer_accounting(struct analyzer *a);

/* analyzer_get_totals() returns the run-wide totals so far. */
const struct analyzer_totals *analyzer_get_totals(struct analyzer *a);

/* analyzer_mpic() returns the validator recognition state, for storing the
 * validator sources (mpic_foreach_source()) once the input has ended. */
const struct mpic *analyzer_mpic(const struct analyzer *a);

/* analyzer_depth() returns the DNSSEC, CAA and EDNS judgements; complete
 * once analyzer_finish() has run. */
const struct depth *analyzer_depth(const struct analyzer *a);

/* What analyzer_hint_start() found out about a frame that analyzer_frame()
 * will see later: the hashes its lookups will use. */
struct analyzer_hint {
	int peek_rc;        /* decode_peek() of the frame */
	struct dcv_pkt pkt; /* its packet, when peek_rc is DECODE_PACKET */
	bool dns;           /* a DNS packet: the rest is set */
	bool response;      /* a response (its transaction ends) */
	uint64_t agg_h;     /* agg_hash() of the client's row */
	uint64_t mpic_h;
	bool txn;       /* txn_h is set (a UDP message with a question) */
	uint64_t txn_h; /* txn_key_hash() of its transaction */
};

/* analyzer_hint_start() looks at a frame ahead of analyzer_frame() and
 * starts loading the table slots its lookups will begin with;
 * analyzer_hint_finish(), a few frames later, loads the entries those slots
 * point to. Hints only: the results of analyzer_frame() do not depend on
 * them (frame_pipe.h calls them). An analyzer given hints stops prefetching
 * on its own. */
void analyzer_hint_start(struct analyzer *a, const struct cap_frame *f, struct analyzer_hint *h);
void analyzer_hint_finish(const struct analyzer *a, const struct analyzer_hint *h);

/* analyzer_frame_hinted() is analyzer_frame() for a frame that
 * analyzer_hint_start() has seen (h, or NULL): the frame is not decoded a
 * second time. Same results. */
int analyzer_frame_hinted(struct analyzer *a, const struct cap_frame *f,
                          const struct analyzer_hint *h);

/* analyzer_advance() moves the analyzer's clock to now_ns when no frame
 * has (a live capture in a quiet moment): transactions older than the
 * timeout are decided, buckets and attempts whose time is over are emitted,
 * as a frame at now_ns would do. Earlier times are ignored; first/last
 * packet times are unchanged. A frame older than the clock afterwards is
 * still counted (its bucket may then be emitted in parts, which storage
 * merges). Returns 0, or -1 when a sink failed. */
int analyzer_advance(struct analyzer *a, uint64_t now_ns);

/* analyzer_set_validators() replaces the CA validator range table between
 * two frames (a reload): later lookups use v, and the cached facts about
 * sources drawn from the old table are forgotten, so the old table is no
 * longer referenced once this returns and may be freed. v is not owned and
 * must outlive the analyzer (or the next replacement); NULL = no table.
 * Statistics, open transactions and validator recognition keep their state
 * (recognition interns every string it keeps). Cannot fail. */
void analyzer_set_validators(struct analyzer *a, const struct validators *v);

/* analyzer_is_dns_port() says whether port is one of the configured DNS ports. */
bool analyzer_is_dns_port(const struct analyzer *a, uint16_t port);

#endif
