/* analyze_opts.c - options, defaults and --help of `dcvscope analyze`. */
#include "analyze_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "db.h"
#include "finding.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: dcvscope analyze [OPTIONS] FILE...\n"
	    "       dcvscope analyze [OPTIONS] --dnstap FILE...\n"
	    "\n"
	    "Analyze pcap/pcapng captures (\"-\" reads standard input) of the traffic of an\n"
	    "authoritative DNS server: decode, match queries with responses, find unanswered\n"
	    "queries and TCP session problems, store per-source statistics in SQLite, and\n"
	    "print a summary. All files form one run, in the order given.\n"
	    "\n"
	    "With --dnstap the files are dnstap logs (Frame Streams, content type\n"
	    "protobuf:dnstap.Dnstap, as Knot mod-dnstap, BIND dnstap-output, NSD and Unbound\n"
	    "write them). AUTH_/CLIENT_/UPDATE_ queries and responses are analyzed like\n"
	    "captured packets; other message types, messages without the needed fields and\n"
	    "malformed ones are counted and reported. dnstap cannot show TCP session states\n"
	    "(SYN/RST, concurrent sessions), packets the server never saw (kernel or\n"
	    "firewall drops), IP fragments or snap length; the summary says so, and the TCP\n"
	    "session rules do not fire. DoT/DoH on other ports need --port.\n"
	    "\n"
	    "options:\n"
	    "  --dnstap            the FILEs are dnstap Frame Streams files\n"
	    "  --db PATH           SQLite database (default %s); created if missing\n"
	    "  --format FMT        text (default) or json\n"
	    "  --port N            also treat port N as DNS (repeatable; 53 is always DNS)\n"
	    "  --timeout-ms N      a query unanswered after N ms is a drop (default %u)\n"
	    "  --bucket-s N        statistics bucket length in seconds (default %u)\n"
	    "  --top N             sources listed in the summary (default %u; 0 = all)\n"
	    "  --max-sources N     aggregation table size (default %u); a full table\n"
	    "                      stores its oldest rows early, nothing is lost\n"
	    "  --max-pending N     open queries tracked at once (default %u); when full the\n"
	    "                      oldest is dropped and counted as evicted\n"
	    "  --validators FILE   CA validator ranges to add (repeatable; format in\n"
	    "                      share/dcvscope/validators.tsv); later rows override\n"
	    "  --no-default-validators  use only the --validators files\n"
	    "  --validators-dir DIR     instead of /etc/dcvscope (validators.tsv and\n"
	    "                      validators.d/*.tsv are read from it when present)\n"
	    "  --geoip FILE        MaxMind-format country database (regions of unlisted sources)\n"
	    "  --asn-db FILE       MaxMind-format ASN database (AS<n> rows of the ranges)\n"
	    "  --dnskeys FILE      DNSKEY and DS records (zone-file syntax) the DNSSEC check\n"
	    "                      trusts besides the DNSKEY answers in the capture\n"
	    "  --max-depth-messages N  distinct DO=1/DNSKEY/CAA answers kept for the DNSSEC\n"
	    "                      and CAA checks (default %u); later ones are counted as dropped\n"
	    "  --no-rules          do not run the rules after the analysis\n"
	    "  --rules-config FILE thresholds of the rules ([rules] section; see\n"
	    "                      'dcvscope rules --print-config')\n"
	    "  --fail-on LEVEL     exit 5 when a finding is at LEVEL (critical|warning) or above\n"
	    "  --no-progress       no progress line (it is shown only on a terminal anyway)\n"
	    "  -h, --help          this help\n"
	    "\n"
	    "exit codes: 0 success, 1 internal failure, 2 usage error, 3 an input could not\n"
	    "be read (nothing is analyzed) or was read only in part (what was read is stored\n"
	    "and reported), 4 database error, 5 findings at or above --fail-on\n",
	    DB_PATH_DEFAULT, TXN_TIMEOUT_MS_DEFAULT, AGG_BUCKET_LEN_S_DEFAULT, ANALYZE_TOP_DEFAULT,
	    AGG_MAX_ENTRIES_DEFAULT, TXN_MAX_PENDING_DEFAULT, DEPTH_MAX_MESSAGES_DEFAULT);
}

/* parse_uint() parses a decimal in [min, max]; false on anything else. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int analyze_opts_parse(int argc, char **argv, struct analyze_opts *o)
{
	enum {
		O_DB = 256,
		O_FORMAT,
		O_PORT,
		O_TIMEOUT,
		O_BUCKET,
		O_TOP,
		O_MAXSRC,
		O_MAXPEND,
		O_NOPROG,
		O_VALIDATORS,
		O_NO_DEFAULT_VALIDATORS,
		O_VALIDATORS_DIR,
		O_GEOIP,
		O_ASNDB,
		O_NO_RULES,
		O_RULES_CONFIG,
		O_FAIL_ON,
		O_DNSTAP,
		O_DNSKEYS,
		O_MAX_DEPTH
	};
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"port", required_argument, NULL, O_PORT},
	    {"timeout-ms", required_argument, NULL, O_TIMEOUT},
	    {"bucket-s", required_argument, NULL, O_BUCKET},
	    {"top", required_argument, NULL, O_TOP},
	    {"max-sources", required_argument, NULL, O_MAXSRC},
	    {"max-pending", required_argument, NULL, O_MAXPEND},
	    {"no-progress", no_argument, NULL, O_NOPROG},
	    {"validators", required_argument, NULL, O_VALIDATORS},
	    {"no-default-validators", no_argument, NULL, O_NO_DEFAULT_VALIDATORS},
	    {"validators-dir", required_argument, NULL, O_VALIDATORS_DIR},
	    {"geoip", required_argument, NULL, O_GEOIP},
	    {"asn-db", required_argument, NULL, O_ASNDB},
	    {"no-rules", no_argument, NULL, O_NO_RULES},
	    {"rules-config", required_argument, NULL, O_RULES_CONFIG},
	    {"fail-on", required_argument, NULL, O_FAIL_ON},
	    {"dnstap", no_argument, NULL, O_DNSTAP},
	    {"dnskeys", required_argument, NULL, O_DNSKEYS},
	    {"max-depth-messages", required_argument, NULL, O_MAX_DEPTH},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->db_path = DB_PATH_DEFAULT;
	o->top = ANALYZE_TOP_DEFAULT;
	o->fail_on = -1;
	o->acfg.ports[o->acfg.nports++] = ANALYZER_DNS_PORT_DEFAULT;
	optind = 1;
	int c;
	unsigned long v;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			o->db_path = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") == 0)
				o->json = true;
			else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr,
				        "dcvscope analyze: --format must be text or json\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case O_PORT:
			if (!parse_uint(optarg, 1, 65535, &v)) {
				fprintf(stderr,
				        "dcvscope analyze: --port needs 1..65535, got '%s'\n",
				        optarg);
				return CLI_EXIT_USAGE;
			}
			if (o->acfg.nports == ANALYZER_MAX_PORTS) {
				fprintf(stderr, "dcvscope analyze: at most %d ports\n",
				        ANALYZER_MAX_PORTS);
				return CLI_EXIT_USAGE;
			}
			o->acfg.ports[o->acfg.nports++] = (uint16_t)v;
			break;
		case O_TIMEOUT:
			if (!parse_uint(optarg, 1, 3600000, &v)) {
				fprintf(stderr,
				        "dcvscope analyze: --timeout-ms needs 1..3600000\n");
				return CLI_EXIT_USAGE;
			}
			o->acfg.timeout_ms = (uint32_t)v;
			break;
		case O_BUCKET:
			if (!parse_uint(optarg, 1, 86400, &v)) {
				fprintf(stderr, "dcvscope analyze: --bucket-s needs 1..86400\n");
				return CLI_EXIT_USAGE;
			}
			o->acfg.bucket_len_s = (uint32_t)v;
			break;
		case O_TOP:
			if (!parse_uint(optarg, 0, 1000000, &v)) {
				fprintf(stderr, "dcvscope analyze: --top needs 0..1000000\n");
				return CLI_EXIT_USAGE;
			}
			o->top = (unsigned)v;
			break;
		case O_MAXSRC:
		case O_MAXPEND:
			if (!parse_uint(optarg, 16, 1u << 26, &v)) {
				fprintf(stderr, "dcvscope analyze: %s needs 16..%u\n",
				        c == O_MAXSRC ? "--max-sources" : "--max-pending",
				        1u << 26);
				return CLI_EXIT_USAGE;
			}
			if (c == O_MAXSRC)
				o->acfg.max_sources = (uint32_t)v;
			else
				o->acfg.max_pending = (uint32_t)v;
			break;
		case O_NOPROG:
			o->no_progress = true;
			break;
		case O_VALIDATORS:
			if (o->nvalidator_files == ANALYZE_MAX_VALIDATOR_FILES) {
				fprintf(stderr, "dcvscope analyze: at most %d --validators files\n",
				        ANALYZE_MAX_VALIDATOR_FILES);
				return CLI_EXIT_USAGE;
			}
			o->validator_files[o->nvalidator_files++] = optarg;
			break;
		case O_NO_DEFAULT_VALIDATORS:
			o->no_default_validators = true;
			break;
		case O_VALIDATORS_DIR:
			o->validators_dir = optarg;
			break;
		case O_GEOIP:
			o->geoip = optarg;
			break;
		case O_ASNDB:
			o->asn_db = optarg;
			break;
		case O_NO_RULES:
			o->no_rules = true;
			break;
		case O_DNSKEYS:
			o->dnskeys = optarg;
			break;
		case O_MAX_DEPTH:
			if (!parse_uint(optarg, 1, 1u << 20, &v)) {
				fprintf(stderr,
				        "dcvscope analyze: --max-depth-messages needs 1..%u\n",
				        1u << 20);
				return CLI_EXIT_USAGE;
			}
			o->acfg.depth.max_messages = (uint32_t)v;
			break;
		case O_RULES_CONFIG:
			o->rules_config = optarg;
			break;
		case O_FAIL_ON:
			if (strcmp(optarg, "critical") == 0)
				o->fail_on = RULE_CRITICAL;
			else if (strcmp(optarg, "warning") == 0)
				o->fail_on = RULE_WARNING;
			else {
				fprintf(
				    stderr,
				    "dcvscope analyze: --fail-on must be critical or warning\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case O_DNSTAP:
			o->dnstap = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "dcvscope analyze: no input files (use - for standard input)\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	o->files = argv + optind;
	o->nfiles = (unsigned)(argc - optind);
	unsigned stdin_count = 0;
	for (unsigned i = 0; i < o->nfiles; i++)
		stdin_count += strcmp(o->files[i], "-") == 0;
	if (stdin_count > 1) {
		fprintf(stderr, "dcvscope analyze: standard input (-) can be given only once\n");
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}
