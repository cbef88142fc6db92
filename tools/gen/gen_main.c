/* gen_main.c - scenario capture generator (placeholder until the generator lands). */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "dcvscope-gen: not built yet\n");
	return 2;
}
