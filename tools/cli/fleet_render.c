/*
 * fleet_render.c - the fleet report in text, Markdown, JSON and HTML
 * (fleet_report.h). Every format shows the same sections in the same order:
 * the period and headline, the per-site and per-server tables (the same
 * columns, fleet_cells()), the fleet rules' findings, and the findings each
 * host shipped.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "fleet_report.h"
#include "report_data.h"
#include "report_render.h"
#include "report_svg.h"

/* A formatted cell: "site/server" of two names of DB_CH_NAME_MAX. */
#define FLEET_CELL_MAX (2 * DB_CH_NAME_MAX + 8)

/* The columns of the per-site and per-server tables. */
enum fleet_col {
	FC_NAME,
	FC_SERVERS,
	FC_QUERIES,
	FC_REFUSED,
	FC_SERVFAIL,
	FC_UNANSWERED,
	FC_V_QUERIES,
	FC_V_FAILURES,
	FC_ATTEMPTS,
	FC_CORROBORATED,
	FC_AT_RISK,
	FC_FAILED,
	FC_FINDINGS,
	FC_COLS
};

static const char *const fleet_headers[FC_COLS] = {
    [FC_NAME] = "",
    [FC_SERVERS] = "servers",
    [FC_QUERIES] = "queries",
    [FC_REFUSED] = "REFUSED",
    [FC_SERVFAIL] = "SERVFAIL",
    [FC_UNANSWERED] = "unanswered",
    [FC_V_QUERIES] = "validator queries",
    [FC_V_FAILURES] = "validator failures",
    [FC_ATTEMPTS] = "attempts",
    [FC_CORROBORATED] = "corroborated",
    [FC_AT_RISK] = "at risk",
    [FC_FAILED] = "failed",
    [FC_FINDINGS] = "host findings (crit/warn/info)",
};

/* The cells of one row; by_server: the first column is "site/server". */
static void fleet_cells(const struct db_ch_report_row *g, int by_server,
                        char c[FC_COLS][FLEET_CELL_MAX])
{
	if (by_server)
		snprintf(c[FC_NAME], FLEET_CELL_MAX, "%s/%s", g->site, g->server);
	else
		snprintf(c[FC_NAME], FLEET_CELL_MAX, "%s", g->site[0] ? g->site : "fleet");
	report_format_count(g->servers, c[FC_SERVERS], FLEET_CELL_MAX);
	report_format_count(g->queries, c[FC_QUERIES], FLEET_CELL_MAX);
	report_format_count(g->refused, c[FC_REFUSED], FLEET_CELL_MAX);
	report_format_count(g->servfail, c[FC_SERVFAIL], FLEET_CELL_MAX);
	report_format_count(g->unanswered, c[FC_UNANSWERED], FLEET_CELL_MAX);
	report_format_count(g->v_queries, c[FC_V_QUERIES], FLEET_CELL_MAX);
	char n[32], pct[32];
	uint64_t vf = db_ch_report_v_failures(g);
	report_format_count(vf, n, sizeof(n));
	report_format_pct(vf, g->v_queries + g->v_tcp_failed, pct, sizeof(pct));
	snprintf(c[FC_V_FAILURES], FLEET_CELL_MAX, "%s (%s)", n, pct);
	report_format_count(g->attempts, c[FC_ATTEMPTS], FLEET_CELL_MAX);
	report_format_count(g->corroborated, c[FC_CORROBORATED], FLEET_CELL_MAX);
	report_format_count(g->at_risk, c[FC_AT_RISK], FLEET_CELL_MAX);
	report_format_count(g->failed, c[FC_FAILED], FLEET_CELL_MAX);
	snprintf(c[FC_FINDINGS], FLEET_CELL_MAX, "%llu/%llu/%llu", (unsigned long long)g->critical,
	         (unsigned long long)g->warning, (unsigned long long)g->info);
}

/* The per-server tables leave out the column of servers (always 1). */
static int skip(int col, int by_server)
{
	return by_server && col == FC_SERVERS;
}

static void period_text(const struct fleet_report *r, char *buf, size_t len)
{
	char a[32], b[32];
	findings_format_time(r->from_ns, a, sizeof(a));
	findings_format_time(r->to_ns, b, sizeof(b));
	snprintf(buf, len, "%s .. %s", a, b);
}

/* ------------------------------------------------------------------------
 * Text
 * ------------------------------------------------------------------------ */

static void text_table(FILE *out, const char *title, const char *first,
                       const struct db_ch_report_row *rows, unsigned n, int by_server)
{
	fprintf(out, "\n%s\n", title);
	if (n == 0) {
		fprintf(out, "  nothing shipped in this period\n");
		return;
	}
	char cells[FC_COLS][FLEET_CELL_MAX];
	size_t width[FC_COLS];
	for (int c = 0; c < FC_COLS; c++)
		width[c] = strlen(c == FC_NAME ? first : fleet_headers[c]);
	for (unsigned i = 0; i < n; i++) {
		fleet_cells(&rows[i], by_server, cells);
		for (int c = 0; c < FC_COLS; c++)
			if (strlen(cells[c]) > width[c])
				width[c] = strlen(cells[c]);
	}
	fputs(" ", out);
	for (int c = 0; c < FC_COLS; c++)
		if (!skip(c, by_server))
			fprintf(out, " %-*s", (int)width[c],
			        c == FC_NAME ? first : fleet_headers[c]);
	fputc('\n', out);
	for (unsigned i = 0; i < n; i++) {
		fleet_cells(&rows[i], by_server, cells);
		fputs(" ", out);
		for (int c = 0; c < FC_COLS; c++) {
			if (skip(c, by_server))
				continue;
			fputc(' ', out);
			if (c == FC_NAME) {
				report_put_clean(out, cells[c]);
				fprintf(out, "%*s", (int)(width[c] - strlen(cells[c])), "");
			} else {
				fprintf(out, "%*s", (int)width[c], cells[c]);
			}
		}
		fputc('\n', out);
	}
}

int fleet_render_text(FILE *out, const struct fleet_report *r)
{
	char period[80], n[32];
	period_text(r, period, sizeof(period));
	fprintf(out, "dcvscope fleet report: ");
	report_put_clean(out, r->target);
	fprintf(out, "\nperiod: %s\n", period);
	report_format_count(r->total.queries, n, sizeof(n));
	fprintf(out, "%u site(s), %u server(s), %s queries, %u fleet finding(s)\n", r->nsites,
	        r->nservers, n, r->findings.n);
	text_table(out, "Per site", "site", r->sites, r->nsites, 0);
	text_table(out, "Per server", "site/server", r->servers, r->nservers, 1);
	if (r->nsites > 0)
		text_table(out, "Fleet", "", &r->total, 1, 0);
	fprintf(out, "\nFleet findings\n");
	if (r->findings.n == 0)
		fprintf(out, "  none\n");
	for (unsigned i = 0; i < r->findings.n; i++) {
		const struct finding *f = &r->findings.f[i];
		fprintf(out, "  [%s] %s %s: ", rule_severity_name(f->severity), f->rule,
		        f->subject_kind);
		report_put_clean(out, f->subject);
		fprintf(out, "\n    ");
		report_put_clean(out, f->evidence);
		fprintf(out, "\n    fix: ");
		report_put_clean(out, f->recommendation);
		fputc('\n', out);
	}
	fprintf(out, "\nFindings the hosts shipped\n");
	if (r->nhost_findings == 0)
		fprintf(out, "  none\n");
	for (unsigned i = 0; i < r->nhost_findings; i++) {
		const struct db_ch_host_finding *f = &r->host_findings[i];
		if (i == 0 || strcmp(f->site, f[-1].site) != 0 ||
		    strcmp(f->server, f[-1].server) != 0) {
			fputs("  ", out);
			report_put_clean(out, f->site);
			fputc('/', out);
			report_put_clean(out, f->server);
			fputs(":\n", out);
		}
		fputs("    [", out);
		report_put_clean(out, f->severity);
		fputs("] ", out);
		report_put_clean(out, f->rule);
		fputc(' ', out);
		report_put_clean(out, f->subject);
		fprintf(out, " (%llu run(s))\n      ", (unsigned long long)f->runs);
		report_put_clean(out, f->evidence);
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Markdown
 * ------------------------------------------------------------------------ */

static void md_table(FILE *out, const char *title, const char *first,
                     const struct db_ch_report_row *rows, unsigned n, int by_server)
{
	fprintf(out, "\n## %s\n\n", title);
	if (n == 0) {
		fprintf(out, "Nothing shipped in this period.\n");
		return;
	}
	fputc('|', out);
	for (int c = 0; c < FC_COLS; c++)
		if (!skip(c, by_server))
			fprintf(out, " %s |", c == FC_NAME ? first : fleet_headers[c]);
	fputs("\n|", out);
	for (int c = 0; c < FC_COLS; c++)
		if (!skip(c, by_server))
			fputs(c == FC_NAME ? "---|" : "---:|", out);
	fputc('\n', out);
	char cells[FC_COLS][FLEET_CELL_MAX];
	for (unsigned i = 0; i < n; i++) {
		fleet_cells(&rows[i], by_server, cells);
		fputc('|', out);
		for (int c = 0; c < FC_COLS; c++) {
			if (skip(c, by_server))
				continue;
			fputc(' ', out);
			report_md_escape(out, cells[c]);
			fputs(" |", out);
		}
		fputc('\n', out);
	}
}

int fleet_render_markdown(FILE *out, const struct fleet_report *r)
{
	char period[80], n[32];
	period_text(r, period, sizeof(period));
	fputs("# dcvscope fleet report: ", out);
	report_md_escape(out, r->target);
	fputs("\n\nPeriod: ", out);
	report_md_escape(out, period);
	report_format_count(r->total.queries, n, sizeof(n));
	fprintf(out, "; %u site(s), %u server(s), %s queries, %u fleet finding(s).\n", r->nsites,
	        r->nservers, n, r->findings.n);
	md_table(out, "Per site", "site", r->sites, r->nsites, 0);
	md_table(out, "Per server", "site/server", r->servers, r->nservers, 1);
	if (r->nsites > 0)
		md_table(out, "Fleet", "", &r->total, 1, 0);
	fprintf(out, "\n## Fleet findings\n\n");
	if (r->findings.n == 0)
		fprintf(out, "None.\n");
	for (unsigned i = 0; i < r->findings.n; i++) {
		const struct finding *f = &r->findings.f[i];
		fprintf(out, "- **%s** %s ", rule_severity_name(f->severity), f->rule);
		report_md_escape(out, f->subject);
		fputs(": ", out);
		report_md_escape(out, f->evidence);
		fputs(" *Fix:* ", out);
		report_md_escape(out, f->recommendation);
		fputc('\n', out);
	}
	fprintf(out, "\n## Findings the hosts shipped\n\n");
	if (r->nhost_findings == 0)
		fprintf(out, "None.\n");
	for (unsigned i = 0; i < r->nhost_findings; i++) {
		const struct db_ch_host_finding *f = &r->host_findings[i];
		fputs("- ", out);
		report_md_escape(out, f->site);
		fputc('/', out);
		report_md_escape(out, f->server);
		fputs(": **", out);
		report_md_escape(out, f->severity);
		fputs("** ", out);
		report_md_escape(out, f->rule);
		fputc(' ', out);
		report_md_escape(out, f->subject);
		fprintf(out, " (%llu run(s)): ", (unsigned long long)f->runs);
		report_md_escape(out, f->evidence);
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------------ */

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *row_json(const struct db_ch_report_row *g, int by_server)
{
	json_t *o = json_object(), *v = json_object(), *a = json_object(), *f = json_object();
	if (g->site[0] != '\0')
		json_object_set_new(o, "site", json_string(g->site));
	if (by_server)
		json_object_set_new(o, "server", json_string(g->server));
	else
		json_object_set_new(o, "servers", u64(g->servers));
	const struct {
		const char *k;
		uint64_t v;
	} nums[] = {{"sources", g->sources},     {"queries", g->queries},
	            {"responses", g->responses}, {"noerror", g->noerror},
	            {"nxdomain", g->nxdomain},   {"refused", g->refused},
	            {"servfail", g->servfail},   {"unanswered", g->unanswered},
	            {"first_ns", g->first_ns},   {"last_ns", g->last_ns}};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		json_object_set_new(o, nums[i].k, u64(nums[i].v));
	json_object_set_new(v, "sources", u64(g->v_sources));
	json_object_set_new(v, "queries", u64(g->v_queries));
	json_object_set_new(v, "unanswered", u64(g->v_unanswered));
	json_object_set_new(v, "refused", u64(g->v_refused));
	json_object_set_new(v, "servfail", u64(g->v_servfail));
	json_object_set_new(v, "tcp_failed", u64(g->v_tcp_failed));
	json_object_set_new(v, "failures", u64(db_ch_report_v_failures(g)));
	json_object_set_new(o, "validators", v);
	json_object_set_new(a, "total", u64(g->attempts));
	json_object_set_new(a, "corroborated", u64(g->corroborated));
	json_object_set_new(a, "at_risk", u64(g->at_risk));
	json_object_set_new(a, "failed", u64(g->failed));
	json_object_set_new(o, "attempts", a);
	json_object_set_new(f, "critical", u64(g->critical));
	json_object_set_new(f, "warning", u64(g->warning));
	json_object_set_new(f, "info", u64(g->info));
	json_object_set_new(o, "host_findings", f);
	return o;
}

int fleet_render_json(FILE *out, const struct fleet_report *r)
{
	json_t *root = json_object(), *p = json_object(), *sites = json_array(),
	       *servers = json_array(), *hf = json_array();
	if (root == NULL || p == NULL || sites == NULL || servers == NULL || hf == NULL)
		return -1;
	char a[32], b[32];
	findings_format_time(r->from_ns, a, sizeof(a));
	findings_format_time(r->to_ns, b, sizeof(b));
	json_object_set_new(root, "fleet", json_string(r->target));
	json_object_set_new(root, "generated_ns", u64(r->generated_ns));
	json_object_set_new(p, "from", json_string(a));
	json_object_set_new(p, "to", json_string(b));
	json_object_set_new(p, "from_ns", u64(r->from_ns));
	json_object_set_new(p, "to_ns", u64(r->to_ns));
	json_object_set_new(root, "period", p);
	json_object_set_new(root, "totals", row_json(&r->total, 0));
	for (unsigned i = 0; i < r->nsites; i++)
		json_array_append_new(sites, row_json(&r->sites[i], 0));
	json_object_set_new(root, "sites", sites);
	for (unsigned i = 0; i < r->nservers; i++)
		json_array_append_new(servers, row_json(&r->servers[i], 1));
	json_object_set_new(root, "servers", servers);
	json_object_set_new(root, "fleet_findings", findings_json(&r->findings));
	for (unsigned i = 0; i < r->nhost_findings; i++) {
		const struct db_ch_host_finding *f = &r->host_findings[i];
		json_t *o = json_object();
		json_object_set_new(o, "site", json_string(f->site));
		json_object_set_new(o, "server", json_string(f->server));
		json_object_set_new(o, "rule", json_string(f->rule));
		json_object_set_new(o, "severity", json_string(f->severity));
		json_object_set_new(o, "subject_kind", json_string(f->subject_kind));
		json_object_set_new(o, "subject", json_string(f->subject));
		json_object_set_new(o, "runs", u64(f->runs));
		json_object_set_new(o, "first_seen_ns", u64(f->first_seen_ns));
		json_object_set_new(o, "last_seen_ns", u64(f->last_seen_ns));
		json_object_set_new(o, "evidence", json_string(f->evidence));
		json_array_append_new(hf, o);
	}
	json_object_set_new(root, "host_findings", hf);
	int rc = json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
	return rc != 0 || ferror(out) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * HTML
 * ------------------------------------------------------------------------ */

static const char HTML_STYLE[] =
    "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}\n"
    "main{max-width:1200px;margin:0 auto;padding:16px}\n"
    "section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:14px;"
    "margin:12px 0}\n"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9rem}\n"
    "th,td{padding:4px 8px;border-bottom:1px solid #e4e7ec;white-space:nowrap}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".critical{color:#b42318;font-weight:600}.warning{color:#b54708;font-weight:600}\n"
    "li{margin:6px 0}.fix{color:#475467}\n";

static void html_table(FILE *out, const char *id, const char *title, const char *first,
                       const struct db_ch_report_row *rows, unsigned n, int by_server)
{
	fprintf(out, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
	if (n == 0) {
		fputs("<p>Nothing shipped in this period.</p></section>\n", out);
		return;
	}
	fputs("<div class=\"scroll\"><table>\n<tr>", out);
	for (int c = 0; c < FC_COLS; c++)
		if (!skip(c, by_server))
			fprintf(out, "<th>%s</th>", c == FC_NAME ? first : fleet_headers[c]);
	fputs("</tr>\n", out);
	char cells[FC_COLS][FLEET_CELL_MAX];
	for (unsigned i = 0; i < n; i++) {
		fleet_cells(&rows[i], by_server, cells);
		fputs("<tr>", out);
		for (int c = 0; c < FC_COLS; c++) {
			if (skip(c, by_server))
				continue;
			fputs(c == FC_NAME ? "<td>" : "<td class=\"n\">", out);
			report_html_escape(out, cells[c]);
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table></div></section>\n", out);
}

int fleet_render_html(FILE *out, const struct fleet_report *r)
{
	char period[80], n[32];
	period_text(r, period, sizeof(period));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>dcvscope fleet report ",
	      out);
	report_html_escape(out, period);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", HTML_STYLE);
	fputs("<h1>dcvscope fleet report: ", out);
	report_html_escape(out, r->target);
	fputs("</h1>\n<p>Period: ", out);
	report_html_escape(out, period);
	report_format_count(r->total.queries, n, sizeof(n));
	fprintf(out, "; %u site(s), %u server(s), %s queries, %u fleet finding(s).</p>\n",
	        r->nsites, r->nservers, n, r->findings.n);
	html_table(out, "sites", "Per site", "site", r->sites, r->nsites, 0);
	html_table(out, "servers", "Per server", "site/server", r->servers, r->nservers, 1);
	if (r->nsites > 0)
		html_table(out, "fleet", "Fleet", "", &r->total, 1, 0);
	fputs("<section id=\"fleet-findings\"><h2>Fleet findings</h2>\n", out);
	if (r->findings.n == 0)
		fputs("<p>None.</p>\n", out);
	else
		fputs("<ul>\n", out);
	for (unsigned i = 0; i < r->findings.n; i++) {
		const struct finding *f = &r->findings.f[i];
		const char *sev = rule_severity_name(f->severity);
		fprintf(out, "<li><span class=\"%s\">%s</span> %s ", sev, sev, f->rule);
		report_html_escape(out, f->subject);
		fputs(": ", out);
		report_html_escape(out, f->evidence);
		fputs("<div class=\"fix\">", out);
		report_html_escape(out, f->recommendation);
		fputs("</div></li>\n", out);
	}
	if (r->findings.n > 0)
		fputs("</ul>\n", out);
	fputs("</section>\n<section id=\"host-findings\"><h2>Findings the hosts shipped</h2>\n",
	      out);
	if (r->nhost_findings == 0)
		fputs("<p>None.</p>\n", out);
	else
		fputs("<ul>\n", out);
	for (unsigned i = 0; i < r->nhost_findings; i++) {
		const struct db_ch_host_finding *f = &r->host_findings[i];
		fputs("<li>", out);
		report_html_escape(out, f->site);
		fputc('/', out);
		report_html_escape(out, f->server);
		fputs(": <span class=\"", out);
		report_html_escape(out, f->severity);
		fputs("\">", out);
		report_html_escape(out, f->severity);
		fputs("</span> ", out);
		report_html_escape(out, f->rule);
		fputc(' ', out);
		report_html_escape(out, f->subject);
		fprintf(out, " (%llu run(s)): ", (unsigned long long)f->runs);
		report_html_escape(out, f->evidence);
		fputs("</li>\n", out);
	}
	if (r->nhost_findings > 0)
		fputs("</ul>\n", out);
	fputs("</section>\n</main>\n</body>\n</html>\n", out);
	return ferror(out) ? -1 : 0;
}
