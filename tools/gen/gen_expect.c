/* gen_expect.c - named sources and the JSON expectation file. */
#include "gen_expect.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct gen_source_expect *gen_expect_source(struct gen_expect *e, const struct dcv_addr *a)
{
	for (unsigned i = 0; i < e->nsources; i++)
		if (dcv_addr_equal(&e->sources[i].addr, a))
			return &e->sources[i];
	return NULL;
}

struct gen_source_expect *gen_expect_name_source(struct gen_expect *e, const struct dcv_addr *a)
{
	struct gen_source_expect *s = gen_expect_source(e, a);
	if (s != NULL)
		return s;
	if (e->nsources >= GEN_NAMED_SOURCES_MAX)
		return NULL;
	s = &e->sources[e->nsources++];
	memset(s, 0, sizeof(*s));
	s->addr = *a;
	return s;
}

/* RCODE mnemonics (RFC 1035 4.1.1, RFC 2136, IANA registry) for the 4-bit header field. */
static const char *rcode_name(unsigned rc)
{
	static const char *const names[GEN_RCODES] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                                              "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	                                              "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI",
	                                              "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};
	return names[rc & 15];
}

unsigned gen_quorum_failures_allowed(unsigned remote)
{
	if (remote >= 6)
		return 2;
	return remote >= 2 ? 1 : 0;
}

bool gen_expect_add_validator(struct gen_expect *e, const struct dcv_addr *a, const char *ca,
                              const char *region, bool listed)
{
	struct gen_mpic_expect *m = &e->mpic;
	for (unsigned i = 0; i < m->nvalidators; i++)
		if (dcv_addr_equal(&m->validators[i].addr, a))
			return true;
	if (m->nvalidators >= GEN_VALIDATORS_MAX)
		return false;
	struct gen_validator_expect *v = &m->validators[m->nvalidators++];
	memset(v, 0, sizeof(*v));
	v->addr = *a;
	snprintf(v->ca, sizeof(v->ca), "%s", ca);
	snprintf(v->region, sizeof(v->region), "%s", region);
	v->listed = listed;
	return true;
}

void gen_expect_add_attempt(struct gen_expect *e, struct gen_attempt_expect *a)
{
	struct gen_mpic_expect *m = &e->mpic;
	unsigned failed = 0;
	for (unsigned i = 0; i < a->nperspectives; i++)
		failed += a->p[i].outcome > GEN_OUT_NEGATIVE;
	unsigned remote = a->nperspectives ? a->nperspectives - 1 : 0;
	if (failed == 0) {
		a->status = GEN_CORROBORATED;
		m->corroborated++;
	} else if (failed <= gen_quorum_failures_allowed(remote)) {
		a->status = GEN_AT_RISK;
		m->at_risk++;
	} else {
		a->status = GEN_FAILED;
		m->failed++;
	}
	m->attempts++;
	if (m->nlisted < GEN_ATTEMPTS_LISTED)
		m->list[m->nlisted++] = *a;
}

const char *gen_outcome_name(enum gen_outcome o)
{
	static const char *const names[GEN_OUT_COUNT] = {"answered",   "negative",    "refused",
	                                                 "servfail",   "other_rcode", "unanswered",
	                                                 "tcp_failure"};
	return (unsigned)o < GEN_OUT_COUNT ? names[o] : "?";
}

const char *gen_attempt_status_name(enum gen_attempt_status s)
{
	static const char *const names[] = {"corroborated", "at_risk", "failed"};
	return (unsigned)s <= GEN_FAILED ? names[s] : "?";
}

static void write_mpic(FILE *f, const struct gen_mpic_expect *m, bool attempts)
{
	char text[DCV_ADDR_TEXT_MAX];
	fprintf(f, ",\n  \"validators\": [");
	for (unsigned i = 0; i < m->nvalidators; i++) {
		const struct gen_validator_expect *v = &m->validators[i];
		fprintf(f,
		        "%s\n    {\"address\": \"%s\", \"ca\": \"%s\", \"listed\": %s, "
		        "\"region\": \"%s\"}",
		        i ? "," : "", dcv_addr_format(&v->addr, text, sizeof(text)), v->ca,
		        v->listed ? "true" : "false", v->region);
	}
	fprintf(f, "%s],\n", m->nvalidators ? "\n  " : "");
	fprintf(f, "  \"resolvers\": %" PRIu64 ",\n  \"resolvers_sample\": [", m->resolvers);
	for (unsigned i = 0; i < m->nsample; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "",
		        dcv_addr_format(&m->sample[i], text, sizeof(text)));
	fprintf(f, "]");
	if (!attempts)
		return;
	fprintf(f, ",\n");
	fprintf(f,
	        "  \"attempts\": {\"total\": %" PRIu64 ", \"corroborated\": %" PRIu64
	        ", \"at_risk\": %" PRIu64 ", \"failed\": %" PRIu64 ", \"list\": [",
	        m->attempts, m->corroborated, m->at_risk, m->failed);
	for (unsigned i = 0; i < m->nlisted; i++) {
		const struct gen_attempt_expect *a = &m->list[i];
		fprintf(f,
		        "%s\n    {\"name\": \"%s\", \"ca\": \"%s\", \"method\": \"%s\", "
		        "\"first_ns\": %" PRIu64 ", \"status\": \"%s\", \"perspectives\": [",
		        i ? "," : "", a->name, a->ca, a->method, a->first_ns,
		        gen_attempt_status_name(a->status));
		for (unsigned k = 0; k < a->nperspectives; k++)
			fprintf(f, "%s{\"address\": \"%s\", \"outcome\": \"%s\"}", k ? ", " : "",
			        dcv_addr_format(&a->p[k].addr, text, sizeof(text)),
			        gen_outcome_name(a->p[k].outcome));
		fprintf(f, "]}");
	}
	fprintf(f, "%s]}", m->nlisted ? "\n  " : "");
}

struct gen_finding_expect *gen_expect_add_finding(struct gen_expect *e, const char *rule,
                                                  const char *severity, const char *kind)
{
	struct gen_fault_expect *x = &e->fault;
	x->present = true;
	if (x->nfindings >= GEN_FINDINGS_MAX)
		return NULL;
	struct gen_finding_expect *f = &x->findings[x->nfindings++];
	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	snprintf(f->severity, sizeof(f->severity), "%s", severity);
	gen_finding_add_kind(f, kind);
	return f;
}

void gen_finding_add_kind(struct gen_finding_expect *f, const char *kind)
{
	if (f->nkinds < GEN_FINDING_KINDS_MAX)
		snprintf(f->kinds[f->nkinds++], GEN_ID_MAX, "%s", kind);
}

void gen_finding_add_subject(struct gen_finding_expect *f, const char *subject)
{
	char low[GEN_ATTEMPT_NAME_MAX];
	size_t i;
	for (i = 0; subject[i] && i + 1 < sizeof(low); i++)
		low[i] =
		    (subject[i] >= 'A' && subject[i] <= 'Z') ? (char)(subject[i] + 32) : subject[i];
	low[i] = '\0';
	for (unsigned k = 0; k < f->nsubjects; k++)
		if (strcmp(f->subjects[k], low) == 0)
			return;
	if (f->nsubjects < GEN_FINDING_SUBJECTS_MAX)
		memcpy(f->subjects[f->nsubjects++], low, i + 1);
}

void gen_expect_allow(struct gen_expect *e, const char *rule)
{
	struct gen_fault_expect *x = &e->fault;
	x->present = true;
	for (unsigned k = 0; k < x->nallowed; k++)
		if (strcmp(x->allowed[k], rule) == 0)
			return;
	if (x->nallowed < GEN_FINDINGS_ALLOWED_MAX)
		snprintf(x->allowed[x->nallowed++], sizeof(x->allowed[0]), "%s", rule);
}

static void write_fault(FILE *f, const struct gen_fault_expect *x)
{
	fprintf(f, ",\n  \"findings\": [");
	for (unsigned i = 0; i < x->nfindings; i++) {
		const struct gen_finding_expect *e = &x->findings[i];
		fprintf(f, "%s\n    {\"rule\": \"%s\", \"severity\": \"%s\", \"subject_kind\": ",
		        i ? "," : "", e->rule, e->severity);
		if (e->nkinds == 1) {
			fprintf(f, "\"%s\"", e->kinds[0]);
		} else {
			fprintf(f, "[");
			for (unsigned k = 0; k < e->nkinds; k++)
				fprintf(f, "%s\"%s\"", k ? ", " : "", e->kinds[k]);
			fprintf(f, "]");
		}
		fprintf(f, ", \"subject\": ");
		fprintf(f, "[");
		for (unsigned k = 0; k < e->nsubjects; k++)
			fprintf(f, "%s\"%s\"", k ? ", " : "", e->subjects[k]);
		fprintf(f, "]");
		if (e->failure_kind[0])
			fprintf(f, ", \"kind\": \"%s\"", e->failure_kind);
		if (e->metric[0])
			fprintf(f, ", \"metric\": \"%s\", \"value\": %g, \"tolerance\": %g",
			        e->metric, e->value, e->tolerance);
		fprintf(f, "}");
	}
	fprintf(f, "%s],\n  \"findings_allowed\": [", x->nfindings ? "\n  " : "");
	for (unsigned i = 0; i < x->nallowed; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", x->allowed[i]);
	fprintf(f, "]");
}

int gen_expect_write_json(const struct gen_expect *e, const char *scenario, uint64_t seed,
                          const char *path)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "{\n  \"scenario\": \"%s\",\n  \"seed\": %" PRIu64 ",\n", scenario, seed);
	fprintf(f, "  \"packets\": %" PRIu64 ",\n", e->packets);
	fprintf(f,
	        "  \"dns\": {\"queries\": %" PRIu64 ", \"responses\": %" PRIu64
	        ", \"udp\": %" PRIu64 ", \"tcp\": %" PRIu64 ", \"ipv6\": %" PRIu64
	        ", \"malformed\": %" PRIu64 "},\n",
	        e->queries, e->responses, e->udp, e->tcp, e->ipv6, e->malformed);
	fprintf(f, "  \"rcodes\": {");
	const char *sep = "";
	for (unsigned rc = 0; rc < GEN_RCODES; rc++) {
		if (e->rcodes[rc] == 0)
			continue;
		fprintf(f, "%s\"%s\": %" PRIu64, sep, rcode_name(rc), e->rcodes[rc]);
		sep = ", ";
	}
	fprintf(f, "},\n");
	fprintf(f,
	        "  \"transactions\": {\"answered\": %" PRIu64 ", \"unanswered\": %" PRIu64
	        ", \"retransmits\": %" PRIu64 "},\n",
	        e->answered, e->unanswered, e->retransmits);
	fprintf(f,
	        "  \"tcp\": {\"sessions\": %" PRIu64 ", \"rejected\": %" PRIu64
	        ", \"filtered\": %" PRIu64 "},\n",
	        e->tcp_sessions, e->tcp_rejected, e->tcp_filtered);
	fprintf(f,
	        "  \"frames\": {\"not_dns\": %" PRIu64 ", \"snap_truncated\": %" PRIu64
	        ", \"fragments\": %" PRIu64 "},\n",
	        e->not_dns, e->snap_truncated, e->fragments);
	fprintf(f, "  \"sources\": [");
	for (unsigned i = 0; i < e->nsources; i++) {
		const struct gen_source_expect *s = &e->sources[i];
		char text[DCV_ADDR_TEXT_MAX];
		dcv_addr_format(&s->addr, text, sizeof(text));
		fprintf(f,
		        "%s\n    {\"address\": \"%s\", \"queries\": %" PRIu64
		        ", \"unanswered\": %" PRIu64 ", \"max_concurrent_tcp\": %" PRIu32 "}",
		        i ? "," : "", text, s->queries, s->unanswered, s->max_concurrent_tcp);
	}
	fprintf(f, "%s]", e->nsources ? "\n  " : "");
	if (e->mpic.present)
		write_mpic(f, &e->mpic, !e->fault.present);
	if (e->fault.present)
		write_fault(f, &e->fault);
	fprintf(f, "\n}\n");
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return -1;
	return 0;
}
