/* analyzer.c - one run's pipeline: decode, reassemble, parse, match, aggregate. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

#include "dcv_shape.h"
#include "dns_parse.h"
#include "wire.h"

/* What the range table and the geo databases say about a source, cached:
 * a direct-mapped cache keyed by address, so that the lookups run about once
 * per source, not once per transaction. A guess at a size that holds the
 * active sources of a busy minute without costing much memory. */
#define SOURCE_CACHE_SLOTS 8192

struct source_info {
	struct dcv_addr addr;
	bool filled;
	const char *listed_ca; /* NULL when unlisted */
	const char *region;    /* range row region, else geo region, else "unknown" */
	uint32_t asn;
};

/* Timeouts are checked at most this often, in capture time. */
#define ANALYZER_TICK_NS 100000000ULL /* 100 ms */

struct analyzer {
	struct analyzer_config cfg;
	struct analyzer_sink sink;
	uint8_t port_bits[65536 / 8];

	struct decoder *decoder;
	struct tcp_tracker *tcp;
	struct txn_table *txn;
	struct agg *agg;
	struct mpic *mpic;
	struct depth *depth;
	struct source_info *source_cache; /* SOURCE_CACHE_SLOTS entries */

	struct run_accounting acc;
	struct analyzer_totals totals;
	uint64_t now_ns; /* latest frame time */
	uint64_t next_tick_ns;
	int failed;  /* a sink callback failed */
	bool hinted; /* frames come with look-ahead hints (analyzer_hint_start()) */

	struct dns_msg msg; /* scratch: the message being handled */
	/* the response being matched, while txn_response() reports it */
	const uint8_t *resp_wire;
	uint32_t resp_len;
	bool resp_udp;
	bool resp_fragmented;   /* it came in IP fragments */
	uint32_t resp_wire_len; /* its DNS message bytes on the wire */
	/* the UDP packet being handled: reassembled from fragments; partial:
	 * only its start was captured (decoder_take_partial()); its DNS bytes
	 * on the wire */
	bool frame_reassembled, frame_partial;
	uint32_t frame_wire_len;
};

const struct mpic *analyzer_mpic(const struct analyzer *a)
{
	return a->mpic;
}

const struct depth *analyzer_depth(const struct analyzer *a)
{
	return a->depth;
}

void analyzer_set_validators(struct analyzer *a, const struct validators *v)
{
	a->cfg.validators = v;
	/* the cache holds pointers into the old table's strings */
	memset(a->source_cache, 0, SOURCE_CACHE_SLOTS * sizeof(*a->source_cache));
}

bool analyzer_is_dns_port(const struct analyzer *a, uint16_t port)
{
	return (a->port_bits[port >> 3] >> (port & 7)) & 1;
}

/* ---- sinks ---------------------------------------------------------- */

static int emit_second(void *ctx, const struct source_second *sec)
{
	struct analyzer *a = ctx;
	if (a->sink.on_second == NULL)
		return 0;
	return a->sink.on_second(a->sink.ctx, sec);
}

static int emit_bucket(void *ctx, const struct source_bucket *row)
{
	struct analyzer *a = ctx;
	if (a->sink.on_bucket == NULL)
		return 0;
	return a->sink.on_bucket(a->sink.ctx, row);
}

static void emit_txn(struct analyzer *a, const struct txn_result *r, enum txn_kind kind,
                     enum dcv_shape shape)
{
	if (a->sink.on_txn == NULL)
		return;
	struct txn_record rec;
	rec.kind = kind;
	rec.query_ts_ns = r->query_ts_ns;
	rec.latency_us = kind == TXN_ANSWERED ? (r->end_ts_ns - r->query_ts_ns) / 1000 : 0;
	rec.client = r->key->client;
	rec.server = r->key->server;
	rec.client_port = r->key->client_port;
	rec.server_port = r->key->server_port;
	rec.transport = r->key->transport;
	rec.id = r->key->id;
	rec.qtype = r->key->qtype;
	rec.rcode = r->rcode;
	rec.tc = r->tc;
	rec.query_edns = r->query.edns;
	rec.query_do = r->query.do_bit;
	rec.shape = dcv_shape_is_validation(shape) ? (uint8_t)shape : 0;
	rec.answer_ttl = r->answer_ttl;
	/* an answered transaction ends inside txn_response(): its response is
	 * the one being matched */
	rec.resp_size = kind == TXN_ANSWERED ? a->resp_wire_len : 0;
	rec.fragmented = kind == TXN_ANSWERED && a->resp_fragmented;
	size_t n =
	    r->key->qname_len < sizeof(rec.qname) - 1 ? r->key->qname_len : sizeof(rec.qname) - 1;
	memcpy(rec.qname, r->key->qname, n);
	rec.qname[n] = '\0';
	if (a->sink.on_txn(a->sink.ctx, &rec) != 0)
		a->failed = 1;
}

/* Range table and geo facts about a source (cached). */
static size_t source_slot(const struct dcv_addr *addr)
{
	return dcv_addr_hash(addr, 0x9e3779b97f4a7c15ULL) % SOURCE_CACHE_SLOTS;
}

static const struct source_info *source_info_of(struct analyzer *a, const struct dcv_addr *addr)
{
	struct source_info *si = &a->source_cache[source_slot(addr)];
	if (si->filled && dcv_addr_equal(&si->addr, addr))
		return si;
	struct geo_info gi;
	geo_lookup(a->cfg.geo, addr, &gi);
	si->addr = *addr;
	si->filled = true;
	si->asn = gi.asn;
	si->region = gi.region;
	si->listed_ca = NULL;
	if (a->cfg.validators != NULL) {
		struct validator_match m;
		if (validators_lookup(a->cfg.validators, addr, gi.asn, &m, 1) > 0) {
			si->listed_ca = m.ca;
			if (strcmp(m.region, "-") != 0)
				si->region = m.region;
		}
	}
	return si;
}

/* Hands an ended transaction to validator recognition. The range table and
 * geo facts matter only for validation-shaped queries: ordinary ones skip
 * the lookup. */
static void feed_mpic(struct analyzer *a, const struct txn_result *r,
                      const struct dcv_shape_result *shape)
{
	struct mpic_txn t = {
	    .ts_ns = r->query_ts_ns,
	    .source = r->key->client,
	    .qname = r->key->qname,
	    .qname_len = r->key->qname_len,
	    .qtype = r->key->qtype,
	    .transport = r->key->transport,
	    .mixed_case = r->query.mixed_case,
	    .edns = r->query.edns,
	    .do_bit = r->query.do_bit,
	    .edns_udp_size = r->query.udp_size,
	    .rcode = r->rcode,
	    .answers = r->answers,
	    .tc = r->tc,
	    .region = "unknown",
	    .shape = shape,
	};
	if (dcv_shape_is_validation(shape->shape)) {
		const struct source_info *si = source_info_of(a, &r->key->client);
		t.listed_ca = si->listed_ca;
		t.region = si->region;
		t.asn = si->asn;
	}
	mpic_on_txn(a->mpic, &t);
}

/* Hands the transaction to the deeper look (depth.h): the DO=1 and CAA
 * queries of CA validators (sources the range table lists) and every DNSKEY
 * query, with their complete answer; and every answer to the EDNS checks. The answer is the message
 * being handled when a response ended it. */
static void feed_depth(struct analyzer *a, const struct txn_result *r)
{
	bool answered = r->rcode >= 0 && a->resp_wire != NULL;
	if (answered) {
		struct edns_txn et = {
		    .server = r->key->server,
		    .ts_ns = r->query_ts_ns,
		    .qname = r->key->qname,
		    .qtype = r->key->qtype,
		    .udp = a->resp_udp,
		    .q_edns = r->query.edns,
		    .q_version = r->query.edns_version,
		    .q_udp_size = r->query.udp_size,
		    .q_cookie = r->query.cookie,
		    .q_unknown_option = r->query.unknown_option,
		    .resp = &a->msg,
		    .resp_len = a->resp_len,
		};
		depth_edns(a->depth, &et);
	}
	if (!r->query.do_bit && r->key->qtype != DNS_TYPE_DNSKEY && r->key->qtype != DNS_TYPE_CAA)
		return;
	/* DNSSEC and CAA are judged from what CA validators got; the keys of a
	 * zone come from any DNSKEY answer */
	const struct source_info *si = source_info_of(a, &r->key->client);
	if (si->listed_ca == NULL && r->key->qtype != DNS_TYPE_DNSKEY)
		return;
	struct depth_txn dt = {
	    .ts_ns = r->rcode >= 0 ? r->end_ts_ns : r->query_ts_ns,
	    .qname = r->key->qname,
	    .qtype = r->key->qtype,
	    .do_bit = r->query.do_bit,
	    .ca = si->listed_ca,
	    .rcode = r->rcode,
	    .wire = a->resp_wire,
	    .len = a->resp_wire != NULL ? a->resp_len : 0,
	};
	depth_txn(a->depth, &dt);
}

/* is_listed() says whether addr is in a listed CA validator range. */
static bool is_listed(struct analyzer *a, const struct dcv_addr *addr)
{
	return a->cfg.validators != NULL && source_info_of(a, addr)->listed_ca != NULL;
}

/* What a full table of open queries keeps (txn_set_keep()): what a CA's
 * validation needs, its validation-shaped queries and every query of a
 * listed validator range, so that a flood of other queries cannot push
 * them out before the timeout says whether they were dropped. */
static bool keep_open_query(void *ctx, const struct txn_key *k)
{
	struct analyzer *a = ctx;
	struct dcv_shape_result shape;
	dcv_shape_classify(k->qname, k->qname_len, k->qtype, &shape);
	if (dcv_shape_is_validation(shape.shape))
		return true;
	return is_listed(a, &k->client);
}

/* A transaction ended: fold it into the query's bucket, store it if notable
 * or validation-shaped, and hand it to validator recognition. */
static void on_txn_done(void *ctx, const struct txn_result *r)
{
	struct analyzer *a = ctx;
	struct dcv_shape_result shape;
	dcv_shape_classify(r->key->qname, r->key->qname_len, r->key->qtype, &shape);
	bool validation = dcv_shape_is_validation(shape.shape);
	feed_mpic(a, r, &shape);
	feed_depth(a, r);
	struct source_bucket *row = agg_get(a->agg, &r->key->client, r->query_ts_ns);
	if (r->rcode < 0) {
		row->unanswered++;
		a->totals.unanswered++;
		emit_txn(a, r, TXN_UNANSWERED, shape.shape);
		return;
	}
	uint64_t us = (r->end_ts_ns >= r->query_ts_ns ? r->end_ts_ns - r->query_ts_ns : 0) / 1000;
	row->latency_count++;
	row->latency_sum_us += us;
	if (us > row->latency_max_us)
		row->latency_max_us = us;
	a->totals.answered++;
	a->totals.latency_count++;
	a->totals.latency_sum_us += us;
	if (us > a->totals.latency_max_us)
		a->totals.latency_max_us = us;
	/* a large UDP answer to a listed validator (DNSKEY, DS) is kept for
	 * LARGE_UDP_ANSWERS; to everyone else it would be a flood of rows */
	bool large = a->resp_udp && (a->resp_fragmented || a->resp_wire_len > DCV_UDP_SAFE_SIZE);
	if ((r->rcode != DNS_RCODE_NOERROR && r->rcode != DNS_RCODE_NXDOMAIN) || r->tc ||
	    validation || (large && is_listed(a, &r->key->client)))
		emit_txn(a, r, TXN_ANSWERED, shape.shape);
}

/* ---- DNS messages ---------------------------------------------------- */

/*
 * One DNS message from src to dst. The QR bit, not the port, says whether it
 * is a query (src is the client) or a response (dst is the client), which
 * is also how tshark counts.
 */
static void handle_dns(struct analyzer *a, uint64_t ts, const struct dcv_addr *src,
                       const struct dcv_addr *dst, uint16_t sport, uint16_t dport,
                       enum dcv_transport transport, const uint8_t *p, uint32_t len, bool snap_cut)
{
	struct dns_msg *m = &a->msg;
	/* the row of the message's client, loading while the message is parsed
	 * (unless the frame's look-ahead has loaded it) */
	if (len > 2 && !a->hinted)
		agg_prefetch(a->agg, p[2] & 0x80 ? dst : src, ts);
	int rc = dns_parse(p, len, m);
	a->acc.dns_messages++;
	if (rc < 0 && !(snap_cut && m->header_ok)) {
		/* not usable: counted by reason, never as a query or response */
		a->acc.dns_malformed++;
		a->acc.malformed[-rc]++;
		return;
	}
	if (rc >= 0 && m->trailing)
		a->acc.dns_trailing++;
	if (transport == DCV_TRANSPORT_TCP)
		a->totals.tcp++;
	else
		a->totals.udp++;
	if (src->family == DCV_ADDR_V6)
		a->totals.ipv6++;
	else
		a->totals.ipv4++;

	struct txn_key k;
	k.transport = transport;
	k.id = m->id;
	if (m->has_question) {
		k.qtype = m->qtype;
		k.qname = m->qname;
		k.qname_len = m->qname_len;
	} else {
		k.qtype = 0;
		k.qname = "";
		k.qname_len = 0;
	}

	if (!m->qr) {
		a->acc.queries++;
		a->totals.queries++;
		struct source_bucket *row = agg_get(a->agg, src, ts);
		agg_count_query(a->agg, row, ts);
		if (transport == DCV_TRANSPORT_TCP)
			row->queries_tcp++;
		else
			row->queries_udp++;
		if (m->has_edns) {
			row->queries_edns++;
			a->totals.queries_edns++;
			if (m->edns_do) {
				row->queries_do++;
				a->totals.queries_do++;
			}
		}
		k.client = *src;
		k.server = *dst;
		k.client_port = sport;
		k.server_port = dport;
		struct txn_query_info qi = {
		    .edns = m->has_edns,
		    .do_bit = m->has_edns && m->edns_do,
		    .mixed_case = m->has_question && m->qname_mixed_case,
		    .udp_size = m->has_edns ? m->edns_udp_size : 0,
		    .edns_version = m->has_edns ? m->edns_version : 0,
		    .cookie = m->has_edns && m->edns_cookie,
		    .unknown_option =
		        m->has_edns &&
		        m->edns_options > m->edns_nsid + m->edns_ecs + m->edns_cookie + m->edns_ede,
		};
		if (txn_query(a->txn, &k, ts, &qi)) {
			row->retransmits++;
			a->totals.retransmits++;
		}
		return;
	}

	a->acc.responses++;
	a->totals.responses++;
	unsigned rcode = m->rcode & 0xfff;
	a->totals.rcodes[rcode]++;
	if (m->tc)
		a->totals.responses_tc++;
	struct source_bucket *row = agg_get(a->agg, dst, ts);
	agg_count_response(a->agg, row, ts, rcode, m->tc);
	k.client = *dst;
	k.server = *src;
	k.client_port = dport;
	k.server_port = sport;
	struct txn_answer_info ai = {
	    .rcode = (int32_t)rcode,
	    .tc = m->tc,
	    .answers = m->answer_qtype_matches, /* as far as a snap-cut message goes */
	    .ttl = m->answer_min_ttl,
	};
	/* a snap-cut answer is not complete: the deeper look skips it */
	a->resp_wire = rc >= 0 ? p : NULL;
	a->resp_len = len;
	a->resp_udp = transport == DCV_TRANSPORT_UDP;
	a->resp_fragmented = a->resp_udp && a->frame_reassembled;
	a->resp_wire_len = a->resp_udp && a->frame_wire_len > len ? a->frame_wire_len : len;
	if (a->frame_partial)
		a->totals.responses_partial++;
	if (!txn_response(a->txn, &k, ts, &ai))
		a->totals.unmatched_responses++;
	a->resp_wire = NULL;
	a->resp_fragmented = false;
}

static void on_attempt(void *ctx, const struct mpic_attempt *at)
{
	struct analyzer *a = ctx;
	if (a->sink.on_attempt != NULL && a->sink.on_attempt(a->sink.ctx, at) != 0)
		a->failed = 1;
}

/* ---- TCP -------------------------------------------------------------- */

static void on_tcp_message(void *ctx, const struct tcp_dns_message *m)
{
	struct analyzer *a = ctx;
	if (m->to_server)
		handle_dns(a, m->ts_ns, &m->client, &m->server, m->client_port, m->server_port,
		           DCV_TRANSPORT_TCP, m->msg, m->len, false);
	else
		handle_dns(a, m->ts_ns, &m->server, &m->client, m->server_port, m->client_port,
		           DCV_TRANSPORT_TCP, m->msg, m->len, false);
}

static void on_tcp_session(void *ctx, const struct tcp_session_event *ev)
{
	struct analyzer *a = ctx;
	struct source_bucket *row = agg_get(a->agg, &ev->client, ev->ts_ns);
	switch (ev->kind) {
	case TCP_EV_OPEN:
		row->tcp_sessions++;
		a->totals.tcp_sessions++;
		break;
	case TCP_EV_CLOSE:
		if (ev->closed_by_server) {
			row->tcp_server_closed++;
			a->totals.tcp_server_closed++;
		}
		if (ev->stalled) {
			row->tcp_stalled++;
			a->totals.tcp_stalled++;
		}
		break;
	case TCP_EV_SERVED:
		break;
	case TCP_EV_REJECTED:
		row->tcp_rejected++;
		a->totals.tcp_rejected++;
		mpic_on_tcp_failure(a->mpic, ev->ts_ns, &ev->client, true);
		break;
	case TCP_EV_FILTERED:
		row->tcp_filtered++;
		a->totals.tcp_filtered++;
		mpic_on_tcp_failure(a->mpic, ev->ts_ns, &ev->client, false);
		break;
	}
	if (ev->concurrent > row->max_concurrent_tcp)
		row->max_concurrent_tcp = ev->concurrent;
	if (ev->served > row->max_served_tcp)
		row->max_served_tcp = ev->served;
}

static void on_tcp_error(void *ctx, int code)
{
	struct analyzer *a = ctx;
	if (code < 0 && -code <= DCV_ERROR_COUNT)
		a->acc.malformed[-code]++;
}

/* ---- frames ------------------------------------------------------------ */

/* take_partials() handles the UDP datagrams of which only the first
 * fragments came (decoder_take_partial()): a DNS message as far as it goes,
 * like one cut by the snap length. */
static void take_partials(struct analyzer *a, uint64_t now_ns)
{
	struct dcv_pkt pkt;
	int rc;
	while ((rc = decoder_take_partial(a->decoder, now_ns, &pkt)) != 0) {
		if (rc != DECODE_PACKET ||
		    (!analyzer_is_dns_port(a, pkt.dport) && !analyzer_is_dns_port(a, pkt.sport)))
			continue; /* counted by the decoder */
		a->frame_reassembled = a->frame_partial = true;
		a->frame_wire_len = pkt.payload_wire_len;
		handle_dns(a, pkt.ts_ns, &pkt.src, &pkt.dst, pkt.sport, pkt.dport,
		           DCV_TRANSPORT_UDP, pkt.payload, pkt.payload_len, true);
		a->frame_reassembled = a->frame_partial = false;
		a->frame_wire_len = 0;
	}
}

static void tick(struct analyzer *a)
{
	take_partials(a, a->now_ns);
	decoder_expire(a->decoder, a->now_ns);
	tcp_tracker_expire(a->tcp, a->now_ns);
	txn_expire(a->txn, a->now_ns);
	mpic_advance(a->mpic, a->now_ns);
	if (agg_advance(a->agg, a->now_ns) != 0)
		a->failed = 1;
	a->next_tick_ns = a->now_ns + ANALYZER_TICK_NS;
}

int analyzer_advance(struct analyzer *a, uint64_t now_ns)
{
	if (now_ns > a->now_ns) {
		a->now_ns = now_ns;
		if (a->now_ns >= a->next_tick_ns)
			tick(a);
	}
	return a->failed ? -1 : 0;
}

int analyzer_frame(struct analyzer *a, const struct cap_frame *f)
{
	return analyzer_frame_hinted(a, f, NULL);
}

int analyzer_frame_hinted(struct analyzer *a, const struct cap_frame *f,
                          const struct analyzer_hint *h)
{
	struct dcv_pkt pkt;
	if (a->acc.frames == 0 && a->cfg.reproducible) {
		size_t n = f->data != NULL ? (f->caplen < 64 ? f->caplen : 64) : 0;
		uint64_t seed =
		    dcv_hash_mix(n > 0 ? dcv_hash_bytes(f->data, n, f->ts_ns) : f->ts_ns);
		(void)mpic_reseed(a->mpic, seed);
	}
	a->acc.frames++;
	a->acc.bytes += f->wirelen;
	if (f->ts_ns > a->now_ns)
		a->now_ns = f->ts_ns;
	if (a->totals.first_ts_ns == 0 || f->ts_ns < a->totals.first_ts_ns)
		a->totals.first_ts_ns = f->ts_ns;
	a->totals.last_ts_ns = a->now_ns;
	if (a->now_ns >= a->next_tick_ns)
		tick(a);

	int rc = h != NULL ? decode_frame_peeked(a->decoder, f, h->peek_rc, &h->pkt, &pkt)
	                   : decode_frame(a->decoder, f, &pkt);
	switch (rc) {
	case DECODE_PACKET:
		break;
	case DECODE_FRAGMENT:
		a->acc.fragments_held++;
		return a->failed ? -1 : 0;
	case DECODE_NOT_IP:
		a->acc.not_ip++;
		return a->failed ? -1 : 0;
	case DECODE_OTHER_PROTO:
		a->acc.other_proto++;
		return a->failed ? -1 : 0;
	case DECODE_UNSUPPORTED_LINK:
		a->acc.unsupported_link++;
		return a->failed ? -1 : 0;
	default:
		a->acc.malformed_frames++;
		if (rc < 0 && -rc <= DCV_ERROR_COUNT)
			a->acc.malformed[-rc]++;
		return a->failed ? -1 : 0;
	}

	bool dport_dns = analyzer_is_dns_port(a, pkt.dport);
	if (!dport_dns && !analyzer_is_dns_port(a, pkt.sport)) {
		a->acc.other_port++;
		return a->failed ? -1 : 0;
	}
	a->acc.dns_frames++;
	if (pkt.snap_truncated)
		a->acc.snap_truncated++;
	if (pkt.proto == DCV_PROTO_UDP) {
		/* a message log's stand-in for a message that came over TCP (frame.h):
		 * counted as TCP, with no session to track */
		enum dcv_transport tr =
		    (f->flags & CAP_FRAME_STREAM) ? DCV_TRANSPORT_TCP : DCV_TRANSPORT_UDP;
		a->frame_reassembled = pkt.reassembled;
		a->frame_wire_len = pkt.payload_wire_len;
		handle_dns(a, pkt.ts_ns, &pkt.src, &pkt.dst, pkt.sport, pkt.dport, tr, pkt.payload,
		           pkt.payload_len, pkt.snap_truncated);
		a->frame_reassembled = false;
		a->frame_wire_len = 0;
	} else {
		tcp_tracker_packet(a->tcp, &pkt, dport_dns);
	}
	return a->failed ? -1 : 0;
}

/* The transaction of a UDP message, keyed as handle_dns() will key it: its
 * chain in the pending-query table and, for a response, the address-cache
 * slot of its name start loading. */
static void hint_udp_txn(struct analyzer *a, struct analyzer_hint *h, const struct dcv_addr *client,
                         const struct dcv_addr *server)
{
	const struct dcv_pkt *pkt = &h->pkt;
	const uint8_t *p = pkt->payload;
	size_t len = pkt->payload_len;
	char name[DNS_NAME_TEXT_MAX];
	if (len < DNS_HEADER_SIZE || wire_read_u16(p + 4) == 0)
		return;
	int r = dns_name_to_text(p, len, DNS_HEADER_SIZE, name, NULL);
	if (r <= 0 || len - DNS_HEADER_SIZE - (size_t)r < 2)
		return;
	struct txn_key k = {
	    .client = *client,
	    .server = *server,
	    .client_port = h->response ? pkt->dport : pkt->sport,
	    .server_port = h->response ? pkt->sport : pkt->dport,
	    .id = wire_read_u16(p),
	    .qtype = wire_read_u16(p + DNS_HEADER_SIZE + r),
	    .transport = DCV_TRANSPORT_UDP,
	    .qname = name,
	    .qname_len = (uint16_t)strlen(name),
	};
	h->txn = true;
	h->txn_h = txn_key_hash(a->txn, &k);
	txn_prefetch(a->txn, h->txn_h);
	if (h->response)
		mpic_prefetch_name(a->mpic, h->mpic_h, name,
		                   k.qname_len < TXN_QNAME_KEEP ? k.qname_len : TXN_QNAME_KEEP);
}

void analyzer_hint_start(struct analyzer *a, const struct cap_frame *f, struct analyzer_hint *h)
{
	const struct dcv_pkt *pkt = &h->pkt;
	h->dns = false;
	h->txn = false;
	a->hinted = true;
	h->peek_rc = decode_peek(f, &h->pkt);
	if (h->peek_rc != DECODE_PACKET)
		return;
	bool to_server = analyzer_is_dns_port(a, pkt->dport);
	if (!to_server && !analyzer_is_dns_port(a, pkt->sport))
		return;
	/* UDP: the QR bit says who the client is, as in handle_dns() */
	if (pkt->proto == DCV_PROTO_UDP && pkt->payload_len > 2)
		to_server = !(pkt->payload[2] & 0x80);
	const struct dcv_addr *client = to_server ? &pkt->src : &pkt->dst;
	h->dns = true;
	h->response = !to_server;
	h->agg_h = agg_hash(a->agg, client, pkt->ts_ns);
	agg_prefetch_head(a->agg, h->agg_h);
	if (h->response) {
		/* the transaction's end: the source's validator state and facts */
		h->mpic_h = mpic_prefetch(a->mpic, client);
		__builtin_prefetch(&a->source_cache[source_slot(client)]);
	}
	if (pkt->proto == DCV_PROTO_UDP)
		hint_udp_txn(a, h, client, to_server ? &pkt->dst : &pkt->src);
}

void analyzer_hint_finish(const struct analyzer *a, const struct analyzer_hint *h)
{
	if (!h->dns)
		return;
	agg_prefetch_row(a->agg, h->agg_h);
	if (h->response)
		mpic_prefetch_entry(a->mpic, h->mpic_h);
	if (h->txn)
		txn_prefetch_entry(a->txn, h->txn_h);
}

int analyzer_finish(struct analyzer *a)
{
	take_partials(a, UINT64_MAX);
	decoder_expire(a->decoder, UINT64_MAX);
	tcp_tracker_finish(a->tcp, a->now_ns);
	txn_finish(a->txn, a->now_ns);
	mpic_finish(a->mpic);
	if (agg_flush(a->agg) != 0)
		a->failed = 1;
	if (depth_finish(a->depth, a->cfg.validators) != 0)
		a->failed = 1;
	return a->failed ? -1 : 0;
}

/* ---- lifecycle and accessors ----------------------------------------- */

struct analyzer *analyzer_new(const struct analyzer_config *cfg, const struct analyzer_sink *sink)
{
	if (cfg != NULL && cfg->nports > ANALYZER_MAX_PORTS)
		return NULL;
	struct analyzer *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	if (cfg != NULL)
		a->cfg = *cfg;
	if (sink != NULL)
		a->sink = *sink;
	if (a->cfg.nports == 0) {
		a->cfg.ports[0] = ANALYZER_DNS_PORT_DEFAULT;
		a->cfg.nports = 1;
	}
	for (unsigned i = 0; i < a->cfg.nports; i++)
		a->port_bits[a->cfg.ports[i] >> 3] |= (uint8_t)(1u << (a->cfg.ports[i] & 7));
	if (a->cfg.timeout_ms == 0)
		a->cfg.timeout_ms = TXN_TIMEOUT_MS_DEFAULT;

	struct txn_config tc = {.timeout_ms = a->cfg.timeout_ms, .max_pending = a->cfg.max_pending};
	/* a bucket stays open until its last queries can have timed out (agg.h) */
	struct agg_config ac = {.bucket_len_s = a->cfg.bucket_len_s,
	                        .max_entries = a->cfg.max_sources,
	                        .grace_ns =
	                            (uint64_t)a->cfg.timeout_ms * 1000000ULL + ANALYZER_TICK_NS};
	struct tcp_callbacks cb = {.ctx = a,
	                           .on_session = on_tcp_session,
	                           .on_message = on_tcp_message,
	                           .on_error = on_tcp_error};
	a->decoder = decoder_new(&a->cfg.decoder);
	a->tcp = tcp_tracker_new(&a->cfg.tcp, &cb);
	a->txn = txn_new(&tc, on_txn_done, a);
	a->agg = agg_new(&ac, emit_bucket, emit_second, a);
	struct mpic_callbacks mc = {.ctx = a, .on_attempt = on_attempt};
	a->mpic = mpic_new(&a->cfg.mpic, &mc);
	a->source_cache = calloc(SOURCE_CACHE_SLOTS, sizeof(*a->source_cache));
	a->depth = depth_new(&a->cfg.depth);
	if (a->depth == NULL || a->decoder == NULL || a->tcp == NULL || a->txn == NULL ||
	    a->agg == NULL || a->mpic == NULL || a->source_cache == NULL) {
		analyzer_free(a);
		return NULL;
	}
	txn_set_keep(a->txn, keep_open_query, a);
	return a;
}

void analyzer_free(struct analyzer *a)
{
	if (a == NULL)
		return;
	decoder_free(a->decoder);
	tcp_tracker_free(a->tcp);
	txn_free(a->txn);
	agg_free(a->agg);
	mpic_free(a->mpic);
	depth_free(a->depth);
	free(a->source_cache);
	free(a);
}

static void sync_counters(const struct analyzer *a, struct run_accounting *acc,
                          struct analyzer_totals *t)
{
	const struct decoder_stats *ds = decoder_get_stats(a->decoder);
	const struct tcp_stats *ts = tcp_tracker_get_stats(a->tcp);
	const struct txn_stats *xs = txn_get_stats(a->txn);
	acc->fragments = ds->fragments;
	acc->reassembled = ds->reassembled;
	acc->malformed[-DCV_E_FRAG_TIMEOUT] = ds->frag_expired;
	acc->malformed[-DCV_E_FRAG_EVICTED] = ds->frag_evicted;
	acc->tcp_streams = ts->connections;
	acc->evictions = agg_evictions(a->agg) + xs->evicted + ts->evicted + ds->frag_evicted;
	t->retransmits = xs->retransmits;
	t->pending_at_end = xs->pending_at_end;
	t->txn_evicted = xs->evicted;
	t->txn_kept = xs->kept;
	t->tcp_midstream = ts->midstream_pickups;
	t->tcp_syn_pending_at_end = ts->syn_pending_at_end;
}

/* The sub-tables own some counters; the accessors copy them in. */
const struct run_accounting *analyzer_accounting(struct analyzer *a)
{
	sync_counters(a, &a->acc, &a->totals);
	return &a->acc;
}

const struct analyzer_totals *analyzer_get_totals(struct analyzer *a)
{
	sync_counters(a, &a->acc, &a->totals);
	return &a->totals;
}
