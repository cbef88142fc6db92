/* records.c - rcode counter slots. */
#include "records.h"

enum rcode_slot rcode_slot_of(unsigned rcode)
{
	switch (rcode) {
	case DNS_RCODE_NOERROR:
		return RCODE_SLOT_NOERROR;
	case DNS_RCODE_FORMERR:
		return RCODE_SLOT_FORMERR;
	case DNS_RCODE_SERVFAIL:
		return RCODE_SLOT_SERVFAIL;
	case DNS_RCODE_NXDOMAIN:
		return RCODE_SLOT_NXDOMAIN;
	case DNS_RCODE_NOTIMP:
		return RCODE_SLOT_NOTIMP;
	case DNS_RCODE_REFUSED:
		return RCODE_SLOT_REFUSED;
	default:
		return RCODE_SLOT_OTHER;
	}
}

const char *rcode_slot_key(enum rcode_slot slot)
{
	static const char *const keys[RCODE_SLOTS] = {
	    [RCODE_SLOT_NOERROR] = "noerror",   [RCODE_SLOT_FORMERR] = "formerr",
	    [RCODE_SLOT_SERVFAIL] = "servfail", [RCODE_SLOT_NXDOMAIN] = "nxdomain",
	    [RCODE_SLOT_NOTIMP] = "notimp",     [RCODE_SLOT_REFUSED] = "refused",
	    [RCODE_SLOT_OTHER] = "other",
	};
	return (unsigned)slot < RCODE_SLOTS ? keys[slot] : "other";
}
