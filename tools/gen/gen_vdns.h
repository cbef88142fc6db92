/*
 * gen_vdns.h - the server's answers to domain-control validation questions
 * (research/validators.md section 3), where gen_dns.h's generic records do
 * not fit: TXT records of challenge names (ACME tokens, DigiCert random
 * values, dns-persist-01 issuer records, possibly many of them, as when a
 * client leaves stale tokens behind) and the CNAME of DigiCert's
 * _dnsauth name. Every other question is answered by gen_dns_response().
 * Also 0x20 query-name case randomisation, as validating resolvers send it.
 */
#ifndef DCV_GEN_VDNS_H
#define DCV_GEN_VDNS_H

#include <stddef.h>

#include "gen_dns.h"
#include "gen_rng.h"

/* What a challenge name holds. */
enum gen_vrec {
	GEN_VREC_NONE = 0, /* not a challenge name: gen_dns_response() answers */
	GEN_VREC_ACME,     /* ACME key authorisation digests (43 base64url characters) */
	GEN_VREC_DNSAUTH,  /* DigiCert random values; CNAME answers name dcv.digicert.com */
	GEN_VREC_PERSIST,  /* dns-persist-01: "<issuer>; accounturi=<uri>" */
};

#define GEN_VDNS_TXT_MAX 64 /* TXT strings one answer carries at most */

/*
 * gen_vdns_response() builds the answer to q with the rcode. With NOERROR
 * and a TXT question on a challenge name, the answer holds ntxt strings of
 * the kind (1 <= ntxt <= GEN_VDNS_TXT_MAX); a CNAME question on a DNSAUTH
 * name gets one CNAME. Signed (RRSIG) when q has DO. When the answer is larger
 * than max_len (0: no limit) it becomes TC=1 with the question (and OPT) only.
 */
void gen_vdns_response(struct dnsb *m, const struct gen_query *q, enum gen_vrec kind, unsigned ntxt,
                       int rcode, size_t max_len);

/* gen_vdns_answer_count() returns ANCOUNT of a built message (0 if too short). */
unsigned gen_vdns_answer_count(const struct dnsb *m);

/* gen_vdns_0x20() copies name into out (cap bytes) with each letter's case
 * chosen at random (draft-vixie-dnsext-dns0x20). */
void gen_vdns_0x20(struct gen_rng *r, const char *name, char *out, size_t cap);

#endif
