/* test_dcv_error.c - the error table is complete and keys are stable. */
#include <criterion/criterion.h>
#include <string.h>

#include "dcv_error.h"

Test(dcv_error, every_code_has_a_message_and_a_distinct_key)
{
	for (int i = 1; i <= DCV_ERROR_COUNT; i++) {
		cr_assert_neq(strcmp(dcv_strerror(-i), "unknown error"), 0);
		for (int j = 1; j < i; j++)
			cr_assert_neq(strcmp(dcv_error_name(-i), dcv_error_name(-j)), 0,
			              "codes %d and %d share a key", i, j);
	}
}

Test(dcv_error, keys_are_lowercase_without_prefix)
{
	cr_assert_str_eq(dcv_error_name(DCV_E_DNS_PTR_LOOP), "dns_ptr_loop");
	cr_assert_str_eq(dcv_error_name(DCV_ENOMEM), "nomem");
	cr_assert_str_eq(dcv_error_name(1), "unknown");
}
