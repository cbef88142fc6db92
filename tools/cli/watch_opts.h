/*
 * watch_opts.h - the options of `dcvscope watch`: defaults, the
 * configuration file (INI, parsed with inih) and the command line, which
 * overrides the file. One table of option names serves both, so every
 * command-line option is also a configuration key of the same name.
 */
#ifndef DCV_WATCH_OPTS_H
#define DCV_WATCH_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer.h"
#include "live.h"

#define WATCH_CONFIG_DEFAULT         "/etc/dcvscope/dcvscope.conf"
#define WATCH_FLUSH_S_DEFAULT        10   /* statistics written every N s */
#define WATCH_RULES_S_DEFAULT        60   /* rules run every N s; 0 = never */
#define WATCH_RETENTION_DAYS_DEFAULT 30   /* rows older than N days deleted; 0 = keep all */
#define WATCH_RETENTION_EVERY_S      3600 /* retention runs at start and this often */
#define WATCH_MAX_VALIDATOR_FILES    32
#define WATCH_ERR_MAX                512

struct watch_opts {
	char *iface;  /* interface to capture on, or NULL with dnstap */
	char *dnstap; /* unix socket path to listen on for a dnstap writer, or NULL */
	enum cap_live_kind capture;
	char *db_path;
	char *config_path;
	bool config_explicit; /* --config given: the file must exist */
	unsigned flush_s, rules_s, retention_days;
	bool syslog;
	/* raw frames kept as pcap files */
	char *pcap_dir;     /* NULL = none */
	unsigned rotate_mb; /* 0 = no size limit */
	unsigned rotate_s;  /* 0 = no time limit */
	/* capture */
	uint32_t snaplen;   /* 0 = source default */
	uint32_t buffer_mb; /* 0 = source default */
	/* reference tables (as analyze) */
	char *validator_files[WATCH_MAX_VALIDATOR_FILES];
	unsigned nvalidator_files;
	bool no_default_validators;
	char *validators_dir;
	char *geoip, *asn_db;
	/* analyzer */
	struct analyzer_config acfg; /* ports, timeout, bucket, table sizes */
	unsigned duration_s;         /* 0 = until a signal */
	/* shipping to the fleet's ClickHouse at every flush (ship_opts.h) */
	char *ch_url;           /* NULL = no shipping */
	char *ship_server;      /* NULL = the host name */
	char *ship_site;        /* NULL = SHIP_SITE_DEFAULT */
	char *ship_spool;       /* NULL = no spool */
	unsigned ship_spool_mb; /* 0 = DB_SHIP_SPOOL_MAX_MB_DEFAULT */

	/* lists the command line replaced (it overrides the file's lists) */
	bool cli_ports, cli_validators;
	bool cli_input;         /* -i or --dnstap on the command line (replaces the file's) */
	char dnstap_label[160]; /* "unix:" + dnstap, for logs and the run's inputs */
};

/*
 * watch_opts_load() fills o: defaults, then the configuration file (the
 * --config one, else WATCH_CONFIG_DEFAULT when it exists), then argv
 * (argv[0] is "watch"). Returns CLI_EXIT_OK, -1 after printing --help, or
 * an exit code after printing what is wrong (err, when non-NULL, also gets
 * the message and nothing is printed). o owns its strings afterwards;
 * free them with watch_opts_free() whatever the result.
 */
int watch_opts_load(int argc, char **argv, struct watch_opts *o, char *err, size_t errlen);

/* watch_input_name() returns what the run reads: the interface, or
 * "unix:PATH" of the dnstap socket (o->dnstap_label's storage). */
const char *watch_input_name(const struct watch_opts *o);

/* watch_opts_free() frees the strings of o. */
void watch_opts_free(struct watch_opts *o);

/* watch_capture_name() returns "auto", "ebpf", "pcap" or "dnstap". */
const char *watch_capture_name(enum cap_live_kind k);

#endif
