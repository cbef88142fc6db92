/*
 * analyze_opts.h - the command line of `dcvscope analyze`.
 */
#ifndef DCV_ANALYZE_OPTS_H
#define DCV_ANALYZE_OPTS_H

#include <stdbool.h>

#include "analyzer.h"

#define ANALYZE_TOP_DEFAULT         10
#define ANALYZE_MAX_VALIDATOR_FILES 32

struct analyze_opts {
	const char *db_path;
	bool json;
	bool no_progress;
	unsigned top;
	struct analyzer_config acfg;
	const char *validator_files[ANALYZE_MAX_VALIDATOR_FILES];
	unsigned nvalidator_files;
	bool no_default_validators;
	const char *validators_dir; /* NULL = /etc/dcvscope */
	const char *geoip, *asn_db; /* NULL = none */
	bool no_rules;              /* skip the rules after the analysis */
	const char *rules_config;   /* NULL = built-in thresholds */
	const char *dnskeys;        /* --dnskeys: DNSKEY/DS trust anchors; NULL = none */
	int fail_on;                /* -1 = never, else the lowest enum rule_severity that fails */
	bool dnstap;                /* the files are dnstap Frame Streams logs, not captures */
	char **files;
	unsigned nfiles;
};

/*
 * analyze_opts_parse() fills o from argv (argv[0] is "analyze"). Returns
 * CLI_EXIT_OK to go on, -1 after printing --help (exit 0), or an exit code
 * after printing what is wrong.
 */
int analyze_opts_parse(int argc, char **argv, struct analyze_opts *o);

#endif
