/* report_json.c - the nightly report as one JSON object (keys only ever added). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "report_render.h"

static json_t *period_json(const struct report_period *p)
{
	json_t *o = json_object();
	char a[32], b[32];
	findings_format_time(p->scope.from_ns, a, sizeof(a));
	findings_format_time(p->scope.to_ns, b, sizeof(b));
	json_object_set_new(o, "from", json_string(a));
	json_object_set_new(o, "to", json_string(b));
	json_object_set_new(o, "from_ns", json_integer((json_int_t)p->scope.from_ns));
	json_object_set_new(o, "to_ns", json_integer((json_int_t)p->scope.to_ns));
	return o;
}

static json_t *group_json(const struct report_group *g, const struct report_groups *prev,
                          const char *keyname)
{
	json_t *o = json_object();
	if (keyname != NULL)
		json_object_set_new(o, keyname, json_string(g->key));
	const struct {
		const char *k;
		uint64_t v;
	} nums[] = {
	    {"sources", g->sources},           {"queries", g->queries},
	    {"responses", g->responses},       {"noerror", g->noerror},
	    {"nxdomain", g->nxdomain},         {"servfail", g->servfail},
	    {"refused", g->refused},           {"other_rcode", g->other_rcode},
	    {"truncated", g->truncated},       {"unanswered", g->unanswered},
	    {"tcp_sessions", g->tcp_sessions}, {"tcp_rejected", g->tcp_rejected},
	    {"tcp_filtered", g->tcp_filtered}, {"tcp_stalled", g->tcp_stalled},
	    {"peak_qps", g->peak_qps},         {"max_concurrent_tcp", g->max_concurrent_tcp}};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		json_object_set_new(o, nums[i].k, json_integer((json_int_t)nums[i].v));
	json_object_set_new(o, "success_rate", json_real(report_rate(report_good(g), g->queries)));
	if (prev != NULL)
		json_object_set_new(o, "change",
		                    json_string(report_change_name(report_group_change(g, prev))));
	return o;
}

static json_t *groups_json(const struct report_groups *gs, const struct report_groups *prev,
                           const char *keyname)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < gs->n; i++)
		json_array_append_new(arr, group_json(&gs->g[i], prev, keyname));
	return arr;
}

static json_t *coverage_json(const struct report *r)
{
	json_t *o = json_object();
	const struct db_report_coverage *c = &r->cur.cov;
	json_object_set_new(o, "runs", json_integer((json_int_t)c->runs));
	json_object_set_new(o, "runs_live", json_integer((json_int_t)c->runs_live));
	json_object_set_new(o, "runs_incomplete", json_integer((json_int_t)c->runs_incomplete));
	struct report_coverage_line lines[REPORT_COVERAGE_LINES];
	unsigned n = report_coverage_lines(r, lines);
	for (unsigned i = 0; i < n; i++)
		json_object_set_new(o, lines[i].key, json_integer((json_int_t)lines[i].value));
	json_object_set_new(o, "lost", json_integer((json_int_t)report_lost(r)));
	json_t *m = json_object();
	for (unsigned i = 0; i < r->malformed.n; i++)
		json_object_set_new(m, r->malformed.r[i].t[0],
		                    json_integer((json_int_t)r->malformed.r[i].n[0]));
	json_object_set_new(o, "malformed_by_reason", m);
	json_object_set_new(o, "capture_intervals", json_integer((json_int_t)c->intervals));
	return o;
}

static json_t *attempts_json(const struct report *r)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < r->nacas; i++) {
		const struct report_attempt_ca *a = &r->acas[i];
		json_t *o = json_object(), *hist = json_array();
		json_object_set_new(o, "ca", json_string(a->ca));
		json_object_set_new(o, "attempts", json_integer((json_int_t)a->attempts));
		json_object_set_new(o, "corroborated", json_integer((json_int_t)a->corroborated));
		json_object_set_new(o, "at_risk", json_integer((json_int_t)a->at_risk));
		json_object_set_new(o, "failed", json_integer((json_int_t)a->failed));
		json_object_set_new(o, "all_usable", json_integer((json_int_t)a->all_usable));
		for (unsigned k = 0; k < r->attempts.n; k++) {
			const struct db_rule_row *row = &r->attempts.r[k];
			if (strcmp(row->t[0], a->ca) != 0)
				continue;
			json_t *h = json_object();
			json_object_set_new(h, "perspectives", json_integer(row->n[0]));
			json_object_set_new(h, "usable", json_integer(row->n[1]));
			json_object_set_new(h, "attempts", json_integer(row->n[2]));
			json_array_append_new(hist, h);
		}
		json_object_set_new(o, "by_usable_perspectives", hist);
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *names_json(const struct report *r)
{
	static const char *const keys[] = {"failures",          "unanswered",  "servfail",
	                                   "refused",           "other_rcode", "sources",
	                                   "validator_failures"};
	json_t *arr = json_array();
	for (unsigned i = 0; i < r->names.n; i++) {
		const struct db_rule_row *row = &r->names.r[i];
		json_t *o = json_object();
		json_object_set_new(o, "qname", json_string(row->t[0]));
		json_object_set_new(o, "cas", json_string(row->t[1]));
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			json_object_set_new(o, keys[k], json_integer(row->n[k]));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *series_json(const struct report_series *s, int with_key)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < s->n; i++) {
		const struct db_report_point *p = &s->p[i];
		json_t *o = json_object();
		if (with_key)
			json_object_set_new(o, "ca", json_string(p->key));
		json_object_set_new(o, "t_ns", json_integer((json_int_t)p->t_ns));
		json_object_set_new(o, "queries", json_integer((json_int_t)p->queries));
		json_object_set_new(o, "answered", json_integer((json_int_t)p->answered));
		json_object_set_new(o, "failures", json_integer((json_int_t)p->failures));
		json_object_set_new(o, "peak_qps", json_integer((json_int_t)p->peak_qps));
		json_object_set_new(o, "max_concurrent_tcp",
		                    json_integer((json_int_t)p->max_concurrent_tcp));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *charts_json(const struct report *r)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < r->ncharts; i++) {
		const struct report_cap_chart *ch = &r->charts[i];
		json_t *o = json_object();
		json_object_set_new(o, "rule", json_string(ch->rule));
		json_object_set_new(o, "source", json_string(ch->source));
		json_object_set_new(o, "inferred_cap", json_real(ch->cap));
		json_object_set_new(o, "series", series_json(&ch->s, 0));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *iso(uint64_t ns)
{
	char t[32];
	findings_format_time(ns, t, sizeof(t));
	return ns ? json_string(t) : json_null();
}

/* DNSSEC per name, problems first (as the other formats list them). */
static json_t *dnssec_json(const struct report_depth *d)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < d->ndnssec; i++) {
		const struct db_report_dnssec *x = &d->dnssec[i];
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(x->d.name));
		json_object_set_new(o, "qtype", json_string(x->d.qtype));
		json_object_set_new(o, "status", json_string(x->d.status));
		json_object_set_new(o, "error",
		                    x->d.error[0] ? json_string(x->d.error) : json_null());
		json_object_set_new(o, "detail", json_string(x->d.detail));
		json_object_set_new(o, "ca", x->d.ca[0] ? json_string(x->d.ca) : json_null());
		json_object_set_new(o, "responses", json_integer((json_int_t)x->d.responses));
		json_object_set_new(o, "first", iso(x->d.first_ns));
		json_object_set_new(o, "last", iso(x->d.last_ns));
		json_object_set_new(o, "expires", iso(x->d.expires_ns));
		json_object_set_new(o, "expiring", json_boolean(x->expiring));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* CAA decisions, denials first. */
static json_t *caa_json(const struct report_depth *d)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < d->ncaa; i++) {
		const struct db_caa_row *c = &d->caa[i];
		json_t *o = json_object();
		json_object_set_new(o, "ca", json_string(c->ca));
		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "allowed", json_boolean(c->allowed));
		json_object_set_new(o, "wildcard_allowed", json_boolean(c->wild_allowed));
		json_object_set_new(o, "rrset_owner",
		                    c->owner[0] ? json_string(c->owner) : json_null());
		json_object_set_new(o, "rrset", json_string(c->rrset));
		json_object_set_new(o, "reason", json_string(c->reason));
		json_object_set_new(o, "fix", c->fix[0] ? json_string(c->fix) : json_null());
		json_object_set_new(o, "queries", json_integer((json_int_t)c->queries));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* Failing EDNS checks per server. */
static json_t *edns_json(const struct report_depth *d)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < d->nedns; i++) {
		const struct db_edns_row *e = &d->edns[i];
		json_t *o = json_object();
		json_object_set_new(o, "server", json_string(e->server));
		json_object_set_new(o, "check", json_string(e->check));
		json_object_set_new(o, "failures", json_integer((json_int_t)e->failures));
		json_object_set_new(o, "edns_queries", json_integer((json_int_t)e->edns_queries));
		json_object_set_new(o, "example", json_string(e->example));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* What each list holds in all (the arrays are cut at REPORT_DEPTH_ROWS). */
static json_t *depth_totals_json(const struct report_depth *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "dnssec", json_integer((json_int_t)d->dnssec_tally.rows));
	json_object_set_new(o, "dnssec_bogus", json_integer((json_int_t)d->dnssec_tally.bogus));
	json_object_set_new(o, "dnssec_indeterminate",
	                    json_integer((json_int_t)d->dnssec_tally.indeterminate));
	json_object_set_new(o, "dnssec_expiring",
	                    json_integer((json_int_t)d->dnssec_tally.expiring));
	json_object_set_new(o, "dnssec_expiring_days", json_real(d->expiring_days));
	json_object_set_new(o, "caa", json_integer((json_int_t)d->caa_tally.rows));
	json_object_set_new(o, "caa_denied", json_integer((json_int_t)d->caa_tally.denied));
	json_object_set_new(o, "edns", json_integer((json_int_t)d->edns_tally.rows));
	return o;
}

static json_t *change_json(const struct report *r)
{
	json_t *o = json_object(), *nf = json_array(), *res = json_array();
	json_object_set_new(o, "previous", period_json(&r->prev));
	json_object_set_new(o, "previous_total", group_json(&r->prev.total, NULL, NULL));
	json_object_set_new(o, "previous_findings", json_integer(r->prev.findings.n));
	for (unsigned i = 0; i < r->cur.findings.n; i++)
		if (report_finding_change(r, i) == REPORT_NEW) {
			json_t *f = json_object();
			json_object_set_new(f, "rule", json_string(r->cur.findings.f[i].rule));
			json_object_set_new(f, "subject",
			                    json_string(r->cur.findings.f[i].subject));
			json_array_append_new(nf, f);
		}
	for (unsigned i = 0; i < r->prev.findings.n; i++)
		if (report_finding_resolved(r, i)) {
			json_t *f = json_object();
			json_object_set_new(f, "rule", json_string(r->prev.findings.f[i].rule));
			json_object_set_new(f, "subject",
			                    json_string(r->prev.findings.f[i].subject));
			json_array_append_new(res, f);
		}
	json_object_set_new(o, "new_findings", nf);
	json_object_set_new(o, "resolved_findings", res);
	return o;
}

int report_render_json(FILE *out, const struct report *r)
{
	json_t *root = json_object();
	if (root == NULL)
		return -1;
	char gen[32];
	findings_format_time(r->generated_ns, gen, sizeof(gen));
	json_object_set_new(root, "generated", json_string(gen));
	json_object_set_new(root, "period", period_json(&r->cur));
	json_object_set_new(root, "empty", json_boolean(report_is_empty(r)));
	json_object_set_new(root, "coverage", coverage_json(r));
	json_object_set_new(root, "total", group_json(&r->cur.total, NULL, NULL));
	json_t *counts = json_object();
	for (int s = RULE_INFO; s <= RULE_CRITICAL; s++)
		json_object_set_new(counts, rule_severity_name((enum rule_severity)s),
		                    json_integer(report_severity_count(r, (enum rule_severity)s)));
	json_object_set_new(root, "finding_counts", counts);
	json_t *f = findings_json(&r->cur.findings);
	size_t i;
	json_t *fo;
	json_array_foreach(f, i, fo)
	{
		json_object_set_new(
		    fo, "change",
		    json_string(report_change_name(report_finding_change(r, (unsigned)i))));
	}
	json_object_set_new(root, "findings", f);
	json_object_set_new(root, "cas", groups_json(&r->cur.cas, &r->prev.cas, "ca"));
	json_object_set_new(root, "regions",
	                    groups_json(&r->cur.regions, &r->prev.regions, "region"));
	json_object_set_new(root, "dnssec", dnssec_json(&r->depth));
	json_object_set_new(root, "caa", caa_json(&r->depth));
	json_object_set_new(root, "edns", edns_json(&r->depth));
	json_object_set_new(root, "depth_totals", depth_totals_json(&r->depth));
	json_object_set_new(root, "attempts", attempts_json(r));
	json_object_set_new(root, "failing_names", names_json(r));
	json_object_set_new(root, "step_ns", json_integer((json_int_t)r->step_ns));
	json_object_set_new(root, "ca_series", series_json(&r->ca_series, 1));
	json_object_set_new(root, "limit_charts", charts_json(r));
	json_object_set_new(root, "change", change_json(r));
	int rc = json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
	return rc != 0 || ferror(out) ? -1 : 0;
}
