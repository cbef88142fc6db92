/* summary_json.c - the machine-readable summary of `dcvscope analyze`. */
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

#include "analyze_report.h"
#include "dns_parse.h"

/* Key version of this object; bumped only when keys are added. */
#define SUMMARY_JSON_VERSION 1

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *iso_time(uint64_t ns)
{
	if (ns == 0)
		return json_null();
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char buf[64];
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%06lluZ",
	         (unsigned long long)(ns % 1000000000ULL / 1000));
	return json_string(buf);
}

static json_t *source_json(const struct db_source_total *t)
{
	json_t *rc = json_object();
	for (int s = 0; s < RCODE_SLOTS; s++)
		json_object_set_new(rc, rcode_slot_key((enum rcode_slot)s), u64(t->rcode[s]));
	json_t *o = json_object();
	json_object_set_new(o, "address", json_string(t->address));
	json_object_set_new(o, "queries", u64(t->queries));
	json_object_set_new(o, "queries_udp", u64(t->queries_udp));
	json_object_set_new(o, "queries_tcp", u64(t->queries_tcp));
	json_object_set_new(o, "responses", u64(t->responses));
	json_object_set_new(o, "unanswered", u64(t->unanswered));
	json_object_set_new(o, "retransmits", u64(t->retransmits));
	json_object_set_new(o, "truncated", u64(t->truncated));
	json_object_set_new(o, "peak_qps", u64(t->peak_qps));
	json_object_set_new(o, "max_concurrent_tcp", u64(t->max_concurrent_tcp));
	json_object_set_new(o, "tcp_sessions", u64(t->tcp_sessions));
	json_object_set_new(o, "tcp_rejected", u64(t->tcp_rejected));
	json_object_set_new(o, "tcp_filtered", u64(t->tcp_filtered));
	json_object_set_new(o, "failures", u64(t->failures));
	/* the rcode counters also appear at top level for the simplest consumers */
	json_object_set_new(o, "servfail", u64(t->rcode[RCODE_SLOT_SERVFAIL]));
	json_object_set_new(o, "refused", u64(t->rcode[RCODE_SLOT_REFUSED]));
	json_object_set_new(o, "nxdomain", u64(t->rcode[RCODE_SLOT_NXDOMAIN]));
	json_object_set_new(o, "noerror", u64(t->rcode[RCODE_SLOT_NOERROR]));
	json_object_set_new(o, "rcodes", rc);
	return o;
}

static json_t *run_json(const struct analyze_report *r)
{
	json_t *inputs = json_array();
	bool complete = true;
	for (unsigned i = 0; i < r->ninputs; i++) {
		const struct analyze_input *in = &r->inputs[i];
		const char *lt = pcap_datalink_val_to_name(in->linktype);
		json_t *o = json_object();
		json_object_set_new(o, "path", json_string(in->path));
		json_object_set_new(o, "format", json_string(in->dnstap ? "dnstap" : "pcap"));
		json_object_set_new(o, "frames", u64(in->frames));
		json_object_set_new(o, "linktype", json_integer(in->linktype));
		json_object_set_new(o, "linktype_name", lt ? json_string(lt) : json_null());
		json_object_set_new(o, "complete", json_boolean(in->complete));
		json_object_set_new(o, "error", in->error ? json_string(in->error) : json_null());
		json_array_append_new(inputs, o);
		complete = complete && in->complete;
	}
	json_t *run = json_object();
	json_object_set_new(run, "id", json_integer(r->run_id));
	json_object_set_new(run, "database", json_string(r->db_path));
	json_object_set_new(run, "replaced_runs", json_integer(r->replaced_runs));
	json_object_set_new(run, "complete", json_boolean(complete));
	json_object_set_new(run, "inputs", inputs);
	json_object_set_new(run, "first_packet", iso_time(r->totals->first_ts_ns));
	json_object_set_new(run, "last_packet", iso_time(r->totals->last_ts_ns));
	json_object_set_new(
	    run, "duration_s",
	    json_real((double)(r->totals->last_ts_ns - r->totals->first_ts_ns) / 1e9));
	json_object_set_new(run, "timeout_ms", json_integer(r->timeout_ms));
	json_object_set_new(run, "bucket_s", json_integer(r->bucket_len_s));
	json_object_set_new(run, "elapsed_s", json_real(r->elapsed_s));
	return run;
}

static json_t *coverage_json(const struct run_accounting *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "frames", u64(a->frames));
	json_object_set_new(o, "bytes", u64(a->bytes));
	json_object_set_new(o, "dns_port_frames", u64(a->dns_frames));
	json_object_set_new(o, "not_ip", u64(a->not_ip));
	json_object_set_new(o, "other_proto", u64(a->other_proto));
	json_object_set_new(o, "other_port", u64(a->other_port));
	json_object_set_new(o, "fragments_held", u64(a->fragments_held));
	json_object_set_new(o, "malformed_frames", u64(a->malformed_frames));
	json_object_set_new(o, "unsupported_link", u64(a->unsupported_link));
	json_object_set_new(o, "snap_truncated", u64(a->snap_truncated));
	json_object_set_new(o, "fragments", u64(a->fragments));
	json_object_set_new(o, "reassembled", u64(a->reassembled));
	json_object_set_new(o, "kernel_dropped", u64(a->kernel_dropped));
	json_object_set_new(o, "evictions", u64(a->evictions));
	json_t *m = json_object();
	for (int i = 1; i <= DCV_ERROR_COUNT; i++)
		if (a->malformed[i] != 0)
			json_object_set_new(m, dcv_error_name(-i), u64(a->malformed[i]));
	json_object_set_new(o, "malformed_by_reason", m);
	return o;
}

static json_t *dns_json(const struct run_accounting *a, const struct analyzer_totals *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "messages", u64(a->dns_messages));
	json_object_set_new(o, "queries", u64(t->queries));
	json_object_set_new(o, "responses", u64(t->responses));
	json_object_set_new(o, "responses_partial", u64(t->responses_partial));
	json_object_set_new(o, "udp", u64(t->udp));
	json_object_set_new(o, "tcp", u64(t->tcp));
	json_object_set_new(o, "ipv4", u64(t->ipv4));
	json_object_set_new(o, "ipv6", u64(t->ipv6));
	json_object_set_new(o, "malformed", u64(a->dns_malformed));
	json_object_set_new(o, "trailing", u64(a->dns_trailing));
	json_object_set_new(o, "queries_edns", u64(t->queries_edns));
	json_object_set_new(o, "queries_do", u64(t->queries_do));
	json_object_set_new(o, "responses_tc", u64(t->responses_tc));
	return o;
}

static json_t *rcodes_json(const struct analyzer_totals *t)
{
	json_t *o = json_object();
	for (unsigned rc = 0; rc < 4096; rc++) {
		if (t->rcodes[rc] == 0)
			continue;
		char other[16];
		const char *name = dns_rcode_name(rc);
		if (name == NULL) {
			snprintf(other, sizeof(other), "RCODE%u", rc);
			name = other;
		}
		json_object_set_new(o, name, u64(t->rcodes[rc]));
	}
	return o;
}

static json_t *txn_json(const struct analyzer_totals *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "answered", u64(t->answered));
	json_object_set_new(o, "unanswered", u64(t->unanswered));
	json_object_set_new(o, "retransmits", u64(t->retransmits));
	json_object_set_new(o, "unmatched_responses", u64(t->unmatched_responses));
	json_object_set_new(o, "pending_at_end", u64(t->pending_at_end));
	json_object_set_new(o, "evicted", u64(t->txn_evicted));
	json_object_set_new(o, "kept", u64(t->txn_kept));
	json_object_set_new(o, "latency_mean_ms",
	                    t->latency_count ? json_real((double)t->latency_sum_us /
	                                                 (double)t->latency_count / 1000.0)
	                                     : json_null());
	json_object_set_new(o, "latency_max_ms", json_real((double)t->latency_max_us / 1000.0));
	return o;
}

static json_t *tcp_json(const struct run_accounting *a, const struct analyzer_totals *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "connections", u64(a->tcp_streams));
	json_object_set_new(o, "sessions", u64(t->tcp_sessions));
	json_object_set_new(o, "rejected", u64(t->tcp_rejected));
	json_object_set_new(o, "filtered", u64(t->tcp_filtered));
	json_object_set_new(o, "server_closed", u64(t->tcp_server_closed));
	json_object_set_new(o, "stalled", u64(t->tcp_stalled));
	json_object_set_new(o, "midstream", u64(t->tcp_midstream));
	json_object_set_new(o, "syn_pending_at_end", u64(t->tcp_syn_pending_at_end));
	return o;
}

/* The dnstap object: what the logs held, what was not used and why, and
 * the figures dnstap cannot give (their zeros elsewhere mean "not seen"). */
static json_t *dnstap_json(const struct cap_dnstap_stats *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "messages", u64(st->payloads));
	json_object_set_new(o, "analyzed", u64(st->frames));
	json_t *types = json_object();
	for (unsigned t = 0; t <= DNSTAP_TYPE_MAX; t++)
		if (st->by_type[t] != 0)
			json_object_set_new(types, t ? cap_dnstap_type_name(t) : "unknown",
			                    u64(st->by_type[t]));
	json_object_set_new(o, "by_type", types);
	json_t *protos = json_object();
	for (unsigned p = 1; p <= DNSTAP_PROTO_MAX; p++)
		if (st->by_protocol[p] != 0)
			json_object_set_new(protos, cap_dnstap_protocol_name(p),
			                    u64(st->by_protocol[p]));
	json_object_set_new(o, "by_protocol", protos);
	json_object_set_new(o, "type_not_used", u64(st->not_used));
	json_object_set_new(o, "missing_fields", u64(st->missing_total));
	json_t *miss = json_object();
	for (int f = 0; f < DNSTAP_FIELDS; f++)
		if (st->missing[f] != 0)
			json_object_set_new(miss, cap_dnstap_field_name((enum dnstap_field)f),
			                    u64(st->missing[f]));
	json_object_set_new(o, "missing_by_field", miss);
	json_object_set_new(o, "invalid", u64(st->invalid));
	json_object_set_new(o, "not_message", u64(st->not_message));
	json_object_set_new(o, "malformed", u64(st->malformed));
	json_object_set_new(o, "oversize", u64(st->oversize));
	json_object_set_new(o, "out_of_order", u64(st->out_of_order));
	json_object_set_new(o, "released_early", u64(st->released_early));
	size_t ngaps;
	const struct cap_dnstap_gap *gaps = cap_dnstap_gaps(&ngaps);
	json_t *un = json_object();
	for (size_t i = 0; i < ngaps; i++)
		json_object_set_new(un, gaps[i].key, json_string(gaps[i].what));
	json_object_set_new(o, "unavailable", un);
	return o;
}

static json_t *validators_json(const struct analyze_report *r)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < r->nvalidators; i++) {
		const struct db_validator_row *v = &r->validators[i];
		json_t *o = json_object();
		json_object_set_new(o, "address", json_string(v->address));
		json_object_set_new(o, "ca", json_string(v->ca));
		json_object_set_new(o, "region", json_string(v->region));
		json_object_set_new(o, "confidence", json_string(v->confidence));
		json_object_set_new(o, "queries", u64(v->queries));
		json_object_set_new(o, "validation_queries", u64(v->validation_queries));
		json_object_set_new(o, "failures", u64(v->failures));
		json_object_set_new(o, "attempts", u64(v->attempts));
		json_object_set_new(o, "evidence", json_string(v->evidence));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *validator_stats_json(const struct analyze_report *r)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < r->nca_regions; i++) {
		const struct db_ca_region_row *c = &r->ca_regions[i];
		json_t *o = json_object();
		json_object_set_new(o, "ca", json_string(c->ca));
		json_object_set_new(o, "region", json_string(c->region));
		json_object_set_new(o, "sources", u64(c->sources));
		json_object_set_new(o, "queries", u64(c->queries));
		json_object_set_new(o, "responses", u64(c->responses));
		json_object_set_new(o, "unanswered", u64(c->unanswered));
		json_object_set_new(o, "servfail", u64(c->servfail));
		json_object_set_new(o, "refused", u64(c->refused));
		json_object_set_new(o, "other_rcode", u64(c->other_rcode));
		json_object_set_new(o, "tcp_sessions", u64(c->tcp_sessions));
		json_object_set_new(o, "tcp_rejected", u64(c->tcp_rejected));
		json_object_set_new(o, "tcp_filtered", u64(c->tcp_filtered));
		json_object_set_new(o, "tcp_stalled", u64(c->tcp_stalled));
		json_object_set_new(o, "peak_qps", u64(c->peak_qps));
		json_object_set_new(o, "max_concurrent_tcp", u64(c->max_concurrent_tcp));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *attempts_json(const struct analyze_report *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "total", u64(r->attempts.total));
	json_object_set_new(o, "corroborated", u64(r->attempts.corroborated));
	json_object_set_new(o, "at_risk", u64(r->attempts.at_risk));
	json_object_set_new(o, "failed", u64(r->attempts.failed));
	json_t *list = json_array();
	for (unsigned i = 0; i < r->nproblem_attempts; i++) {
		const struct db_attempt_row *a = &r->problem_attempts[i];
		json_t *j = json_object();
		json_object_set_new(j, "name", json_string(a->name));
		json_object_set_new(j, "ca", json_string(a->ca));
		json_object_set_new(j, "method", json_string(a->method));
		json_object_set_new(j, "status", json_string(a->status));
		json_object_set_new(j, "first_query", iso_time(a->first_ns));
		json_object_set_new(j, "perspectives", json_integer(a->perspectives));
		json_object_set_new(j, "usable", json_integer(a->usable));
		json_object_set_new(j, "failed", json_integer(a->failed));
		json_object_set_new(j, "caa_labels", json_integer(a->caa_labels));
		json_t *per = json_array();
		for (unsigned k = 0; k < a->nkept; k++) {
			json_t *p = json_object();
			json_object_set_new(p, "address", json_string(a->kept[k].address));
			json_object_set_new(p, "region", json_string(a->kept[k].region));
			json_object_set_new(p, "outcome", json_string(a->kept[k].outcome));
			json_object_set_new(p, "queries", json_integer(a->kept[k].queries));
			json_object_set_new(p, "failures", json_integer(a->kept[k].failures));
			json_array_append_new(per, p);
		}
		json_object_set_new(j, "perspective_outcomes", per);
		json_array_append_new(list, j);
	}
	/* the attempts that were not corroborated, first ones first */
	json_object_set_new(o, "list", list);
	return o;
}

/* DNSSEC status per name asked with DO=1 (worst first). */
static json_t *dnssec_json(const struct analyze_report *r)
{
	json_t *list = json_array();
	for (unsigned i = 0; i < r->ndnssec; i++) {
		const struct db_dnssec_row *d = &r->dnssec[i];
		json_t *j = json_object();
		json_object_set_new(j, "name", json_string(d->name));
		json_object_set_new(j, "qtype", json_string(d->qtype));
		json_object_set_new(j, "zone", json_string(d->zone));
		json_object_set_new(j, "status", json_string(d->status));
		json_object_set_new(j, "error", d->error[0] ? json_string(d->error) : json_null());
		json_object_set_new(j, "detail", json_string(d->detail));
		json_object_set_new(j, "ca", d->ca[0] ? json_string(d->ca) : json_null());
		json_object_set_new(j, "responses", u64(d->responses));
		json_object_set_new(j, "first", iso_time(d->first_ns));
		json_object_set_new(j, "last", iso_time(d->last_ns));
		json_object_set_new(j, "expires",
		                    d->expires_ns ? iso_time(d->expires_ns) : json_null());
		json_array_append_new(list, j);
	}
	return list;
}

/* CAA decisions per (CA, name), denials first. */
static json_t *caa_json(const struct analyze_report *r)
{
	json_t *list = json_array();
	for (unsigned i = 0; i < r->ncaa; i++) {
		const struct db_caa_row *c = &r->caa[i];
		json_t *j = json_object();
		json_object_set_new(j, "ca", json_string(c->ca));
		json_object_set_new(j, "name", json_string(c->name));
		json_object_set_new(j, "allowed", json_boolean(c->allowed));
		json_object_set_new(j, "wildcard_allowed", json_boolean(c->wild_allowed));
		json_object_set_new(j, "rrset_owner",
		                    c->owner[0] ? json_string(c->owner) : json_null());
		json_object_set_new(j, "rrset", json_string(c->rrset));
		json_object_set_new(j, "reason", json_string(c->reason));
		json_object_set_new(j, "fix", c->fix[0] ? json_string(c->fix) : json_null());
		json_object_set_new(j, "queries", u64(c->queries));
		json_array_append_new(list, j);
	}
	return list;
}

/* Failing EDNS checks per server. */
static json_t *edns_json(const struct analyze_report *r)
{
	json_t *list = json_array();
	for (unsigned i = 0; i < r->nedns; i++) {
		const struct db_edns_row *e = &r->edns[i];
		json_t *j = json_object();
		json_object_set_new(j, "server", json_string(e->server));
		json_object_set_new(j, "check", json_string(e->check));
		json_object_set_new(j, "failures", u64(e->failures));
		json_object_set_new(j, "edns_queries", u64(e->edns_queries));
		json_object_set_new(j, "example", json_string(e->example));
		json_array_append_new(list, j);
	}
	return list;
}

int summary_json(FILE *out, const struct analyze_report *r)
{
	json_t *root = json_object();
	json_object_set_new(root, "version", json_integer(SUMMARY_JSON_VERSION));
	json_object_set_new(root, "run", run_json(r));
	json_object_set_new(root, "packets", u64(r->acc->frames));
	json_object_set_new(root, "coverage", coverage_json(r->acc));
	json_object_set_new(root, "dns", dns_json(r->acc, r->totals));
	json_object_set_new(root, "rcodes", rcodes_json(r->totals));
	json_object_set_new(root, "transactions", txn_json(r->totals));
	json_object_set_new(root, "tcp", tcp_json(r->acc, r->totals));
	json_object_set_new(root, "source_count", json_integer(r->source_count));
	json_t *src = json_array();
	for (unsigned i = 0; i < r->ntop_queries; i++)
		json_array_append_new(src, source_json(&r->top_queries[i]));
	json_object_set_new(root, "sources", src);
	json_t *fail = json_array();
	for (unsigned i = 0; i < r->ntop_failures; i++)
		json_array_append_new(fail, source_json(&r->top_failures[i]));
	json_object_set_new(root, "failing_sources", fail);
	json_object_set_new(root, "validators", validators_json(r));
	json_object_set_new(root, "validator_stats", validator_stats_json(r));
	json_object_set_new(root, "attempts", attempts_json(r));
	json_object_set_new(root, "validator_range_warnings", json_integer(r->table_warnings));
	json_object_set_new(root, "dnssec", dnssec_json(r));
	json_object_set_new(root, "caa", caa_json(r));
	json_object_set_new(root, "edns", edns_json(r));
	json_object_set_new(root, "findings",
	                    r->findings ? findings_json(r->findings) : json_array());
	json_object_set_new(root, "dnstap", r->dnstap ? dnstap_json(r->dnstap) : json_null());
	int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return rc == 0 ? 0 : -1;
}
