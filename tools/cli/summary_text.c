/* summary_text.c - the human summary of `dcvscope analyze`. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "analyze_report.h"
#include "dns_parse.h"
#include "rule_judge.h"

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void coverage(FILE *out, const struct analyze_report *r)
{
	const struct run_accounting *a = r->acc;
	fprintf(out, "Coverage\n");
	fprintf(out, "  frames            %12llu  (%llu bytes on the wire)\n",
	        (unsigned long long)a->frames, (unsigned long long)a->bytes);
	fprintf(out, "  on a DNS port     %12llu  %5.1f%%\n", (unsigned long long)a->dns_frames,
	        pct(a->dns_frames, a->frames));
	fprintf(out,
	        "  other traffic     %12llu  (not IP %llu, other protocol %llu, other port %llu)\n",
	        (unsigned long long)(a->not_ip + a->other_proto + a->other_port),
	        (unsigned long long)a->not_ip, (unsigned long long)a->other_proto,
	        (unsigned long long)a->other_port);
	if (r->dnstap != NULL)
		fprintf(out,
		        "  IP fragments      %12s  (not measured: dnstap logs whole messages)\n",
		        "-");
	else
		fprintf(out, "  IP fragments      %12llu  (%llu datagrams reassembled)\n",
		        (unsigned long long)a->fragments, (unsigned long long)a->reassembled);
	fprintf(out, "  malformed frames  %12llu\n", (unsigned long long)a->malformed_frames);
	fprintf(out, "  malformed DNS     %12llu\n", (unsigned long long)a->dns_malformed);
	if (r->dnstap != NULL)
		fprintf(out,
		        "  cut by snap len   %12s  (not measured: dnstap logs whole messages)\n",
		        "-");
	else
		fprintf(out, "  cut by snap len   %12llu\n", (unsigned long long)a->snap_truncated);
	if (a->unsupported_link)
		fprintf(out, "  unsupported link  %12llu\n",
		        (unsigned long long)a->unsupported_link);
	if (a->evictions)
		fprintf(out, "  table evictions   %12llu  (raise --max-sources / --max-pending)\n",
		        (unsigned long long)a->evictions);
	bool any = false;
	for (int i = 1; i <= DCV_ERROR_COUNT; i++) {
		if (a->malformed[i] == 0)
			continue;
		if (!any)
			fprintf(out, "  by reason:\n");
		any = true;
		fprintf(out, "    %-22s %10llu  %s\n", dcv_error_name(-i),
		        (unsigned long long)a->malformed[i], dcv_strerror(-i));
	}
}

/* What the dnstap logs held, and what dnstap cannot show. */
static void dnstap_section(FILE *out, const struct cap_dnstap_stats *st)
{
	fprintf(out, "\ndnstap\n");
	fprintf(out, "  messages          %12llu  (%llu analyzed)\n",
	        (unsigned long long)st->payloads, (unsigned long long)st->frames);
	for (unsigned t = 0; t <= DNSTAP_TYPE_MAX; t++)
		if (st->by_type[t] != 0)
			fprintf(out, "    %-15s %12llu\n",
			        t ? cap_dnstap_type_name(t) : "unknown type",
			        (unsigned long long)st->by_type[t]);
	fprintf(out, "  type not used     %12llu  (resolver, forwarder, stub, tool messages)\n",
	        (unsigned long long)st->not_used);
	fprintf(out, "  missing fields    %12llu", (unsigned long long)st->missing_total);
	for (int f = 0; f < DNSTAP_FIELDS; f++)
		if (st->missing[f] != 0)
			fprintf(out, "  %s %llu", cap_dnstap_field_name((enum dnstap_field)f),
			        (unsigned long long)st->missing[f]);
	fprintf(out,
	        "\n  malformed         %12llu  (+ %llu invalid values, %llu not a message, "
	        "%llu too large)\n",
	        (unsigned long long)st->malformed, (unsigned long long)st->invalid,
	        (unsigned long long)st->not_message, (unsigned long long)st->oversize);
	fprintf(out, "  out of time order %12llu  (put back in order",
	        (unsigned long long)st->out_of_order);
	if (st->released_early)
		fprintf(out, "; %llu released before the window closed",
		        (unsigned long long)st->released_early);
	fprintf(out, ")\n");
	size_t ngaps;
	const struct cap_dnstap_gap *gaps = cap_dnstap_gaps(&ngaps);
	fprintf(out, "  not available from dnstap (zeros below mean \"not measured\"):\n");
	for (size_t i = 0; i < ngaps; i++)
		fprintf(out, "    - %s\n", gaps[i].what);
}

static void dns_totals(FILE *out, const struct analyze_report *r)
{
	const struct analyzer_totals *t = r->totals;
	uint64_t msgs = t->queries + t->responses;
	fprintf(out, "\nDNS\n");
	fprintf(out, "  queries           %12llu\n", (unsigned long long)t->queries);
	fprintf(out, "  responses         %12llu\n", (unsigned long long)t->responses);
	fprintf(out, "  over UDP / TCP    %11.1f%% / %.1f%%    IPv6 %.1f%%\n", pct(t->udp, msgs),
	        pct(t->tcp, msgs), pct(t->ipv6, msgs));
	fprintf(out, "  queries with EDNS %11.1f%%    DO bit %.1f%%    TC=1 answers %llu\n",
	        pct(t->queries_edns, t->queries), pct(t->queries_do, t->queries),
	        (unsigned long long)t->responses_tc);

	fprintf(out, "\nResponses by rcode\n");
	for (unsigned rc = 0; rc < 4096; rc++) {
		if (t->rcodes[rc] == 0)
			continue;
		const char *name = dns_rcode_name(rc);
		char other[16];
		if (name == NULL) {
			snprintf(other, sizeof(other), "RCODE%u", rc);
			name = other;
		}
		fprintf(out, "  %-17s %12llu  %5.1f%%\n", name, (unsigned long long)t->rcodes[rc],
		        pct(t->rcodes[rc], t->responses));
	}

	fprintf(out, "\nTransactions (timeout %u ms)\n", r->timeout_ms);
	fprintf(out, "  answered          %12llu", (unsigned long long)t->answered);
	if (t->latency_count)
		fprintf(out, "  latency mean %.2f ms, max %.2f ms",
		        (double)t->latency_sum_us / (double)t->latency_count / 1000.0,
		        (double)t->latency_max_us / 1000.0);
	fprintf(out, "\n  unanswered        %12llu  %5.2f%% of queries\n",
	        (unsigned long long)t->unanswered, pct(t->unanswered, t->queries));
	fprintf(out, "  retransmitted     %12llu\n", (unsigned long long)t->retransmits);
	fprintf(out, "  unmatched answers %12llu  (query before the capture started)\n",
	        (unsigned long long)t->unmatched_responses);
	if (t->pending_at_end)
		fprintf(out, "  open at the end   %12llu  (too recent to call unanswered)\n",
		        (unsigned long long)t->pending_at_end);
	if (t->txn_evicted) /* a drop flood: these may be most of the unanswered */
		fprintf(out,
		        "  not followed      %12llu  (table full: unanswered is a lower bound;"
		        " raise --max-pending)\n",
		        (unsigned long long)t->txn_evicted);
	if (t->txn_kept)
		fprintf(out, "  validation kept   %12llu  (held in the full table until judged)\n",
		        (unsigned long long)t->txn_kept);

	if (r->dnstap != NULL) {
		fprintf(out, "\nTCP (not measured: dnstap has no TCP session states)\n");
		return;
	}
	fprintf(out, "\nTCP\n");
	fprintf(out, "  sessions          %12llu  (%llu picked up mid-stream)\n",
	        (unsigned long long)t->tcp_sessions, (unsigned long long)t->tcp_midstream);
	fprintf(out, "  SYN rejected (RST)%12llu\n", (unsigned long long)t->tcp_rejected);
	fprintf(out, "  SYN unanswered    %12llu\n", (unsigned long long)t->tcp_filtered);
	fprintf(out, "  closed by server  %12llu\n", (unsigned long long)t->tcp_server_closed);
	fprintf(out, "  never answered    %12llu  (a query, then no data from the server)\n",
	        (unsigned long long)t->tcp_stalled);
}

static void sources(FILE *out, const char *title, const struct db_source_total *s, unsigned n)
{
	fprintf(out, "\n%s\n", title);
	if (n == 0) {
		fprintf(out, "  (none)\n");
		return;
	}
	fprintf(out, "  %-39s %10s %9s %8s %8s %8s %6s\n", "source", "queries", "unanswrd",
	        "servfail", "refused", "peak qps", "tcp max");
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "  %-39s %10llu %9llu %8llu %8llu %8u %6u\n", s[i].address,
		        (unsigned long long)s[i].queries, (unsigned long long)s[i].unanswered,
		        (unsigned long long)s[i].rcode[RCODE_SLOT_SERVFAIL],
		        (unsigned long long)s[i].rcode[RCODE_SLOT_REFUSED], s[i].peak_qps,
		        s[i].max_concurrent_tcp);
}

/* Certificate validation: per CA and region, then attempts at risk. */
static void validation(FILE *out, const struct analyze_report *r)
{
	const struct db_attempt_totals *at = &r->attempts;
	fprintf(out, "\nCertificate validation\n");
	fprintf(out, "  validator sources %12u  (medium confidence or above)\n", r->nvalidators);
	fprintf(out, "  MPIC attempts     %12llu  corroborated %llu, at risk %llu, failed %llu\n",
	        (unsigned long long)at->total, (unsigned long long)at->corroborated,
	        (unsigned long long)at->at_risk, (unsigned long long)at->failed);
	if (r->nca_regions > 0) {
		fprintf(out, "  %-14s %-10s %7s %9s %9s %8s %8s %8s %7s\n", "CA", "region",
		        "sources", "queries", "unanswrd", "servfail", "refused", "tcp fail",
		        "tcp max");
		for (unsigned i = 0; i < r->nca_regions; i++) {
			const struct db_ca_region_row *c = &r->ca_regions[i];
			fprintf(out, "  %-14s %-10s %7llu %9llu %9llu %8llu %8llu %8llu %7u\n",
			        c->ca, c->region, (unsigned long long)c->sources,
			        (unsigned long long)c->queries, (unsigned long long)c->unanswered,
			        (unsigned long long)c->servfail, (unsigned long long)c->refused,
			        (unsigned long long)rule_tcp_failed(
			            c->tcp_rejected, c->tcp_filtered, c->tcp_stalled),
			        c->max_concurrent_tcp);
		}
	}
	unsigned shown = r->nproblem_attempts < 10 ? r->nproblem_attempts : 10;
	if (shown == 0)
		return;
	fprintf(out, "  attempts not corroborated (first %u):\n", shown);
	for (unsigned i = 0; i < shown; i++) {
		const struct db_attempt_row *a = &r->problem_attempts[i];
		char when[32];
		fmt_time(a->first_ns, when, sizeof(when));
		fprintf(out, "    %s %s %s (%s, %s): %u of %u perspectives failed:", when,
		        a->status, a->name, a->ca, a->method, a->failed, a->perspectives);
		for (unsigned k = 0; k < a->nkept; k++)
			if (strcmp(a->kept[k].outcome, "answered") != 0 &&
			    strcmp(a->kept[k].outcome, "negative") != 0)
				fprintf(out, " %s %s", a->kept[k].address, a->kept[k].outcome);
		fprintf(out, "\n");
	}
}

/* DNSSEC, CAA and EDNS: counts, then what is wrong (a few lines each). */
static void depth(FILE *out, const struct analyze_report *r)
{
	if (r->ndnssec + r->ncaa + r->nedns == 0)
		return;
	enum { SHOWN = 10 };
	unsigned st[4] = {0};
	static const char *const words[4] = {"SECURE", "INSECURE", "INDETERMINATE", "BOGUS"};
	for (unsigned i = 0; i < r->ndnssec; i++)
		for (unsigned k = 0; k < 4; k++)
			st[k] += strcmp(r->dnssec[i].status, words[k]) == 0;
	fprintf(out, "\nDNSSEC, CAA and EDNS\n");
	fprintf(
	    out,
	    "  DNSSEC (DO=1)     %u names: %u secure, %u insecure, %u indeterminate, %u bogus\n",
	    r->ndnssec, st[0], st[1], st[2], st[3]);
	for (unsigned i = 0, shown = 0; i < r->ndnssec && shown < SHOWN; i++) {
		const struct db_dnssec_row *d = &r->dnssec[i];
		if (strcmp(d->status, "BOGUS") != 0 && strcmp(d->status, "INDETERMINATE") != 0)
			continue;
		fprintf(out, "    %s %s %s %s: %s\n", d->name, d->qtype, d->status, d->error,
		        d->detail);
		shown++;
	}
	unsigned denied = 0;
	for (unsigned i = 0; i < r->ncaa; i++)
		denied += !r->caa[i].allowed;
	fprintf(out, "  CAA decisions     %u (CA, name): %u denied\n", r->ncaa, denied);
	for (unsigned i = 0; i < r->ncaa && i < SHOWN; i++)
		if (!r->caa[i].allowed)
			fprintf(out, "    %s may not issue for %s (%s); add: %s\n", r->caa[i].ca,
			        r->caa[i].name, r->caa[i].rrset, r->caa[i].fix);
	fprintf(out, "  EDNS checks       %u failing\n", r->nedns);
	for (unsigned i = 0; i < r->nedns && i < SHOWN; i++)
		fprintf(out, "    %s %s x%llu: %s\n", r->edns[i].server, r->edns[i].check,
		        (unsigned long long)r->edns[i].failures, r->edns[i].example);
}

void summary_text(FILE *out, const struct analyze_report *r)
{
	char from[32] = "-", to[32] = "-";
	if (r->totals->first_ts_ns) {
		fmt_time(r->totals->first_ts_ns, from, sizeof(from));
		fmt_time(r->totals->last_ts_ns, to, sizeof(to));
	}
	fprintf(out,
	        "dcvscope analyze: %u input%s, %s .. %s UTC (%.1f s of traffic), %llu sources\n",
	        r->ninputs, r->ninputs == 1 ? "" : "s", from, to,
	        (double)(r->totals->last_ts_ns - r->totals->first_ts_ns) / 1e9,
	        (long long)r->source_count);
	for (unsigned i = 0; i < r->ninputs; i++)
		if (!r->inputs[i].complete)
			fprintf(out, "  INCOMPLETE: %s\n",
			        r->inputs[i].error ? r->inputs[i].error : r->inputs[i].path);
	fprintf(out, "\n");
	coverage(out, r);
	if (r->dnstap != NULL)
		dnstap_section(out, r->dnstap);
	dns_totals(out, r);
	sources(out, "Top sources by queries", r->top_queries, r->ntop_queries);
	sources(out, "Top sources by failures (unanswered, SERVFAIL, REFUSED, TCP rejected)",
	        r->top_failures, r->ntop_failures);
	validation(out, r);
	depth(out, r);
	if (r->findings != NULL) {
		fprintf(out, "\n");
		findings_print_text(out, r->findings, "this run");
	}
	fprintf(out, "\nStored in %s as run %lld", r->db_path, (long long)r->run_id);
	if (r->replaced_runs > 0)
		fprintf(out, " (replaces %d earlier run%s of the same input)", r->replaced_runs,
		        r->replaced_runs == 1 ? "" : "s");
	fprintf(out, "; analyzed in %.2f s.\n", r->elapsed_s);
}
