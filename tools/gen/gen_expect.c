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
	fprintf(f, "%s]\n}\n", e->nsources ? "\n  " : "");
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return -1;
	return 0;
}
