/*
 * validators_parse.c - line splitting, directives and field checks for
 * validators.tsv and caa-identifiers.tsv (formats in validators_parse.h).
 *
 * Every check produces a message naming the field and what was wrong; the
 * line is then skipped. Nothing here allocates: fields are checked in place
 * inside a copy of the line on the stack.
 */
#include "validators_parse.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define VPARSE_COLS_VALIDATORS 7
#define VPARSE_COLS_CAA        4
#define VPARSE_COLS_MAX        8                               /* split stops counting past this */
#define VPARSE_QUOTE_MAX       64                              /* field text quoted in a warning */
#define VPARSE_ASN_DIGITS      10                              /* 4294967295 */
#define VPARSE_AWS_REGION_MAX  (VALIDATORS_REGION_MAX - 1 - 4) /* after "aws:" */
#define VPARSE_COMMIT_MIN      7
#define VPARSE_COMMIT_MAX      40
#define VPARSE_LABEL_MAX       63

static const char *const role_words[] = {
    [VROLE_UNKNOWN] = "unknown", [VROLE_PRIMARY] = "primary", [VROLE_REMOTE] = "remote",
    [VROLE_DCV] = "dcv",         [VROLE_EMAIL] = "email",     [VROLE_RESOLVER] = "resolver",
};

static const char *const conf_words[] = {
    [VCONF_OFFICIAL] = "official",
    [VCONF_RESELLER] = "reseller",
    [VCONF_THIRDPARTY] = "thirdparty",
    [VCONF_HISTORICAL] = "historical",
};

static const char *const rir_words[] = {"arin", "ripe", "apnic", "lacnic", "afrinic"};

int vparse_role(const char *w)
{
	for (size_t i = 0; i < sizeof(role_words) / sizeof(role_words[0]); i++)
		if (strcmp(w, role_words[i]) == 0)
			return (int)i;
	return -1;
}

int vparse_conf(const char *w)
{
	if (strcmp(w, "-remove") == 0)
		return VPARSE_CONF_REMOVE;
	for (size_t i = 0; i < sizeof(conf_words) / sizeof(conf_words[0]); i++)
		if (strcmp(w, conf_words[i]) == 0)
			return (int)i;
	return -2;
}

const char *validators_role_name(enum validator_role r)
{
	return (unsigned)r < sizeof(role_words) / sizeof(role_words[0]) ? role_words[r] : "unknown";
}

const char *validators_conf_name(enum validator_conf c)
{
	return (unsigned)c < sizeof(conf_words) / sizeof(conf_words[0]) ? conf_words[c] : "unknown";
}

/* ---- per-file state ------------------------------------------------------- */

struct src_key {
	char key[VPARSE_SRC_KEY_MAX];
	char url[VPARSE_SOURCE_MAX];
};

struct vparse_state {
	const struct vparse_sink *sink;
	enum vparse_kind kind;
	unsigned line;
	bool saw_format, saw_row, warned_no_format, stop;
	unsigned nkeys;
	struct src_key keys[VPARSE_SRC_KEYS];
	char source[VPARSE_SOURCE_MAX]; /* the current row's resolved source */
};

static void warn(struct vparse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(struct vparse_state *st, const char *fmt, ...)
{
	if (st->sink->warn == NULL)
		return;
	char msg[VPARSE_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->sink->warn(st->sink->warn_ctx, st->sink->file, st->line, msg);
}

/* quote() copies field text for a message, shortened and with control
 * bytes shown as '?', so warnings stay one readable line. */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	for (; s[n] != '\0' && n + 1 < len; n++)
		buf[n] = (unsigned char)s[n] < 0x20 || (unsigned char)s[n] >= 0x7f ? '?' : s[n];
	buf[n] = '\0';
	if (s[n] != '\0' && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

/* ---- field checks (each returns NULL or writes a message) ------------------ */

static bool in_set(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static bool all_of(const char *s, size_t min, size_t max, const char *set)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!in_set(s[i], set))
			return false;
	return true;
}

static const char LOWER_DIGIT_DASH[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
static const char KEY_CHARS[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
static const char HEX[] = "0123456789abcdef";
static const char DIGITS[] = "0123456789";

static bool check_ca(struct vparse_state *st, const char *f, char *out)
{
	char q[VPARSE_QUOTE_MAX];
	if (!all_of(f, 1, VALIDATORS_CA_MAX - 1, LOWER_DIGIT_DASH)) {
		warn(st, "bad CA id '%s' (want [a-z0-9-]{1,%d})", quote(f, q, sizeof(q)),
		     VALIDATORS_CA_MAX - 1);
		return false;
	}
	strcpy(out, f);
	return true;
}

/* parse_dec() parses a decimal without sign or leading zeros, at most
 * maxdigits digits; false on anything else. */
static bool parse_dec(const char *s, unsigned maxdigits, uint64_t *out)
{
	size_t n = strlen(s);
	if (n == 0 || n > maxdigits || (n > 1 && s[0] == '0') || !all_of(s, 1, maxdigits, DIGITS))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	*out = v;
	return true;
}

static bool check_prefix(struct vparse_state *st, const char *f, struct vparse_row *r)
{
	char q[VPARSE_QUOTE_MAX];
	if (strncmp(f, "AS", 2) == 0) {
		uint64_t asn;
		if (!parse_dec(f + 2, VPARSE_ASN_DIGITS, &asn) || asn == 0 || asn > UINT32_MAX) {
			warn(st, "bad AS number '%s' (want AS1 ... AS4294967295)",
			     quote(f, q, sizeof(q)));
			return false;
		}
		r->family = 0;
		r->len = 0;
		r->asn = (uint32_t)asn;
		return true;
	}
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(f, '/');
	size_t alen = slash ? (size_t)(slash - f) : strlen(f);
	if (alen == 0 || alen >= sizeof(addr)) {
		warn(st, "bad prefix '%s' (want an IPv4/IPv6 address or CIDR, or AS<n>)",
		     quote(f, q, sizeof(q)));
		return false;
	}
	memcpy(addr, f, alen);
	addr[alen] = '\0';
	struct dcv_addr a;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, addr, a.bytes) == 1)
		a.family = DCV_ADDR_V4;
	else if (inet_pton(AF_INET6, addr, a.bytes) == 1)
		a.family = DCV_ADDR_V6;
	else {
		warn(st, "bad prefix '%s' (want an IPv4/IPv6 address or CIDR, or AS<n>)",
		     quote(f, q, sizeof(q)));
		return false;
	}
	unsigned width = a.family == DCV_ADDR_V4 ? 32 : 128;
	unsigned minlen = a.family == DCV_ADDR_V4 ? VPARSE_V4_MIN_LEN : VPARSE_V6_MIN_LEN;
	uint64_t len = width;
	if (slash != NULL && !parse_dec(slash + 1, 3, &len)) {
		warn(st, "bad prefix length in '%s'", quote(f, q, sizeof(q)));
		return false;
	}
	if (len < minlen || len > width) {
		warn(st, "prefix length /%u out of range for %s (/%u to /%u) in '%s'",
		     (unsigned)len, a.family == DCV_ADDR_V4 ? "IPv4" : "IPv6", minlen, width,
		     quote(f, q, sizeof(q)));
		return false;
	}
	/* host bits: an error, see validators_parse.h */
	struct dcv_addr net = a;
	bool host = false;
	for (unsigned b = 0; b < width / 8; b++) {
		int keep = (int)len - (int)b * 8;
		uint8_t m = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
		host |= (net.bytes[b] & (uint8_t)~m) != 0;
		net.bytes[b] &= m;
	}
	if (host) {
		char text[DCV_ADDR_TEXT_MAX];
		warn(st, "host bits set in '%s' (did you mean %s/%u?)", quote(f, q, sizeof(q)),
		     dcv_addr_format(&net, text, sizeof(text)), (unsigned)len);
		return false;
	}
	r->family = a.family;
	r->len = (uint8_t)len;
	memcpy(r->bytes, a.bytes, 16);
	r->asn = 0;
	return true;
}

static bool check_role(struct vparse_state *st, const char *f, struct vparse_row *r)
{
	char q[VPARSE_QUOTE_MAX];
	int role = vparse_role(f);
	if (role < 0) {
		warn(st, "unknown role '%s' (want primary|remote|dcv|email|resolver|unknown)",
		     quote(f, q, sizeof(q)));
		return false;
	}
	r->role = (enum validator_role)role;
	return true;
}

static bool check_region(struct vparse_state *st, const char *f, char *out)
{
	char q[VPARSE_QUOTE_MAX];
	bool ok = strcmp(f, "-") == 0;
	for (size_t i = 0; !ok && i < sizeof(rir_words) / sizeof(rir_words[0]); i++)
		ok = strcmp(f, rir_words[i]) == 0;
	if (!ok && strncmp(f, "aws:", 4) == 0)
		ok = all_of(f + 4, 1, VPARSE_AWS_REGION_MAX, LOWER_DIGIT_DASH);
	if (!ok) {
		warn(st, "unknown region '%s' (want arin|ripe|apnic|lacnic|afrinic|aws:<region>|-)",
		     quote(f, q, sizeof(q)));
		return false;
	}
	strcpy(out, f);
	return true;
}

/* printable ASCII without space: what a URL or path may contain here */
static bool visible(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static bool is_url(const char *s)
{
	size_t n = strlen(s);
	size_t scheme = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
	return scheme > 0 && n > scheme && n < VPARSE_SOURCE_MAX && s[scheme] != '/' && visible(s);
}

/* owner/name:path@commit, as in research notes ("repo:path@commit") */
static bool is_repo_ref(const char *s)
{
	size_t n = strlen(s);
	const char *at = strrchr(s, '@');
	const char *colon = strchr(s, ':');
	if (n >= VPARSE_SOURCE_MAX || at == NULL || colon == NULL || colon > at || !visible(s))
		return false;
	size_t clen = n - (size_t)(at + 1 - s);
	if (clen < VPARSE_COMMIT_MIN || clen > VPARSE_COMMIT_MAX ||
	    !all_of(at + 1, clen, clen, HEX))
		return false;
	if (at == colon + 1) /* empty path */
		return false;
	char repo[VPARSE_SOURCE_MAX];
	size_t rlen = (size_t)(colon - s);
	memcpy(repo, s, rlen);
	repo[rlen] = '\0';
	char *slash = strchr(repo, '/');
	if (slash == NULL || slash == repo || slash[1] == '\0' || strchr(slash + 1, '/') != NULL)
		return false;
	*slash = '\0';
	return all_of(repo, 1, rlen, KEY_CHARS) && all_of(slash + 1, 1, rlen, KEY_CHARS);
}

static bool check_source(struct vparse_state *st, const char *f)
{
	char q[VPARSE_QUOTE_MAX], q2[VPARSE_QUOTE_MAX];
	if (f[0] == '@') {
		for (unsigned i = 0; i < st->nkeys; i++) {
			if (strcmp(st->keys[i].key, f + 1) == 0) {
				strcpy(st->source, st->keys[i].url);
				return true;
			}
		}
		warn(st, "unknown source key '%s' (define it first with '#@ src %s URL')",
		     quote(f, q, sizeof(q)), quote(f + 1, q2, sizeof(q2)));
		return false;
	}
	if (!is_url(f) && !is_repo_ref(f)) {
		warn(st, "bad source '%s' (want an http(s) URL, owner/repo:path@commit or @key)",
		     quote(f, q, sizeof(q)));
		return false;
	}
	strcpy(st->source, f);
	return true;
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* is_date() accepts YYYY, YYYY-MM or YYYY-MM-DD with a real month and day. */
static bool is_date(const char *s)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t n = strlen(s);
	if (n != 4 && n != 7 && n != 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 4 || i == 7;
		if (dash ? s[i] != '-' : !in_set(s[i], DIGITS))
			return false;
	}
	unsigned y =
	    (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + s[3] - '0');
	if (y < 1970)
		return false;
	if (n == 4)
		return true;
	unsigned m = (unsigned)((s[5] - '0') * 10 + s[6] - '0');
	if (m < 1 || m > 12)
		return false;
	if (n == 7)
		return true;
	unsigned d = (unsigned)((s[8] - '0') * 10 + s[9] - '0');
	unsigned max = mdays[m - 1] + (m == 2 && leap(y));
	return d >= 1 && d <= max;
}

static bool check_asof(struct vparse_state *st, const char *f, char *out)
{
	char q[VPARSE_QUOTE_MAX];
	if (strcmp(f, "-") != 0 && !is_date(f)) {
		warn(st, "bad asof '%s' (want YYYY, YYYY-MM, YYYY-MM-DD or -)",
		     quote(f, q, sizeof(q)));
		return false;
	}
	strcpy(out, f);
	return true;
}

static bool check_conf(struct vparse_state *st, const char *f, int *out)
{
	char q[VPARSE_QUOTE_MAX];
	int c = vparse_conf(f);
	if (c < VPARSE_CONF_REMOVE) {
		warn(st, "unknown conf '%s' (want official|reseller|thirdparty|historical|-remove)",
		     quote(f, q, sizeof(q)));
		return false;
	}
	*out = c;
	return true;
}

/* check_domain() lowercases an issuer domain: LDH labels of 1-63, at least
 * two labels, at most 253 characters, no trailing dot. */
static bool check_domain(struct vparse_state *st, const char *f, char *out)
{
	char q[VPARSE_QUOTE_MAX];
	size_t n = strlen(f), label = 0, labels = 1;
	bool ok = n > 0 && n < VPARSE_DOMAIN_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		char c = f[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			ok = label > 0 && f[i - 1] != '-';
			label = 0;
			labels++;
		} else {
			ok = in_set(c, LOWER_DIGIT_DASH) && !(c == '-' && label == 0) &&
			     ++label <= VPARSE_LABEL_MAX;
		}
		out[i] = c;
	}
	ok = ok && label > 0 && f[n - 1] != '-' && labels >= 2;
	if (!ok) {
		warn(st, "bad issuer domain '%s' (want a host name such as letsencrypt.org)",
		     quote(f, q, sizeof(q)));
		return false;
	}
	out[n] = '\0';
	return true;
}

/* ---- directives ------------------------------------------------------------ */

/* split_ws() splits s in place at spaces/tabs into at most max tokens and
 * stops at a token starting with '#' (a trailing comment). Returns the count;
 * more than max means too many. */
static unsigned split_ws(char *s, char **tok, unsigned max)
{
	unsigned n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			return n;
		if (n == max)
			return max + 1;
		tok[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

static void directive(struct vparse_state *st, char *text)
{
	char q[VPARSE_QUOTE_MAX], q2[VPARSE_QUOTE_MAX];
	char *tok[4];
	unsigned n = split_ws(text, tok, 3);
	const char *want = st->kind == VPARSE_VALIDATORS ? "ca-validators" : "caa-identifiers";
	if (n == 0) {
		warn(st, "empty '#@' directive");
		return;
	}
	if (strcmp(tok[0], "format") == 0) {
		if (n != 3 || strcmp(tok[1], want) != 0 || strcmp(tok[2], "1") != 0) {
			warn(st,
			     "unsupported format '%s %s' (this version reads '%s 1'); rest of file "
			     "skipped",
			     n > 1 ? quote(tok[1], q, sizeof(q)) : "",
			     n > 2 ? quote(tok[2], q2, sizeof(q2)) : "", want);
			st->stop = true;
			return;
		}
		if (st->saw_row)
			warn(st, "'#@ format' line after the first row");
		st->saw_format = true;
		return;
	}
	if (strcmp(tok[0], "src") == 0) {
		if (n != 3 || !all_of(tok[1], 1, VPARSE_SRC_KEY_MAX - 1, KEY_CHARS) ||
		    !is_url(tok[2])) {
			warn(st,
			     "bad '#@ src' line (want '#@ src KEY URL', KEY [A-Za-z0-9_.-]{1,%d}, "
			     "URL http(s))",
			     VPARSE_SRC_KEY_MAX - 1);
			return;
		}
		for (unsigned i = 0; i < st->nkeys; i++) {
			if (strcmp(st->keys[i].key, tok[1]) == 0) {
				if (strcmp(st->keys[i].url, tok[2]) != 0)
					warn(st,
					     "source key '%s' redefined; the new URL applies from "
					     "here on",
					     quote(tok[1], q, sizeof(q)));
				strcpy(st->keys[i].url, tok[2]);
				return;
			}
		}
		if (st->nkeys == VPARSE_SRC_KEYS) {
			warn(st, "more than %d source keys in one file", VPARSE_SRC_KEYS);
			return;
		}
		strcpy(st->keys[st->nkeys].key, tok[1]);
		strcpy(st->keys[st->nkeys].url, tok[2]);
		st->nkeys++;
		return;
	}
	if (strcmp(tok[0], "updated") == 0) {
		if (n != 2 || !is_date(tok[1]))
			warn(st, "bad '#@ updated' line (want '#@ updated YYYY-MM-DD')");
		return;
	}
	warn(st, "unknown directive '#@ %s'", quote(tok[0], q, sizeof(q)));
}

/* ---- rows ------------------------------------------------------------------ */

/* split_tabs() splits s at TABs; returns the number of columns (capped at
 * VPARSE_COLS_MAX + 1 meaning "more"). */
static unsigned split_tabs(char *s, char **col)
{
	unsigned n = 0;
	col[n++] = s;
	for (; *s; s++) {
		if (*s != '\t')
			continue;
		*s = '\0';
		if (n == VPARSE_COLS_MAX)
			return VPARSE_COLS_MAX + 1;
		col[n++] = s + 1;
	}
	return n;
}

static int row(struct vparse_state *st, char *text)
{
	unsigned want = st->kind == VPARSE_VALIDATORS ? VPARSE_COLS_VALIDATORS : VPARSE_COLS_CAA;
	bool spaces = strchr(text, ' ') != NULL;
	char *col[VPARSE_COLS_MAX];
	unsigned n = split_tabs(text, col);
	if (!st->saw_format && !st->warned_no_format) {
		warn(st, "no '#@ format %s 1' line before the first row",
		     st->kind == VPARSE_VALIDATORS ? "ca-validators" : "caa-identifiers");
		st->warned_no_format = true;
	}
	st->saw_row = true;
	if (n != want) {
		if (n > VPARSE_COLS_MAX)
			warn(st, "expected %u TAB-separated columns, found more than %u", want,
			     VPARSE_COLS_MAX);
		else
			warn(st, "expected %u TAB-separated columns, found %u%s", want, n,
			     n < want && spaces ? " (columns are separated by TABs, not spaces)"
			                        : "");
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		if (col[i][0] == '\0') {
			warn(st, "column %u is empty (write '-' for unknown where allowed)", i + 1);
			return 0;
		}
	}
	char msg[VPARSE_MSG_MAX] = "";
	int rc;
	if (st->kind == VPARSE_VALIDATORS) {
		struct vparse_row r;
		memset(&r, 0, sizeof(r));
		if (!check_ca(st, col[0], r.ca) || !check_prefix(st, col[1], &r) ||
		    !check_role(st, col[2], &r) || !check_region(st, col[3], r.region) ||
		    !check_source(st, col[4]) || !check_asof(st, col[5], r.asof) ||
		    !check_conf(st, col[6], &r.conf))
			return 0;
		r.source = st->source;
		rc = st->sink->row ? st->sink->row(st->sink->ctx, &r, msg, sizeof(msg)) : 1;
	} else {
		struct vparse_caa r;
		memset(&r, 0, sizeof(r));
		if (!check_ca(st, col[0], r.ca) || !check_domain(st, col[1], r.domain) ||
		    !check_source(st, col[2]) || !check_asof(st, col[3], r.asof))
			return 0;
		r.source = st->source;
		rc = st->sink->caa ? st->sink->caa(st->sink->ctx, &r, msg, sizeof(msg)) : 1;
	}
	if (rc == 0)
		warn(st, "%s", msg);
	return rc;
}

/* ---- lines ------------------------------------------------------------------ */

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

int vparse_buffer(const uint8_t *p, size_t len, enum vparse_kind kind, const struct vparse_sink *s)
{
	struct vparse_state st;
	memset(&st, 0, sizeof(st));
	st.sink = s;
	st.kind = kind;
	int applied = 0;
	size_t pos = 0;
	char line[VPARSE_LINE_MAX + 1];
	/* a UTF-8 byte order mark, as some editors write, is not part of line 1 */
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		pos = 3;
	while (pos < len && !st.stop) {
		const uint8_t *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) : len;
		size_t n = end - pos;
		st.line++;
		const char *text = (const char *)p + pos;
		pos = end + 1;
		if (n > 0 && text[n - 1] == '\r') /* CRLF files */
			n--;
		if (n > VPARSE_LINE_MAX) {
			warn(&st, "line longer than %d bytes", VPARSE_LINE_MAX);
			continue;
		}
		if (memchr(text, '\0', n) != NULL) {
			warn(&st, "NUL byte in line");
			continue;
		}
		if (blank(text, n))
			continue;
		memcpy(line, text, n);
		line[n] = '\0';
		char *t = line;
		while (*t == ' ' || *t == '\t')
			t++;
		if (t[0] == '#') {
			if (t[1] == '@')
				directive(&st, t + 2);
			continue;
		}
		int rc = row(&st, line);
		if (rc < 0)
			return -1;
		applied += rc;
	}
	return applied;
}
