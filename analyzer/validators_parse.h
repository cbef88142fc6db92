/*
 * validators_parse.h - the text formats of validators.tsv and
 * caa-identifiers.tsv: line splitting, directives and field validation.
 * Internal to the validators concept (validators.c applies the rows).
 *
 * validators.tsv (research/validators.md section 7), one record per line:
 *   #@ format ca-validators 1          required before the first row
 *   #@ src KEY URL                     defines @KEY for the source column
 *   #@ updated YYYY-MM-DD              informational
 *   # comment                          ignored, as are blank lines
 *   ca<TAB>prefix<TAB>role<TAB>region<TAB>source<TAB>asof<TAB>conf
 * caa-identifiers.tsv: '#@ format caa-identifiers 1', the same '#@ src' and
 * '#@ updated' directives, rows ca<TAB>issuer-domain<TAB>source<TAB>asof.
 *
 * Decisions (documented in analyzer/data/validators.tsv too):
 *  - A prefix with host bits set (10.0.0.1/8) is an error, not masked: the
 *    writer may have meant the single address or the network, and silently
 *    widening a /32 into a /8 would mislabel a whole network.
 *  - Prefixes shorter than /8 (IPv4) or /16 (IPv6) are refused: they would
 *    label a large part of the Internet as one CA.
 *  - '#' inside a data row is literal (URLs have fragments); trailing
 *    comments are allowed on directive lines only, after whitespace.
 *  - @KEY resolves within the file that defines it; rows store the URL.
 *  - A missing format line is one warning and the rows are still read; an
 *    unknown format or version stops reading the file (columns may differ).
 */
#ifndef DCV_VALIDATORS_PARSE_H
#define DCV_VALIDATORS_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "validators.h"

#define VPARSE_LINE_MAX    4096 /* bytes per line, without the newline */
#define VPARSE_SOURCE_MAX  513  /* source URL or repo:path@commit, + NUL */
#define VPARSE_ASOF_MAX    11   /* YYYY-MM-DD + NUL */
#define VPARSE_DOMAIN_MAX  254  /* issuer domain (RFC 1035 text limit 253) + NUL */
#define VPARSE_SRC_KEYS    256  /* '#@ src' keys per file */
#define VPARSE_SRC_KEY_MAX 33   /* key: [A-Za-z0-9_.-]{1,32} + NUL */
#define VPARSE_MSG_MAX     320  /* one warning message */
#define VPARSE_V4_MIN_LEN  8    /* shortest IPv4 prefix accepted */
#define VPARSE_V6_MIN_LEN  16   /* shortest IPv6 prefix accepted */

#define VPARSE_CONF_REMOVE (-1) /* conf column "-remove" */

enum vparse_kind { VPARSE_VALIDATORS, VPARSE_CAA };

/* One valid validators.tsv row. Strings are valid during the callback. */
struct vparse_row {
	char ca[VALIDATORS_CA_MAX];
	uint8_t family; /* DCV_ADDR_V4, DCV_ADDR_V6, or 0 for an AS<n> row */
	uint8_t len;    /* prefix length; 0 for AS rows */
	uint8_t bytes[16];
	uint32_t asn; /* AS rows only */
	enum validator_role role;
	char region[VALIDATORS_REGION_MAX];
	const char *source; /* URL or repo:path@commit (@KEY already resolved) */
	char asof[VPARSE_ASOF_MAX];
	int conf; /* enum validator_conf, or VPARSE_CONF_REMOVE */
};

/* One valid caa-identifiers.tsv row. */
struct vparse_caa {
	char ca[VALIDATORS_CA_MAX];
	char domain[VPARSE_DOMAIN_MAX]; /* lowercased */
	const char *source;
	char asof[VPARSE_ASOF_MAX];
};

/*
 * Row sinks: return 1 when the row was applied, 0 when it was refused (msg
 * then holds the reason, which becomes a warning), or -1 to stop on an
 * internal failure (out of memory).
 */
struct vparse_sink {
	int (*row)(void *ctx, const struct vparse_row *r, char *msg, size_t msglen);
	int (*caa)(void *ctx, const struct vparse_caa *r, char *msg, size_t msglen);
	void *ctx;
	validators_warn_fn warn; /* may be NULL */
	void *warn_ctx;
	const char *file; /* name used in warnings */
};

/*
 * vparse_buffer() reads a whole file image p[0..len) of the given kind and
 * hands each valid row to the sink; every other non-blank, non-comment line
 * is one warning and is skipped. Returns the number of rows applied, or -1
 * when the sink failed.
 */
int vparse_buffer(const uint8_t *p, size_t len, enum vparse_kind kind, const struct vparse_sink *s);

/* vparse_role() / vparse_conf() map words to enums; -1 (or -2 for an unknown
 * conf) when the word is not in the vocabulary. Exposed for the tests. */
int vparse_role(const char *w);
int vparse_conf(const char *w);

#endif
