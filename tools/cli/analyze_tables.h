/*
 * analyze_tables.h - the reference tables an analysis uses: CA validator
 * ranges (built-in, /etc/dcvscope, --validators) and geo databases.
 */
#ifndef DCV_ANALYZE_TABLES_H
#define DCV_ANALYZE_TABLES_H

#include "analyze_opts.h"
#include "dnssec.h"
#include "geo.h"
#include "validators.h"

struct analyze_tables {
	struct validators *validators;
	struct geo *geo;               /* NULL without --geoip / --asn-db */
	struct dnssec_anchors anchors; /* --dnskeys; empty without */
	bool have_anchors;
	unsigned warnings; /* bad lines skipped (printed as file:line) */
};

/* analyze_tables_load() loads what the options name. Returns CLI_EXIT_OK, or
 * an exit code after printing why (a named file that cannot be read). */
int analyze_tables_load(const struct analyze_opts *o, struct analyze_tables *t);

/* analyze_tables_free() frees both tables. */
void analyze_tables_free(struct analyze_tables *t);

#endif
