/*
 * cli.h - the dcvscope command line: commands and their stable exit codes.
 */
#ifndef DCV_CLI_H
#define DCV_CLI_H

/* Exit codes are part of the interface (documented in --help and README). */
enum cli_exit {
	CLI_EXIT_OK = 0,       /* success */
	CLI_EXIT_FAILURE = 1,  /* internal failure (out of memory, ...) */
	CLI_EXIT_USAGE = 2,    /* bad command line */
	CLI_EXIT_INPUT = 3,    /* an input could not be read, or was read only in part
	                          (report: the output could not be written) */
	CLI_EXIT_DB = 4,       /* the database could not be opened or written */
	CLI_EXIT_FINDINGS = 5, /* analyze, rules, report: findings at or above --fail-on */
	CLI_EXIT_SPOOLED = 6,  /* ship: ClickHouse unreachable, batches kept in the spool */
};

/* cmd_analyze() runs `dcvscope analyze`; argv[0] is "analyze". Returns an exit code. */
int cmd_analyze(int argc, char **argv);

/* cmd_validators() runs `dcvscope validators lookup|check`; argv[0] is
 * "validators". Returns the exit code its --help documents. */
int cmd_validators(int argc, char **argv);

/* cmd_rules() runs `dcvscope rules`: the rules over a database, findings
 * stored and printed; argv[0] is "rules". Returns the exit code its --help
 * documents (5 = findings at or above --fail-on). */
int cmd_rules(int argc, char **argv);

/* cmd_report() runs `dcvscope report`: the nightly report of a period as
 * text, Markdown, JSON or HTML; argv[0] is "report". Returns the exit code
 * its --help documents (5 = findings at or above --fail-on). */
int cmd_report(int argc, char **argv);

/* cmd_ship() runs `dcvscope ship --clickhouse URL`: what the database holds
 * and ClickHouse does not, sent; argv[0] is "ship". Returns the exit code
 * its --help documents. */
int cmd_ship(int argc, char **argv);

/* cmd_watch() runs `dcvscope watch -i IFACE`, the live sidecar; argv[0] is
 * "watch". Returns the exit code its --help documents. */
int cmd_watch(int argc, char **argv);

#endif
