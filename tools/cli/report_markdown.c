/* report_markdown.c - the nightly report as Markdown (GitHub-flavoured tables). */
#include <stdio.h>
#include <string.h>

#include "report_render.h"

void report_md_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '<')
			fputs("&lt;", out);
		else if (ch == '>')
			fputs("&gt;", out);
		else if (ch == '&')
			fputs("&amp;", out);
		else if (ch == '\n' || ch == '\r' || ch == '\t')
			fputc(' ', out);
		else if (ch < 0x20 || ch == 0x7f)
			fputc('?', out);
		else {
			if (strchr("\\`*_{}[]()#+-.!|~", ch) != NULL)
				fputc('\\', out);
			fputc(ch, out);
		}
	}
}

static void md(FILE *out, const char *s)
{
	report_md_escape(out, s);
}

static void groups(FILE *out, const char *id, const char *title, const char *first,
                   const struct report_groups *gs, const struct report_groups *prev)
{
	(void)id; /* HTML anchors only */
	fprintf(out, "\n## %s\n\n", title);
	if (gs->n == 0) {
		fprintf(out, "No validator traffic in this period.\n");
		return;
	}
	for (int c = 0; c < RG_COLS; c++)
		fprintf(out, "| %s ",
		        c == RG_NAME ? first : report_group_header((enum report_group_col)c));
	fprintf(out, "|\n");
	for (int c = 0; c < RG_COLS; c++)
		fprintf(out, "|%s", c == RG_NAME || c == RG_CHANGE ? "---" : "---:");
	fprintf(out, "|\n");
	char cells[RG_COLS][REPORT_CELL_MAX];
	for (unsigned i = 0; i < gs->n; i++) {
		report_group_cells(&gs->g[i], prev, cells);
		for (int c = 0; c < RG_COLS; c++) {
			fputs("| ", out);
			md(out, cells[c]);
			fputc(' ', out);
		}
		fprintf(out, "|\n");
	}
}

static void finding_item(void *ctx, const struct report_finding_item *it)
{
	FILE *out = ctx;
	const struct finding *f = it->f;
	if (it->change == REPORT_RESOLVED) {
		fprintf(out, "- Resolved since the previous period: `%s` %s ", f->rule,
		        f->subject_kind);
		md(out, f->subject);
		fputc('\n', out);
		return;
	}
	if (it->more > 0) {
		fprintf(out, "- %u more `%s` findings (%s): ", it->more, f->rule,
		        rule_severity_name(f->severity));
		md(out, it->more_subjects);
		fprintf(out, "\n\n");
		return;
	}
	char a[32], b[32];
	findings_format_time(f->first_seen_ns, a, sizeof(a));
	findings_format_time(f->last_seen_ns, b, sizeof(b));
	fprintf(out, "### %s: `%s` %s ",
	        f->severity == RULE_CRITICAL  ? "🔴 CRITICAL"
	        : f->severity == RULE_WARNING ? "🟠 WARNING"
	                                      : "🔵 INFO",
	        f->rule, f->subject_kind);
	md(out, f->subject);
	fprintf(out, "\n\n%s .. %s (%s)\n\n- **Evidence:** ", a, b, report_change_name(it->change));
	md(out, f->evidence);
	fprintf(out, "\n- **Fix:** ");
	md(out, f->recommendation);
	fprintf(out, "\n\n");
}

static void findings(FILE *out, const struct report *r)
{
	fprintf(out, "\n## Findings\n\n");
	if (r->cur.findings.n == 0)
		fprintf(out, "None: nothing the rules check for went wrong in this period.\n");
	report_findings_each(r, finding_item, out);
}

static void coverage(FILE *out, const struct report *r)
{
	const struct db_report_coverage *c = &r->cur.cov;
	fprintf(out, "\n## Coverage\n\n");
	if (c->runs == 0) {
		fprintf(out, "No capture covered this period.\n");
		return;
	}
	fprintf(out,
	        "%llu run(s), %llu live%s; packet counts of whole runs.\n\n| What | Packets "
	        "|\n|---|---:|\n",
	        (unsigned long long)c->runs, (unsigned long long)c->runs_live,
	        c->runs_incomplete ? "; some inputs were read only in part" : "");
	struct report_coverage_line lines[REPORT_COVERAGE_LINES];
	unsigned n = report_coverage_lines(r, lines);
	for (unsigned i = 0; i < n; i++) {
		char v[32];
		report_format_count(lines[i].value, v, sizeof(v));
		fprintf(out, "| %s | %s%s%s |\n", lines[i].label,
		        lines[i].loss && lines[i].value ? "**" : "", v,
		        lines[i].loss && lines[i].value ? "**" : "");
	}
	for (unsigned i = 0; i < r->malformed.n; i++) {
		fprintf(out, "| malformed: ");
		md(out, r->malformed.r[i].t[0]);
		fprintf(out, " | %lld |\n", (long long)r->malformed.r[i].n[0]);
	}
}

/* "N more" under a capped table. */
static void md_more(FILE *out, uint64_t more, const char *what)
{
	if (more > 0)
		fprintf(out, "\n... and %llu more %s.\n", (unsigned long long)more, what);
}

static void dnssec_table(FILE *out, const struct report_depth *d)
{
	const struct db_report_tally *t = &d->dnssec_tally;
	fprintf(out, "\n### DNSSEC per name\n\n");
	if (t->rows == 0) {
		fprintf(out, "No answers with DO=1 in this period.\n");
		return;
	}
	fprintf(out,
	        "%llu name(s): **%llu BOGUS**, **%llu INDETERMINATE**, **%llu expiring** within "
	        "%g day(s).\n\n| Status | Name | Type | Error | Detail | CA | Answers | "
	        "Signatures expire |\n|---|---|---|---|---|---|---:|---|\n",
	        (unsigned long long)t->rows, (unsigned long long)t->bogus,
	        (unsigned long long)t->indeterminate, (unsigned long long)t->expiring,
	        d->expiring_days);
	for (unsigned i = 0; i < d->ndnssec; i++) {
		const struct db_report_dnssec *x = &d->dnssec[i];
		char exp[32];
		findings_format_time(x->d.expires_ns, exp, sizeof(exp));
		fprintf(out, "| %s | ", x->d.status);
		md(out, x->d.name);
		fprintf(out, " | %s | ", x->d.qtype);
		md(out, x->d.error);
		fprintf(out, " | ");
		md(out, x->d.detail);
		fprintf(out, " | ");
		md(out, x->d.ca);
		fprintf(out, " | %llu | %s%s%s |\n", (unsigned long long)x->d.responses,
		        x->expiring ? "**" : "", exp, x->expiring ? " (expiring)**" : "");
	}
	md_more(out, report_depth_more(t, d->ndnssec), "name(s)");
}

static void caa_table(FILE *out, const struct report_depth *d)
{
	const struct db_report_tally *t = &d->caa_tally;
	fprintf(out, "\n### CAA decisions\n\n");
	if (t->rows == 0) {
		fprintf(out, "No CAA decisions in this period.\n");
		return;
	}
	fprintf(out,
	        "%llu decision(s), **%llu denied**.\n\n| Decision | CA | Name | RRset owner | "
	        "Records | Why | Record to add |\n|---|---|---|---|---|---|---|\n",
	        (unsigned long long)t->rows, (unsigned long long)t->denied);
	for (unsigned i = 0; i < d->ncaa; i++) {
		const struct db_caa_row *c = &d->caa[i];
		fprintf(out, "| %s | ", c->allowed ? "allowed" : "**denied**");
		md(out, c->ca);
		fprintf(out, " | ");
		md(out, c->name);
		fprintf(out, " | ");
		md(out, c->owner);
		fprintf(out, " | ");
		md(out, c->rrset);
		fprintf(out, " | ");
		md(out, c->reason);
		fprintf(out, " | ");
		md(out, c->allowed ? "" : c->fix);
		fprintf(out, " |\n");
	}
	md_more(out, report_depth_more(t, d->ncaa), "decision(s)");
}

static void edns_table(FILE *out, const struct report_depth *d)
{
	const struct db_report_tally *t = &d->edns_tally;
	fprintf(out, "\n### EDNS\n\n");
	if (t->rows == 0) {
		fprintf(out, "No failing EDNS check in this period.\n");
		return;
	}
	fprintf(out, "| Server | Failing check | Failures | EDNS queries | Example |\n"
	             "|---|---|---:|---:|---|\n");
	for (unsigned i = 0; i < d->nedns; i++) {
		const struct db_edns_row *e = &d->edns[i];
		fputs("| ", out);
		md(out, e->server);
		fprintf(out, " | ");
		md(out, e->check);
		fprintf(out, " | %llu | %llu | ", (unsigned long long)e->failures,
		        (unsigned long long)e->edns_queries);
		md(out, e->example);
		fprintf(out, " |\n");
	}
	md_more(out, report_depth_more(t, d->nedns), "check(s)");
}

static void depth(FILE *out, const struct report *r)
{
	fprintf(out, "\n## DNSSEC, CAA and EDNS\n\n");
	if (report_depth_is_empty(r)) {
		fprintf(out,
		        "None: no DNSSEC status, CAA decision or EDNS failure in this period.\n");
		return;
	}
	dnssec_table(out, &r->depth);
	caa_table(out, &r->depth);
	edns_table(out, &r->depth);
}

static void attempts(FILE *out, const struct report *r)
{
	fprintf(out, "\n## Validation attempts (MPIC)\n\n");
	if (r->nacas == 0) {
		fprintf(out, "No validation attempts in this period.\n");
		return;
	}
	fprintf(out, "| CA | Attempts | Corroborated | At risk | Failed | All perspectives usable "
	             "| Others: usable of all: attempts |\n"
	             "|---|---:|---:|---:|---:|---:|---|\n");
	for (unsigned i = 0; i < r->nacas; i++) {
		const struct report_attempt_ca *a = &r->acas[i];
		fputs("| ", out);
		md(out, a->ca);
		fprintf(out, " | %llu | %llu | %llu | %llu | %llu | %s |\n",
		        (unsigned long long)a->attempts, (unsigned long long)a->corroborated,
		        (unsigned long long)a->at_risk, (unsigned long long)a->failed,
		        (unsigned long long)a->all_usable, a->usable);
	}
}

static void names(FILE *out, const struct report *r)
{
	fprintf(out, "\n## Top failing names\n\n");
	if (r->names.n == 0) {
		fprintf(out, "No failed queries in this period.\n");
		return;
	}
	fprintf(out, "| Name | Failed | Unanswered | SERVFAIL | REFUSED | Sources | CAs |\n"
	             "|---|---:|---:|---:|---:|---:|---|\n");
	for (unsigned i = 0; i < r->names.n; i++) {
		const struct db_rule_row *n = &r->names.r[i];
		fputs("| ", out);
		md(out, n->t[0]);
		fprintf(out, " | %lld | %lld | %lld | %lld | %lld | ", (long long)n->n[0],
		        (long long)n->n[1], (long long)n->n[2], (long long)n->n[3],
		        (long long)n->n[5]);
		md(out, n->t[1]);
		fprintf(out, " |\n");
	}
}

static void change(FILE *out, const struct report *r)
{
	fprintf(out, "\n## Against the previous period\n\n");
	if (r->prev.total.queries == 0) {
		fprintf(out, "No traffic stored for the previous period (%s).\n", r->prev.text);
		return;
	}
	struct report_headline h;
	report_headline(r, &h);
	fprintf(out,
	        "| | This period | Previous period |\n|---|---:|---:|\n"
	        "| Queries | %s | %s |\n| Answered | %s | %s |\n| Findings | %u | %u |\n",
	        h.queries, h.prev_queries, h.answered, h.prev_answered, r->cur.findings.n,
	        r->prev.findings.n);
}

static void top(FILE *out, const struct report *r)
{
	char gen[32];
	findings_format_time(r->generated_ns, gen, sizeof(gen));
	fprintf(out, "# dcvscope report\n\n%s (generated %s)\n", r->cur.text, gen);
	if (report_is_empty(r))
		return;
	struct report_headline h;
	report_headline(r, &h);
	fprintf(out,
	        "\n**%u critical, %u warning, %u info** finding(s); %s queries from %s "
	        "source(s), %s answered.\n",
	        h.critical, h.warning, h.info, h.queries, h.sources, h.answered);
}

static void empty(FILE *out, const struct report *r)
{
	(void)r;
	fprintf(out, "\n**No DNS traffic is stored for this period: nothing to report.**\n");
}

int report_render_markdown(FILE *out, const struct report *r)
{
	static const struct report_format markdown = {.top = top,
	                                              .empty = empty,
	                                              .coverage = coverage,
	                                              .findings = findings,
	                                              .groups = groups,
	                                              .depth = depth,
	                                              .attempts = attempts,
	                                              .names = names,
	                                              .change = change};
	return report_render_sections(out, r, &markdown);
}
