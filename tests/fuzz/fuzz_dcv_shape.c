/*
 * fuzz_dcv_shape.c - libFuzzer target for dcv_shape_classify().
 *
 * Input: 2 bytes of qtype, then the name text. Aborts when a promise of
 * dcv_shape.h does not hold: base is a suffix of the qname given (no read
 * outside it), base_len is consistent, the shape has a name, and a shape with
 * a prefix strips exactly a first label.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcv_shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size - 2 > UINT16_MAX)
		return 0;
	uint16_t qtype = (uint16_t)(data[0] << 8 | data[1]);
	size_t len = size - 2;
	/* exact-size copy, no NUL: ASan sees any read past the end */
	char *name = malloc(len ? len : 1);
	if (!name)
		return 0;
	memcpy(name, data + 2, len);

	struct dcv_shape_result r;
	dcv_shape_classify(name, (uint16_t)len, qtype, &r);
	if (r.shape < DCV_SHAPE_NONE || r.shape >= DCV_SHAPE_COUNT)
		abort();
	if (r.base < name || r.base + r.base_len != name + len)
		abort();
	if (dcv_shape_name(r.shape) == NULL || strcmp(dcv_shape_name(r.shape), "unknown") == 0)
		abort();
	if (r.base != name) {
		/* a prefix was stripped: it ends with '.', X is not empty */
		if (!dcv_shape_is_validation(r.shape) || r.base_len == 0 || r.base[-1] != '.' ||
		    name[0] != '_')
			abort();
	}
	free(name);
	return 0;
}
