/* rate_netblock.c - validator seconds grouped by netblock (rate_netblock.h). */
#include "rate_netblock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

bool rate_netblock_of(const char *source, char *out, size_t len)
{
	struct dcv_addr a;
	if (!dcv_addr_parse(source, &a))
		return false;
	int bits = a.family == DCV_ADDR_V4 ? RATE_NETBLOCK_V4 : RATE_NETBLOCK_V6;
	memset(a.bytes + bits / 8, 0, sizeof(a.bytes) - (size_t)bits / 8);
	char text[DCV_ADDR_TEXT_MAX];
	return snprintf(out, len, "%s/%d", dcv_addr_format(&a, text, sizeof(text)), bits) <
	       (int)len;
}

unsigned long long rate_good(const struct db_rule_second *s)
{
	uint64_t ok = s->noerror + s->nxdomain;
	return ok > s->truncated ? ok - s->truncated : 0;
}

bool rate_lost(const struct db_rule_second *s, bool tcp)
{
	if (tcp && s->refused == 0 && s->responses >= s->queries)
		return false;
	return s->queries > rate_good(s);
}

int rate_members_add(struct rate_members *ms, const char *source, const char *ca, bool tcp,
                     const struct db_rule_second *s, size_t n)
{
	struct rate_member m = {.tcp = tcp, .n = n};
	if (!rate_netblock_of(source, m.netblock, sizeof(m.netblock)))
		return -1;
	snprintf(m.source, sizeof(m.source), "%s", source);
	snprintf(m.ca, sizeof(m.ca), "%s", ca);
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 16;
		struct rate_member *p = realloc(ms->m, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		ms->m = p;
		ms->cap = cap;
	}
	m.s = malloc((n ? n : 1) * sizeof(*m.s));
	if (m.s == NULL)
		return -1;
	memcpy(m.s, s, n * sizeof(*s));
	ms->m[ms->n++] = m;
	return 0;
}

static int cmp_member(const void *a, const void *b)
{
	const struct rate_member *x = a, *y = b;
	int c = strcmp(x->netblock, y->netblock);
	return c ? c : strcmp(x->source, y->source);
}

void rate_members_group(struct rate_members *ms)
{
	if (ms->n > 1)
		qsort(ms->m, ms->n, sizeof(*ms->m), cmp_member);
}

static int cmp_folded(const void *a, const void *b)
{
	const struct rate_folded *x = a, *y = b;
	return x->s.second_ns < y->s.second_ns ? -1 : x->s.second_ns > y->s.second_ns;
}

int rate_netblock_fold(const struct rate_member *m, size_t n, struct rate_folded **out,
                       size_t *nout)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += m[i].n;
	struct rate_folded *f = malloc((total ? total : 1) * sizeof(*f));
	if (f == NULL)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m[i].n; j++)
			f[k++] = (struct rate_folded){.s = m[i].s[j],
			                              .losing = rate_lost(&m[i].s[j], m[i].tcp)};
	qsort(f, k, sizeof(*f), cmp_folded);
	size_t w = 0;
	for (size_t r = 0; r < k; r++) {
		struct rate_folded *d = w ? &f[w - 1] : NULL;
		if (d == NULL || d->s.second_ns != f[r].s.second_ns) {
			f[w++] = f[r];
			continue;
		}
		const struct db_rule_second *s = &f[r].s;
		d->s.queries += s->queries;
		d->s.responses += s->responses;
		d->s.noerror += s->noerror;
		d->s.nxdomain += s->nxdomain;
		d->s.refused += s->refused;
		d->s.servfail += s->servfail;
		d->s.other_rcode += s->other_rcode;
		d->s.truncated += s->truncated;
		d->losing += f[r].losing;
	}
	*out = f;
	*nout = w;
	return 0;
}

void rate_members_free(struct rate_members *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		free(ms->m[i].s);
	free(ms->m);
	*ms = (struct rate_members){0};
}
