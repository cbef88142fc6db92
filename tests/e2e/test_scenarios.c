/*
 * test_scenarios.c - every generated scenario analyzed end to end: the
 * generator writes a capture and, independently, the exact counts that its
 * frames imply (--expect); `dcvscope analyze` must report exactly those.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static json_t *load_json_text(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	cr_assert_not_null(j, "not JSON (%s)", err.text);
	return j;
}

static json_int_t get_int(json_t *obj, const char *key, const char *where)
{
	json_t *v = json_object_get(obj, key);
	cr_assert(json_is_integer(v), "%s: no integer %s", where, key);
	return json_integer_value(v);
}

/* Every integer key of expect.section must equal got.section's. */
static void same_section(json_t *expect, json_t *got, const char *section, const char *scen)
{
	json_t *e = json_object_get(expect, section), *g = json_object_get(got, section);
	cr_assert_not_null(e, "%s: expectation has no %s", scen, section);
	cr_assert_not_null(g, "%s: output has no %s", scen, section);
	const char *key;
	json_t *v;
	json_object_foreach(e, key, v)
	{
		if (!json_is_integer(v))
			continue;
		cr_expect_eq(get_int(g, key, section), json_integer_value(v),
		             "%s: %s.%s: expected %lld, got %lld", scen, section, key,
		             (long long)json_integer_value(v), (long long)get_int(g, key, section));
	}
}

/* rcodes: the same names with the same counts, none missing, none extra. */
static void same_rcodes(json_t *expect, json_t *got, const char *scen)
{
	json_t *e = json_object_get(expect, "rcodes"), *g = json_object_get(got, "rcodes");
	cr_expect_eq(json_object_size(e), json_object_size(g), "%s: rcode names differ", scen);
	same_section(expect, got, "rcodes", scen);
}

static json_t *find_source(json_t *sources, const char *address)
{
	size_t i;
	json_t *s;
	json_array_foreach(sources, i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "address")), address) == 0)
			return s;
	}
	return NULL;
}

static void check_scenario(const char *scen, const char *gen_args)
{
	const char *dir = test_tmpdir();
	char cmd[2048], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s %s %s -o %s/s.pcap --expect %s/s.json", DCV_GEN_BINARY, scen,
	         gen_args, dir, dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s failed", cmd);
	snprintf(cmd, sizeof(cmd), "%s/s.json", dir);
	char *exp_text = test_read_file(cmd, NULL);
	cr_assert_not_null(exp_text);
	json_t *expect = load_json_text(exp_text);
	free(exp_text);

	snprintf(cmd, sizeof(cmd), "%s analyze --format json --top 0 --db %s/s.db %s/s.pcap",
	         DCV_BINARY, dir, dir);
	cr_assert_eq(test_run(cmd, &out), 0, "%s failed", cmd);
	json_t *got = load_json_text(out);
	free(out);

	cr_expect_eq(get_int(got, "packets", scen), get_int(expect, "packets", scen), "%s: packets",
	             scen);
	same_section(expect, got, "dns", scen);
	same_section(expect, got, "transactions", scen);
	same_section(expect, got, "tcp", scen);
	same_rcodes(expect, got, scen);

	json_t *frames = json_object_get(expect, "frames");
	json_t *cov = json_object_get(got, "coverage");
	json_int_t not_dns = get_int(cov, "not_ip", scen) + get_int(cov, "other_proto", scen) +
	                     get_int(cov, "other_port", scen);
	cr_expect_eq(not_dns, get_int(frames, "not_dns", scen), "%s: frames not DNS", scen);
	cr_expect_eq(get_int(cov, "snap_truncated", scen), get_int(frames, "snap_truncated", scen),
	             "%s: snap-truncated frames", scen);
	cr_expect_eq(get_int(cov, "fragments", scen), get_int(frames, "fragments", scen),
	             "%s: fragments", scen);
	cr_expect_eq(get_int(cov, "evictions", scen), 0, "%s: nothing evicted", scen);

	size_t i;
	json_t *es;
	json_t *sources = json_object_get(got, "sources");
	json_array_foreach(json_object_get(expect, "sources"), i, es)
	{
		const char *addr = json_string_value(json_object_get(es, "address"));
		json_t *gs = find_source(sources, addr);
		const char *key;
		json_t *v;
		json_object_foreach(es, key, v)
		{
			/* a source with nothing to count (only malformed messages) has no row */
			if (gs == NULL && json_is_integer(v))
				cr_expect_eq(json_integer_value(v), 0, "%s: source %s missing",
				             scen, addr);
			else if (json_is_integer(v))
				cr_expect_eq(get_int(gs, key, addr), json_integer_value(v),
				             "%s: source %s %s: expected %lld, got %lld", scen,
				             addr, key, (long long)json_integer_value(v),
				             (long long)get_int(gs, key, addr));
		}
	}
	json_decref(expect);
	json_decref(got);
}

Test(scenarios, demo_counts_are_exact)
{
	check_scenario("demo", "");
}

Test(scenarios, tcp_sessions_counts_are_exact)
{
	check_scenario("tcp-sessions", "");
}

Test(scenarios, edge_cases_counts_are_exact)
{
	check_scenario("edge", "");
}

Test(scenarios, bench_mix_counts_are_exact)
{
	check_scenario("bench", "--packets 200000");
}

Test(scenarios, many_sources_counts_are_exact)
{
	check_scenario("many-sources", "--packets 100000");
}

Test(scenarios, demo_over_every_link_type)
{
	check_scenario("demo", "--linktype sll --seed 2");
	check_scenario("demo", "--linktype sll2 --seed 3");
	check_scenario("demo", "--linktype raw --seed 4");
	check_scenario("demo", "--linktype null --seed 5");
}
