/* analyze_tables.c - loading validator ranges and geo databases for a run. */
#include "analyze_tables.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void warn_line(void *ctx, const char *file, unsigned line, const char *msg)
{
	struct analyze_tables *t = ctx;
	t->warnings++;
	fprintf(stderr, "dcvscope analyze: %s:%u: %s (line skipped)\n", file, line, msg);
}

int analyze_tables_load(const struct analyze_opts *o, struct analyze_tables *t)
{
	memset(t, 0, sizeof(*t));
	t->validators = validators_new();
	if (t->validators == NULL) {
		fprintf(stderr, "dcvscope analyze: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	if (!o->no_default_validators &&
	    validators_load_defaults(t->validators, o->validators_dir, warn_line, t) < 0) {
		fprintf(stderr, "dcvscope analyze: cannot load the validator ranges: %s\n",
		        strerror(errno));
		return CLI_EXIT_INPUT;
	}
	for (unsigned i = 0; i < o->nvalidator_files; i++) {
		if (validators_load_file(t->validators, o->validator_files[i], warn_line, t) < 0) {
			fprintf(stderr, "dcvscope analyze: cannot read %s: %s\n",
			        o->validator_files[i], strerror(errno));
			return CLI_EXIT_INPUT;
		}
	}
	if (o->geoip != NULL || o->asn_db != NULL) {
		char err[512];
		if (geo_open(&t->geo, o->geoip, o->asn_db, err, sizeof(err)) != 0) {
			fprintf(stderr, "dcvscope analyze: %s\n", err);
			return CLI_EXIT_INPUT;
		}
	}
	if (o->dnskeys != NULL) {
		char err[512];
		if (dnssec_anchors_load(&t->anchors, o->dnskeys, err, sizeof(err)) != 0) {
			fprintf(stderr, "dcvscope analyze: --dnskeys %s\n", err);
			return CLI_EXIT_INPUT;
		}
		t->have_anchors = true;
	}
	return CLI_EXIT_OK;
}

void analyze_tables_free(struct analyze_tables *t)
{
	validators_free(t->validators);
	geo_close(t->geo);
	dnssec_anchors_free(&t->anchors);
	t->have_anchors = false;
	t->validators = NULL;
	t->geo = NULL;
}
