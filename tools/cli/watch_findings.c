/* watch_findings.c - rules every interval, new/resolved findings as JSON lines. */
#include "watch_findings.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "findings.h"
#include "rules.h"

struct watch_findings {
	FILE *out;
	bool syslog;
	struct finding *prev, *cur; /* WATCH_FINDINGS_MAX each */
	unsigned nprev, ncur;
	bool overflow; /* more findings than WATCH_FINDINGS_MAX in this pass */
};

struct watch_findings *watch_findings_new(FILE *out, bool syslog)
{
	struct watch_findings *wf = calloc(1, sizeof(*wf));
	if (wf == NULL)
		return NULL;
	wf->prev = calloc(WATCH_FINDINGS_MAX, sizeof(*wf->prev));
	wf->cur = calloc(WATCH_FINDINGS_MAX, sizeof(*wf->cur));
	if (wf->prev == NULL || wf->cur == NULL) {
		watch_findings_free(wf);
		return NULL;
	}
	wf->out = out;
	wf->syslog = syslog;
	return wf;
}

void watch_findings_set_syslog(struct watch_findings *wf, bool on)
{
	wf->syslog = on;
}

void watch_findings_free(struct watch_findings *wf)
{
	if (wf == NULL)
		return;
	free(wf->prev);
	free(wf->cur);
	free(wf);
}

/* ---- tracking ---------------------------------------------------------- */

static int collect(void *ctx, const struct finding *f)
{
	struct watch_findings *wf = ctx;
	if (wf->ncur == WATCH_FINDINGS_MAX) {
		wf->overflow = true;
		return 0;
	}
	wf->cur[wf->ncur++] = *f;
	return 0;
}

/* Same rule about the same subject. */
static bool same_key(const struct finding *a, const struct finding *b)
{
	return strcmp(a->rule, b->rule) == 0 && strcmp(a->subject_kind, b->subject_kind) == 0 &&
	       strcmp(a->subject, b->subject) == 0;
}

static bool contains(const struct finding *set, unsigned n, const struct finding *f)
{
	for (unsigned i = 0; i < n; i++)
		if (same_key(&set[i], f))
			return true;
	return false;
}

static void emit(struct watch_findings *wf, const char *event, const struct finding *f)
{
	json_t *metrics = json_object();
	for (unsigned i = 0; i < f->nmetrics && i < FINDING_METRICS_MAX; i++)
		json_object_set_new(metrics, f->metrics[i].key, json_real(f->metrics[i].value));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:o}", "event", event,
	                      "rule", f->rule, "severity", rule_severity_name(f->severity),
	                      "subject_kind", f->subject_kind, "subject", f->subject,
	                      "first_seen_ns", (json_int_t)f->first_seen_ns, "last_seen_ns",
	                      (json_int_t)f->last_seen_ns, "evidence", f->evidence,
	                      "recommendation", f->recommendation, "metrics", metrics);
	if (o == NULL)
		return;
	char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text != NULL) {
		fprintf(wf->out, "%s\n", text);
		fflush(wf->out);
		if (wf->syslog)
			syslog(f->severity == RULE_CRITICAL  ? LOG_CRIT
			       : f->severity == RULE_WARNING ? LOG_WARNING
			                                     : LOG_INFO,
			       "%s", text);
	}
	free(text);
	json_decref(o);
}

int watch_findings_run(struct watch_findings *wf, struct db *db, const struct rules_scope *scope)
{
	wf->ncur = 0;
	wf->overflow = false;
	int rc = rules_run(db, scope, NULL, collect, wf);
	if (rc < 0)
		return rc; /* previous set kept: a failed pass resolves nothing */
	/* stored like `dcvscope rules` stores them, for reports and later runs */
	if (db_findings_replace(db, scope, wf->cur, wf->ncur) != 0)
		return -1;
	for (unsigned i = 0; i < wf->ncur; i++)
		if (!contains(wf->prev, wf->nprev, &wf->cur[i]) &&
		    !contains(wf->cur, i, &wf->cur[i]))
			emit(wf, "finding_new", &wf->cur[i]);
	/* a finding cut by the overflow is not known to be resolved */
	for (unsigned i = 0; i < wf->nprev && !wf->overflow; i++)
		if (!contains(wf->cur, wf->ncur, &wf->prev[i]))
			emit(wf, "finding_resolved", &wf->prev[i]);
	struct finding *t = wf->prev;
	wf->prev = wf->cur;
	wf->cur = t;
	wf->nprev = wf->ncur;
	return (int)wf->nprev;
}
