/* watch_opts.c - options, configuration file and --help of `dcvscope watch`. */
#include "watch_opts.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "ship_opts.h"

/* Names shared by the command line (--NAME) and the configuration file
 * (NAME = value, in section [watch] or before any section). */
enum {
	O_INTERFACE = 256,
	O_CAPTURE,
	O_DB,
	O_CONFIG,
	O_FLUSH,
	O_RULES,
	O_RETENTION,
	O_SYSLOG,
	O_WRITE_PCAP,
	O_ROTATE_MB,
	O_ROTATE_S,
	O_SNAPLEN,
	O_BUFFER_MB,
	O_VALIDATORS,
	O_NO_DEFAULT_VALIDATORS,
	O_VALIDATORS_DIR,
	O_GEOIP,
	O_ASNDB,
	O_PORT,
	O_TIMEOUT,
	O_BUCKET,
	O_MAXSRC,
	O_MAXPEND,
	O_DURATION,
	O_DNSTAP,
	O_CLICKHOUSE,
	O_SERVER,
	O_SITE,
	O_SPOOL,
	O_SPOOL_MB,
};

static const struct option longopts[] = {
    {"interface", required_argument, NULL, O_INTERFACE},
    {"capture", required_argument, NULL, O_CAPTURE},
    {"db", required_argument, NULL, O_DB},
    {"config", required_argument, NULL, O_CONFIG},
    {"flush-s", required_argument, NULL, O_FLUSH},
    {"rules-s", required_argument, NULL, O_RULES},
    {"retention-days", required_argument, NULL, O_RETENTION},
    {"syslog", optional_argument, NULL, O_SYSLOG},
    {"write-pcap", required_argument, NULL, O_WRITE_PCAP},
    {"rotate-mb", required_argument, NULL, O_ROTATE_MB},
    {"rotate-s", required_argument, NULL, O_ROTATE_S},
    {"snaplen", required_argument, NULL, O_SNAPLEN},
    {"buffer-mb", required_argument, NULL, O_BUFFER_MB},
    {"validators", required_argument, NULL, O_VALIDATORS},
    {"no-default-validators", optional_argument, NULL, O_NO_DEFAULT_VALIDATORS},
    {"validators-dir", required_argument, NULL, O_VALIDATORS_DIR},
    {"geoip", required_argument, NULL, O_GEOIP},
    {"asn-db", required_argument, NULL, O_ASNDB},
    {"port", required_argument, NULL, O_PORT},
    {"timeout-ms", required_argument, NULL, O_TIMEOUT},
    {"bucket-s", required_argument, NULL, O_BUCKET},
    {"max-sources", required_argument, NULL, O_MAXSRC},
    {"max-pending", required_argument, NULL, O_MAXPEND},
    {"duration-s", required_argument, NULL, O_DURATION},
    {"dnstap", required_argument, NULL, O_DNSTAP},
    {"clickhouse", required_argument, NULL, O_CLICKHOUSE},
    {"server", required_argument, NULL, O_SERVER},
    {"site", required_argument, NULL, O_SITE},
    {"spool", required_argument, NULL, O_SPOOL},
    {"spool-max-mb", required_argument, NULL, O_SPOOL_MB},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: dcvscope watch -i IFACE [OPTIONS]\n"
	    "       dcvscope watch --dnstap unix:PATH [OPTIONS]\n"
	    "\n"
	    "Capture the DNS traffic of an authoritative server live and analyze it like\n"
	    "'dcvscope analyze': statistics go to SQLite every flush interval (one run of\n"
	    "kind \"live\"), the rules run every rules interval and new and resolved\n"
	    "findings are printed as JSON lines on standard output.\n"
	    "\n"
	    "Every option is also a key of the configuration file (INI, key = value,\n"
	    "section [watch]); the command line overrides the file. Repeatable options\n"
	    "given on the command line replace the file's list.\n"
	    "\n"
	    "options:\n"
	    "  -i, --interface IFACE  interface to capture on (this or --dnstap)\n"
	    "  --dnstap unix:PATH  instead of capturing, listen on the unix socket PATH for\n"
	    "                      the server's dnstap writer (Frame Streams, bidirectional\n"
	    "                      or not; e.g. Knot mod-dnstap sink: unix:PATH). The same\n"
	    "                      analysis; dnstap has no TCP session states, kernel drops\n"
	    "                      or fragments to show. The socket is created at start\n"
	    "                      (a stale one is replaced) and removed at stop\n"
	    "  --capture MODE      ebpf, pcap or auto (default: eBPF when the kernel permits\n"
	    "                      it, else libpcap; the choice is logged)\n"
	    "  --db PATH           SQLite database (default %s)\n"
	    "  --config FILE       configuration file (default %s, read\n"
	    "                      when it exists)\n"
	    "  --flush-s N         write statistics and capture losses every N s (default %u)\n"
	    "  --rules-s N         run the rules every N s (default %u; 0 = never)\n"
	    "  --retention-days N  delete rows older than N days, at start and hourly\n"
	    "                      (default %u; 0 = keep everything)\n"
	    "  --syslog            also send the log and the findings to syslog\n"
	    "  --write-pcap DIR    keep the captured frames as pcap files in DIR\n"
	    "  --rotate-mb N       start a new pcap file after N MiB (default 0 = no limit)\n"
	    "  --rotate-s N        start a new pcap file every N s (default 0 = no limit)\n"
	    "  --snaplen N         bytes kept of each frame (default: the source's)\n"
	    "  --buffer-mb N       kernel buffer / ring buffer size (default: the source's)\n"
	    "  --validators FILE   CA validator ranges to add (repeatable)\n"
	    "  --no-default-validators  use only the --validators files\n"
	    "  --validators-dir DIR     instead of /etc/dcvscope\n"
	    "  --geoip FILE        MaxMind-format country database\n"
	    "  --asn-db FILE       MaxMind-format ASN database\n"
	    "  --port N            also treat port N as DNS (repeatable; 53 is always DNS)\n"
	    "  --timeout-ms N      a query unanswered after N ms is a drop (default %u)\n"
	    "  --bucket-s N        statistics bucket length in seconds (default %u)\n"
	    "  --max-sources N     aggregation table size (default %u); evictions are counted\n"
	    "  --max-pending N     open queries tracked at once (default %u)\n"
	    "  --duration-s N      stop after N s (default 0 = run until SIGINT/SIGTERM)\n"
	    "  --clickhouse URL    also ship the new rows to the fleet's ClickHouse after\n"
	    "                      every flush and at stop (as 'dcvscope ship'; default:\n"
	    "                      none)\n"
	    "  --server NAME       this host's name in the fleet (default: the host name)\n"
	    "  --site NAME         its site (default %s)\n"
	    "  --spool DIR         batches ClickHouse could not take wait here (default: none;\n"
	    "                      they stay unshipped in the database until it is back)\n"
	    "  --spool-max-mb N    most the spool may hold (default %d)\n"
	    "  -h, --help          this help\n"
	    "\n"
	    "signals: SIGINT/SIGTERM store everything and exit 0; SIGHUP reloads the\n"
	    "configuration file and the validator ranges, keeping all statistics.\n"
	    "\n"
	    "exit codes: 0 success, 1 internal failure, 2 usage error, 3 the capture could\n"
	    "not be opened or failed, 4 database error\n",
	    DB_PATH_DEFAULT, WATCH_CONFIG_DEFAULT, WATCH_FLUSH_S_DEFAULT, WATCH_RULES_S_DEFAULT,
	    WATCH_RETENTION_DAYS_DEFAULT, TXN_TIMEOUT_MS_DEFAULT, AGG_BUCKET_LEN_S_DEFAULT,
	    AGG_MAX_ENTRIES_DEFAULT, TXN_MAX_PENDING_DEFAULT, SHIP_SITE_DEFAULT,
	    DB_SHIP_SPOOL_MAX_MB_DEFAULT);
}

const char *watch_input_name(const struct watch_opts *o)
{
	return o->dnstap != NULL ? o->dnstap_label : o->iface;
}

const char *watch_capture_name(enum cap_live_kind k)
{
	return k == CAP_LIVE_EBPF     ? "ebpf"
	       : k == CAP_LIVE_PCAP   ? "pcap"
	       : k == CAP_LIVE_DNSTAP ? "dnstap"
	                              : "auto";
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

/* parse_uint() parses a decimal in [min, max]; false on anything else. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	if (s == NULL || s[0] == '-' || s[0] == '\0')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* parse_bool() reads a flag's value; NULL (a bare command-line flag) is true. */
static bool parse_bool(const char *s, bool *out)
{
	if (s == NULL || strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcmp(s, "1") == 0 || strcasecmp(s, "on") == 0)
		*out = true;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0 ||
	         strcasecmp(s, "off") == 0)
		*out = false;
	else
		return false;
	return true;
}

static int set_str(char **slot, const char *value, char *err, size_t errlen)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return fail(err, errlen, "out of memory");
	free(*slot);
	*slot = copy;
	return CLI_EXIT_OK;
}

/* Numeric options: id, name, min, max, and where the value goes. */
static int set_number(struct watch_opts *o, int id, const char *name, const char *value, char *err,
                      size_t errlen)
{
	unsigned long v, min = 0, max = 0;
	switch (id) {
	case O_FLUSH:
		min = 1, max = 3600;
		break;
	case O_RULES:
		min = 0, max = 86400;
		break;
	case O_RETENTION:
		min = 0, max = 36500;
		break;
	case O_ROTATE_MB:
		min = 0, max = 1u << 20;
		break;
	case O_ROTATE_S:
		min = 0, max = 86400 * 7;
		break;
	case O_SNAPLEN:
		min = 0, max = 262144;
		break;
	case O_BUFFER_MB:
		min = 0, max = 4096;
		break;
	case O_TIMEOUT:
		min = 1, max = 3600000;
		break;
	case O_BUCKET:
		min = 1, max = 86400;
		break;
	case O_MAXSRC:
	case O_MAXPEND:
		min = 16, max = 1u << 26;
		break;
	case O_DURATION:
		min = 0, max = 1u << 30;
		break;
	case O_SPOOL_MB:
		min = 1, max = 1u << 20;
		break;
	}
	if (!parse_uint(value, min, max, &v))
		return fail(err, errlen, "%s needs %lu..%lu, got '%s'", name, min, max,
		            value ? value : "");
	switch (id) {
	case O_FLUSH:
		o->flush_s = (unsigned)v;
		break;
	case O_RULES:
		o->rules_s = (unsigned)v;
		break;
	case O_RETENTION:
		o->retention_days = (unsigned)v;
		break;
	case O_ROTATE_MB:
		o->rotate_mb = (unsigned)v;
		break;
	case O_ROTATE_S:
		o->rotate_s = (unsigned)v;
		break;
	case O_SNAPLEN:
		o->snaplen = (uint32_t)v;
		break;
	case O_BUFFER_MB:
		o->buffer_mb = (uint32_t)v;
		break;
	case O_TIMEOUT:
		o->acfg.timeout_ms = (uint32_t)v;
		break;
	case O_BUCKET:
		o->acfg.bucket_len_s = (uint32_t)v;
		break;
	case O_MAXSRC:
		o->acfg.max_sources = (uint32_t)v;
		break;
	case O_MAXPEND:
		o->acfg.max_pending = (uint32_t)v;
		break;
	case O_DURATION:
		o->duration_s = (unsigned)v;
		break;
	case O_SPOOL_MB:
		o->ship_spool_mb = (unsigned)v;
		break;
	}
	return CLI_EXIT_OK;
}

/* Sets option id (named name) to value; from_cli: the command line, whose
 * repeatable options replace the file's list on their first use. */
static int opt_set(struct watch_opts *o, int id, const char *name, const char *value, bool from_cli,
                   char *err, size_t errlen)
{
	unsigned long v;
	bool b;
	if (value == NULL && id != O_SYSLOG && id != O_NO_DEFAULT_VALIDATORS)
		return fail(err, errlen, "%s needs a value", name);
	switch (id) {
	case O_INTERFACE:
		/* the command line's input replaces the file's, of either kind */
		if (from_cli && o->cli_input && o->dnstap != NULL)
			return fail(err, errlen, "an interface and --dnstap exclude each other");
		if (from_cli) {
			o->cli_input = true;
			free(o->dnstap);
			o->dnstap = NULL;
		}
		return set_str(&o->iface, value, err, errlen);
	case O_DNSTAP:
		if (strncmp(value, "unix:", 5) != 0 || value[5] == '\0')
			return fail(err, errlen, "dnstap needs unix:PATH, got '%s'", value);
		if (from_cli && o->cli_input && o->iface != NULL)
			return fail(err, errlen, "an interface and --dnstap exclude each other");
		if (from_cli) {
			o->cli_input = true;
			free(o->iface);
			o->iface = NULL;
		}
		return set_str(&o->dnstap, value + 5, err, errlen);
	case O_DB:
		return set_str(&o->db_path, value, err, errlen);
	case O_CONFIG:
		return CLI_EXIT_OK; /* read before everything else */
	case O_WRITE_PCAP:
		return set_str(&o->pcap_dir, value, err, errlen);
	case O_VALIDATORS_DIR:
		return set_str(&o->validators_dir, value, err, errlen);
	case O_GEOIP:
		return set_str(&o->geoip, value, err, errlen);
	case O_ASNDB:
		return set_str(&o->asn_db, value, err, errlen);
	case O_CLICKHOUSE:
		return set_str(&o->ch_url, value, err, errlen);
	case O_SERVER:
		return set_str(&o->ship_server, value, err, errlen);
	case O_SITE:
		return set_str(&o->ship_site, value, err, errlen);
	case O_SPOOL:
		return set_str(&o->ship_spool, value, err, errlen);
	case O_CAPTURE:
		if (strcmp(value, "auto") == 0)
			o->capture = CAP_LIVE_AUTO;
		else if (strcmp(value, "ebpf") == 0)
			o->capture = CAP_LIVE_EBPF;
		else if (strcmp(value, "pcap") == 0)
			o->capture = CAP_LIVE_PCAP;
		else
			return fail(err, errlen, "capture must be ebpf, pcap or auto, got '%s'",
			            value);
		return CLI_EXIT_OK;
	case O_SYSLOG:
	case O_NO_DEFAULT_VALIDATORS:
		if (!parse_bool(value, &b))
			return fail(err, errlen, "%s needs yes or no, got '%s'", name, value);
		if (id == O_SYSLOG)
			o->syslog = b;
		else
			o->no_default_validators = b;
		return CLI_EXIT_OK;
	case O_VALIDATORS:
		if (from_cli && !o->cli_validators) {
			for (unsigned i = 0; i < o->nvalidator_files; i++)
				free(o->validator_files[i]);
			o->nvalidator_files = 0;
			o->cli_validators = true;
		}
		if (o->nvalidator_files == WATCH_MAX_VALIDATOR_FILES)
			return fail(err, errlen, "at most %d validators files",
			            WATCH_MAX_VALIDATOR_FILES);
		if ((o->validator_files[o->nvalidator_files] = strdup(value)) == NULL)
			return fail(err, errlen, "out of memory");
		o->nvalidator_files++;
		return CLI_EXIT_OK;
	case O_PORT:
		if (from_cli && !o->cli_ports) {
			o->acfg.nports = 1; /* 53 stays */
			o->cli_ports = true;
		}
		if (!parse_uint(value, 1, 65535, &v))
			return fail(err, errlen, "port needs 1..65535, got '%s'", value);
		for (unsigned i = 0; i < o->acfg.nports; i++)
			if (o->acfg.ports[i] == v)
				return CLI_EXIT_OK;
		if (o->acfg.nports == CAP_LIVE_MAX_PORTS)
			return fail(err, errlen, "at most %d ports", CAP_LIVE_MAX_PORTS);
		o->acfg.ports[o->acfg.nports++] = (uint16_t)v;
		return CLI_EXIT_OK;
	default:
		return set_number(o, id, name, value, err, errlen);
	}
}

/* ---- configuration file (inih) ------------------------------------- */

struct ini_ctx {
	struct watch_opts *o;
	const char *path;
	char *err;
	size_t errlen;
	int rc;
};

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *c = user;
	if (c->rc != CLI_EXIT_OK)
		return 0;
	if (section[0] != '\0' && strcmp(section, "watch") != 0) {
		c->rc = fail(c->err, c->errlen, "unknown section [%s] (use [watch])", section);
		return 0;
	}
	for (const struct option *lo = longopts; lo->name != NULL; lo++) {
		if (strcmp(lo->name, name) != 0 || lo->val == 'h' || lo->val == O_CONFIG)
			continue;
		char msg[WATCH_ERR_MAX];
		int rc = opt_set(c->o, lo->val, name, value, false, msg, sizeof(msg));
		if (rc != CLI_EXIT_OK) {
			c->rc = fail(c->err, c->errlen, "%s", msg);
			return 0;
		}
		return 1;
	}
	c->rc = fail(c->err, c->errlen, "unknown key '%s'", name);
	return 0;
}

static int load_file(struct watch_opts *o, char *err, size_t errlen)
{
	if (!o->config_explicit && access(o->config_path, F_OK) != 0)
		return CLI_EXIT_OK; /* the default file is optional */
	struct ini_ctx c = {.o = o, .path = o->config_path, .err = err, .errlen = errlen};
	/* inih returns the line of the first error, also one the handler found */
	int rc = ini_parse(o->config_path, config_handler, &c);
	if (c.rc != CLI_EXIT_OK) {
		char msg[WATCH_ERR_MAX];
		snprintf(msg, sizeof(msg), "%s", err);
		return fail(err, errlen, "%s:%d: %s", o->config_path, rc, msg);
	}
	if (rc < 0)
		return fail(err, errlen, "cannot read the configuration file %s: %s",
		            o->config_path, strerror(errno));
	if (rc > 0)
		return fail(err, errlen, "%s:%d: syntax error", o->config_path, rc);
	return CLI_EXIT_OK;
}

/* ---- command line ---------------------------------------------------- */

static void set_defaults(struct watch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->capture = CAP_LIVE_AUTO;
	o->flush_s = WATCH_FLUSH_S_DEFAULT;
	o->rules_s = WATCH_RULES_S_DEFAULT;
	o->retention_days = WATCH_RETENTION_DAYS_DEFAULT;
	o->acfg.ports[o->acfg.nports++] = ANALYZER_DNS_PORT_DEFAULT;
}

int watch_opts_load(int argc, char **argv, struct watch_opts *o, char *err, size_t errlen)
{
	char buf[WATCH_ERR_MAX];
	char *msg = err != NULL ? err : buf;
	size_t msglen = err != NULL ? errlen : sizeof(buf);
	msg[0] = '\0';
	set_defaults(o);
	int c, idx, rc = CLI_EXIT_OK;
	const char *config = NULL;

	/* pass 1: --config and --help only */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "hi:", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (c == O_CONFIG)
			config = optarg;
	}
	o->config_explicit = config != NULL;
	if (set_str(&o->config_path, config ? config : WATCH_CONFIG_DEFAULT, msg, msglen) != 0 ||
	    (rc = load_file(o, msg, msglen)) != CLI_EXIT_OK)
		goto out;

	/* pass 2: everything, over the file's values */
	opterr = err == NULL;
	optind = 0;
	while ((c = getopt_long(argc, argv, "hi:", longopts, &idx)) != -1) {
		if (c == '?' || c == ':') {
			rc = fail(msg, msglen, "unknown option or missing value (see --help)");
			goto out;
		}
		const char *name = c == 'i' ? "interface" : longopts[idx].name;
		rc = opt_set(o, c == 'i' ? O_INTERFACE : c, name, optarg, true, msg, msglen);
		if (rc != CLI_EXIT_OK)
			goto out;
	}
	if (optind < argc) {
		rc = fail(msg, msglen, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (o->iface != NULL && o->dnstap != NULL) {
		rc = fail(msg, msglen, "an interface and --dnstap exclude each other");
		goto out;
	}
	if (o->iface == NULL && o->dnstap == NULL) {
		rc = fail(msg, msglen,
		          "no interface (-i IFACE, or interface = in %s) and no --dnstap unix:PATH",
		          o->config_path);
		goto out;
	}
	if (o->dnstap != NULL) {
		o->capture = CAP_LIVE_DNSTAP;
		snprintf(o->dnstap_label, sizeof(o->dnstap_label), "unix:%s", o->dnstap);
	}
	if (o->db_path == NULL)
		rc = set_str(&o->db_path, DB_PATH_DEFAULT, msg, msglen);
out:
	if (rc != CLI_EXIT_OK && err == NULL)
		fprintf(stderr, "dcvscope watch: %s\n", msg);
	return rc;
}

void watch_opts_free(struct watch_opts *o)
{
	free(o->iface);
	free(o->dnstap);
	free(o->db_path);
	free(o->config_path);
	free(o->pcap_dir);
	free(o->validators_dir);
	free(o->geoip);
	free(o->asn_db);
	free(o->ch_url);
	free(o->ship_server);
	free(o->ship_site);
	free(o->ship_spool);
	for (unsigned i = 0; i < o->nvalidator_files; i++)
		free(o->validator_files[i]);
	memset(o, 0, sizeof(*o));
}
