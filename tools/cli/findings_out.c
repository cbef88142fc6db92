/* findings_out.c - findings collected, printed as text and turned into JSON. */
#include "findings_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000ULL

void findings_format_time(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / NS_PER_S);
	struct tm tm;
	if (ns == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int findings_parse_fail_on(const char *arg, int *sev, const char *cmd)
{
	if (strcmp(arg, "critical") == 0)
		*sev = RULE_CRITICAL;
	else if (strcmp(arg, "warning") == 0)
		*sev = RULE_WARNING;
	else {
		fprintf(stderr, "%s: --fail-on must be critical or warning\n", cmd);
		return -1;
	}
	return 0;
}

int findings_collect(void *ctx, const struct finding *f)
{
	struct collected *c = ctx;
	if (c->n == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 16;
		struct finding *p = realloc(c->f, cap * sizeof(*p));
		if (p == NULL) {
			c->oom = 1;
			return 1;
		}
		c->f = p;
		c->cap = cap;
	}
	c->f[c->n++] = *f;
	return 0;
}

void findings_print_text(FILE *out, const struct collected *c, const char *scope_text)
{
	unsigned count[3] = {0};
	for (unsigned i = 0; i < c->n; i++)
		count[c->f[i].severity]++;
	fprintf(out, "dcvscope rules: %s: %u finding(s): %u critical, %u warning, %u info\n",
	        scope_text, c->n, count[RULE_CRITICAL], count[RULE_WARNING], count[RULE_INFO]);
	for (int sev = RULE_CRITICAL; sev >= RULE_INFO; sev--) {
		if (count[sev] == 0)
			continue;
		char title[16];
		snprintf(title, sizeof(title), "%s", rule_severity_name((enum rule_severity)sev));
		for (char *p = title; *p; p++)
			*p = (char)(*p - 'a' + 'A');
		fprintf(out, "\n%s\n", title);
		for (unsigned i = 0; i < c->n; i++) {
			const struct finding *f = &c->f[i];
			if ((int)f->severity != sev)
				continue;
			char a[32], b[32];
			findings_format_time(f->first_seen_ns, a, sizeof(a));
			findings_format_time(f->last_seen_ns, b, sizeof(b));
			fprintf(out, "  %-22s %s %s  (%s .. %s)\n", f->rule, f->subject_kind,
			        f->subject, a, b);
			fprintf(out, "    evidence: %s\n", f->evidence);
			fprintf(out, "    fix:      %s\n", f->recommendation);
		}
	}
}

json_t *findings_json(const struct collected *c)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < c->n; i++) {
		const struct finding *f = &c->f[i];
		json_t *o = json_object(), *m = json_object();
		char a[32], b[32];
		findings_format_time(f->first_seen_ns, a, sizeof(a));
		findings_format_time(f->last_seen_ns, b, sizeof(b));
		json_object_set_new(o, "rule", json_string(f->rule));
		json_object_set_new(o, "severity", json_string(rule_severity_name(f->severity)));
		json_object_set_new(o, "subject_kind", json_string(f->subject_kind));
		json_object_set_new(o, "subject", json_string(f->subject));
		json_object_set_new(o, "first_seen", json_string(a));
		json_object_set_new(o, "last_seen", json_string(b));
		json_object_set_new(o, "first_seen_ns", json_integer((json_int_t)f->first_seen_ns));
		json_object_set_new(o, "last_seen_ns", json_integer((json_int_t)f->last_seen_ns));
		json_object_set_new(o, "evidence", json_string(f->evidence));
		json_object_set_new(o, "recommendation", json_string(f->recommendation));
		for (unsigned k = 0; k < f->nmetrics; k++)
			json_object_set_new(m, f->metrics[k].key, json_real(f->metrics[k].value));
		json_object_set_new(o, "metrics", m);
		json_array_append_new(arr, o);
	}
	return arr;
}

unsigned findings_at_least(const struct collected *c, enum rule_severity min)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->n; i++)
		n += c->f[i].severity >= min;
	return n;
}

void findings_free(struct collected *c)
{
	free(c->f);
	c->f = NULL;
	c->n = c->cap = 0;
}
