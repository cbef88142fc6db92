/* ch_select.c - SELECTs read from ClickHouse as JSONCompact (db_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse.h"
#include "db_internal.h"

int db_ch_select(struct db_ch *ch, const char *sql, int (*fn)(void *ctx, json_t *row), void *ctx)
{
	size_t len = strlen(sql) + sizeof(" FORMAT JSONCompact");
	char *q = malloc(len);
	if (q == NULL)
		return db_ch_fail(ch, DB_CH_UNREACHABLE, "out of memory");
	snprintf(q, len, "%s FORMAT JSONCompact", sql);
	char *text = NULL;
	int rc = db_ch_exec(ch, q, true, &text);
	free(q);
	if (rc != DB_CH_OK)
		return rc;
	json_error_t e;
	json_t *root = json_loads(text, 0, &e);
	free(text);
	json_t *data = json_object_get(root, "data");
	if (!json_is_array(data)) {
		json_decref(root);
		return db_ch_fail(ch, DB_CH_REJECTED, "the answer to a SELECT is not JSONCompact");
	}
	int count = 0;
	size_t i;
	json_t *row;
	json_array_foreach(data, i, row)
	{
		count++;
		if (fn(ctx, row) != 0)
			break;
	}
	json_decref(root);
	return count;
}

uint64_t db_ch_row_u64(json_t *row, size_t i)
{
	json_t *v = json_array_get(row, i);
	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	if (json_is_real(v))
		return (uint64_t)json_real_value(v);
	if (json_is_string(v))
		return strtoull(json_string_value(v), NULL, 10);
	return 0;
}

void db_ch_row_text(json_t *row, size_t i, char *out, size_t len)
{
	const char *s = json_string_value(json_array_get(row, i));
	snprintf(out, len, "%s", s ? s : "");
}
