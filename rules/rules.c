/* rules.c - the rule catalogue (empty until the rules-engine issue lands). */
#include "rules.h"

unsigned rules_catalogue_size(void)
{
	return 0;
}
