/* test_support.c - shared helpers for the Criterion tests. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *test_tmpdir(void)
{
	static char path[256];
	const char *base = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/dcvscope-test-XXXXXX", base ? base : "/tmp");
	if (mkdtemp(path) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return path;
}

int test_run(const char *cmdline, char **out)
{
	FILE *p = popen(cmdline, "r");
	if (p == NULL)
		return -1;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		pclose(p);
		return -1;
	}
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *grown = realloc(buf, cap * 2);
			if (grown == NULL)
				break;
			buf = grown;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	int status = pclose(p);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (size < 0) {
		fclose(f);
		return NULL;
	}
	char *buf = malloc((size_t)size + 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[size] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)size;
	return buf;
}

void test_scenario_db(const char *scenario, const char *validators, const char *dir)
{
	char cmd[2048], vopt[700] = "";
	snprintf(cmd, sizeof(cmd), "%s %s -o %s/s.pcap --expect %s/s.json", DCV_GEN_BINARY,
	         scenario, dir, dir);
	if (test_run(cmd, NULL) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		abort();
	}
	if (validators != NULL)
		snprintf(vopt, sizeof(vopt), "--no-default-validators --validators %s", validators);
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --db %s/s.db %s --no-progress %s/s.pcap >/dev/null 2>&1", DCV_BINARY,
	         dir, vopt, dir);
	if (test_run(cmd, NULL) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		abort();
	}
}
