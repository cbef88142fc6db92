/*
 * ch_server.h - a real clickhouse-server for the fleet tests: one per test
 * executable, started before the first test (ReportHook PRE_ALL) and
 * stopped after the last (POST_ALL), on loopback ports that were free, with
 * every file in its own temporary directory (removed at the end).
 *
 * The server's process id is kept in a file, not only in memory: a test
 * (a forked process) may kill the server and start it again, and the hook
 * that stops it at the end must find the new one.
 */
#ifndef DCV_TEST_CH_SERVER_H
#define DCV_TEST_CH_SERVER_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_support.h"

#define CH_SERVER_BINARY "/usr/sbin/clickhouse-server"

/* How long the server may take to answer /ping after it was started. */
#define CH_START_TIMEOUT_MS 30000

/* Where the server lives. ch_server_setup() sets it in the runner and
 * passes it on in the environment: Criterion runs every test in a process
 * of its own, which inherits the environment but not the runner's memory. */
static struct {
	char dir[256];
	int http_port, tcp_port;
} ch_srv;

#define CH_ENV_DIR  "DCV_TEST_CH_DIR"
#define CH_ENV_HTTP "DCV_TEST_CH_HTTP_PORT"
#define CH_ENV_TCP  "DCV_TEST_CH_TCP_PORT"

/* Fills ch_srv from the environment in a test process. */
static void ch_env(void)
{
	if (ch_srv.dir[0] != '\0' || getenv(CH_ENV_DIR) == NULL)
		return;
	snprintf(ch_srv.dir, sizeof(ch_srv.dir), "%s", getenv(CH_ENV_DIR));
	ch_srv.http_port = atoi(getenv(CH_ENV_HTTP) ? getenv(CH_ENV_HTTP) : "0");
	ch_srv.tcp_port = atoi(getenv(CH_ENV_TCP) ? getenv(CH_ENV_TCP) : "0");
}

/* A loopback port nobody listens on right now. */
static int ch_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("free port");
		abort();
	}
	close(fd);
	return ntohs(a.sin_port);
}

static void ch_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* The URL of the HTTP interface with database db. */
static const char *ch_url(const char *db)
{
	ch_env();
	static char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s", ch_srv.http_port, db);
	return url;
}

static pid_t ch_read_pid(void)
{
	ch_env();
	char path[300];
	snprintf(path, sizeof(path), "%s/server.pid", ch_srv.dir);
	char *text = test_read_file(path, NULL);
	pid_t pid = text ? (pid_t)atoi(text) : 0;
	free(text);
	return pid;
}

/* Does the server answer /ping with "Ok."? */
static bool ch_ping(void)
{
	ch_env();
	char cmd[200], *out = NULL;
	snprintf(cmd, sizeof(cmd), "curl -s --max-time 2 http://127.0.0.1:%d/ping",
	         ch_srv.http_port);
	bool ok = test_run(cmd, &out) == 0 && out != NULL && strncmp(out, "Ok.", 3) == 0;
	free(out);
	return ok;
}

/* Starts the server on the existing configuration and waits for /ping.
 * The server is not our child: an intermediate process forks it and exits
 * at once, so init reaps it. (Criterion's runner reaps every child of its
 * own and stalls on one it did not start.) Returns 0 or -1. */
static int ch_start(void)
{
	ch_env();
	char config[300], log[300], pidpath[300], pidtmp[300];
	snprintf(config, sizeof(config), "--config-file=%s/config.xml", ch_srv.dir);
	snprintf(log, sizeof(log), "%s/stdout.log", ch_srv.dir);
	snprintf(pidpath, sizeof(pidpath), "%s/server.pid", ch_srv.dir);
	snprintf(pidtmp, sizeof(pidtmp), "%s/server.pid.tmp", ch_srv.dir);
	unlink(pidpath);
	pid_t mid = fork();
	if (mid < 0)
		return -1;
	if (mid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		FILE *pf = fopen(pidtmp, "w");
		if (pf == NULL)
			_exit(126);
		fprintf(pf, "%d\n", (int)getpid());
		fclose(pf);
		rename(pidtmp, pidpath);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		/* nothing of the test's (Criterion's report pipe) stays open in the
		 * server, or the runner would wait for it */
		for (int i = 3; i < 1024; i++)
			close(i);
		execl(CH_SERVER_BINARY, "clickhouse-server", config, (char *)NULL);
		_exit(127);
	}
	waitpid(mid, NULL, 0);
	for (int waited = 0; waited < CH_START_TIMEOUT_MS; waited += 100) {
		if (ch_ping())
			return 0;
		pid_t pid = ch_read_pid();
		if (pid > 0 && kill(pid, 0) != 0)
			return -1; /* it exited */
		ch_sleep_ms(100);
	}
	return -1;
}

/* Stops the server with sig and waits until it is gone. */
static void ch_stop(int sig)
{
	pid_t pid = ch_read_pid();
	if (pid <= 0)
		return;
	kill(pid, sig);
	for (int waited = 0; waited < CH_START_TIMEOUT_MS; waited += 50) {
		/* init reaps it (see ch_start()) */
		if (kill(pid, 0) != 0 && errno == ESRCH)
			break;
		ch_sleep_ms(50);
	}
	/* the ports are free again once the process is gone */
}

/* Writes the configuration into a fresh directory and starts the server. */
static int ch_server_setup(void)
{
	snprintf(ch_srv.dir, sizeof(ch_srv.dir), "%s", test_tmpdir());
	ch_srv.http_port = ch_free_port();
	do
		ch_srv.tcp_port = ch_free_port();
	while (ch_srv.tcp_port == ch_srv.http_port);
	char path[300];
	snprintf(path, sizeof(path), "%s/config.xml", ch_srv.dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	const char *d = ch_srv.dir;
	fprintf(f,
	        "<?xml version=\"1.0\"?>\n<yandex>\n"
	        "  <logger><level>warning</level><log>%s/server.log</log>"
	        "<errorlog>%s/server.err.log</errorlog><size>10M</size><count>1</count></logger>\n"
	        "  <http_port>%d</http_port>\n  <tcp_port>%d</tcp_port>\n"
	        "  <listen_host>127.0.0.1</listen_host>\n"
	        "  <path>%s/data/</path>\n  <tmp_path>%s/tmp/</tmp_path>\n"
	        "  <user_files_path>%s/user_files/</user_files_path>\n"
	        "  <format_schema_path>%s/format_schemas/</format_schema_path>\n"
	        "  <users_config>%s/users.xml</users_config>\n"
	        "  <default_profile>default</default_profile>\n"
	        "  <default_database>default</default_database>\n"
	        "  <timezone>UTC</timezone>\n"
	        "  <mark_cache_size>268435456</mark_cache_size>\n"
	        "</yandex>\n",
	        d, d, ch_srv.http_port, ch_srv.tcp_port, d, d, d, d, d);
	fclose(f);
	snprintf(path, sizeof(path), "%s/users.xml", ch_srv.dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "<?xml version=\"1.0\"?>\n<yandex>\n"
	           "  <profiles><default></default></profiles>\n"
	           "  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>"
	           "<profile>default</profile><quota>default</quota></default></users>\n"
	           "  <quotas><default></default></quotas>\n</yandex>\n");
	fclose(f);
	char num[16];
	setenv(CH_ENV_DIR, ch_srv.dir, 1);
	snprintf(num, sizeof(num), "%d", ch_srv.http_port);
	setenv(CH_ENV_HTTP, num, 1);
	snprintf(num, sizeof(num), "%d", ch_srv.tcp_port);
	setenv(CH_ENV_TCP, num, 1);
	return ch_start();
}

static void ch_server_teardown(void)
{
	if (ch_srv.dir[0] == '\0')
		return;
	ch_stop(SIGTERM);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ch_srv.dir);
	(void)test_run(cmd, NULL);
}

/* Runs sql on the server (through a file of this test process's own: the
 * tests of an executable run side by side); returns curl's exit status, 0
 * when the server answered 200, and the answer in *out when out is not NULL. */
static inline int ch_exec(const char *sql, char **out)
{
	ch_env();
	char path[300];
	snprintf(path, sizeof(path), "%s/query-%ld.sql", ch_srv.dir, (long)getpid());
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(sql, f);
	fclose(f);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "curl -sS --fail http://127.0.0.1:%d/ --data-binary @%s",
	         ch_srv.http_port, path);
	int rc = test_run(cmd, out);
	unlink(path);
	return rc;
}

/* Runs sql on the server; returns the first number of the answer, or -1. */
static inline long long ch_number(const char *sql)
{
	char *out = NULL;
	int rc = ch_exec(sql, &out);
	long long v = -1;
	if (rc == 0 && out != NULL && out[0] >= '0' && out[0] <= '9')
		v = atoll(out);
	free(out);
	return v;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	if (ch_server_setup() != 0) {
		fprintf(stderr, "clickhouse-server did not start; see %s\n", ch_srv.dir);
		ch_server_teardown();
		exit(1);
	}
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	ch_server_teardown();
}

#endif
