/* rules_config.c - the thresholds table, INI loading (inih) and printing. */
#include "rules_config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rc_entry {
	const char *key;
	double def;
	const char *doc;
};

/* The only place the defaults are defined. */
static const struct rc_entry rc_table[RC_COUNT] = {
#define RC_ROW(id, k, d, doc) [id] = {k, d, doc},
    RULES_CONFIG_KEYS(RC_ROW)
#undef RC_ROW
};

void rules_config_defaults(struct rules_config *cfg)
{
	for (int i = 0; i < RC_COUNT; i++)
		cfg->v[i] = rc_table[i].def;
}

double rules_config_get(const struct rules_config *cfg, enum rules_config_key k)
{
	if ((unsigned)k >= RC_COUNT)
		return 0;
	return cfg != NULL ? cfg->v[k] : rc_table[k].def;
}

struct load_ctx {
	struct rules_config *cfg;
	char *err;
	size_t errlen;
	int failed;
};

/* inih handler: returns 0 to stop on the first bad line. */
static int on_value(void *arg, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = arg;
	if (strcasecmp(section, "rules") != 0)
		return 1;
	for (int i = 0; i < RC_COUNT; i++) {
		if (strcmp(name, rc_table[i].key) != 0)
			continue;
		char *end = NULL;
		errno = 0;
		double v = strtod(value, &end);
		if (errno != 0 || end == value || *end != '\0' || !isfinite(v) || v < 0) {
			snprintf(c->err, c->errlen, "[rules] %s: '%s' is not a non-negative number",
			         name, value);
			c->failed = 1;
			return 0;
		}
		c->cfg->v[i] = v;
		return 1;
	}
	snprintf(c->err, c->errlen, "[rules] unknown key '%s' (see --print-config)", name);
	c->failed = 1;
	return 0;
}

int rules_config_load(struct rules_config *cfg, const char *path, char *err, size_t errlen)
{
	struct load_ctx c = {.cfg = cfg, .err = err, .errlen = errlen};
	int rc = ini_parse(path, on_value, &c);
	if (c.failed) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "%s: %s", path, tmp);
		return -1;
	}
	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: syntax error", path, rc);
		return -1;
	}
	return 0;
}

void rules_config_print(const struct rules_config *cfg, FILE *out)
{
	fprintf(out, "[rules]\n");
	for (int i = 0; i < RC_COUNT; i++)
		fprintf(out, "# %s (default %g)\n%s = %g\n", rc_table[i].doc, rc_table[i].def,
		        rc_table[i].key, rules_config_get(cfg, (enum rules_config_key)i));
}
