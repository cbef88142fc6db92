/*
 * report_html.c - the nightly report as one self-contained HTML page:
 * inline CSS and inline SVG charts, no script, no external asset (a
 * Content-Security-Policy forbids both), readable on a phone and printable.
 * Every string from the data goes through report_html_escape(): query names
 * are chosen by whoever sends the queries.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_render.h"
#include "report_svg.h"

/* A region failing this share of its queries is drawn in the failure
 * colour (a guess: far above what a healthy server shows). */
#define REPORT_ALERT_RATE 0.05
/* CAs that get a chart of their own (the busiest first). */
#define REPORT_CA_CHARTS 6

static const char STYLE[] =
    ":root{--bg:#f6f7f9;--card:#fff;--ink:#1b1f24;--muted:#5b6570;--line:#d9dee3;"
    "--crit:#c62828;--warn:#e07b00;--info:#1565c0;--ok:#2e7d32;--bar:#5c8fd6}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,sans-serif}\n"
    "main{max-width:1100px;margin:0 auto;padding:16px}\n"
    "header h1{font-size:1.5rem;margin:.2rem 0}\n"
    ".sub{color:var(--muted);margin:0 0 .8rem}\n"
    ".badges{display:flex;flex-wrap:wrap;gap:8px;margin:.6rem 0}\n"
    ".badge{border-radius:8px;padding:6px 12px;background:var(--card);border:1px solid var(--line)}"
    "\n.badge b{font-size:1.3rem;display:block}\n"
    ".badge.crit{border-color:var(--crit);color:var(--crit)}\n"
    ".badge.warn{border-color:var(--warn);color:var(--warn)}\n"
    ".badge.info{border-color:var(--info);color:var(--info)}\n"
    ".badge.okay{border-color:var(--ok);color:var(--ok)}\n"
    "section{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:12px 16px;margin:14px 0}\n"
    "section h2{font-size:1.15rem;margin:.2rem 0 .6rem}\n"
    "h3{font-size:1rem;margin:.8rem 0 .3rem}\n"
    ".finding{border-left:6px solid var(--info);padding:6px 12px;margin:10px 0;"
    "background:#fafbfc;border-radius:4px}\n"
    ".finding.critical{border-color:var(--crit)}.finding.warning{border-color:var(--warn)}\n"
    ".finding .head{font-weight:600}\n"
    ".sev{display:inline-block;border-radius:4px;padding:0 6px;color:#fff;font-size:.8rem;"
    "background:var(--info);margin-right:6px}\n"
    ".sev.critical{background:var(--crit)}.sev.warning{background:var(--warn)}\n"
    ".chg{font-size:.8rem;color:var(--muted);margin-left:6px}\n"
    ".chg.new,.chg.worse{color:var(--crit)}.chg.better,.chg.resolved{color:var(--ok)}\n"
    ".when{color:var(--muted);font-size:.85rem}\n"
    "dl{margin:.3rem 0}dt{font-weight:600;float:left;width:5.5em}dd{margin-left:5.5em}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}\n"
    "th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right;"
    "white-space:nowrap}\n"
    "th:first-child,td:first-child{text-align:left}\n"
    "td.name{text-align:left;white-space:normal;word-break:break-all}\n"
    "th{background:#eef1f4;white-space:normal}\n"
    "td.bad{color:var(--crit);font-weight:600}\n"
    ".grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,480px),1fr));"
    "gap:12px}\n"
    "figure{margin:0}figcaption{font-weight:600;margin:.3rem 0}\n"
    "svg.chart{width:100%;height:auto;display:block}\nsvg.bars{max-width:760px}\n"
    "svg .grid{stroke:#e6e9ed}svg .axis{stroke:#8a949e}\n"
    "svg text{font:14px system-ui,sans-serif;fill:#3a424a}\n"
    "svg .unit,svg .legend{font-size:14px;fill:#5b6570}\n"
    "svg .limit{fill:var(--crit);font-weight:600}\n"
    "svg .c-ok{fill:var(--bar)}svg .c-fail{fill:var(--crit)}\n"
    "svg polyline.c-line{fill:none;stroke:var(--crit);stroke-width:3}\n"
    "svg polyline.c-line2{fill:none;stroke:var(--ok);stroke-width:3}\n"
    "svg rect.c-line{fill:var(--crit)}svg rect.c-line2{fill:var(--ok)}\n"
    "svg line.c-limit{stroke:var(--crit);stroke-width:2;stroke-dasharray:6 4}\n"
    "svg rect.c-limit{fill:var(--crit)}\n"
    ".note{color:var(--muted)}\n"
    ".stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px}\n"
    ".stat{border:1px solid var(--line);border-radius:6px;padding:4px 8px;font-size:.85rem;"
    "color:var(--muted)}\n.stat b{display:block;font-size:1.05rem;color:var(--ink)}\n"
    ".stat.bad{border-color:var(--crit)}.stat.bad b{color:var(--crit)}\n"
    ".more{margin:8px 0 8px 6px}\n"
    ".loss{color:var(--crit);font-weight:600}\n"
    "footer{color:var(--muted);font-size:.8rem;text-align:center;margin:20px 0}\n"
    "@media (max-width:600px){main{padding:8px}section{padding:10px}"
    "dt{float:none;width:auto}dd{margin-left:0}}\n"
    "@media print{body{background:#fff;font-size:10pt}main{max-width:none;padding:0}"
    "section{border:none;padding:0;break-inside:avoid}.scroll{overflow:visible}"
    "th,td{white-space:normal}figure{break-inside:avoid}}\n";

static void esc(FILE *out, const char *s)
{
	report_html_escape(out, s);
}

static void head(FILE *out, const struct report *r)
{
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	             "style-src 'unsafe-inline'; img-src data:\">\n"
	             "<title>dcvscope report ");
	esc(out, r->cur.text);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", STYLE);
}

static void badge(FILE *out, const char *cls, const char *value, const char *label)
{
	fprintf(out, "<div class=\"badge %s\"><b>%s</b>%s</div>\n", cls, value, label);
}

static void summary(FILE *out, const struct report *r)
{
	char gen[32];
	findings_format_time(r->generated_ns, gen, sizeof(gen));
	fprintf(out, "<header>\n<h1>DNS validation report</h1>\n<p class=\"sub\">");
	esc(out, r->cur.text);
	fprintf(out, " &middot; generated %s by dcvscope</p>\n<div class=\"badges\">\n", gen);
	struct report_headline h;
	report_headline(r, &h);
	char v[32];
	snprintf(v, sizeof(v), "%u", h.critical);
	badge(out, h.critical ? "crit" : "okay", v, "critical");
	snprintf(v, sizeof(v), "%u", h.warning);
	badge(out, h.warning ? "warn" : "okay", v, "warning");
	snprintf(v, sizeof(v), "%u", h.info);
	badge(out, "info", v, "info");
	badge(out, "", h.queries, "queries");
	badge(out, "", h.answered, "answered");
	report_format_count(report_lost(r), v, sizeof(v));
	badge(out, report_lost(r) ? "crit" : "okay", v, "packets lost");
	fprintf(out, "</div>\n</header>\n");
}

static void coverage(FILE *out, const struct report *r)
{
	const struct db_report_coverage *c = &r->cur.cov;
	fprintf(out, "<section id=\"coverage\">\n<h2>Coverage</h2>\n");
	if (c->runs == 0) {
		fprintf(out, "<p class=\"note\">No capture covered this period.</p>\n</section>\n");
		return;
	}
	fprintf(out, "<p>%llu run(s), %llu live%s; packet counts of whole runs. ",
	        (unsigned long long)c->runs, (unsigned long long)c->runs_live,
	        c->runs_incomplete
	            ? "; <span class=\"loss\">some inputs were read only in part</span>"
	            : "");
	if (report_lost(r) == 0)
		fprintf(out, "Nothing was lost: every packet was analyzed.</p>\n");
	else
		fprintf(out,
		        "<span class=\"loss\">Some traffic was not analyzed</span>: the numbers "
		        "below undercount it.</p>\n");
	fprintf(out, "<div class=\"stats\">\n");
	struct report_coverage_line lines[REPORT_COVERAGE_LINES];
	unsigned n = report_coverage_lines(r, lines);
	for (unsigned i = 0; i < n; i++) {
		char v[32];
		report_format_count(lines[i].value, v, sizeof(v));
		fprintf(out, "<div class=\"stat%s\"><b>%s</b>%s</div>\n",
		        lines[i].loss && lines[i].value ? " bad" : "", v, lines[i].label);
	}
	for (unsigned i = 0; i < r->malformed.n; i++) {
		fprintf(out, "<div class=\"stat bad\"><b>%lld</b>malformed: ",
		        (long long)r->malformed.r[i].n[0]);
		esc(out, r->malformed.r[i].t[0]);
		fprintf(out, "</div>\n");
	}
	fprintf(out, "</div>\n</section>\n");
}

static void finding_item(void *ctx, const struct report_finding_item *it)
{
	FILE *out = ctx;
	const struct finding *f = it->f;
	const char *sev = rule_severity_name(f->severity);
	if (it->change == REPORT_RESOLVED) {
		fprintf(out, "<p><span class=\"chg resolved\">resolved</span> ");
		esc(out, f->rule);
		fprintf(out, " <code>");
		esc(out, f->subject);
		fprintf(out, "</code>: seen in the previous period, not in this one</p>\n");
		return;
	}
	if (it->more > 0) {
		fprintf(out, "<p class=\"more\"><span class=\"sev %s\">%s</span>%u more ", sev, sev,
		        it->more);
		esc(out, f->rule);
		fprintf(out, " findings: ");
		esc(out, it->more_subjects);
		fprintf(out, "</p>\n");
		return;
	}
	char a[32], b[32];
	findings_format_time(f->first_seen_ns, a, sizeof(a));
	findings_format_time(f->last_seen_ns, b, sizeof(b));
	fprintf(out,
	        "<div class=\"finding %s\">\n<div class=\"head\"><span class=\"sev %s\">%s</span>",
	        sev, sev, sev);
	esc(out, f->rule);
	fputc(' ', out);
	esc(out, f->subject_kind);
	fprintf(out, " <code>");
	esc(out, f->subject);
	const char *ch = report_change_name(it->change);
	fprintf(out, "</code><span class=\"chg %s\">%s</span></div>\n",
	        it->change == REPORT_NO_DATA ? "na" : ch, ch);
	fprintf(out, "<div class=\"when\">%s .. %s</div>\n<dl><dt>Evidence</dt><dd>", a, b);
	esc(out, f->evidence);
	fprintf(out, "</dd><dt>Fix</dt><dd>");
	esc(out, f->recommendation);
	fprintf(out, "</dd></dl>\n</div>\n");
}

static void findings(FILE *out, const struct report *r)
{
	fprintf(out, "<section id=\"findings\">\n<h2>Findings</h2>\n");
	if (r->cur.findings.n == 0)
		fprintf(out,
		        "<p class=\"note\">None: nothing the rules check for went wrong in this "
		        "period.</p>\n");
	report_findings_each(r, finding_item, out);
	fprintf(out, "</section>\n");
}

/* The y values of one field of a series, as doubles, into a new array. */
static double *series_y(const struct db_report_point *p, unsigned n, size_t field_off)
{
	double *y = malloc((n ? n : 1) * sizeof(*y));
	for (unsigned i = 0; y != NULL && i < n; i++)
		y[i] = (double)*(const uint64_t *)((const char *)&p[i] + field_off);
	return y;
}

static uint64_t *series_x(const struct db_report_point *p, unsigned n)
{
	uint64_t *x = malloc((n ? n : 1) * sizeof(*x));
	for (unsigned i = 0; x != NULL && i < n; i++)
		x[i] = p[i].t_ns;
	return x;
}

static void ca_chart(FILE *out, const struct report *r, const char *ca)
{
	const struct report_series *s = &r->ca_series;
	unsigned first = 0, n = 0;
	while (first < s->n && strcmp(s->p[first].key, ca) != 0)
		first++;
	while (first + n < s->n && strcmp(s->p[first + n].key, ca) == 0)
		n++;
	uint64_t *x = series_x(s->p + first, n);
	double *q = series_y(s->p + first, n, offsetof(struct db_report_point, queries));
	double *fl = series_y(s->p + first, n, offsetof(struct db_report_point, failures));
	if (x == NULL || q == NULL || fl == NULL)
		goto cleanup;
	char title[160];
	snprintf(title, sizeof(title), "Queries and failures of %s over time", ca);
	struct svg_series ser[] = {{"queries", "c-ok", SVG_BARS, x, q, n},
	                           {"failed", "c-fail", SVG_BARS, x, fl, n}};
	struct svg_chart ch = {.title = title,
	                       .y_label = "per step",
	                       .x_min = r->cur.cov.first_packet_ns > r->cur.scope.from_ns
	                                    ? r->cur.cov.first_packet_ns / r->step_ns * r->step_ns
	                                    : r->cur.scope.from_ns,
	                       .x_max = n ? x[n - 1] : r->cur.scope.to_ns,
	                       .bar_ns = r->step_ns,
	                       .series = ser,
	                       .nseries = 2};
	if (n && ch.x_min > x[0])
		ch.x_min = x[0];
	fprintf(out, "<figure><figcaption>");
	esc(out, ca);
	fprintf(out, "</figcaption>\n");
	svg_time_chart(out, &ch);
	fprintf(out, "</figure>\n");
cleanup:
	free(x);
	free(q);
	free(fl);
}

static void region_chart(FILE *out, const struct report *r)
{
	unsigned n = r->cur.regions.n;
	const char **labels = malloc((n ? n : 1) * sizeof(*labels));
	double *v = malloc((n ? n : 1) * sizeof(*v));
	if (labels != NULL && v != NULL) {
		for (unsigned i = 0; i < n; i++) {
			const struct report_group *g = &r->cur.regions.g[i];
			labels[i] = g->key;
			/* lookups that failed: queries without a usable answer and TCP
			 * connections that never carried one (as REGION_ASYMMETRY counts) */
			uint64_t tcp = g->tcp_rejected + g->tcp_filtered;
			v[i] = report_rate(g->queries - report_good(g) + tcp, g->queries + tcp);
		}
		fprintf(out, "<figure><figcaption>Failure rate per region (queries without a "
		             "usable answer, failed TCP connections)</figcaption>\n");
		svg_fraction_bars(out, "Failure rate per region", labels, v, n, REPORT_ALERT_RATE);
		fprintf(out, "</figure>\n");
	}
	free(labels);
	free(v);
}

static void limit_chart(FILE *out, const struct report *r, const struct report_cap_chart *c)
{
	int session = strcmp(c->rule, "SESSION_CAP") == 0;
	unsigned n = c->s.n;
	uint64_t *x = series_x(c->s.p, n);
	double *a = series_y(c->s.p, n,
	                     session ? offsetof(struct db_report_point, max_concurrent_tcp)
	                             : offsetof(struct db_report_point, queries));
	double *b = series_y(c->s.p, n,
	                     session ? offsetof(struct db_report_point, tcp_failed)
	                             : offsetof(struct db_report_point, answered));
	if (x == NULL || a == NULL || b == NULL)
		goto cleanup;
	uint64_t step = n > 1 ? x[1] - x[0] : r->step_ns;
	for (unsigned i = 2; i < n; i++)
		if (x[i] - x[i - 1] < step)
			step = x[i] - x[i - 1];
	char title[400], capl[64];
	snprintf(title, sizeof(title), "%s of %s against the inferred limit of %g",
	         session ? "Concurrent TCP sessions" : "Queries per second", c->source, c->cap);
	snprintf(capl, sizeof(capl), "inferred %s %g", session ? "cap" : "limit", c->cap);
	/* sessions: bars of concurrent sessions against the cap, failed
	 * connections as a line; rate: bars of queries/s, usable answers/s as a
	 * line that flattens at the limit */
	struct svg_series ser[] = {
	    {session ? "max concurrent sessions" : "queries/s", "c-ok", SVG_BARS, x, a, n},
	    {session ? "TCP connections failed" : "usable answers/s",
	     session ? "c-line" : "c-line2", SVG_LINE, x, b, n}};
	struct svg_chart ch = {.title = title,
	                       .y_label =
	                           session ? "sessions / connections" : "per second (busiest)",
	                       .x_min = n ? x[0] : r->cur.scope.from_ns,
	                       .x_max = n ? x[n - 1] : r->cur.scope.to_ns,
	                       .bar_ns = step,
	                       .series = ser,
	                       .nseries = 2,
	                       .has_limit = 1,
	                       .limit = c->cap,
	                       .limit_label = capl};
	fprintf(out, "<figure><figcaption>%s: ", session ? "Session cap" : "Rate limit");
	esc(out, c->source);
	fprintf(out, "</figcaption>\n");
	svg_time_chart(out, &ch);
	fprintf(out, "</figure>\n");
cleanup:
	free(x);
	free(a);
	free(b);
}

static void charts(FILE *out, const struct report *r)
{
	if (r->cur.cas.n == 0 && r->ncharts == 0)
		return;
	fprintf(out,
	        "<section id=\"charts\">\n<h2>Over time</h2>\n<p class=\"note\">Times in UTC; "
	        "one bar per %llu s of validator traffic.</p>\n",
	        (unsigned long long)(r->step_ns / 1000000000ull));
	if (r->cur.cas.n > 0) {
		fprintf(out,
		        "<h3>Validator queries and failures per CA</h3>\n<div class=\"grid2\">\n");
		for (unsigned i = 0; i < r->cur.cas.n && i < REPORT_CA_CHARTS; i++)
			ca_chart(out, r, r->cur.cas.g[i].key);
		fprintf(out, "</div>\n");
		region_chart(out, r);
	}
	if (r->ncharts > 0) {
		fprintf(out, "<h3>Inferred limits</h3>\n<div class=\"grid2\">\n");
		for (unsigned i = 0; i < r->ncharts; i++)
			limit_chart(out, r, &r->charts[i]);
		fprintf(out, "</div>\n");
	}
	fprintf(out, "</section>\n");
}

static void groups(FILE *out, const char *id, const char *title, const char *first,
                   const struct report_groups *gs, const struct report_groups *prev)
{
	fprintf(out, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
	if (gs->n == 0) {
		fprintf(out,
		        "<p class=\"note\">No validator traffic in this period.</p>\n</section>\n");
		return;
	}
	fprintf(out, "<div class=\"scroll\"><table>\n<tr>");
	for (int c = 0; c < RG_COLS; c++)
		fprintf(out, "<th>%s</th>",
		        c == RG_NAME ? first : report_group_header((enum report_group_col)c));
	fprintf(out, "</tr>\n");
	char cells[RG_COLS][REPORT_CELL_MAX];
	for (unsigned i = 0; i < gs->n; i++) {
		const struct report_group *g = &gs->g[i];
		report_group_cells(g, prev, cells);
		fprintf(out, "<tr>");
		for (int c = 0; c < RG_COLS; c++) {
			int bad = (c == RG_UNANSWERED && g->unanswered) ||
			          (c == RG_REFUSED && g->refused) ||
			          (c == RG_SERVFAIL && g->servfail) ||
			          (c == RG_TCP_REJECTED && report_tcp_failed(g)) ||
			          (c == RG_CHANGE && report_group_change(g, prev) == REPORT_WORSE);
			fprintf(out, "<td%s>", bad ? " class=\"bad\"" : "");
			esc(out, cells[c]);
			fprintf(out, "</td>");
		}
		fprintf(out, "</tr>\n");
	}
	fprintf(out, "</table></div>\n</section>\n");
}

/* A cell of text from the data. */
static void td_text(FILE *out, const char *cls, const char *s)
{
	fprintf(out, "<td class=\"%s\">", cls);
	esc(out, s);
	fprintf(out, "</td>");
}

/* "N more" under a capped table. */
static void html_more(FILE *out, uint64_t more, const char *what)
{
	if (more > 0)
		fprintf(out, "<p class=\"note\">... and %llu more %s.</p>\n",
		        (unsigned long long)more, what);
}

static void dnssec_table(FILE *out, const struct report_depth *d)
{
	const struct db_report_tally *t = &d->dnssec_tally;
	fprintf(out, "<h3>DNSSEC per name</h3>\n");
	if (t->rows == 0) {
		fprintf(out, "<p class=\"note\">No answers with DO=1 in this period.</p>\n");
		return;
	}
	fprintf(out,
	        "<p>%llu name(s): <span%s>%llu BOGUS</span>, <span%s>%llu INDETERMINATE</span>, "
	        "<span%s>%llu expiring</span> within %g day(s).</p>\n",
	        (unsigned long long)t->rows, t->bogus ? " class=\"loss\"" : "",
	        (unsigned long long)t->bogus, t->indeterminate ? " class=\"loss\"" : "",
	        (unsigned long long)t->indeterminate, t->expiring ? " class=\"loss\"" : "",
	        (unsigned long long)t->expiring, d->expiring_days);
	fprintf(out, "<div class=\"scroll\"><table>\n<tr><th>Status</th><th>Name</th><th>Type</th>"
	             "<th>Error</th><th>Detail</th><th>CA</th><th>Answers</th>"
	             "<th>Signatures expire</th></tr>\n");
	for (unsigned i = 0; i < d->ndnssec; i++) {
		const struct db_report_dnssec *x = &d->dnssec[i];
		int bad =
		    strcmp(x->d.status, "BOGUS") == 0 || strcmp(x->d.status, "INDETERMINATE") == 0;
		char exp[32];
		findings_format_time(x->d.expires_ns, exp, sizeof(exp));
		fprintf(out, "<tr><td%s>%s</td>", bad ? " class=\"bad\"" : "", x->d.status);
		td_text(out, "name", x->d.name);
		fprintf(out, "<td>%s</td>", x->d.qtype);
		td_text(out, "name", x->d.error);
		td_text(out, "name", x->d.detail);
		td_text(out, "name", x->d.ca);
		fprintf(out, "<td>%llu</td><td%s>%s%s</td></tr>\n",
		        (unsigned long long)x->d.responses, x->expiring ? " class=\"bad\"" : "",
		        exp, x->expiring ? " (expiring)" : "");
	}
	fprintf(out, "</table></div>\n");
	html_more(out, report_depth_more(t, d->ndnssec), "name(s)");
}

static void caa_table(FILE *out, const struct report_depth *d)
{
	const struct db_report_tally *t = &d->caa_tally;
	fprintf(out, "<h3>CAA decisions</h3>\n");
	if (t->rows == 0) {
		fprintf(out, "<p class=\"note\">No CAA decisions in this period.</p>\n");
		return;
	}
	fprintf(out,
	        "<p>%llu decision(s), <span%s>%llu denied</span>.</p>\n<div class=\"scroll\">"
	        "<table>\n<tr><th>Decision</th><th>CA</th><th>Name</th><th>RRset owner</th>"
	        "<th>Records</th><th>Why</th><th>Record to add</th></tr>\n",
	        (unsigned long long)t->rows, t->denied ? " class=\"loss\"" : "",
	        (unsigned long long)t->denied);
	for (unsigned i = 0; i < d->ncaa; i++) {
		const struct db_caa_row *c = &d->caa[i];
		fprintf(out, "<tr><td%s>%s</td>", c->allowed ? "" : " class=\"bad\"",
		        c->allowed ? "allowed" : "denied");
		td_text(out, "name", c->ca);
		td_text(out, "name", c->name);
		td_text(out, "name", c->owner);
		td_text(out, "name", c->rrset);
		td_text(out, "name", c->reason);
		fprintf(out, "<td class=\"name\"><code>");
		esc(out, c->allowed ? "" : c->fix);
		fprintf(out, "</code></td></tr>\n");
	}
	fprintf(out, "</table></div>\n");
	html_more(out, report_depth_more(t, d->ncaa), "decision(s)");
}

static void edns_table(FILE *out, const struct report_depth *d)
{
	const struct db_report_tally *t = &d->edns_tally;
	fprintf(out, "<h3>EDNS</h3>\n");
	if (t->rows == 0) {
		fprintf(out, "<p class=\"note\">No failing EDNS check in this period.</p>\n");
		return;
	}
	fprintf(out, "<div class=\"scroll\"><table>\n<tr><th>Server</th><th>Failing check</th>"
	             "<th>Failures</th><th>EDNS queries</th><th>Example</th></tr>\n");
	for (unsigned i = 0; i < d->nedns; i++) {
		const struct db_edns_row *e = &d->edns[i];
		fprintf(out, "<tr>");
		td_text(out, "name", e->server);
		td_text(out, "name", e->check);
		fprintf(out, "<td class=\"bad\">%llu</td><td>%llu</td>",
		        (unsigned long long)e->failures, (unsigned long long)e->edns_queries);
		td_text(out, "name", e->example);
		fprintf(out, "</tr>\n");
	}
	fprintf(out, "</table></div>\n");
	html_more(out, report_depth_more(t, d->nedns), "check(s)");
}

static void depth(FILE *out, const struct report *r)
{
	fprintf(out, "<section id=\"depth\">\n<h2>DNSSEC, CAA and EDNS</h2>\n");
	if (report_depth_is_empty(r)) {
		fprintf(out,
		        "<p class=\"note\">None: no DNSSEC status, CAA decision or EDNS failure "
		        "in this period.</p>\n</section>\n");
		return;
	}
	dnssec_table(out, &r->depth);
	caa_table(out, &r->depth);
	edns_table(out, &r->depth);
	fprintf(out, "</section>\n");
}

static void attempts(FILE *out, const struct report *r)
{
	fprintf(out, "<section id=\"attempts\">\n<h2>Validation attempts (MPIC)</h2>\n");
	if (r->nacas == 0) {
		fprintf(
		    out,
		    "<p class=\"note\">No validation attempts in this period.</p>\n</section>\n");
		return;
	}
	fprintf(out, "<div class=\"scroll\"><table>\n<tr><th>CA</th><th>Attempts</th>"
	             "<th>Corroborated</th><th>At risk</th><th>Failed</th>"
	             "<th>All perspectives usable</th><th>Others (usable of all: attempts)</th>"
	             "</tr>\n");
	for (unsigned i = 0; i < r->nacas; i++) {
		const struct report_attempt_ca *a = &r->acas[i];
		fprintf(out, "<tr><td>");
		esc(out, a->ca);
		fprintf(out,
		        "</td><td>%llu</td><td>%llu</td><td%s>%llu</td><td%s>%llu</td><td>%llu</td>"
		        "<td class=\"name\">",
		        (unsigned long long)a->attempts, (unsigned long long)a->corroborated,
		        a->at_risk ? " class=\"bad\"" : "", (unsigned long long)a->at_risk,
		        a->failed ? " class=\"bad\"" : "", (unsigned long long)a->failed,
		        (unsigned long long)a->all_usable);
		esc(out, a->usable);
		fprintf(out, "</td></tr>\n");
	}
	fprintf(out, "</table></div>\n</section>\n");
}

static void names(FILE *out, const struct report *r)
{
	fprintf(out, "<section id=\"names\">\n<h2>Top failing names</h2>\n");
	if (r->names.n == 0) {
		fprintf(out,
		        "<p class=\"note\">No failed queries in this period.</p>\n</section>\n");
		return;
	}
	fprintf(out, "<div class=\"scroll\"><table>\n<tr><th>Name</th><th>Failed</th>"
	             "<th>Unanswered</th><th>SERVFAIL</th><th>REFUSED</th><th>Sources</th>"
	             "<th>CAs</th></tr>\n");
	for (unsigned i = 0; i < r->names.n; i++) {
		const struct db_rule_row *n = &r->names.r[i];
		fprintf(out, "<tr><td class=\"name\">");
		esc(out, n->t[0]);
		fprintf(out,
		        "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td>"
		        "<td class=\"name\">",
		        (long long)n->n[0], (long long)n->n[1], (long long)n->n[2],
		        (long long)n->n[3], (long long)n->n[5]);
		esc(out, n->t[1]);
		fprintf(out, "</td></tr>\n");
	}
	fprintf(out, "</table></div>\n</section>\n");
}

static void change(FILE *out, const struct report *r)
{
	fprintf(out, "<section id=\"change\">\n<h2>Against the previous period</h2>\n");
	if (r->prev.total.queries == 0) {
		fprintf(out, "<p class=\"note\">No traffic stored for the previous period (");
		esc(out, r->prev.text);
		fprintf(out, ").</p>\n</section>\n");
		return;
	}
	struct report_headline h;
	report_headline(r, &h);
	fprintf(out,
	        "<div class=\"scroll\"><table>\n<tr><th></th><th>This period</th>"
	        "<th>Previous period</th></tr>\n<tr><td>Queries</td><td>%s</td><td>%s</td></tr>\n"
	        "<tr><td>Answered</td><td>%s</td><td>%s</td></tr>\n"
	        "<tr><td>Findings</td><td>%u</td><td>%u</td></tr>\n</table></div>\n</section>\n",
	        h.queries, h.prev_queries, h.answered, h.prev_answered, r->cur.findings.n,
	        r->prev.findings.n);
}

static void top(FILE *out, const struct report *r)
{
	head(out, r);
	summary(out, r);
}

static void empty(FILE *out, const struct report *r)
{
	(void)r;
	fprintf(out, "<section><h2>Nothing to report</h2><p>No DNS traffic is stored for "
	             "this period.</p></section>\n");
}

static void bottom(FILE *out, const struct report *r)
{
	(void)r;
	fprintf(out, "<footer>dcvscope &middot; why do certificate authorities fail to validate "
	             "my domains?</footer>\n</main>\n</body>\n</html>\n");
}

int report_render_html(FILE *out, const struct report *r)
{
	static const struct report_format html = {.top = top,
	                                          .empty = empty,
	                                          .coverage = coverage,
	                                          .findings = findings,
	                                          .charts = charts,
	                                          .groups = groups,
	                                          .depth = depth,
	                                          .attempts = attempts,
	                                          .names = names,
	                                          .change = change,
	                                          .bottom = bottom};
	return report_render_sections(out, r, &html);
}
