/*
 * test_geo.c - country and ASN lookups against tiny MaxMind databases that
 * the test writes itself (tests/support/mmdb_writer.py, since Debian ships
 * no GeoLite data), error messages naming the file, and the country -> RIR
 * table (every ISO 3166-1 alpha-2 code is mapped).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "test_support.h"

#define WRITER "python3 " DCV_SOURCE_DIR "/tests/support/mmdb_writer.py"

static char country_db[512], asn_db[512], v4only_db[512];

static void make_dbs(void)
{
	if (test_run("python3 -c 'import ipaddress, json, struct' 2>/dev/null", NULL) != 0)
		cr_skip_test("python3 is not available to write the test databases");
	const char *dir = test_tmpdir();
	snprintf(country_db, sizeof(country_db), "%s/country.mmdb", dir);
	snprintf(asn_db, sizeof(asn_db), "%s/asn.mmdb", dir);
	snprintf(v4only_db, sizeof(v4only_db), "%s/v4.mmdb", dir);
	char cmd[4096];
	snprintf(
	    cmd, sizeof(cmd),
	    WRITER
	    " %s GeoLite2-Country"
	    " '81.2.69.0/"
	    "24={\"country\":{\"iso_code\":\"GB\"},\"registered_country\":{\"iso_code\":\"GB\"}}'"
	    " '81.2.69.192/28={\"country\":{\"iso_code\":\"IE\"}}'"
	    " '198.51.100.0/24={\"registered_country\":{\"iso_code\":\"BR\"}}'"
	    " '203.0.113.0/"
	    "24={\"continent\":{\"code\":\"AS\"},\"country\":{\"iso_code\":\"JP\",\"names\":{"
	    "\"en\":\"Japan\"}}}'"
	    " '192.0.2.0/24={\"country\":{\"iso_code\":\"zz\"}}'"
	    " '2001:db8::/32={\"country\":{\"iso_code\":\"DE\"}}'"
	    " '2001:db8:1::/48={\"country\":{\"iso_code\":\"ZA\"}}'",
	    country_db);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd),
	         WRITER " %s GeoLite2-ASN"
	                " '81.2.69.0/"
	                "24={\"autonomous_system_number\":20712,\"autonomous_system_organization\":"
	                "\"Andrews & Arnold Ltd\"}'"
	                " '198.51.100.0/24={\"autonomous_system_number\":4200000000}'"
	                " '2001:db8::/32={\"autonomous_system_number\":64496}'",
	         asn_db);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd),
	         WRITER
	         " %s GeoLite2-Country --ipv4 '81.2.69.0/24={\"country\":{\"iso_code\":\"GB\"}}'",
	         v4only_db);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
}

static struct geo_info look(const struct geo *g, const char *text)
{
	struct dcv_addr a;
	cr_assert(dcv_addr_parse(text, &a), "bad address %s", text);
	struct geo_info info;
	memset(&info, 0x55, sizeof(info));
	geo_lookup(g, &a, &info);
	return info;
}

Test(geo, country_and_asn_from_generated_databases)
{
	make_dbs();
	struct geo *g = NULL;
	char err[512] = "";
	cr_assert_eq(geo_open(&g, country_db, asn_db, err, sizeof(err)), 0, "%s", err);
	struct geo_info i = look(g, "81.2.69.160");
	cr_expect_str_eq(i.country, "GB");
	cr_expect_str_eq(i.region, "ripe");
	cr_expect_eq(i.asn, 20712);
	i = look(g, "81.2.69.200"); /* the more specific /28 */
	cr_expect_str_eq(i.country, "IE");
	cr_expect_eq(i.asn, 20712);
	i = look(g, "198.51.100.7"); /* registered_country only */
	cr_expect_str_eq(i.country, "BR");
	cr_expect_str_eq(i.region, "lacnic");
	cr_expect_eq(i.asn, 4200000000u);
	i = look(g, "203.0.113.9");
	cr_expect_str_eq(i.country, "JP");
	cr_expect_str_eq(i.region, "apnic");
	cr_expect_eq(i.asn, 0, "not in the ASN database");
	i = look(g, "192.0.2.1"); /* not a valid code: unknown */
	cr_expect_str_eq(i.country, "");
	cr_expect_str_eq(i.region, "unknown");
	i = look(g, "2001:db8:ffff::1");
	cr_expect_str_eq(i.country, "DE");
	cr_expect_eq(i.asn, 64496);
	i = look(g, "2001:db8:1::1");
	cr_expect_str_eq(i.country, "ZA");
	cr_expect_str_eq(i.region, "afrinic");
	i = look(g, "10.1.2.3");
	cr_expect_str_eq(i.country, "");
	cr_expect_str_eq(i.region, "unknown");
	cr_expect_eq(i.asn, 0);
	i = look(g, "2001:db9::1");
	cr_expect_str_eq(i.country, "");
	cr_expect_eq(i.asn, 0);
	geo_close(g);
}

Test(geo, one_database_alone_answers_its_part)
{
	make_dbs();
	struct geo *g = NULL;
	char err[512] = "";
	cr_assert_eq(geo_open(&g, NULL, asn_db, err, sizeof(err)), 0, "%s", err);
	struct geo_info i = look(g, "81.2.69.160");
	cr_expect_str_eq(i.country, "");
	cr_expect_str_eq(i.region, "unknown");
	cr_expect_eq(i.asn, 20712);
	geo_close(g);
	cr_assert_eq(geo_open(&g, v4only_db, NULL, err, sizeof(err)), 0, "%s", err);
	i = look(g, "81.2.69.1");
	cr_expect_str_eq(i.country, "GB");
	i = look(g, "2001:db8::1"); /* IPv6 in an IPv4-only database */
	cr_expect_str_eq(i.country, "");
	cr_expect_eq(i.asn, 0);
	geo_close(g);
}

Test(geo, no_databases_means_unknown)
{
	struct geo_info i = look(NULL, "81.2.69.160");
	cr_expect_str_eq(i.country, "");
	cr_expect_str_eq(i.region, "unknown");
	cr_expect_eq(i.asn, 0);
	struct geo *g = NULL;
	char err[64];
	cr_assert_eq(geo_open(&g, NULL, NULL, err, sizeof(err)), 0);
	i = look(g, "2001:db8::1");
	cr_expect_str_eq(i.region, "unknown");
	geo_close(g);
	geo_close(NULL);
}

Test(geo, missing_or_corrupt_database_names_the_file)
{
	struct geo *g = NULL;
	char err[512] = "";
	cr_expect_eq(geo_open(&g, "/nonexistent/GeoLite2-Country.mmdb", NULL, err, sizeof(err)),
	             -1);
	cr_expect(strstr(err, "/nonexistent/GeoLite2-Country.mmdb") != NULL, "%s", err);
	cr_expect(strstr(err, "country database") != NULL, "%s", err);
	cr_expect(strstr(err, "No such file") != NULL, "%s", err);
	const char *dir = test_tmpdir();
	char bad[512];
	snprintf(bad, sizeof(bad), "%s/garbage.mmdb", dir);
	FILE *f = fopen(bad, "w");
	cr_assert_not_null(f);
	fputs("this is not a MaxMind database\n", f);
	fclose(f);
	err[0] = '\0';
	cr_expect_eq(geo_open(&g, NULL, bad, err, sizeof(err)), -1);
	cr_expect(strstr(err, bad) != NULL, "%s", err);
	cr_expect(strstr(err, "ASN database") != NULL, "%s", err);
}

/* All 249 ISO 3166-1 alpha-2 codes. */
static const char iso_codes[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ "
    "EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW "
    "GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY "
    "KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV "
    "MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY "
    "QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG "
    "TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM "
    "ZW";

Test(geo, every_iso_country_has_a_rir)
{
	unsigned n = 0;
	for (const char *p = iso_codes; *p; p += 3, n++) {
		char cc[3] = {p[0], p[1], '\0'};
		const char *r = geo_region_of_country(cc);
		cr_expect(strcmp(r, "arin") == 0 || strcmp(r, "ripe") == 0 ||
		              strcmp(r, "apnic") == 0 || strcmp(r, "lacnic") == 0 ||
		              strcmp(r, "afrinic") == 0,
		          "%s -> %s", cc, r);
		if (p[2] == '\0')
			break;
	}
	cr_expect_eq(n + 1, 249);
}

Test(geo, region_of_country_samples_and_non_codes)
{
	struct {
		const char *cc, *rir;
	} cases[] = {
	    {"US", "arin"},    {"CA", "arin"},     {"PR", "arin"},    {"de", "ripe"},
	    {"RU", "ripe"},    {"SA", "ripe"},     {"KZ", "ripe"},    {"XK", "ripe"},
	    {"JP", "apnic"},   {"AU", "apnic"},    {"IN", "apnic"},   {"AF", "apnic"},
	    {"BR", "lacnic"},  {"MX", "lacnic"},   {"CW", "lacnic"},  {"ZA", "afrinic"},
	    {"EG", "afrinic"}, {"MU", "afrinic"},  {"XX", "unknown"}, {"", "unknown"},
	    {"U", "unknown"},  {"USA", "unknown"}, {"EU", "unknown"}, {"A1", "unknown"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_str_eq(geo_region_of_country(cases[i].cc), cases[i].rir, "%s",
		                 cases[i].cc);
	cr_expect_str_eq(geo_region_of_country(NULL), "unknown");
}
