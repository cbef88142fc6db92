/* scope_opts.c - --since/--from/--to parsed and resolved (scope_opts.h). */
#include "scope_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "findings_out.h"
#include "rule_queries.h"

#define NS_PER_S 1000000000ull

int scope_parse_duration(const char *s, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return -1;
	uint64_t mult = 1;
	if (*end == 's' || *end == '\0')
		mult = 1;
	else if (*end == 'm')
		mult = 60;
	else if (*end == 'h')
		mult = 3600;
	else if (*end == 'd')
		mult = 86400;
	else
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > UINT64_MAX / NS_PER_S / mult)
		return -1;
	*out = v * mult * NS_PER_S;
	return 0;
}

int scope_parse_time(const char *s, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0' && s[0] != '-') {
		if (v > UINT64_MAX / NS_PER_S)
			return -1;
		*out = v * NS_PER_S;
		return 0;
	}
	static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
	                                      "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *rest = strptime(s, formats[i], &tm);
		if (rest == NULL || (*rest != '\0' && strcmp(rest, "Z") != 0))
			continue;
		time_t t = timegm(&tm);
		if (t < 0)
			return -1;
		*out = (uint64_t)t * NS_PER_S;
		return 0;
	}
	return -1;
}

int scope_opts_set(struct scope_opts *o, enum scope_opt which, const char *arg, const char *cmd)
{
	if (which == SCOPE_OPT_SINCE) {
		uint64_t v = 0;
		if (scope_parse_duration(arg, &v) != 0 || v == 0) {
			fprintf(stderr, "%s: --since: bad duration '%s' (24h, 7d)\n", cmd, arg);
			return -1;
		}
		o->since_ns = v;
		o->have_since = 1;
		return 0;
	}
	int from = which == SCOPE_OPT_FROM;
	if (scope_parse_time(arg, from ? &o->from_ns : &o->to_ns) != 0) {
		fprintf(stderr, "%s: %s: bad time '%s'\n", cmd, from ? "--from" : "--to", arg);
		return -1;
	}
	*(from ? &o->have_from : &o->have_to) = 1;
	return 0;
}

int scope_opts_given(const struct scope_opts *o)
{
	return o->have_since || o->have_from || o->have_to;
}

enum scope_resolve scope_opts_resolve(const struct scope_opts *o, struct db *db,
                                      struct rules_scope *scope, char *text, size_t textlen)
{
	int64_t newest = db_rule_newest_packet(db);
	if (newest < 0)
		return SCOPE_DB_ERROR;
	memset(scope, 0, sizeof(*scope));
	scope->to_ns = o->have_to ? o->to_ns : (uint64_t)newest + 1;
	if (!o->have_to && o->have_from && o->from_ns >= scope->to_ns)
		scope->to_ns = o->from_ns + 1; /* after all data: an empty span, not an error */
	scope->from_ns = o->have_since
	                     ? (scope->to_ns > o->since_ns ? scope->to_ns - o->since_ns : 0)
	                     : o->from_ns;
	if (scope->from_ns >= scope->to_ns)
		return SCOPE_EMPTY;
	if (text != NULL) {
		char a[32], b[32];
		findings_format_time(scope->from_ns, a, sizeof(a));
		findings_format_time(scope->to_ns, b, sizeof(b));
		snprintf(text, textlen, "%s .. %s", a, b);
	}
	return SCOPE_OK;
}
