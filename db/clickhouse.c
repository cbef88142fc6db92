/*
 * clickhouse.c - the HTTP client of one ClickHouse server (clickhouse.h).
 *
 * ClickHouse's HTTP interface takes a statement as the POST body, or as the
 * "query" URL parameter with the data of an INSERT as the body; "database"
 * selects the database. HTTP 200 means done; any other status carries the
 * server's exception text ("Code: 60, e.displayText() = ...") in the body.
 * Checked against clickhouse-server 18.16, the version Debian 12 ships.
 */
#include "clickhouse.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

/* Longest URL accepted on the command line. */
#define DB_CH_URL_MAX 1024

/* Longest database name (ClickHouse allows more; a name is an identifier). */
#define DB_CH_DATABASE_MAX 64

struct db_ch {
	CURL *curl;
	char base[DB_CH_URL_MAX];              /* scheme://[user@]host:port/ */
	char target[DB_CH_URL_MAX];            /* host:port/database */
	char database[DB_CH_DATABASE_MAX + 1]; /* dcvscope */
	char err[DB_CH_ERRMSG_MAX];
	bool migrated; /* db_ch_schema_migrate() succeeded on this handle */
};

/* A growing answer body. */
struct body {
	char *p;
	size_t len, cap;
};

static int set_err(struct db_ch *ch, int result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_err(struct db_ch *ch, int result, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ch->err, sizeof(ch->err), fmt, ap);
	va_end(ap);
	return result;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return 0; /* curl reports a write error */
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* Is s a plain identifier (letters, digits, '_'; not empty)? */
static bool is_identifier(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

int db_ch_open(struct db_ch **out, const char *url, char *err, size_t errlen)
{
	static bool curl_ready; /* curl_global_init() once per process */
	if (url == NULL || strlen(url) >= DB_CH_URL_MAX) {
		snprintf(err, errlen, "clickhouse: URL missing or longer than %d bytes",
		         DB_CH_URL_MAX - 1);
		return -1;
	}
	const char *scheme_end = strstr(url, "://");
	if (scheme_end == NULL || !((scheme_end - url == 4 && strncmp(url, "http", 4) == 0) ||
	                            (scheme_end - url == 5 && strncmp(url, "https", 5) == 0))) {
		snprintf(err, errlen,
		         "clickhouse: %s: expected http://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE]",
		         url);
		return -1;
	}
	const char *auth = scheme_end + 3;
	const char *slash = strchr(auth, '/');
	size_t auth_len = slash ? (size_t)(slash - auth) : strlen(auth);
	const char *db = slash ? slash + 1 : "";
	size_t db_len = strlen(db);
	if (db_len > 0 && db[db_len - 1] == '/')
		db_len--;
	if (db_len == 0) {
		db = DB_CH_DATABASE_DEFAULT;
		db_len = strlen(db);
	}
	if (!is_identifier(db, db_len) || db_len > DB_CH_DATABASE_MAX) {
		snprintf(err, errlen,
		         "clickhouse: %s: the database name (after the host) must be letters, "
		         "digits and '_', at most %d",
		         url, DB_CH_DATABASE_MAX);
		return -1;
	}
	const char *at = memchr(auth, '@', auth_len);
	const char *host = at ? at + 1 : auth;
	size_t host_len = auth_len - (size_t)(host - auth);
	if (host_len == 0) {
		snprintf(err, errlen, "clickhouse: %s: no host", url);
		return -1;
	}
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "clickhouse: libcurl could not be initialised");
			return -1;
		}
		curl_ready = true;
	}
	struct db_ch *ch = calloc(1, sizeof(*ch));
	if (ch == NULL || (ch->curl = curl_easy_init()) == NULL) {
		free(ch);
		snprintf(err, errlen, "clickhouse: out of memory");
		return -1;
	}
	snprintf(ch->base, sizeof(ch->base), "%.*s/", (int)(auth + auth_len - url), url);
	snprintf(ch->database, sizeof(ch->database), "%.*s", (int)db_len, db);
	bool has_port = memchr(host, ':', host_len) != NULL && host[0] != '[';
	snprintf(ch->target, sizeof(ch->target), "%.*s%s/%s", (int)host_len, host,
	         has_port ? "" : (scheme_end - url == 5 ? ":443" : ":80"), ch->database);
	snprintf(ch->err, sizeof(ch->err), "no error");
	*out = ch;
	return 0;
}

void db_ch_close(struct db_ch *ch)
{
	if (ch == NULL)
		return;
	curl_easy_cleanup(ch->curl);
	free(ch);
}

const char *db_ch_target(const struct db_ch *ch)
{
	return ch->target;
}

const char *db_ch_database(const struct db_ch *ch)
{
	return ch->database;
}

const char *db_ch_errmsg(const struct db_ch *ch)
{
	return ch->err;
}

/* The first line of the server's exception text, for a message. */
static void first_line(const char *text, char *out, size_t len)
{
	size_t n = text ? strcspn(text, "\n") : 0;
	snprintf(out, len, "%.*s", (int)n, text ? text : "");
}

/*
 * post() sends one request: url_query (already URL-encoded parameters, may
 * be empty) appended to the base URL, body as the POST data. Returns a
 * db_ch_result; the answer body goes to *out when out is not NULL.
 */
static int post(struct db_ch *ch, const char *what, const char *url_query, const char *data,
                size_t len, char **out)
{
	size_t url_len = strlen(ch->base) + strlen(url_query) + 2;
	char *url = malloc(url_len);
	if (url == NULL)
		return set_err(ch, DB_CH_UNREACHABLE, "clickhouse %s: %s: out of memory",
		               ch->target, what);
	snprintf(url, url_len, "%s?%s", ch->base, url_query);
	struct body b = {0};
	CURL *c = ch->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)DB_CH_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)DB_CH_STATEMENT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: text/plain");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	free(url);
	int result = DB_CH_OK;
	if (rc != CURLE_OK) {
		result = set_err(ch, DB_CH_UNREACHABLE, "clickhouse %s: %s: %s", ch->target, what,
		                 curl_easy_strerror(rc));
	} else if (status != 200) {
		char line[DB_CH_ERRMSG_MAX];
		first_line(b.p, line, sizeof(line));
		bool gateway = status == 502 || status == 503 || status == 504;
		result = set_err(ch, gateway ? DB_CH_UNREACHABLE : DB_CH_REJECTED,
		                 "clickhouse %s: %s: HTTP %ld: %s", ch->target, what, status, line);
	}
	if (result == DB_CH_OK && out != NULL) {
		*out = b.p != NULL ? b.p : strdup("");
		if (*out == NULL)
			return set_err(ch, DB_CH_UNREACHABLE, "clickhouse %s: %s: out of memory",
			               ch->target, what);
		return DB_CH_OK;
	}
	free(b.p);
	return result;
}

/* Appends "name=<escaped value>" to q (capacity len). Returns 0 or -1. */
static int add_param(CURL *c, char *q, size_t len, const char *name, const char *value)
{
	char *esc = curl_easy_escape(c, value, 0);
	if (esc == NULL)
		return -1;
	size_t used = strlen(q);
	int n = snprintf(q + used, len - used, "%s%s=%s", used ? "&" : "", name, esc);
	curl_free(esc);
	return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

int db_ch_exec(struct db_ch *ch, const char *sql, bool in_database, char **out)
{
	char q[DB_CH_URL_MAX] = "";
	if (in_database && add_param(ch->curl, q, sizeof(q), "database", ch->database) != 0)
		return set_err(ch, DB_CH_REJECTED, "clickhouse %s: URL too long", ch->target);
	return post(ch, "query", q, sql, strlen(sql), out);
}

int db_ch_insert(struct db_ch *ch, const char *table, const char *body, size_t len)
{
	char q[DB_CH_URL_MAX] = "", sql[256], what[128];
	if (!is_identifier(table, strlen(table)))
		return set_err(ch, DB_CH_REJECTED, "clickhouse %s: bad table name '%s'", ch->target,
		               table);
	snprintf(sql, sizeof(sql), "INSERT INTO %s FORMAT JSONEachRow", table);
	snprintf(what, sizeof(what), "insert into %s", table);
	if (add_param(ch->curl, q, sizeof(q), "database", ch->database) != 0 ||
	    add_param(ch->curl, q, sizeof(q), "query", sql) != 0)
		return set_err(ch, DB_CH_REJECTED, "clickhouse %s: URL too long", ch->target);
	return post(ch, what, q, body, len, NULL);
}

int db_ch_schema_migrate(struct db_ch *ch)
{
	if (ch->migrated)
		return DB_CH_OK;
	int rc = db_ch_schema_apply(ch);
	if (rc == DB_CH_OK)
		ch->migrated = true;
	return rc;
}

int db_ch_fail(struct db_ch *ch, int result, const char *msg)
{
	return set_err(ch, result, "clickhouse %s: %s", ch->target, msg);
}
