/* ship_opts.c - defaults and checks of the shipping options (ship_opts.h). */
#include "ship_opts.h"

#include <string.h>
#include <unistd.h>

void ship_opts_init(struct ship_opts *so)
{
	memset(so, 0, sizeof(*so));
	so->site = SHIP_SITE_DEFAULT;
	if (gethostname(so->hostname, sizeof(so->hostname) - 1) != 0)
		so->hostname[0] = '\0';
	so->hostname[sizeof(so->hostname) - 1] = '\0';
}

/* The server name in use: --server, else the host name. */
static const char *server_of(const struct ship_opts *so)
{
	return so->server != NULL ? so->server : so->hostname;
}

int ship_opts_check(const struct ship_opts *so)
{
	return server_of(so)[0] != '\0' && so->site != NULL && so->site[0] != '\0' ? 0 : -1;
}

void ship_opts_to_db(const struct ship_opts *so, struct db_ship_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->server = server_of(so);
	o->site = so->site;
	o->spool_dir = so->spool_dir;
	o->spool_max_bytes = (uint64_t)so->spool_max_mb << 20;
	o->batch_rows = so->batch_rows;
	o->tries = so->tries;
}
