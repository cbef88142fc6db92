/* caa.c - CAA records and issuance decisions (caa.h). */
#include "caa.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Copies n bytes as printable text (\DDD for the rest), cut to len. */
static void text_copy(char *dst, size_t len, const uint8_t *p, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			dst[o++] = (char)p[i];
		else
			o += (size_t)snprintf(dst + o, len - o, "\\%03u", p[i]);
	}
	dst[o < len ? o : len - 1] = '\0';
}

int caa_record_from_rr(const ldns_rr *rr, struct caa_record *out)
{
	memset(out, 0, sizeof(*out));
	if (rr == NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_CAA || ldns_rr_rd_count(rr) != 3)
		return -1;
	const ldns_rdf *flags = ldns_rr_rdf(rr, 0), *tag = ldns_rr_rdf(rr, 1),
	               *value = ldns_rr_rdf(rr, 2);
	if (ldns_rdf_size(flags) != 1 || ldns_rdf_size(tag) < 2)
		return -1;
	out->flags = ldns_rdf_data(flags)[0];
	/* the tag rdf is length-prefixed (RFC 8659 4.1.1: 1..15 alphanumerics) */
	const uint8_t *t = ldns_rdf_data(tag);
	size_t tlen = t[0];
	if (tlen == 0 || tlen + 1 != ldns_rdf_size(tag) || tlen >= CAA_TAG_MAX)
		return -1;
	for (size_t i = 0; i < tlen; i++) {
		if (!isalnum(t[1 + i]))
			return -1;
		out->tag[i] = (char)tolower(t[1 + i]);
	}
	text_copy(out->value, sizeof(out->value), ldns_rdf_data(value), ldns_rdf_size(value));
	return 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int caa_issue_parse(const char *value, struct caa_issue *out)
{
	memset(out, 0, sizeof(*out));
	const char *s = skip_ws(value);
	size_t n = 0;
	/* issuer-domain-name: labels of letters, digits and hyphens */
	while (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t') {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
			return -1;
		if (n + 1 < sizeof(out->domain))
			out->domain[n++] = (char)tolower((unsigned char)*s);
		s++;
	}
	out->domain[n] = '\0';
	s = skip_ws(s);
	if (*s == '\0')
		return 0;
	if (*s != ';')
		return -1;
	/* parameters: ; tag = value, value without spaces or ';' */
	while (*s == ';') {
		s = skip_ws(s + 1);
		if (*s == '\0')
			break;
		char name[32];
		size_t k = 0;
		while (isalnum((unsigned char)*s) && k + 1 < sizeof(name))
			name[k++] = (char)tolower((unsigned char)*s++);
		name[k] = '\0';
		s = skip_ws(s);
		if (k == 0 || *s != '=')
			return -1;
		s = skip_ws(s + 1);
		const char *v = s;
		while (*s > 0x20 && *s < 0x7f && *s != ';')
			s++;
		size_t vlen = (size_t)(s - v);
		char *dst = strcmp(name, "accounturi") == 0          ? out->accounturi
		            : strcmp(name, "validationmethods") == 0 ? out->methods
		                                                     : NULL;
		if (dst != NULL)
			snprintf(dst, CAA_VALUE_MAX, "%.*s", (int)vlen, v);
		s = skip_ws(s);
		if (*s != '\0' && *s != ';')
			return -1;
	}
	return 0;
}

/* Whether any record of tag names ca; *any says whether tag occurs at all. */
static int find_issuer(const struct caa_record *rrs, size_t n, const char *tag, const char *ca,
                       const char *(*ca_of_issuer)(void *ctx, const char *domain), void *ctx,
                       bool *any)
{
	*any = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rrs[i].tag, tag) != 0)
			continue;
		*any = true;
		struct caa_issue is;
		if (caa_issue_parse(rrs[i].value, &is) != 0 || is.domain[0] == '\0')
			continue;
		const char *who = ca_of_issuer(ctx, is.domain);
		if (who != NULL && ca != NULL && strcmp(who, ca) == 0)
			return (int)i;
	}
	return -1;
}

void caa_decide(const struct caa_record *rrs, size_t n, const char *ca,
                const char *(*ca_of_issuer)(void *ctx, const char *domain), void *ctx,
                struct caa_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->deciding = -1;
	for (size_t i = 0; i < n; i++) {
		bool known =
		    strcmp(rrs[i].tag, "issue") == 0 || strcmp(rrs[i].tag, "issuewild") == 0 ||
		    strcmp(rrs[i].tag, "iodef") == 0 || strcmp(rrs[i].tag, "contactemail") == 0 ||
		    strcmp(rrs[i].tag, "contactphone") == 0;
		if (!known && (rrs[i].flags & CAA_FLAG_CRITICAL)) {
			snprintf(out->why, sizeof(out->why),
			         "critical property '%s' is unknown to CAs: no CA may issue",
			         rrs[i].tag);
			return;
		}
	}
	bool any_issue, any_wild;
	int issue = find_issuer(rrs, n, "issue", ca, ca_of_issuer, ctx, &any_issue);
	int wild = find_issuer(rrs, n, "issuewild", ca, ca_of_issuer, ctx, &any_wild);
	out->allowed = !any_issue || issue >= 0;
	/* issuewild, when present, replaces issue for wildcards (RFC 8659 4.3) */
	out->wild_allowed = any_wild ? wild >= 0 : out->allowed;
	out->deciding = issue;
	if (!any_issue)
		snprintf(out->why, sizeof(out->why), "the RRset has no issue property");
	else if (issue >= 0)
		snprintf(out->why, sizeof(out->why), "issue \"%.160s\" names %.32s",
		         rrs[issue].value, ca != NULL ? ca : "the CA");
	else
		snprintf(out->why, sizeof(out->why),
		         "no issue property names an issuer domain of %s",
		         ca != NULL ? ca : "the CA");
}
