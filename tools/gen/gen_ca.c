/* gen_ca.c - the CA table of the mpic scenario. */
#include "gen_ca.h"

#include <stdio.h>
#include <string.h>

#include "gen_out.h"

/*
 * letsencrypt: Boulder + Unbound (unboundtest config): 0x20, DO, EDNS 1232,
 *   1 primary + 4 remote, challenge first and CAA ~0.25 s later; remote
 *   stragglers may be cancelled. Unlisted (LE publishes no addresses).
 * digicert: dcv library (dnsjava): 2 s timeout, 3 tries; 1 primary + 6 remote
 *   (SO499: six remote locations, four must corroborate). Listed.
 * sectigo: no published MPIC addresses; CAA asked with the challenge.
 * globalsign: fixed DCV addresses since 2025-09 (APNIC) plus AWS remote
 *   perspectives, as in the reseller's list. Listed.
 */
const struct gen_ca gen_cas[GEN_NCAS] = {
    {.id = "letsencrypt",
     .listed = false,
     .mixcase = true,
     .do_bit = true,
     .udp_size = 1232,
     .remote = 4,
     .nsites = 5,
     .sites = {{"arin", {198, 18, 10}, 11, 4, "2001:db8:4c10::", 2},
               {"ripe", {198, 18, 20}, 11, 4, "2001:db8:4c20::", 2},
               {"apnic", {198, 18, 30}, 11, 4, "2001:db8:4c30::", 2},
               {"arin", {198, 18, 40}, 11, 4, "2001:db8:4c40::", 2},
               {"ripe", {198, 18, 50}, 11, 4, "2001:db8:4c50::", 2}},
     .remote_min_ms = 5,
     .remote_max_ms = 60,
     .caa_after_ms = 250,
     .retry_ms = 400,
     .tries = 2,
     .cancels = true,
     .share = 550,
     .method_share = {[GEN_M_DNS01] = 550,
                      [GEN_M_ACCOUNT01] = 120,
                      [GEN_M_PERSIST01] = 80,
                      [GEN_M_HTTP01] = 250}},
    {.id = "digicert",
     .listed = true,
     .mixcase = false,
     .do_bit = true,
     .udp_size = 1232,
     .remote = 6,
     .nsites = 7,
     .sites = {{"arin", {203, 0, 113}, 1, 3, "2001:db8:d100:1::", 2},
               {"arin", {203, 0, 113}, 9, 3, "2001:db8:d100:2::", 2},
               {"ripe", {203, 0, 113}, 17, 3, "2001:db8:d100:3::", 2},
               {"ripe", {203, 0, 113}, 25, 3, "2001:db8:d100:4::", 2},
               {"apnic", {203, 0, 113}, 33, 3, "2001:db8:d100:5::", 2},
               {"lacnic", {203, 0, 113}, 41, 3, "2001:db8:d100:6::", 2},
               {"afrinic", {203, 0, 113}, 49, 3, "2001:db8:d100:7::", 2}},
     .remote_min_ms = 10,
     .remote_max_ms = 200,
     .caa_after_ms = 600,
     .retry_ms = 2000,
     .tries = 3,
     .cancels = false,
     .share = 170,
     .method_share = {[GEN_M_DNSAUTH_TXT] = 750, [GEN_M_DNSAUTH_CNAME] = 250}},
    {.id = "sectigo",
     .listed = false,
     .mixcase = false,
     .do_bit = true,
     .udp_size = 4096,
     .remote = 3,
     .nsites = 4,
     .sites = {{"ripe", {198, 19, 10}, 11, 3, "2001:db8:5e10::", 2},
               {"arin", {198, 19, 20}, 11, 3, "2001:db8:5e20::", 2},
               {"apnic", {198, 19, 30}, 11, 3, "2001:db8:5e30::", 2},
               {"ripe", {198, 19, 40}, 11, 3, "2001:db8:5e40::", 2}},
     .remote_min_ms = 20,
     .remote_max_ms = 300,
     .caa_after_ms = 0,
     .retry_ms = 1000,
     .tries = 2,
     .cancels = false,
     .share = 170,
     .method_share = {[GEN_M_DNS01] = 650, [GEN_M_HTTP01] = 350}},
    {.id = "globalsign",
     .listed = true,
     .mixcase = false,
     .do_bit = false,
     .udp_size = 1232,
     .remote = 4,
     .nsites = 5,
     .sites = {{"apnic", {198, 51, 100}, 1, 3, "2001:db8:6500:1::", 2},
               {"apnic", {198, 51, 100}, 9, 3, "2001:db8:6500:2::", 2},
               {"arin", {198, 51, 100}, 17, 3, "2001:db8:6500:3::", 2},
               {"ripe", {198, 51, 100}, 25, 3, "2001:db8:6500:4::", 2},
               {"ripe", {198, 51, 100}, 33, 3, "2001:db8:6500:5::", 2}},
     .remote_min_ms = 10,
     .remote_max_ms = 150,
     .caa_after_ms = 400,
     .retry_ms = 1500,
     .tries = 2,
     .cancels = false,
     .share = 110,
     .method_share = {[GEN_M_PERSIST01] = 500, [GEN_M_HTTP01] = 500}},
};

unsigned gen_ca_site_addrs(const struct gen_ca_site *s)
{
	return (unsigned)s->n_v4 + s->n_v6;
}

struct dcv_addr gen_ca_site_addr(const struct gen_ca_site *s, unsigned i)
{
	if (i < s->n_v4)
		return gen_v4(s->v4[0], s->v4[1], s->v4[2], (uint8_t)(s->v4_first + i));
	char text[64];
	snprintf(text, sizeof(text), "%s%x", s->v6, 0x11 + (i - s->n_v4));
	return gen_v6(text);
}

const char *gen_method_name(enum gen_method m)
{
	static const char *const names[GEN_M_COUNT] = {"dns-01",         "dns-account-01",
	                                               "dns-persist-01", "dnsauth-txt",
	                                               "dnsauth-cname",  "http-01"};
	return (unsigned)m < GEN_M_COUNT ? names[m] : "?";
}
