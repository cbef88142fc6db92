/* main.c - the dcvscope command line (placeholder). */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "dcvscope: not built yet\n");
	return 2;
}
