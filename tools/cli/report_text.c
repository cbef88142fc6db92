/* report_text.c - the nightly report for a terminal or a text mail part. */
#include <stdio.h>
#include <string.h>

#include "report_render.h"

static void section(FILE *out, const char *title)
{
	fprintf(out, "\n%s\n", title);
	for (size_t i = 0; title[i]; i++)
		fputc('-', out);
	fputc('\n', out);
}

static void groups(FILE *out, const char *id, const char *title, const char *first,
                   const struct report_groups *gs, const struct report_groups *prev)
{
	(void)id; /* HTML anchors only */
	section(out, title);
	if (gs->n == 0) {
		fprintf(out, "no validator traffic in this period\n");
		return;
	}
	/* column widths: the widest cell of each column */
	char cells[RG_COLS][REPORT_CELL_MAX];
	int width[RG_COLS];
	for (int c = 0; c < RG_COLS; c++)
		width[c] = (int)strlen(
		    c == RG_NAME ? first : report_group_header((enum report_group_col)c));
	for (unsigned i = 0; i < gs->n; i++) {
		report_group_cells(&gs->g[i], prev, cells);
		for (int c = 0; c < RG_COLS; c++)
			if ((int)strlen(cells[c]) > width[c])
				width[c] = (int)strlen(cells[c]);
	}
	for (int c = 0; c < RG_COLS; c++)
		fprintf(out, c == RG_NAME ? "%-*s" : "  %*s", width[c],
		        c == RG_NAME ? first : report_group_header((enum report_group_col)c));
	fputc('\n', out);
	for (unsigned i = 0; i < gs->n; i++) {
		report_group_cells(&gs->g[i], prev, cells);
		for (int c = 0; c < RG_COLS; c++) {
			if (c == RG_NAME) {
				report_put_clean(out, cells[c]);
				fprintf(out, "%*s", width[c] - (int)strlen(cells[c]), "");
			} else
				fprintf(out, "  %*s", width[c], cells[c]);
		}
		fputc('\n', out);
	}
}

static void finding_item(void *ctx, const struct report_finding_item *it)
{
	FILE *out = ctx;
	const struct finding *f = it->f;
	if (it->change == REPORT_RESOLVED) {
		fprintf(out, "[resolved] %s %s ", f->rule, f->subject_kind);
		report_put_clean(out, f->subject);
		fprintf(out, "  (seen in the previous period, not in this one)\n");
		return;
	}
	if (it->more > 0) {
		fprintf(out, "[%s] %u more %s findings: ", rule_severity_name(f->severity),
		        it->more, f->rule);
		report_put_clean(out, it->more_subjects);
		fputc('\n', out);
		return;
	}
	char a[32], b[32];
	findings_format_time(f->first_seen_ns, a, sizeof(a));
	findings_format_time(f->last_seen_ns, b, sizeof(b));
	fprintf(out, "[%s] %s %s ", rule_severity_name(f->severity), f->rule, f->subject_kind);
	report_put_clean(out, f->subject);
	fprintf(out, "  (%s .. %s; %s)\n  evidence: ", a, b, report_change_name(it->change));
	report_put_clean(out, f->evidence);
	fprintf(out, "\n  fix:      ");
	report_put_clean(out, f->recommendation);
	fputc('\n', out);
}

static void findings(FILE *out, const struct report *r)
{
	section(out, "Findings");
	if (r->cur.findings.n == 0)
		fprintf(out, "none: nothing the rules check for went wrong in this period\n");
	report_findings_each(r, finding_item, out);
}

static void coverage(FILE *out, const struct report *r)
{
	const struct db_report_coverage *c = &r->cur.cov;
	section(out, "Coverage");
	if (c->runs == 0) {
		fprintf(out, "no capture covered this period\n");
		return;
	}
	fprintf(out, "%llu run(s) (%llu live%s); packet counts of whole runs\n",
	        (unsigned long long)c->runs, (unsigned long long)c->runs_live,
	        c->runs_incomplete ? ", some inputs read only in part" : "");
	struct report_coverage_line lines[REPORT_COVERAGE_LINES];
	unsigned n = report_coverage_lines(r, lines);
	for (unsigned i = 0; i < n; i++) {
		char v[32];
		report_format_count(lines[i].value, v, sizeof(v));
		fprintf(out, "  %-32s %14s%s\n", lines[i].label, v,
		        lines[i].loss && lines[i].value ? "  !" : "");
	}
	for (unsigned i = 0; i < r->malformed.n; i++)
		fprintf(out, "    malformed %-24s %12lld\n", r->malformed.r[i].t[0],
		        (long long)r->malformed.r[i].n[0]);
}

static void dnssec_list(FILE *out, const struct report_depth *d)
{
	const struct db_report_tally *t = &d->dnssec_tally;
	if (t->rows == 0) {
		fprintf(out, "DNSSEC: no answers with DO=1 in this period\n");
		return;
	}
	fprintf(out,
	        "DNSSEC: %llu name(s): %llu BOGUS, %llu INDETERMINATE, %llu expiring within %g "
	        "day(s)\n",
	        (unsigned long long)t->rows, (unsigned long long)t->bogus,
	        (unsigned long long)t->indeterminate, (unsigned long long)t->expiring,
	        d->expiring_days);
	for (unsigned i = 0; i < d->ndnssec; i++) {
		const struct db_report_dnssec *x = &d->dnssec[i];
		char exp[32];
		findings_format_time(x->d.expires_ns, exp, sizeof(exp));
		fprintf(out, "  %-13s ", x->d.status);
		report_put_clean(out, x->d.name);
		fprintf(out, " %s  error %s  CA ", x->d.qtype, x->d.error[0] ? x->d.error : "-");
		report_put_clean(out, x->d.ca[0] ? x->d.ca : "-");
		fprintf(out, "  %llu answer(s)  expires %s%s\n    ",
		        (unsigned long long)x->d.responses, exp, x->expiring ? "  EXPIRING" : "");
		report_put_clean(out, x->d.detail);
		fputc('\n', out);
	}
	uint64_t more = report_depth_more(t, d->ndnssec);
	if (more > 0)
		fprintf(out, "  ... and %llu more name(s)\n", (unsigned long long)more);
}

static void caa_list(FILE *out, const struct report_depth *d)
{
	const struct db_report_tally *t = &d->caa_tally;
	if (t->rows == 0) {
		fprintf(out, "CAA: no decisions in this period\n");
		return;
	}
	fprintf(out, "CAA: %llu decision(s), %llu denied\n", (unsigned long long)t->rows,
	        (unsigned long long)t->denied);
	for (unsigned i = 0; i < d->ncaa; i++) {
		const struct db_caa_row *c = &d->caa[i];
		fprintf(out, "  %-8s ", c->allowed ? "allowed" : "denied");
		report_put_clean(out, c->ca);
		fputc(' ', out);
		report_put_clean(out, c->name);
		fprintf(out, "  RRset ");
		report_put_clean(out, c->owner[0] ? c->owner : "(none)");
		fprintf(out, ": ");
		report_put_clean(out, c->rrset);
		fprintf(out, "\n    ");
		report_put_clean(out, c->reason);
		if (!c->allowed && c->fix[0]) {
			fprintf(out, "\n    add: ");
			report_put_clean(out, c->fix);
		}
		fputc('\n', out);
	}
	uint64_t more = report_depth_more(t, d->ncaa);
	if (more > 0)
		fprintf(out, "  ... and %llu more decision(s)\n", (unsigned long long)more);
}

static void edns_list(FILE *out, const struct report_depth *d)
{
	const struct db_report_tally *t = &d->edns_tally;
	if (t->rows == 0) {
		fprintf(out, "EDNS: no failing check in this period\n");
		return;
	}
	fprintf(out, "EDNS: %llu failing check(s)\n", (unsigned long long)t->rows);
	for (unsigned i = 0; i < d->nedns; i++) {
		const struct db_edns_row *e = &d->edns[i];
		fprintf(out, "  ");
		report_put_clean(out, e->server);
		fputc(' ', out);
		report_put_clean(out, e->check);
		fprintf(out, ": %llu of %llu EDNS queries; e.g. ", (unsigned long long)e->failures,
		        (unsigned long long)e->edns_queries);
		report_put_clean(out, e->example);
		fputc('\n', out);
	}
	uint64_t more = report_depth_more(t, d->nedns);
	if (more > 0)
		fprintf(out, "  ... and %llu more check(s)\n", (unsigned long long)more);
}

static void depth(FILE *out, const struct report *r)
{
	section(out, "DNSSEC, CAA and EDNS");
	if (report_depth_is_empty(r)) {
		fprintf(out,
		        "none: no DNSSEC status, CAA decision or EDNS failure in this period\n");
		return;
	}
	dnssec_list(out, &r->depth);
	caa_list(out, &r->depth);
	edns_list(out, &r->depth);
}

static void attempts(FILE *out, const struct report *r)
{
	section(out, "Validation attempts (MPIC)");
	if (r->nacas == 0) {
		fprintf(out, "no validation attempts in this period\n");
		return;
	}
	for (unsigned i = 0; i < r->nacas; i++) {
		const struct report_attempt_ca *a = &r->acas[i];
		report_put_clean(out, a->ca);
		fprintf(out,
		        ": %llu attempt(s): %llu corroborated, %llu at risk, %llu failed; "
		        "every perspective usable in %llu%s%s\n",
		        (unsigned long long)a->attempts, (unsigned long long)a->corroborated,
		        (unsigned long long)a->at_risk, (unsigned long long)a->failed,
		        (unsigned long long)a->all_usable, a->usable[0] ? "; usable of all: " : "",
		        a->usable);
	}
}

static void names(FILE *out, const struct report *r)
{
	section(out, "Top failing names");
	if (r->names.n == 0) {
		fprintf(out, "no failed queries in this period\n");
		return;
	}
	fprintf(out, "%8s %10s %8s %8s %8s  %s\n", "failed", "unanswered", "SERVFAIL", "REFUSED",
	        "sources", "name (CAs)");
	for (unsigned i = 0; i < r->names.n; i++) {
		const struct db_rule_row *n = &r->names.r[i];
		fprintf(out, "%8lld %10lld %8lld %8lld %8lld  ", (long long)n->n[0],
		        (long long)n->n[1], (long long)n->n[2], (long long)n->n[3],
		        (long long)n->n[5]);
		report_put_clean(out, n->t[0]);
		if (n->t[1][0]) {
			fprintf(out, " (");
			report_put_clean(out, n->t[1]);
			fputc(')', out);
		}
		fputc('\n', out);
	}
}

static void change(FILE *out, const struct report *r)
{
	section(out, "Against the previous period");
	if (r->prev.total.queries == 0) {
		fprintf(out, "no traffic stored for the previous period (%s)\n", r->prev.text);
		return;
	}
	struct report_headline h;
	report_headline(r, &h);
	fprintf(out, "queries %s (before %s); answered %s (before %s); findings %u (before %u)\n",
	        h.queries, h.prev_queries, h.answered, h.prev_answered, r->cur.findings.n,
	        r->prev.findings.n);
	for (unsigned i = 0; i < r->cur.cas.n; i++) {
		enum report_change ch = report_group_change(&r->cur.cas.g[i], &r->prev.cas);
		fprintf(out, "  CA ");
		report_put_clean(out, r->cur.cas.g[i].key);
		fprintf(out, ": %s\n", report_change_name(ch));
	}
}

static void top(FILE *out, const struct report *r)
{
	char gen[32];
	findings_format_time(r->generated_ns, gen, sizeof(gen));
	fprintf(out, "dcvscope report: %s\n(generated %s)\n", r->cur.text, gen);
	if (report_is_empty(r))
		return;
	struct report_headline h;
	report_headline(r, &h);
	fprintf(out,
	        "\n%u critical, %u warning, %u info finding(s); %s queries from %s source(s), %s "
	        "answered\n",
	        h.critical, h.warning, h.info, h.queries, h.sources, h.answered);
}

static void empty(FILE *out, const struct report *r)
{
	(void)r;
	fprintf(out, "\nNo DNS traffic is stored for this period: nothing to report.\n");
}

int report_render_text(FILE *out, const struct report *r)
{
	static const struct report_format text = {.top = top,
	                                          .empty = empty,
	                                          .coverage = coverage,
	                                          .findings = findings,
	                                          .groups = groups,
	                                          .depth = depth,
	                                          .attempts = attempts,
	                                          .names = names,
	                                          .change = change};
	return report_render_sections(out, r, &text);
}
