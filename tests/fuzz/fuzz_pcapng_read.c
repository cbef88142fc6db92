/*
 * fuzz_pcapng_read.c - libFuzzer target for pcapng_read.c: the input is a
 * whole pcapng file.
 *
 * Invariants checked: every frame lies inside the block the reader holds
 * (ASan: the block is a heap buffer of its own size), its captured length
 * is at most its wire length, and a read ends with the end of the input or
 * with a message that says where. (cap_file_open() hands such files to the
 * reader only after libpcap refused them; the reader itself must take any
 * bytes.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	FILE *fp = fmemopen((void *)data, size, "rb");
	if (fp == NULL)
		abort();
	struct pcapng_reader *r = pcapng_open(fp);
	if (r == NULL)
		abort();
	struct cap_frame f;
	int rc;
	unsigned long sum = 0;
	while ((rc = pcapng_next(r, &f)) == 1) {
		if (f.caplen > f.wirelen)
			abort();
		for (uint32_t i = 0; i < f.caplen; i++) /* every byte readable */
			sum += f.data[i];
	}
	if (rc == -1 && strstr(pcapng_error(r), "at byte ") == NULL)
		abort();
	pcapng_close(r);
	fclose(fp);
	return sum == 1 ? 0 : 0;
}
