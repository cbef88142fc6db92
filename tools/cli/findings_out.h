/*
 * findings_out.h - the rules' findings as the commands show them: collected
 * into an array, printed for people, turned into JSON for machines.
 */
#ifndef DCV_FINDINGS_OUT_H
#define DCV_FINDINGS_OUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "finding.h"

struct collected {
	struct finding *f;
	unsigned n, cap;
	int oom; /* set when an allocation failed (the finding was dropped) */
};

/* findings_collect() is a finding_fn appending to a struct collected (ctx). */
int findings_collect(void *ctx, const struct finding *f);

/* findings_print_text() prints the findings grouped by severity, with
 * evidence and recommendation. */
void findings_print_text(FILE *out, const struct collected *c, const char *scope_text);

/* findings_json() returns a new JSON array of finding objects (the "findings"
 * key of every command's JSON output). */
json_t *findings_json(const struct collected *c);

/* findings_at_least() counts the findings at severity min or above. */
unsigned findings_at_least(const struct collected *c, enum rule_severity min);

/* findings_parse_fail_on() parses the value of --fail-on (critical or
 * warning) into *sev. Otherwise it prints "CMD: --fail-on must be critical
 * or warning" on stderr and returns -1 with *sev unchanged. */
int findings_parse_fail_on(const char *arg, int *sev, const char *cmd);

/* findings_format_time() writes ns as "YYYY-MM-DDTHH:MM:SSZ" ("-" for 0). */
void findings_format_time(uint64_t ns, char *buf, size_t len);

/* findings_free() frees the array. */
void findings_free(struct collected *c);

#endif
