/*
 * validators.c - the CA validator range table: rows merged from files (later
 * rows replace earlier ones with the same CA and prefix), then a read-only
 * lookup structure rebuilt at the end of every load.
 *
 * State:
 *  - rows[]: every row ever applied; a removed row stays as a tombstone
 *    (live = false) so that its key slot can be reused by a later add. Rows
 *    are found by key (ca, family, len, address bytes, asn) through an
 *    open-addressing hash of row indexes.
 *  - after a load (rebuild()): order[] lists the live prefix rows sorted by
 *    (prefix, strongest conf, newest asof, ca); groups[] cuts order[] into
 *    runs that share one prefix; the lpm maps an address to its longest
 *    group. AS rows sort first and form the groups[0 .. nasgroups), by AS.
 *  - issuers[]: CAA issuer domain -> CA id, sorted by domain after a load.
 * Invariant: lpm values are indexes into groups[], and every group's rows
 * are live; both are replaced together, or not at all.
 */
#include "validators.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "hash.h"
#include "lpm.h"
#include "validators_data.h"
#include "validators_parse.h"

#define VALIDATORS_ROWS_MAX    2000000      /* rows per table; more is a warning per row */
#define VALIDATORS_ISSUERS_MAX 65536        /* CAA issuer domains per table */
#define VALIDATORS_FILE_MAX    (256u << 20) /* bytes per file */
#define VALIDATORS_ETC_DEFAULT "/etc/dcvscope"
#define VALIDATORS_PATH_MAX    4096
#define VALIDATORS_DROPINS_MAX 4096 /* files read from validators.d/ */
#define VALIDATORS_HASH_SEED   0x76616c6964617473ull

struct vrow {
	char ca[VALIDATORS_CA_MAX];
	char region[VALIDATORS_REGION_MAX];
	char asof[VPARSE_ASOF_MAX];
	const char *source; /* interned in the table's string pool */
	uint8_t family;     /* DCV_ADDR_V4, DCV_ADDR_V6, 0 = AS row */
	uint8_t len;
	uint8_t bytes[16];
	uint32_t asn;
	enum validator_role role;
	enum validator_conf conf;
	bool live;
};

struct vgroup {
	uint32_t first, count; /* a run of order[] sharing one prefix or AS */
	uint32_t asn;          /* AS groups only */
};

struct vissuer {
	char ca[VALIDATORS_CA_MAX];
	char domain[VPARSE_DOMAIN_MAX];
	const char *source;
	char asof[VPARSE_ASOF_MAX];
};

/* Interned strings: every distinct source URL is stored once. */
struct strpool {
	char **s;
	size_t n, cap;
	uint32_t *slot; /* open addressing: index + 1, 0 = empty */
	size_t nslot;
};

struct validators {
	struct vrow *rows;
	size_t nrows, caprows, live;
	uint32_t *slot; /* row hash: index + 1, 0 = empty */
	size_t nslot;
	struct strpool pool;

	struct vissuer *issuers;
	size_t nissuers, capissuers;

	/* built by rebuild() */
	struct lpm *lpm;
	uint32_t *order;
	struct vgroup *groups; /* AS groups first (groups[0 .. nasgroups)), sorted by AS */
	size_t nasgroups;
};

/* ---- string pool ------------------------------------------------------------ */

static const char *pool_intern(struct strpool *p, const char *s)
{
	uint64_t h = dcv_hash_bytes(s, strlen(s), VALIDATORS_HASH_SEED);
	if (p->nslot > 0) {
		for (size_t i = h & (p->nslot - 1);; i = (i + 1) & (p->nslot - 1)) {
			if (p->slot[i] == 0)
				break;
			if (strcmp(p->s[p->slot[i] - 1], s) == 0)
				return p->s[p->slot[i] - 1];
		}
	}
	if ((p->n + 1) * 2 > p->nslot) {
		size_t nslot = p->nslot ? p->nslot * 2 : 64;
		uint32_t *slot = calloc(nslot, sizeof(*slot));
		if (slot == NULL)
			return NULL;
		for (size_t k = 0; k < p->n; k++) {
			uint64_t hk =
			    dcv_hash_bytes(p->s[k], strlen(p->s[k]), VALIDATORS_HASH_SEED);
			size_t i = hk & (nslot - 1);
			while (slot[i] != 0)
				i = (i + 1) & (nslot - 1);
			slot[i] = (uint32_t)k + 1;
		}
		free(p->slot);
		p->slot = slot;
		p->nslot = nslot;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		char **grown = realloc(p->s, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		p->s = grown;
		p->cap = cap;
	}
	char *copy = strdup(s);
	if (copy == NULL)
		return NULL;
	size_t i = h & (p->nslot - 1);
	while (p->slot[i] != 0)
		i = (i + 1) & (p->nslot - 1);
	p->slot[i] = (uint32_t)p->n + 1;
	p->s[p->n++] = copy;
	return copy;
}

static void pool_free(struct strpool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->s[i]);
	free(p->s);
	free(p->slot);
}

/* ---- row table -------------------------------------------------------------- */

struct validators *validators_new(void)
{
	return calloc(1, sizeof(struct validators));
}

static void free_built(struct validators *v)
{
	lpm_free(v->lpm);
	free(v->order);
	free(v->groups);
	v->lpm = NULL;
	v->order = NULL;
	v->groups = NULL;
	v->nasgroups = 0;
}

void validators_free(struct validators *v)
{
	if (v == NULL)
		return;
	free_built(v);
	free(v->rows);
	free(v->slot);
	free(v->issuers);
	pool_free(&v->pool);
	free(v);
}

/* The key of a row: what "same CA and prefix" means. */
static uint64_t row_hash(const char *ca, uint8_t family, uint8_t len, const uint8_t *bytes,
                         uint32_t asn)
{
	uint64_t h = dcv_hash_bytes(ca, strlen(ca), VALIDATORS_HASH_SEED);
	uint8_t k[22];
	k[0] = family;
	k[1] = len;
	memcpy(k + 2, bytes, 16);
	memcpy(k + 18, &asn, 4);
	return dcv_hash_bytes(k, sizeof(k), h);
}

static bool row_same(const struct vrow *r, const struct vparse_row *p)
{
	return r->family == p->family && r->len == p->len && r->asn == p->asn &&
	       memcmp(r->bytes, p->bytes, 16) == 0 && strcmp(r->ca, p->ca) == 0;
}

static int grow_slots(struct validators *v)
{
	size_t nslot = v->nslot ? v->nslot * 2 : 256;
	uint32_t *slot = calloc(nslot, sizeof(*slot));
	if (slot == NULL)
		return -1;
	for (size_t k = 0; k < v->nrows; k++) {
		const struct vrow *r = &v->rows[k];
		size_t i = row_hash(r->ca, r->family, r->len, r->bytes, r->asn) & (nslot - 1);
		while (slot[i] != 0)
			i = (i + 1) & (nslot - 1);
		slot[i] = (uint32_t)k + 1;
	}
	free(v->slot);
	v->slot = slot;
	v->nslot = nslot;
	return 0;
}

/* apply_row() is the parser's sink: add, replace or remove one row. */
static int apply_row(void *ctx, const struct vparse_row *p, char *msg, size_t msglen)
{
	struct validators *v = ctx;
	size_t i = 0;
	struct vrow *r = NULL;
	uint64_t h = row_hash(p->ca, p->family, p->len, p->bytes, p->asn);
	if (v->nslot > 0) {
		for (i = h & (v->nslot - 1); v->slot[i] != 0; i = (i + 1) & (v->nslot - 1)) {
			if (row_same(&v->rows[v->slot[i] - 1], p)) {
				r = &v->rows[v->slot[i] - 1];
				break;
			}
		}
	}
	if (p->conf == VPARSE_CONF_REMOVE) {
		if (r == NULL || !r->live) {
			snprintf(msg, msglen, "-remove: no earlier row for %s with this prefix",
			         p->ca);
			return 0;
		}
		r->live = false;
		v->live--;
		return 1;
	}
	if (r == NULL) {
		if (v->nrows >= VALIDATORS_ROWS_MAX) {
			snprintf(msg, msglen, "table full (%d rows)", VALIDATORS_ROWS_MAX);
			return 0;
		}
		if ((v->nrows + 1) * 2 > v->nslot && grow_slots(v) < 0)
			return -1;
		if (v->nrows == v->caprows) {
			size_t cap = v->caprows ? v->caprows * 2 : 64;
			struct vrow *rows = realloc(v->rows, cap * sizeof(*rows));
			if (rows == NULL)
				return -1;
			v->rows = rows;
			v->caprows = cap;
		}
		for (i = h & (v->nslot - 1); v->slot[i] != 0; i = (i + 1) & (v->nslot - 1))
			;
		v->slot[i] = (uint32_t)v->nrows + 1;
		r = &v->rows[v->nrows++];
		memset(r, 0, sizeof(*r));
	}
	const char *src = pool_intern(&v->pool, p->source);
	if (src == NULL)
		return -1;
	if (!r->live)
		v->live++;
	strcpy(r->ca, p->ca);
	strcpy(r->region, p->region);
	strcpy(r->asof, p->asof);
	r->source = src;
	r->family = p->family;
	r->len = p->len;
	memcpy(r->bytes, p->bytes, 16);
	r->asn = p->asn;
	r->role = p->role;
	r->conf = (enum validator_conf)p->conf;
	r->live = true;
	return 1;
}

/* apply_caa() is the caa-identifiers sink: the domain is the key. */
static int apply_caa(void *ctx, const struct vparse_caa *p, char *msg, size_t msglen)
{
	struct validators *v = ctx;
	struct vissuer *is = NULL;
	for (size_t i = 0; i < v->nissuers && is == NULL; i++)
		if (strcmp(v->issuers[i].domain, p->domain) == 0)
			is = &v->issuers[i];
	if (is == NULL) {
		if (v->nissuers >= VALIDATORS_ISSUERS_MAX) {
			snprintf(msg, msglen, "too many issuer domains (%d)",
			         VALIDATORS_ISSUERS_MAX);
			return 0;
		}
		if (v->nissuers == v->capissuers) {
			size_t cap = v->capissuers ? v->capissuers * 2 : 32;
			struct vissuer *grown = realloc(v->issuers, cap * sizeof(*grown));
			if (grown == NULL)
				return -1;
			v->issuers = grown;
			v->capissuers = cap;
		}
		is = &v->issuers[v->nissuers++];
	}
	const char *src = pool_intern(&v->pool, p->source);
	if (src == NULL)
		return -1;
	strcpy(is->ca, p->ca);
	strcpy(is->domain, p->domain);
	strcpy(is->asof, p->asof);
	is->source = src;
	return 1;
}

/* ---- building the lookup structure ------------------------------------------ */

/* Sort context: qsort has none, so rows travel with their indexes. */
struct sortrow {
	const struct vrow *r;
	uint32_t index;
};

/* strongest evidence first: conf, then newest asof ("-" oldest), then CA id */
static int evidence_cmp(const struct vrow *a, const struct vrow *b)
{
	if (a->conf != b->conf)
		return a->conf < b->conf ? -1 : 1;
	bool ua = strcmp(a->asof, "-") == 0, ub = strcmp(b->asof, "-") == 0;
	if (ua != ub)
		return ua ? 1 : -1;
	int c = strcmp(b->asof, a->asof);
	if (c != 0)
		return c;
	return strcmp(a->ca, b->ca);
}

static int prefix_cmp(const void *pa, const void *pb)
{
	const struct vrow *a = ((const struct sortrow *)pa)->r,
	                  *b = ((const struct sortrow *)pb)->r;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->family == 0) {
		if (a->asn != b->asn)
			return a->asn < b->asn ? -1 : 1;
	} else {
		int c = memcmp(a->bytes, b->bytes, 16);
		if (c != 0)
			return c;
		if (a->len != b->len)
			return a->len < b->len ? -1 : 1;
	}
	return evidence_cmp(a, b);
}

static int issuer_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct vissuer *)pa)->domain, ((const struct vissuer *)pb)->domain);
}

/* rebuild() replaces the lookup structure from the live rows; on failure the
 * old one stays in place and -1 is returned. */
static int rebuild(struct validators *v)
{
	if (v->nissuers > 1)
		qsort(v->issuers, v->nissuers, sizeof(*v->issuers), issuer_cmp);
	size_t n = v->live;
	struct sortrow *s = malloc((n ? n : 1) * sizeof(*s));
	uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
	struct vgroup *groups = malloc((n ? n : 1) * sizeof(*groups));
	struct lpm_prefix *pfx = malloc((n ? n : 1) * sizeof(*pfx));
	struct lpm *lpm = NULL;
	if (s == NULL || order == NULL || groups == NULL || pfx == NULL)
		goto fail;
	size_t k = 0;
	for (size_t i = 0; i < v->nrows; i++)
		if (v->rows[i].live)
			s[k++] = (struct sortrow){&v->rows[i], (uint32_t)i};
	qsort(s, k, sizeof(*s), prefix_cmp);
	/* AS rows (family 0) sort first; prefix groups and AS groups share the
	 * order[] and groups[] arrays: AS groups are groups[0 .. nas) */
	size_t ngroups = 0, npfx = 0, nas = 0;
	for (size_t i = 0; i < k; i++) {
		order[i] = s[i].index;
		const struct vrow *r = s[i].r;
		const struct vrow *prev = i > 0 ? s[i - 1].r : NULL;
		bool same = prev != NULL && prev->family == r->family &&
		            (r->family == 0
		                 ? prev->asn == r->asn
		                 : prev->len == r->len && memcmp(prev->bytes, r->bytes, 16) == 0);
		if (same) {
			groups[ngroups - 1].count++;
			continue;
		}
		groups[ngroups] = (struct vgroup){.first = (uint32_t)i, .count = 1, .asn = r->asn};
		if (r->family == 0) {
			nas++;
		} else {
			struct lpm_prefix *p = &pfx[npfx++];
			p->family = r->family;
			p->len = r->len;
			memcpy(p->bytes, r->bytes, 16);
			p->value = (uint32_t)ngroups;
		}
		ngroups++;
	}
	lpm = lpm_build(pfx, npfx);
	if (lpm == NULL)
		goto fail;
	free(s);
	free(pfx);
	free_built(v);
	v->lpm = lpm;
	v->order = order;
	v->groups = groups;
	v->nasgroups = nas;
	return 0;
fail:
	free(s);
	free(order);
	free(groups);
	free(pfx);
	lpm_free(lpm);
	return -1;
}

/* ---- loading ------------------------------------------------------------------ */

static int load_buffer(struct validators *v, const char *name, const uint8_t *p, size_t len,
                       enum vparse_kind kind, validators_warn_fn warn, void *ctx)
{
	struct vparse_sink sink = {.row = apply_row,
	                           .caa = apply_caa,
	                           .ctx = v,
	                           .warn = warn,
	                           .warn_ctx = ctx,
	                           .file = name};
	return vparse_buffer(p, len, kind, &sink);
}

/* read_all() reads a whole file; NULL with errno on failure. */
static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 8192, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf != NULL) {
		if (n == cap) {
			if (cap >= VALIDATORS_FILE_MAX) {
				errno = EFBIG;
				goto fail;
			}
			uint8_t *grown = realloc(buf, cap * 2);
			if (grown == NULL)
				goto fail;
			buf = grown;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				if (errno == 0)
					errno = EIO;
				goto fail;
			}
			fclose(f);
			*len = n;
			return buf;
		}
	}
	fclose(f);
	errno = ENOMEM;
	return NULL;
fail : {
	int e = errno;
	free(buf);
	fclose(f);
	errno = e;
	return NULL;
}
}

static int load_path(struct validators *v, const char *path, enum vparse_kind kind,
                     validators_warn_fn warn, void *ctx)
{
	size_t len = 0;
	errno = 0;
	uint8_t *buf = read_all(path, &len);
	if (buf == NULL)
		return -1;
	int n = load_buffer(v, path, buf, len, kind, warn, ctx);
	free(buf);
	if (n < 0)
		errno = ENOMEM;
	return n;
}

/* finish() rebuilds after a load; a rebuild failure turns the result into -1. */
static int finish(struct validators *v, int n)
{
	int e = errno;
	if (rebuild(v) < 0) {
		errno = ENOMEM;
		return -1;
	}
	errno = e;
	return n;
}

int validators_load_file(struct validators *v, const char *path, validators_warn_fn warn, void *ctx)
{
	return finish(v, load_path(v, path, VPARSE_VALIDATORS, warn, ctx));
}

int validators_load_caa_file(struct validators *v, const char *path, validators_warn_fn warn,
                             void *ctx)
{
	return finish(v, load_path(v, path, VPARSE_CAA, warn, ctx));
}

int validators_load_buffer(struct validators *v, const char *name, const uint8_t *p, size_t len,
                           validators_warn_fn warn, void *ctx)
{
	return finish(v, load_buffer(v, name, p, len, VPARSE_VALIDATORS, warn, ctx));
}

int validators_load_caa_buffer(struct validators *v, const char *name, const uint8_t *p, size_t len,
                               validators_warn_fn warn, void *ctx)
{
	return finish(v, load_buffer(v, name, p, len, VPARSE_CAA, warn, ctx));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* load_optional() loads path when it exists; a file that exists but cannot
 * be read is a warning (line 0) and sets *failed. */
static int load_optional(struct validators *v, const char *path, enum vparse_kind kind,
                         validators_warn_fn warn, void *ctx, bool *failed)
{
	struct stat st;
	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	int n = load_path(v, path, kind, warn, ctx);
	if (n < 0) {
		if (warn)
			warn(ctx, path, 0, errno == ENOMEM ? "out of memory" : strerror(errno));
		*failed = true;
		return 0;
	}
	return n;
}

/* load_dropins() loads dir/ *.tsv in strcmp order (not locale order, so the
 * result does not depend on LC_COLLATE). Hidden files are skipped. */
static int load_dropins(struct validators *v, const char *dir, validators_warn_fn warn, void *ctx,
                        bool *failed)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno != ENOENT) {
			if (warn)
				warn(ctx, dir, 0, strerror(errno));
			*failed = true;
		}
		return 0;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < VALIDATORS_DROPINS_MAX) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".tsv") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(names, cap * sizeof(*grown));
			if (grown == NULL)
				break;
			names = grown;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	int total = 0;
	for (size_t i = 0; i < n; i++) {
		char path[VALIDATORS_PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) < (int)sizeof(path))
			total += load_optional(v, path, VPARSE_VALIDATORS, warn, ctx, failed);
		free(names[i]);
	}
	free(names);
	return total;
}

int validators_load_defaults(struct validators *v, const char *etc_dir, validators_warn_fn warn,
                             void *ctx)
{
	bool failed = false;
	const char *etc = etc_dir ? etc_dir : VALIDATORS_ETC_DEFAULT;
	int a = load_buffer(v, "(built-in)/validators.tsv", validators_builtin_tsv,
	                    validators_builtin_tsv_len, VPARSE_VALIDATORS, warn, ctx);
	int b = load_buffer(v, "(built-in)/caa-identifiers.tsv", validators_builtin_caa_tsv,
	                    validators_builtin_caa_tsv_len, VPARSE_CAA, warn, ctx);
	if (a < 0 || b < 0) {
		finish(v, 0);
		errno = ENOMEM;
		return -1;
	}
	int total = a;
	char path[VALIDATORS_PATH_MAX];
	snprintf(path, sizeof(path), "%s/validators.tsv", etc);
	total += load_optional(v, path, VPARSE_VALIDATORS, warn, ctx, &failed);
	snprintf(path, sizeof(path), "%s/caa-identifiers.tsv", etc);
	load_optional(v, path, VPARSE_CAA, warn, ctx, &failed);
	snprintf(path, sizeof(path), "%s/validators.d", etc);
	total += load_dropins(v, path, warn, ctx, &failed);
	total = finish(v, total);
	return failed ? -1 : total;
}

/* ---- lookup --------------------------------------------------------------------- */

static void fill(struct validator_match *m, const struct vrow *r)
{
	m->ca = r->ca;
	m->region = r->region;
	m->source = r->source;
	m->asof = r->asof;
	m->role = r->role;
	m->conf = r->conf;
	m->prefix_len = r->len;
	m->by_asn = r->family == 0;
}

static const struct vgroup *as_group(const struct validators *v, uint32_t asn)
{
	size_t lo = 0, hi = v->nasgroups;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->groups[mid].asn < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->nasgroups && v->groups[lo].asn == asn ? &v->groups[lo] : NULL;
}

unsigned validators_lookup(const struct validators *v, const struct dcv_addr *addr, uint32_t asn,
                           struct validator_match *out, unsigned max)
{
	if (v == NULL || v->lpm == NULL)
		return 0;
	uint32_t g = lpm_lookup(v->lpm, addr);
	const struct vgroup *pg = g != LPM_NONE ? &v->groups[g] : NULL;
	const struct vgroup *ag = asn != 0 ? as_group(v, asn) : NULL;
	uint32_t i = 0, j = 0, ni = pg ? pg->count : 0, nj = ag ? ag->count : 0;
	unsigned n = 0;
	/* merge two runs already sorted strongest first; at equal conf the prefix
	 * row (more specific evidence) goes first */
	while (n < max && (i < ni || j < nj)) {
		const struct vrow *a = i < ni ? &v->rows[v->order[pg->first + i]] : NULL;
		const struct vrow *b = j < nj ? &v->rows[v->order[ag->first + j]] : NULL;
		if (a != NULL && (b == NULL || a->conf <= b->conf)) {
			fill(&out[n++], a);
			i++;
		} else {
			fill(&out[n++], b);
			j++;
		}
	}
	return n;
}

const char *validators_ca_of_issuer(const struct validators *v, const char *domain)
{
	if (v == NULL || domain == NULL)
		return NULL;
	size_t lo = 0, hi = v->nissuers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(v->issuers[mid].domain, domain);
		if (c == 0)
			return v->issuers[mid].ca;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t validators_count(const struct validators *v)
{
	return v ? v->live : 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void validators_stats(const struct validators *v, struct validators_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return;
	out->issuers = v->nissuers;
	const char **ids = malloc((v->live ? v->live : 1) * sizeof(*ids));
	size_t n = 0;
	for (size_t i = 0; i < v->nrows; i++) {
		const struct vrow *r = &v->rows[i];
		if (!r->live)
			continue;
		if (r->family == DCV_ADDR_V4)
			out->v4++;
		else if (r->family == DCV_ADDR_V6)
			out->v6++;
		else
			out->asn++;
		if (ids != NULL)
			ids[n++] = r->ca;
	}
	if (ids == NULL)
		return; /* out of memory: CA count left at 0 */
	qsort(ids, n, sizeof(*ids), str_cmp);
	for (size_t i = 0; i < n; i++)
		out->cas += i == 0 || strcmp(ids[i - 1], ids[i]) != 0;
	free(ids);
}

const char *validators_issuer_of_ca(const struct validators *v, const char *ca)
{
	if (v == NULL || ca == NULL)
		return NULL;
	for (size_t i = 0; i < v->nissuers; i++)
		if (strcmp(v->issuers[i].ca, ca) == 0)
			return v->issuers[i].domain;
	return NULL;
}
