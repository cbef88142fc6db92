/*
 * cmd_validators.c - `dcvscope validators lookup|check`: ask the validator
 * range table (and the geo databases) about one address, or check table
 * files for mistakes before installing them.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "geo.h"
#include "validators.h"

#define VALIDATORS_ETC_DIR   "/etc/dcvscope"
#define LOOKUP_MATCH_MAX     256 /* rows printed for one address */
#define CHECK_DETECT_LINES   64  /* lines read to tell a caa-identifiers file */
#define CHECK_DETECT_LINELEN 4096

/* exit codes of lookup: listed / not listed (documented in --help) */
enum { LOOKUP_LISTED = 0, LOOKUP_NOT_LISTED = 1 };

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: dcvscope validators lookup ADDRESS [OPTIONS]\n"
	    "       dcvscope validators check FILE...\n"
	    "\n"
	    "lookup: print every row of the CA validator range table that matches ADDRESS\n"
	    "(longest prefix; AS<n> rows too when --asn-db names the origin AS), with the\n"
	    "country, RIR region and AS from the geo databases. The table is the built-in\n"
	    "one, then DIR/validators.tsv, DIR/caa-identifiers.tsv and DIR/validators.d/*.tsv,\n"
	    "then every --validators FILE in order.\n"
	    "  --validators FILE   also load FILE (repeatable; later rows win)\n"
	    "  --geoip FILE        country database (GeoLite2-Country/City format)\n"
	    "  --asn-db FILE       ASN database (GeoLite2-ASN format)\n"
	    "  --etc-dir DIR       configuration directory (default %s)\n"
	    "  --no-defaults       skip the built-in table and DIR\n"
	    "  --format FMT        text (default) or json\n"
	    "  exit codes: 0 listed, 1 not listed (or internal failure), 2 usage error,\n"
	    "              3 a table file or database could not be read\n"
	    "\n"
	    "check: parse validators.tsv / caa-identifiers.tsv files (told apart by their\n"
	    "'#@ format' line), in order as one table, print every problem as\n"
	    "FILE:LINE: message and a summary (rows, CAs, prefixes by family).\n"
	    "  exit codes: 0 clean, 1 warnings, 2 usage error, 3 a file could not be read\n",
	    VALIDATORS_ETC_DIR);
}

/* print_warning() is the table's warning sink: "file:line: message". */
static void print_warning(void *ctx, const char *file, unsigned line, const char *msg)
{
	FILE *out = ctx;
	if (line > 0)
		fprintf(out, "%s:%u: %s\n", file, line, msg);
	else
		fprintf(out, "%s: %s\n", file, msg);
}

/* ---- lookup ------------------------------------------------------------------ */

struct lookup_opts {
	const char *address;
	const char **files;
	unsigned nfiles;
	const char *geoip, *asn_db, *etc_dir;
	bool no_defaults, json;
};

/* prefix_text() writes the row's prefix: the address masked to its length,
 * or AS<n> for AS rows. */
static void prefix_text(const struct dcv_addr *a, const struct validator_match *m, uint32_t asn,
                        char *buf, size_t len)
{
	if (m->by_asn) {
		snprintf(buf, len, "AS%u", asn);
		return;
	}
	struct dcv_addr net = *a;
	for (unsigned b = 0; b < 16; b++) {
		int keep = (int)m->prefix_len - (int)b * 8;
		net.bytes[b] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
	char text[DCV_ADDR_TEXT_MAX];
	snprintf(buf, len, "%s/%u", dcv_addr_format(&net, text, sizeof(text)), m->prefix_len);
}

static int print_json(const struct lookup_opts *o, const struct dcv_addr *a,
                      const struct validator_match *m, unsigned n, const struct geo_info *gi)
{
	json_t *root = json_object(), *rows = json_array(), *geo = json_object();
	if (root == NULL || rows == NULL || geo == NULL)
		goto oom;
	json_object_set_new(root, "address", json_string(o->address));
	json_object_set_new(root, "family", json_integer(a->family));
	json_object_set_new(root, "listed", json_boolean(n > 0));
	for (unsigned i = 0; i < n; i++) {
		char pfx[64];
		prefix_text(a, &m[i], gi->asn, pfx, sizeof(pfx));
		json_t *r =
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "ca", m[i].ca, "prefix",
		              pfx, "role", validators_role_name(m[i].role), "region", m[i].region,
		              "source", m[i].source, "asof", m[i].asof, "conf",
		              validators_conf_name(m[i].conf), "by_asn", m[i].by_asn);
		if (r == NULL || json_array_append_new(rows, r) < 0)
			goto oom;
	}
	json_object_set_new(root, "matches", rows);
	rows = NULL;
	json_object_set_new(geo, "country",
	                    gi->country[0] ? json_string(gi->country) : json_null());
	json_object_set_new(geo, "region", json_string(gi->region));
	json_object_set_new(geo, "asn", gi->asn ? json_integer(gi->asn) : json_null());
	json_object_set_new(root, "geo", geo);
	geo = NULL;
	if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		goto oom;
	putchar('\n');
	json_decref(root);
	return 0;
oom:
	json_decref(root);
	json_decref(rows);
	json_decref(geo);
	return -1;
}

static void print_text(const struct lookup_opts *o, const struct dcv_addr *a,
                       const struct validator_match *m, unsigned n, const struct geo_info *gi)
{
	if (n == 0)
		printf("%s: not listed as a CA validator\n", o->address);
	else
		printf("%s: listed, %u row%s (strongest evidence first)\n", o->address, n,
		       n == 1 ? "" : "s");
	if (n > 0)
		printf("  %-12s %-22s %-9s %-20s %-11s %-10s %s\n", "CA", "PREFIX", "ROLE",
		       "REGION", "CONF", "ASOF", "SOURCE");
	for (unsigned i = 0; i < n; i++) {
		char pfx[64];
		prefix_text(a, &m[i], gi->asn, pfx, sizeof(pfx));
		printf("  %-12s %-22s %-9s %-20s %-11s %-10s %s\n", m[i].ca, pfx,
		       validators_role_name(m[i].role), m[i].region,
		       validators_conf_name(m[i].conf), m[i].asof, m[i].source);
	}
	char asn[16] = "-";
	if (gi->asn)
		snprintf(asn, sizeof(asn), "AS%u", gi->asn);
	printf("geo: country %s, region %s, origin %s%s\n", gi->country[0] ? gi->country : "-",
	       gi->region, asn, o->geoip || o->asn_db ? "" : " (no --geoip / --asn-db given)");
}

static int parse_lookup(int argc, char **argv, struct lookup_opts *o)
{
	enum { O_VALIDATORS = 256, O_GEOIP, O_ASN, O_ETC, O_NODEF, O_FORMAT };
	static const struct option longopts[] = {
	    {"validators", required_argument, NULL, O_VALIDATORS},
	    {"geoip", required_argument, NULL, O_GEOIP},
	    {"asn-db", required_argument, NULL, O_ASN},
	    {"etc-dir", required_argument, NULL, O_ETC},
	    {"no-defaults", no_argument, NULL, O_NODEF},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_VALIDATORS:
			o->files[o->nfiles++] = optarg;
			break;
		case O_GEOIP:
			o->geoip = optarg;
			break;
		case O_ASN:
			o->asn_db = optarg;
			break;
		case O_ETC:
			o->etc_dir = optarg;
			break;
		case O_NODEF:
			o->no_defaults = true;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
				fprintf(stderr,
				        "dcvscope validators: --format must be text or json\n");
				return CLI_EXIT_USAGE;
			}
			o->json = strcmp(optarg, "json") == 0;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "dcvscope validators lookup: exactly one ADDRESS expected\n");
		return CLI_EXIT_USAGE;
	}
	o->address = argv[optind];
	return CLI_EXIT_OK;
}

static int cmd_lookup(int argc, char **argv)
{
	struct lookup_opts o = {.etc_dir = VALIDATORS_ETC_DIR};
	struct validators *v = NULL;
	struct geo *g = NULL;
	int rc;
	o.files = calloc((size_t)argc + 1, sizeof(*o.files));
	if (o.files == NULL)
		return CLI_EXIT_FAILURE;
	rc = parse_lookup(argc, argv, &o);
	if (rc != CLI_EXIT_OK) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto cleanup;
	}
	struct dcv_addr addr;
	if (!dcv_addr_parse(o.address, &addr)) {
		fprintf(stderr, "dcvscope validators lookup: '%s' is not an IPv4 or IPv6 address\n",
		        o.address);
		rc = CLI_EXIT_USAGE;
		goto cleanup;
	}
	v = validators_new();
	if (v == NULL) {
		rc = CLI_EXIT_FAILURE;
		goto cleanup;
	}
	if (!o.no_defaults && validators_load_defaults(v, o.etc_dir, print_warning, stderr) < 0) {
		if (errno == ENOMEM) {
			rc = CLI_EXIT_FAILURE;
			goto cleanup;
		}
		rc = CLI_EXIT_INPUT; /* the file was named in a warning; go on, report at the end */
	}
	for (unsigned i = 0; i < o.nfiles; i++) {
		if (validators_load_file(v, o.files[i], print_warning, stderr) < 0) {
			fprintf(stderr, "dcvscope validators: %s: %s\n", o.files[i],
			        strerror(errno));
			rc = CLI_EXIT_INPUT;
			goto cleanup;
		}
	}
	char err[512];
	if (geo_open(&g, o.geoip, o.asn_db, err, sizeof(err)) < 0) {
		fprintf(stderr, "dcvscope validators: %s\n", err);
		rc = CLI_EXIT_INPUT;
		goto cleanup;
	}
	struct geo_info gi;
	geo_lookup(g, &addr, &gi);
	struct validator_match m[LOOKUP_MATCH_MAX];
	unsigned n = validators_lookup(v, &addr, gi.asn, m, LOOKUP_MATCH_MAX);
	if (o.json) {
		if (print_json(&o, &addr, m, n, &gi) < 0) {
			rc = CLI_EXIT_FAILURE;
			goto cleanup;
		}
	} else {
		print_text(&o, &addr, m, n, &gi);
	}
	if (rc == CLI_EXIT_OK)
		rc = n > 0 ? LOOKUP_LISTED : LOOKUP_NOT_LISTED;
cleanup:
	geo_close(g);
	validators_free(v);
	free(o.files);
	return rc;
}

/* ---- check ------------------------------------------------------------------- */

/* is_caa_file() says whether the file's format line names caa-identifiers;
 * -1 when it cannot be opened. */
static int is_caa_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	char line[CHECK_DETECT_LINELEN];
	int caa = 0;
	for (int i = 0; i < CHECK_DETECT_LINES && fgets(line, sizeof(line), f) != NULL; i++) {
		char *p = line;
		if (i == 0 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "#@", 2) != 0)
			continue;
		p += 2;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "format", 6) != 0)
			continue;
		p += 6;
		while (*p == ' ' || *p == '\t')
			p++;
		caa = strncmp(p, "caa-identifiers", 15) == 0;
		break;
	}
	fclose(f);
	return caa;
}

struct check_count {
	unsigned warnings;
};

static void count_warning(void *ctx, const char *file, unsigned line, const char *msg)
{
	struct check_count *c = ctx;
	c->warnings++;
	print_warning(stdout, file, line, msg);
}

static int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "dcvscope validators check: no FILE given\n");
		return CLI_EXIT_USAGE;
	}
	struct validators *v = validators_new();
	if (v == NULL)
		return CLI_EXIT_FAILURE;
	struct check_count total = {0};
	bool unreadable = false;
	int nfiles = argc - optind;
	for (int i = optind; i < argc; i++) {
		const char *path = argv[i];
		struct check_count fc = {0};
		int caa = is_caa_file(path);
		int n = -1;
		if (caa >= 0)
			n = caa ? validators_load_caa_file(v, path, count_warning, &fc)
			        : validators_load_file(v, path, count_warning, &fc);
		if (n < 0) {
			fprintf(stderr, "dcvscope validators check: %s: %s\n", path,
			        strerror(errno));
			unreadable = true;
			continue;
		}
		printf("%s: %s, %d row%s applied, %u warning%s\n", path,
		       caa ? "caa-identifiers" : "ca-validators", n, n == 1 ? "" : "s", fc.warnings,
		       fc.warnings == 1 ? "" : "s");
		total.warnings += fc.warnings;
	}
	struct validators_stats st;
	validators_stats(v, &st);
	printf("summary: %d file%s, %zu rows (%zu IPv4, %zu IPv6, %zu AS), %zu CA%s, "
	       "%zu issuer domain%s, %u warning%s\n",
	       nfiles, nfiles == 1 ? "" : "s", validators_count(v), st.v4, st.v6, st.asn, st.cas,
	       st.cas == 1 ? "" : "s", st.issuers, st.issuers == 1 ? "" : "s", total.warnings,
	       total.warnings == 1 ? "" : "s");
	validators_free(v);
	if (unreadable)
		return CLI_EXIT_INPUT;
	return total.warnings > 0 ? 1 : CLI_EXIT_OK;
}

int cmd_validators(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(sub, "lookup") == 0)
		return cmd_lookup(argc - 1, argv + 1);
	if (strcmp(sub, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	fprintf(stderr, "dcvscope validators: unknown subcommand '%s'\n\n", sub);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
