/*
 * gen_ca.h - the certificate authorities of the mpic scenario: their
 * validation perspectives (sites in distinct networks and RIR regions, each
 * with a few resolver addresses) and how their resolvers ask questions
 * (research/validators.md sections 2-4). All addresses are in documentation
 * or benchmarking space: 198.18.0.0/15 and 2001:db8:4c00::/40, 2001:db8:5e00::/40
 * for the unlisted CAs; 203.0.113.0/24, 198.51.100.0/24, 2001:db8:d100::/40 and
 * 2001:db8:6500::/40 for the CAs that tests/captures/validators-test.tsv lists.
 */
#ifndef DCV_GEN_CA_H
#define DCV_GEN_CA_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define GEN_CA_SITES_MAX      8 /* sites of one CA (primary + remote) */
#define GEN_CA_SITE_ADDRS_MAX 8 /* resolver addresses of one site */

/* Validation methods (the questions of the DCV phase). */
enum gen_method {
	GEN_M_DNS01 = 0,     /* TXT _acme-challenge.X */
	GEN_M_ACCOUNT01,     /* TXT _<16 base32>._acme-challenge.X */
	GEN_M_PERSIST01,     /* TXT _validation-persist.X */
	GEN_M_DNSAUTH_TXT,   /* TXT _dnsauth.X and TXT X (DigiCert) */
	GEN_M_DNSAUTH_CNAME, /* CNAME _dnsauth.X and CNAME X (DigiCert) */
	GEN_M_HTTP01,        /* A and AAAA of X in the same millisecond */
	GEN_M_COUNT
};

struct gen_ca_site {
	const char *region; /* arin, ripe, apnic, lacnic, afrinic */
	uint8_t v4[3];      /* the site's /24 */
	uint8_t v4_first;   /* first host number */
	uint8_t n_v4;
	const char *v6; /* the site's /64, text, ending in "::" */
	uint8_t n_v6;   /* addresses <v6>11, <v6>12, ... */
};

struct gen_ca {
	const char *id;
	bool listed;       /* its sites are rows of validators-test.tsv */
	bool mixcase;      /* 0x20 query names */
	bool do_bit;       /* DNSSEC OK */
	uint16_t udp_size; /* EDNS UDP size */
	unsigned remote;   /* remote perspectives per attempt (all remote sites) */
	unsigned nsites;   /* site 0 is the primary */
	struct gen_ca_site sites[GEN_CA_SITES_MAX];
	uint32_t remote_min_ms; /* remote perspectives start this much after the primary */
	uint32_t remote_max_ms;
	uint32_t caa_after_ms; /* CAA phase after the DCV phase; 0 = with it */
	uint32_t retry_ms;     /* a dropped question is sent again after this */
	unsigned tries;        /* sends of a dropped question */
	bool cancels;          /* may cancel straggling remote perspectives (Boulder) */
	unsigned share;        /* attempts, per mille */
	unsigned method_share[GEN_M_COUNT]; /* per mille */
};

#define GEN_NCAS 4

/* The CAs, in the order of their ids: letsencrypt, digicert, sectigo, globalsign. */
extern const struct gen_ca gen_cas[GEN_NCAS];

/* gen_ca_site_addrs() returns how many addresses a site has. */
unsigned gen_ca_site_addrs(const struct gen_ca_site *s);

/* gen_ca_site_addr() returns address i (0 <= i < gen_ca_site_addrs()) of a site:
 * the IPv4 ones first. */
struct dcv_addr gen_ca_site_addr(const struct gen_ca_site *s, unsigned i);

/* gen_method_name() is the method's word in the expect file ("dns-01", ...). */
const char *gen_method_name(enum gen_method m);

#endif
