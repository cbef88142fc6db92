/* main.c - dcvscope: dispatch to the command named by the first argument. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef DCV_VERSION
#define DCV_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dcvscope COMMAND [OPTIONS]\n"
	        "\n"
	        "Authoritative-side DNS traffic analysis: why do certificate authorities fail\n"
	        "to validate my domains?\n"
	        "\n"
	        "commands:\n"
	        "  analyze FILE...   analyze pcap/pcapng captures into the database\n"
	        "  rules             run the rules over the database and print the findings\n"
	        "  report            the nightly report: text, Markdown, JSON or HTML\n"
	        "  watch -i IFACE    capture live beside the nameserver (sidecar)\n"
	        "  ship --clickhouse URL\n"
	        "                    send the database's new rows to the fleet's ClickHouse\n"
	        "  validators lookup ADDRESS | check FILE...\n"
	        "                    ask or check the CA validator range table\n"
	        "  version           print the version\n"
	        "\n"
	        "Run 'dcvscope COMMAND --help' for the options of a command.\n"
	        "\n"
	        "exit codes: 0 success, 1 internal failure, 2 usage error,\n"
	        "            3 an input could not be read (or only in part), 4 database error,\n"
	        "            6 ship: ClickHouse unreachable, batches kept in the spool\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "analyze") == 0)
		return cmd_analyze(argc - 1, argv + 1);
	if (strcmp(cmd, "rules") == 0)
		return cmd_rules(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "ship") == 0)
		return cmd_ship(argc - 1, argv + 1);
	if (strcmp(cmd, "watch") == 0)
		return cmd_watch(argc - 1, argv + 1);
	if (strcmp(cmd, "validators") == 0)
		return cmd_validators(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("dcvscope %s\n", DCV_VERSION);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "dcvscope: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
