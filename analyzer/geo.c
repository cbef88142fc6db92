/*
 * geo.c - country and origin AS of an address from MaxMind-format databases
 * (libmaxminddb), and the RIR service region of a country.
 *
 * Country: country.iso_code, else registered_country.iso_code (anycast and
 * satellite networks often carry only the latter), from a GeoLite2-Country
 * or -City style database. ASN: autonomous_system_number from a
 * GeoLite2-ASN style database. Databases are opened with MMDB_MODE_MMAP and
 * are read-only afterwards, so lookups need no locking.
 */
#include "geo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct geo {
	MMDB_s country;
	MMDB_s asn;
	bool have_country, have_asn;
};

/* open_one() opens path; on failure writes "what database PATH: reason". */
static int open_one(MMDB_s *db, const char *what, const char *path, char *err, size_t errlen)
{
	int rc = MMDB_open(path, MMDB_MODE_MMAP, db);
	if (rc == MMDB_SUCCESS)
		return 0;
	if (rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR)
		snprintf(err, errlen, "%s database %s: %s (%s)", what, path, MMDB_strerror(rc),
		         strerror(errno));
	else
		snprintf(err, errlen, "%s database %s: %s", what, path, MMDB_strerror(rc));
	return -1;
}

int geo_open(struct geo **out, const char *country_db, const char *asn_db, char *err, size_t errlen)
{
	struct geo *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (country_db != NULL) {
		if (open_one(&g->country, "country", country_db, err, errlen) < 0)
			goto fail;
		g->have_country = true;
	}
	if (asn_db != NULL) {
		if (open_one(&g->asn, "ASN", asn_db, err, errlen) < 0)
			goto fail;
		g->have_asn = true;
	}
	*out = g;
	return 0;
fail:
	geo_close(g);
	return -1;
}

void geo_close(struct geo *g)
{
	if (g == NULL)
		return;
	if (g->have_country)
		MMDB_close(&g->country);
	if (g->have_asn)
		MMDB_close(&g->asn);
	free(g);
}

/* lookup() finds addr's record; false when absent or on any error (an IPv6
 * address in an IPv4-only database, a corrupt tree). */
static bool lookup(const MMDB_s *db, const struct dcv_addr *addr, MMDB_lookup_result_s *res)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (addr->family == DCV_ADDR_V4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr->bytes, 4);
	} else if (addr->family == DCV_ADDR_V6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr->bytes, 16);
	} else {
		return false;
	}
	int mmdb_err = MMDB_SUCCESS;
	/* MMDB_lookup_sockaddr takes a non-const MMDB_s but does not modify it */
	*res = MMDB_lookup_sockaddr((MMDB_s *)db, (const struct sockaddr *)&ss, &mmdb_err);
	return mmdb_err == MMDB_SUCCESS && res->found_entry;
}

/* iso_code() copies a two-letter upper-case code found at path; false otherwise. */
static bool iso_code(MMDB_entry_s *entry, const char *key, char out[3])
{
	MMDB_entry_data_s d;
	if (MMDB_get_value(entry, &d, key, "iso_code", NULL) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return false;
	const char *s = d.utf8_string;
	if (s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return false;
	out[0] = s[0];
	out[1] = s[1];
	out[2] = '\0';
	return true;
}

void geo_lookup(const struct geo *g, const struct dcv_addr *addr, struct geo_info *info)
{
	memset(info, 0, sizeof(*info));
	info->region = "unknown";
	if (g == NULL)
		return;
	MMDB_lookup_result_s res;
	if (g->have_country && lookup(&g->country, addr, &res)) {
		if (iso_code(&res.entry, "country", info->country) ||
		    iso_code(&res.entry, "registered_country", info->country))
			info->region = geo_region_of_country(info->country);
	}
	if (g->have_asn && lookup(&g->asn, addr, &res)) {
		MMDB_entry_data_s d;
		if (MMDB_get_value(&res.entry, &d, "autonomous_system_number", NULL) ==
		        MMDB_SUCCESS &&
		    d.has_data) {
			if (d.type == MMDB_DATA_TYPE_UINT32)
				info->asn = d.uint32;
			else if (d.type == MMDB_DATA_TYPE_UINT16)
				info->asn = d.uint16;
			else if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 <= UINT32_MAX)
				info->asn = (uint32_t)d.uint64;
		}
	}
}

/*
 * ISO 3166-1 alpha-2 code -> Regional Internet Registry, after the RIRs'
 * published service regions (ARIN: "ARIN Region" country list; RIPE NCC:
 * "RIPE NCC Service Region"; APNIC: "APNIC region economies"; LACNIC:
 * "Countries and territories in the LACNIC service region"; AFRINIC:
 * "AFRINIC service region"). All 249 assigned codes, plus XK (Kosovo, a
 * user-assigned code that MaxMind databases use). Compiled offline: the
 * placement of a few remote territories is the least certain (HM, TF, BV,
 * AQ, SH, UM); check them against the RIR lists before relying on them.
 * Sorted by code for bsearch; test_geo.c checks order and completeness.
 */
struct cc_rir {
	char cc[3];
	const char *rir;
};

static const char ARIN[] = "arin", RIPE[] = "ripe", APNIC[] = "apnic", LACNIC[] = "lacnic",
                  AFRINIC[] = "afrinic";

static const struct cc_rir cc_table[] = {
    {"AD", RIPE},    {"AE", RIPE},    {"AF", APNIC},   {"AG", ARIN},    {"AI", ARIN},
    {"AL", RIPE},    {"AM", RIPE},    {"AO", AFRINIC}, {"AQ", ARIN},    {"AR", LACNIC},
    {"AS", APNIC},   {"AT", RIPE},    {"AU", APNIC},   {"AW", LACNIC},  {"AX", RIPE},
    {"AZ", RIPE},    {"BA", RIPE},    {"BB", ARIN},    {"BD", APNIC},   {"BE", RIPE},
    {"BF", AFRINIC}, {"BG", RIPE},    {"BH", RIPE},    {"BI", AFRINIC}, {"BJ", AFRINIC},
    {"BL", ARIN},    {"BM", ARIN},    {"BN", APNIC},   {"BO", LACNIC},  {"BQ", LACNIC},
    {"BR", LACNIC},  {"BS", ARIN},    {"BT", APNIC},   {"BV", ARIN},    {"BW", AFRINIC},
    {"BY", RIPE},    {"BZ", LACNIC},  {"CA", ARIN},    {"CC", APNIC},   {"CD", AFRINIC},
    {"CF", AFRINIC}, {"CG", AFRINIC}, {"CH", RIPE},    {"CI", AFRINIC}, {"CK", APNIC},
    {"CL", LACNIC},  {"CM", AFRINIC}, {"CN", APNIC},   {"CO", LACNIC},  {"CR", LACNIC},
    {"CU", LACNIC},  {"CV", AFRINIC}, {"CW", LACNIC},  {"CX", APNIC},   {"CY", RIPE},
    {"CZ", RIPE},    {"DE", RIPE},    {"DJ", AFRINIC}, {"DK", RIPE},    {"DM", ARIN},
    {"DO", LACNIC},  {"DZ", AFRINIC}, {"EC", LACNIC},  {"EE", RIPE},    {"EG", AFRINIC},
    {"EH", AFRINIC}, {"ER", AFRINIC}, {"ES", RIPE},    {"ET", AFRINIC}, {"FI", RIPE},
    {"FJ", APNIC},   {"FK", LACNIC},  {"FM", APNIC},   {"FO", RIPE},    {"FR", RIPE},
    {"GA", AFRINIC}, {"GB", RIPE},    {"GD", ARIN},    {"GE", RIPE},    {"GF", LACNIC},
    {"GG", RIPE},    {"GH", AFRINIC}, {"GI", RIPE},    {"GL", RIPE},    {"GM", AFRINIC},
    {"GN", AFRINIC}, {"GP", ARIN},    {"GQ", AFRINIC}, {"GR", RIPE},    {"GS", LACNIC},
    {"GT", LACNIC},  {"GU", APNIC},   {"GW", AFRINIC}, {"GY", LACNIC},  {"HK", APNIC},
    {"HM", ARIN},    {"HN", LACNIC},  {"HR", RIPE},    {"HT", LACNIC},  {"HU", RIPE},
    {"ID", APNIC},   {"IE", RIPE},    {"IL", RIPE},    {"IM", RIPE},    {"IN", APNIC},
    {"IO", APNIC},   {"IQ", RIPE},    {"IR", RIPE},    {"IS", RIPE},    {"IT", RIPE},
    {"JE", RIPE},    {"JM", ARIN},    {"JO", RIPE},    {"JP", APNIC},   {"KE", AFRINIC},
    {"KG", RIPE},    {"KH", APNIC},   {"KI", APNIC},   {"KM", AFRINIC}, {"KN", ARIN},
    {"KP", APNIC},   {"KR", APNIC},   {"KW", RIPE},    {"KY", ARIN},    {"KZ", RIPE},
    {"LA", APNIC},   {"LB", RIPE},    {"LC", ARIN},    {"LI", RIPE},    {"LK", APNIC},
    {"LR", AFRINIC}, {"LS", AFRINIC}, {"LT", RIPE},    {"LU", RIPE},    {"LV", RIPE},
    {"LY", AFRINIC}, {"MA", AFRINIC}, {"MC", RIPE},    {"MD", RIPE},    {"ME", RIPE},
    {"MF", ARIN},    {"MG", AFRINIC}, {"MH", APNIC},   {"MK", RIPE},    {"ML", AFRINIC},
    {"MM", APNIC},   {"MN", APNIC},   {"MO", APNIC},   {"MP", APNIC},   {"MQ", ARIN},
    {"MR", AFRINIC}, {"MS", ARIN},    {"MT", RIPE},    {"MU", AFRINIC}, {"MV", APNIC},
    {"MW", AFRINIC}, {"MX", LACNIC},  {"MY", APNIC},   {"MZ", AFRINIC}, {"NA", AFRINIC},
    {"NC", APNIC},   {"NE", AFRINIC}, {"NF", APNIC},   {"NG", AFRINIC}, {"NI", LACNIC},
    {"NL", RIPE},    {"NO", RIPE},    {"NP", APNIC},   {"NR", APNIC},   {"NU", APNIC},
    {"NZ", APNIC},   {"OM", RIPE},    {"PA", LACNIC},  {"PE", LACNIC},  {"PF", APNIC},
    {"PG", APNIC},   {"PH", APNIC},   {"PK", APNIC},   {"PL", RIPE},    {"PM", ARIN},
    {"PN", APNIC},   {"PR", ARIN},    {"PS", RIPE},    {"PT", RIPE},    {"PW", APNIC},
    {"PY", LACNIC},  {"QA", RIPE},    {"RE", AFRINIC}, {"RO", RIPE},    {"RS", RIPE},
    {"RU", RIPE},    {"RW", AFRINIC}, {"SA", RIPE},    {"SB", APNIC},   {"SC", AFRINIC},
    {"SD", AFRINIC}, {"SE", RIPE},    {"SG", APNIC},   {"SH", ARIN},    {"SI", RIPE},
    {"SJ", RIPE},    {"SK", RIPE},    {"SL", AFRINIC}, {"SM", RIPE},    {"SN", AFRINIC},
    {"SO", AFRINIC}, {"SR", LACNIC},  {"SS", AFRINIC}, {"ST", AFRINIC}, {"SV", LACNIC},
    {"SX", LACNIC},  {"SY", RIPE},    {"SZ", AFRINIC}, {"TC", ARIN},    {"TD", AFRINIC},
    {"TF", APNIC},   {"TG", AFRINIC}, {"TH", APNIC},   {"TJ", RIPE},    {"TK", APNIC},
    {"TL", APNIC},   {"TM", RIPE},    {"TN", AFRINIC}, {"TO", APNIC},   {"TR", RIPE},
    {"TT", LACNIC},  {"TV", APNIC},   {"TW", APNIC},   {"TZ", AFRINIC}, {"UA", RIPE},
    {"UG", AFRINIC}, {"UM", ARIN},    {"US", ARIN},    {"UY", LACNIC},  {"UZ", RIPE},
    {"VA", RIPE},    {"VC", ARIN},    {"VE", LACNIC},  {"VG", ARIN},    {"VI", ARIN},
    {"VN", APNIC},   {"VU", APNIC},   {"WF", APNIC},   {"WS", APNIC},   {"XK", RIPE},
    {"YE", RIPE},    {"YT", AFRINIC}, {"ZA", AFRINIC}, {"ZM", AFRINIC}, {"ZW", AFRINIC},
};

static int cc_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cc_rir *)elem)->cc);
}

const char *geo_region_of_country(const char *cc)
{
	if (cc == NULL || cc[0] == '\0' || cc[1] == '\0' || cc[2] != '\0')
		return "unknown";
	char up[3] = {cc[0], cc[1], '\0'};
	for (int i = 0; i < 2; i++)
		if (up[i] >= 'a' && up[i] <= 'z')
			up[i] = (char)(up[i] - 'a' + 'A');
	const struct cc_rir *e = bsearch(up, cc_table, sizeof(cc_table) / sizeof(cc_table[0]),
	                                 sizeof(cc_table[0]), cc_cmp);
	return e ? e->rir : "unknown";
}
