/* dcv_error.c - message and key tables for enum dcv_error. */
#include "dcv_error.h"

static const char *const messages[DCV_ERROR_COUNT + 1] = {[0] = "success",
#define DCV_X_MSG(name, key, msg) [name##_POS_] = msg,
                                                          DCV_ERROR_LIST(DCV_X_MSG)
#undef DCV_X_MSG
};

static const char *const keys[DCV_ERROR_COUNT + 1] = {[0] = "ok",
#define DCV_X_KEY(name, key, msg) [name##_POS_] = key,
                                                      DCV_ERROR_LIST(DCV_X_KEY)
#undef DCV_X_KEY
};

const char *dcv_strerror(int code)
{
	if (code > 0 || -code > DCV_ERROR_COUNT)
		return "unknown error";
	return messages[-code];
}

const char *dcv_error_name(int code)
{
	if (code > 0 || -code > DCV_ERROR_COUNT)
		return "unknown";
	return keys[-code];
}
