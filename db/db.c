/* db.c - placeholder; the SQLite store is being written. */
#include "db.h"

int db_schema_version(struct db *db)
{
	(void)db;
	return 0;
}
