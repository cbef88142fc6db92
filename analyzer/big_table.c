/* big_table.c - huge-page-backed memory for large tables (big_table.h). */
#include "big_table.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Under AddressSanitizer the tables come from calloc(), so that overflows
 * past them are still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define BIG_TABLE_PLAIN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BIG_TABLE_PLAIN 1
#endif
#endif

#define HUGE_PAGE ((size_t)2 << 20)

/* n rounded up to whole huge pages (small tables: whole pages); 0 on overflow. */
static size_t mapped_size(size_t n)
{
	size_t unit = n >= HUGE_PAGE ? HUGE_PAGE : (size_t)sysconf(_SC_PAGESIZE);
	if (n == 0 || n > SIZE_MAX - unit)
		return 0;
	return (n + unit - 1) / unit * unit;
}

void *big_table_alloc(size_t n)
{
	size_t len = mapped_size(n);
	if (len == 0)
		return NULL;
#ifdef BIG_TABLE_PLAIN
	return calloc(1, n);
#endif
	if (len < HUGE_PAGE) {
		void *p =
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	/* map a huge page more and trim, so that the table starts on a huge page */
	if (len > SIZE_MAX - HUGE_PAGE)
		return NULL;
	size_t span = len + HUGE_PAGE;
	char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	uintptr_t start = ((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	char *p = (char *)start;
	size_t head = (size_t)(p - raw);
	if (head > 0)
		munmap(raw, head);
	if (span - head - len > 0)
		munmap(p + len, span - head - len);
	(void)madvise(p, len, MADV_HUGEPAGE); /* a hint; ignored where unsupported */
	return p;
}

void big_table_free(void *p, size_t n)
{
#ifdef BIG_TABLE_PLAIN
	(void)n;
	free(p);
#else
	if (p != NULL)
		munmap(p, mapped_size(n));
#endif
}
