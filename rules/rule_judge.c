/* rule_judge.c - the validator-facing rules' threshold tests (rule_judge.h). */
#include "rule_judge.h"

#include <string.h>

const char rule_advice_drops[] =
    "Queries from CA validators are dropped: check firewalls, DDoS protection and "
    "rate limits in front of the nameserver (they often drop bursts or unknown query "
    "types such as CAA), the server's own response rate limiting, and packet loss on "
    "the path. Exempt the CA validator networks from rate limits.";

const char rule_advice_refused[] =
    "The nameserver refuses these validators: check ACLs (allow-query, views, GeoIP or "
    "country blocks, DNS provider firewall rules) and that the server is authoritative "
    "for the names listed (a zone missing on this server also gives REFUSED). CA "
    "validators query from many networks and regions; answer them all.";

const char rule_advice_servfail[] =
    "The nameserver fails on these names: check that the zone loads without errors on "
    "every server, that DNSSEC signatures are valid (also on empty answers, e.g. CAA "
    "NODATA), and that the server answers CAA (type 257) like any other type. Let's "
    "Encrypt reports this as 'SERVFAIL looking up CAA'.";

const char rule_advice_tcp53[] =
    "Allow TCP port 53 from all sources at the nameserver, host firewall and any "
    "network firewall or DDoS filter in front of it (sessions accepted but never "
    "answered point at one that drops DNS over TCP after the handshake, such as a "
    "DNS inspection), and check that the server's TCP listener is not overloaded "
    "(its limit of TCP clients). CAs need TCP for DNSSEC, large CAA/TXT answers and "
    "retries after truncated UDP answers.";

const char rule_advice_mpic[] =
    "Some of the CA's perspectives (remote validation sites in other regions) get "
    "no usable answer; the CA needs a quorum of them to agree. Make every nameserver "
    "of the zone answer the same records to every region: no geo-blocking, no "
    "per-region rate limits, identical zone data on all servers and anycast nodes.";

uint64_t rule_tcp_failed(uint64_t rejected, uint64_t filtered, uint64_t stalled)
{
	return rejected + filtered + stalled;
}

uint64_t rule_tcp_attempts(uint64_t rejected, uint64_t filtered, uint64_t sessions)
{
	return rejected + filtered + sessions;
}

double rule_share(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

enum rule_severity rule_ca_severity(const char *ca, enum rule_severity sev)
{
	if (sev > RULE_WARNING && (ca[0] == '\0' || strcmp(ca, "unknown") == 0))
		return RULE_WARNING;
	return sev;
}

int rule_judge_drops(const struct rules_config *cfg, const char *ca, uint64_t unanswered,
                     uint64_t queries, enum rule_severity *sev)
{
	double share = rule_share(unanswered, queries);
	if ((double)unanswered < rules_config_get(cfg, RC_DROPS_MIN) ||
	    share < rules_config_get(cfg, RC_DROPS_WARN_SHARE))
		return 0;
	*sev = rule_ca_severity(
	    ca, share >= rules_config_get(cfg, RC_DROPS_CRIT_SHARE) ? RULE_CRITICAL : RULE_WARNING);
	return 1;
}

int rule_judge_rcode(const struct rules_config *cfg, const char *ca, uint64_t answers,
                     uint64_t queries, enum rule_severity *sev)
{
	if ((double)answers < rules_config_get(cfg, RC_ANSWER_MIN))
		return 0;
	*sev = rule_ca_severity(ca, rule_share(answers, queries) >=
	                                    rules_config_get(cfg, RC_ANSWER_CRIT_SHARE)
	                                ? RULE_CRITICAL
	                                : RULE_WARNING);
	return 1;
}

int rule_judge_tcp53(const struct rules_config *cfg, const char *ca, uint64_t responses,
                     uint64_t failed, uint64_t attempts, enum rule_severity *sev)
{
	double share = rule_share(failed, attempts);
	if (responses == 0 || (double)failed < rules_config_get(cfg, RC_TCP_MIN_FAILED) ||
	    share < rules_config_get(cfg, RC_TCP_WARN_SHARE))
		return 0;
	*sev = rule_ca_severity(
	    ca, share >= rules_config_get(cfg, RC_TCP_CRIT_SHARE) ? RULE_CRITICAL : RULE_WARNING);
	return 1;
}

int rule_judge_mpic(const struct rules_config *cfg, const char *ca, uint64_t bad, uint64_t attempts,
                    enum rule_severity *sev)
{
	if (bad == 0 || (double)bad < rules_config_get(cfg, RC_MPIC_MIN_ATTEMPTS))
		return 0;
	int crit = rule_share(bad, attempts) >= rules_config_get(cfg, RC_MPIC_CRIT_SHARE) &&
	           (double)bad >= rules_config_get(cfg, RC_MPIC_CRIT_MIN);
	*sev = rule_ca_severity(ca, crit ? RULE_CRITICAL : RULE_WARNING);
	return 1;
}
