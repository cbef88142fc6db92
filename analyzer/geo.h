/*
 * geo.h - optional MaxMind-format databases (libmaxminddb): country and
 * origin AS of an address, and the RIR region the country belongs to.
 *
 * Without databases every lookup answers "unknown"; nothing fails.
 */
#ifndef DCV_GEO_H
#define DCV_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct geo_info {
	char country[3];    /* ISO 3166 alpha-2, "" when unknown */
	const char *region; /* "arin", "ripe", "apnic", "lacnic", "afrinic" or "unknown" */
	uint32_t asn;       /* 0 when unknown */
};

struct geo;

/*
 * geo_open() opens a country (or city) database and/or an ASN database;
 * either path may be NULL. Returns 0 and *out, or -1 with a message naming
 * the file in err.
 */
int geo_open(struct geo **out, const char *country_db, const char *asn_db, char *err,
             size_t errlen);

/* geo_close() closes. NULL is a no-op. */
void geo_close(struct geo *g);

/* geo_lookup() fills *info; g may be NULL (everything unknown). */
void geo_lookup(const struct geo *g, const struct dcv_addr *addr, struct geo_info *info);

/* geo_region_of_country() maps an ISO country code to its RIR, "unknown" when
 * the code is not known. */
const char *geo_region_of_country(const char *cc);

#endif
