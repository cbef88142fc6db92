/*
 * gen_main.c - dcvscope-gen: writes scenario captures (pcap, nanosecond
 * timestamps) for demos, tests and benchmarks, and optionally the exact
 * counts the analyzer must report for them (--expect).
 *
 * Exit codes: 0 ok, 2 usage error, 3 I/O error (or a generator failure).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_scenarios.h"

enum { EXIT_OK = 0, EXIT_USAGE = 2, EXIT_IO = 3 };

#define GEN_SEED_DEFAULT 1

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: dcvscope-gen SCENARIO -o FILE.pcap [--seed N] [--packets N]\n"
	        "                    [--expect FILE.json] [--linktype ethernet|sll|sll2|raw|null]\n"
	        "       dcvscope-gen --list | --help\n"
	        "\n"
	        "Writes a deterministic capture: the same scenario, seed and options give a\n"
	        "byte-identical file.\n"
	        "  -o, --output FILE    pcap file to write (nanosecond timestamps)\n"
	        "  -s, --seed N         random seed (default %d)\n"
	        "  -n, --packets N      bench: packets (default %llu); many-sources: queries\n"
	        "                       (default %llu); other scenarios ignore it\n"
	        "  -e, --expect FILE    also write the counts the analyzer must report (JSON)\n"
	        "  -l, --linktype TYPE  link layer (default ethernet; edge needs ethernet)\n"
	        "      --list           list the scenarios\n"
	        "  -h, --help           this text\n"
	        "Exit status: 0 ok, 2 usage error, 3 I/O error.\n",
	        GEN_SEED_DEFAULT, (unsigned long long)BENCH_PACKETS_DEFAULT,
	        (unsigned long long)MANY_SOURCES_QUERIES_DEFAULT);
}

static int parse_linktype(const char *s)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {{"ethernet", PB_LINK_ETHERNET},
	             {"sll", PB_LINK_LINUX_SLL},
	             {"sll2", PB_LINK_LINUX_SLL2},
	             {"raw", PB_LINK_RAW},
	             {"null", PB_LINK_NULL}};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(s, types[i].name) == 0)
			return types[i].type;
	return -1;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s == '-' || *s == '\0')
		return -1;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},   {"seed", required_argument, NULL, 's'},
	    {"packets", required_argument, NULL, 'n'},  {"expect", required_argument, NULL, 'e'},
	    {"linktype", required_argument, NULL, 'l'}, {"list", no_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	const char *output = NULL, *expect = NULL;
	struct gen_options opt = {.seed = GEN_SEED_DEFAULT};
	int linktype = PB_LINK_ETHERNET;
	int c;
	while ((c = getopt_long(argc, argv, "o:s:n:e:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 's':
			if (parse_u64(optarg, &opt.seed) != 0) {
				fprintf(stderr, "dcvscope-gen: bad --seed: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_u64(optarg, &opt.packets) != 0 || opt.packets == 0) {
				fprintf(stderr, "dcvscope-gen: bad --packets: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'e':
			expect = optarg;
			break;
		case 'l':
			linktype = parse_linktype(optarg);
			if (linktype < 0) {
				fprintf(stderr, "dcvscope-gen: unknown link type: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'L':
			for (const struct gen_scenario *s = gen_scenarios; s->name; s++)
				printf("%-14s %s\n", s->name, s->summary);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || output == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const struct gen_scenario *sc = gen_scenario_find(argv[optind]);
	if (sc == NULL) {
		fprintf(stderr, "dcvscope-gen: unknown scenario: %s (see --list)\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (sc->ethernet_only && linktype != PB_LINK_ETHERNET) {
		fprintf(stderr, "dcvscope-gen: scenario %s needs --linktype ethernet\n", sc->name);
		return EXIT_USAGE;
	}

	/* the context holds two 64 KiB DNS buffers and a frame: keep it off the stack */
	struct gen_ctx *g = malloc(sizeof(*g));
	if (g == NULL) {
		perror("dcvscope-gen");
		return EXIT_IO;
	}
	if (gen_open(g, output, linktype, sc->snaplen, sc->buffered, opt.seed) != 0) {
		fprintf(stderr, "dcvscope-gen: cannot write %s\n", output);
		free(g);
		return EXIT_IO;
	}
	int rc = sc->run(g, &opt);
	struct gen_expect exp = g->exp;
	if (gen_close(g) != 0 || rc != 0) {
		fprintf(stderr, "dcvscope-gen: writing %s failed\n", output);
		free(g);
		return EXIT_IO;
	}
	free(g);
	if (expect != NULL && gen_expect_write_json(&exp, sc->name, opt.seed, expect) != 0) {
		fprintf(stderr, "dcvscope-gen: cannot write %s: %s\n", expect, strerror(errno));
		return EXIT_IO;
	}
	return EXIT_OK;
}
