/* test_batch_size.c - how many rows a write batch holds (db/batch_size.h):
 * the limit after a batch of a given cost. */
#include <criterion/criterion.h>

#include "batch_size.h"

enum { BASE = 100000 };

/* A batch of `rows` that wrote `written` pages while the file grew by
 * `grown`, in 0.1 s. */
static struct db_batch_cost cost(size_t rows, uint64_t written, uint64_t grown)
{
	return (struct db_batch_cost){
	    .rows = rows, .pages_written = written, .pages_grown = grown, .elapsed_ns = 100000000};
}

Test(batch_size, a_full_scattered_batch_doubles_the_limit_up_to_the_most)
{
	struct db_batch_cost c = cost(BASE, 5000, 500);
	size_t limit = db_batch_next_limit(BASE, BASE, &c);
	cr_assert_eq(limit, 2 * BASE);
	c.rows = limit;
	limit = db_batch_next_limit(limit, BASE, &c);
	cr_assert_eq(limit, 4 * BASE);
	c.rows = limit;
	cr_assert_eq(db_batch_next_limit(limit, BASE, &c), DB_BATCH_GROWTH * BASE);
}

Test(batch_size, a_full_appending_batch_halves_the_limit_down_to_the_base)
{
	struct db_batch_cost c = cost(4 * BASE, 4400, 4000);
	cr_assert_eq(db_batch_next_limit(4 * BASE, BASE, &c), 2 * BASE);
	c.rows = 2 * BASE;
	cr_assert_eq(db_batch_next_limit(2 * BASE, BASE, &c), BASE);
	c.rows = BASE;
	cr_assert_eq(db_batch_next_limit(BASE, BASE, &c), BASE);
}

Test(batch_size, a_batch_that_did_not_fill_its_limit_changes_nothing)
{
	/* the writer kept up: the batch was handed on before it was full */
	struct db_batch_cost scattered = cost(BASE - 1, 5000, 100);
	cr_assert_eq(db_batch_next_limit(BASE, BASE, &scattered), BASE);
	struct db_batch_cost appending = cost(2 * BASE - 1, 1000, 1000);
	cr_assert_eq(db_batch_next_limit(2 * BASE, BASE, &appending), 2 * BASE);
	cr_assert_eq(db_batch_next_limit(2 * BASE, BASE, NULL), 2 * BASE);
}

Test(batch_size, a_full_scattered_batch_that_took_long_grows_no_further)
{
	struct db_batch_cost c = cost(2 * BASE, 5000, 10);
	c.elapsed_ns = DB_BATCH_GROW_MAX_NS;
	cr_assert_eq(db_batch_next_limit(2 * BASE, BASE, &c), 2 * BASE);
	c.elapsed_ns = DB_BATCH_GROW_MAX_NS - 1;
	cr_assert_eq(db_batch_next_limit(2 * BASE, BASE, &c), 4 * BASE);
}

Test(batch_size, scattered_is_written_pages_of_at_least_twice_the_growth)
{
	/* at the threshold and just under it */
	struct db_batch_cost c = cost(BASE, 1000 * DB_BATCH_SCATTERED, 1000);
	cr_assert_eq(db_batch_next_limit(BASE, BASE, &c), 2 * BASE);
	struct db_batch_cost under = cost(2 * BASE, 1000 * DB_BATCH_SCATTERED - 1, 1000);
	cr_assert_eq(db_batch_next_limit(2 * BASE, BASE, &under), BASE);
	/* merged into rows stored: the file did not grow at all */
	struct db_batch_cost merged = cost(BASE, 2, 0);
	cr_assert_eq(db_batch_next_limit(BASE, BASE, &merged), 2 * BASE);
	struct db_batch_cost nothing = cost(BASE, 1, 0);
	cr_assert_eq(db_batch_next_limit(BASE, BASE, &nothing), BASE);
}

Test(batch_size, a_limit_out_of_range_is_brought_back_into_it)
{
	struct db_batch_cost c = cost(1, 1, 1); /* not full at either end */
	cr_assert_eq(db_batch_next_limit(BASE / 2, BASE, &c), BASE);
	cr_assert_eq(db_batch_next_limit(100 * BASE, BASE, &c), DB_BATCH_GROWTH * BASE);
}
