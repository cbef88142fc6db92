/*
 * validators.h - the CA validator range table: which CA (if any) a source
 * address belongs to, in which role and region, on what evidence.
 *
 * Rows come from tab-separated files (format: docs in analyzer/data/
 * validators.tsv, after research/validators.md section 7): built-in defaults,
 * then /etc/dcvscope/validators.tsv, then validators.d/ *.tsv in lexical
 * order, then every --validators FILE. A later row with the same CA and
 * prefix replaces the earlier one; conf "-remove" deletes it. A bad line is
 * a file:line warning and is skipped, never fatal.
 *
 * Lookup is longest-prefix match over IPv4 and IPv6 prefixes. Every row whose
 * prefix covers the address at the longest matching length is returned (cloud
 * address space is shared, so one prefix can name several CAs). AS<n> rows
 * match when an ASN database says the address is originated by AS n.
 * A sibling table maps CAA issuer domains to CA ids (caa-identifiers.tsv).
 */
#ifndef DCV_VALIDATORS_H
#define DCV_VALIDATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

#define VALIDATORS_CA_MAX     33 /* CA id: [a-z0-9-]{1,32} + NUL */
#define VALIDATORS_REGION_MAX 33 /* arin|ripe|apnic|lacnic|afrinic|aws:<region>|- */
#define VALIDATORS_MATCH_MAX  8  /* rows returned by one lookup */

enum validator_role {
	VROLE_UNKNOWN = 0,
	VROLE_PRIMARY,
	VROLE_REMOTE,
	VROLE_DCV,
	VROLE_EMAIL,
	VROLE_RESOLVER,
};

/* How much a row is worth, strongest first. */
enum validator_conf {
	VCONF_OFFICIAL = 0, /* published by the CA */
	VCONF_RESELLER,     /* published by a reseller */
	VCONF_THIRDPARTY,   /* a third-party copy */
	VCONF_HISTORICAL,   /* old observation: only a hint */
};

/* One matching row. Strings point into the table: valid until the next load
 * into it (rows may move) or its free. */
struct validator_match {
	const char *ca;
	const char *region; /* "-" when unknown */
	const char *source; /* provenance: URL or key */
	const char *asof;   /* "-" when undated */
	enum validator_role role;
	enum validator_conf conf;
	uint8_t prefix_len; /* bits; 0 for AS<n> rows */
	bool by_asn;
};

struct validators;

/* Called for every skipped line: "file:line: what is wrong". */
typedef void (*validators_warn_fn)(void *ctx, const char *file, unsigned line, const char *msg);

/* validators_new() returns an empty table, NULL on allocation failure. */
struct validators *validators_new(void);

/* validators_free() frees the table. NULL is a no-op. */
void validators_free(struct validators *v);

/*
 * validators_load_file() merges the rows of one validators.tsv file. Returns
 * the number of rows applied (>= 0), or -1 when the file cannot be read
 * (errno set); bad lines go to warn (may be NULL) and are skipped.
 */
int validators_load_file(struct validators *v, const char *path, validators_warn_fn warn,
                         void *ctx);

/* validators_load_caa_file() merges a caa-identifiers.tsv (ca, issuer-domain,
 * source, asof). Same return and warning rules. */
int validators_load_caa_file(struct validators *v, const char *path, validators_warn_fn warn,
                             void *ctx);

/*
 * validators_load_defaults() loads the built-in tables, then
 * /etc/dcvscope/validators.tsv and /etc/dcvscope/validators.d/ *.tsv when
 * present (etc_dir overrides /etc/dcvscope; NULL = default). Returns the
 * rows applied or -1.
 */
int validators_load_defaults(struct validators *v, const char *etc_dir, validators_warn_fn warn,
                             void *ctx);

/*
 * validators_lookup() finds the rows for addr: longest prefix match, plus
 * the AS<asn> rows when asn is not 0 (the caller knows the origin AS from an
 * ASN database, geo.h). Writes up to max matches, strongest evidence first,
 * and returns how many (0 = not a listed validator). Never allocates; safe
 * to call for every packet.
 */
unsigned validators_lookup(const struct validators *v, const struct dcv_addr *addr, uint32_t asn,
                           struct validator_match *out, unsigned max);

/*
 * validators_load_buffer() / validators_load_caa_buffer() merge a file image
 * held in memory (name is used in warnings). Same rules and returns as the
 * _file variants, except that -1 means out of memory only.
 */
int validators_load_buffer(struct validators *v, const char *name, const uint8_t *p, size_t len,
                           validators_warn_fn warn, void *ctx);
int validators_load_caa_buffer(struct validators *v, const char *name, const uint8_t *p, size_t len,
                               validators_warn_fn warn, void *ctx);

/* What a table holds, for `dcvscope validators check` and logs. */
struct validators_stats {
	size_t v4, v6, asn; /* prefix rows by family, AS<n> rows */
	size_t cas;         /* distinct CA ids over those rows */
	size_t issuers;     /* CAA issuer domains */
};

/* validators_stats() fills *out. Never fails. */
void validators_stats(const struct validators *v, struct validators_stats *out);

/* validators_ca_of_issuer() returns the CA id whose CAA issuer domain is
 * domain (case-insensitive), or NULL. */
const char *validators_ca_of_issuer(const struct validators *v, const char *domain);

/* validators_issuer_of_ca() returns a CAA issuer domain naming the CA id ca
 * (the first in domain order), or NULL when the table has none. */
const char *validators_issuer_of_ca(const struct validators *v, const char *ca);

/* validators_count() returns the number of prefix rows (IPv4 + IPv6 + AS). */
size_t validators_count(const struct validators *v);

/* validators_role_name() / validators_conf_name() give the file's words. */
const char *validators_role_name(enum validator_role r);
const char *validators_conf_name(enum validator_conf c);

#endif
