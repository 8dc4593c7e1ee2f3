/*
 * tests/unit/send_test.c - mail_send() against real programs.
 *
 * Small shell scripts written to a private temp directory stand in for
 * msmtp: they exit with chosen sysexits codes, record their environment
 * and stdin, flood stderr, or ignore stdin. The checks are the status
 * mapping, the timeout, the clean environment, the closed descriptors,
 * and that a mailer which stops reading cannot hang or kill us. Nothing
 * is timed: a mailer that must be killed would otherwise run for minutes.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "mail/mail.h"

static char dir[] = "/tmp/km-send-test.XXXXXX";

static const char *
script(const char *name, const char *body)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(path, 0755);
	return path;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	*len = fread(s, 1, (size_t)n, f);
	s[*len] = '\0';
	fclose(f);
	return s;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Far below the 300 s a mailer here sleeps, far above the 1 s timeout. */
#define HANG_GUARD	60.0

/* Has process pid ended (gone, or a zombie nobody reaped yet)? Waits up
 * to a minute for it: the kill is sent, but the kernel may take a while
 * on a busy machine. */
static int
gone(pid_t pid)
{
	char path[64], buf[512], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	for (i = 0; i < 600; i++) {
		FILE *f = fopen(path, "r");
		size_t n;

		if (f == NULL)
			return 1;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* "pid (comm) S ...": the state follows the last ')' */
		if ((p = strrchr(buf, ')')) != NULL && (p[1] == '\0' ||
		    (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))))
			return 1;
		usleep(100000);
	}
	return 0;
}

static const char *
sname(enum mail_send_status s)
{
	return s == MAIL_SEND_OK ? "OK" : s == MAIL_SEND_PERMFAIL ?
	    "PERMFAIL" : "TEMPFAIL";
}

#define SEND(cmd, msg, len, to, want) do {				\
	enum mail_send_status st_ = mail_send((cmd), (msg), (len), (to),	\
	    err, sizeof(err));						\
	CHECK(st_ == (want), "%s: got %s (%s), want %s", (cmd),		\
	    sname(st_), err, sname(want));				\
} while (0)

int
main(void)
{
	static const uint8_t small[] = "From: a@b.c\nTo: d@e.f\n\nhello\n";
	char err[600], cmd[512], out[300];
	uint8_t *big;
	size_t bigLen = 4 * 1024 * 1024, n, i;
	struct sigaction sa;
	char *s;
	double t0;
	int fd;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	big = malloc(bigLen);
	for (i = 0; i < bigLen; i++)
		big[i] = (uint8_t)(i % 64 == 63 ? '\n' : 'a' + i % 26);

	/* Plain success, with blanks and tabs around the words. */
	SEND("cat", small, sizeof(small) - 1, 10, MAIL_SEND_OK);
	CHECK_STR(err, "");
	SEND("  cat \t ", small, sizeof(small) - 1, 10, MAIL_SEND_OK);
	SEND("/bin/cat -u", small, sizeof(small) - 1, 10, MAIL_SEND_OK);

	/* Exit status mapping. */
	SEND("/bin/false", small, sizeof(small) - 1, 10, MAIL_SEND_TEMPFAIL);
	CHECK(strstr(err, "status 1") != NULL, "false: \"%s\"", err);
	snprintf(cmd, sizeof(cmd), "%s", script("x67",
	    "cat >/dev/null\necho 'recipient refused' >&2\n"
	    "echo 'second line' >&2\nexit 67\n"));
	SEND(cmd, small, sizeof(small) - 1, 10, MAIL_SEND_PERMFAIL);
	CHECK(strstr(err, "status 67: recipient refused") != NULL &&
	    strstr(err, "second") == NULL, "67: \"%s\"", err);
	snprintf(cmd, sizeof(cmd), "%s", script("x65", "exit 65\n"));
	SEND(cmd, small, sizeof(small) - 1, 10, MAIL_SEND_PERMFAIL);
	snprintf(cmd, sizeof(cmd), "%s", script("x75", "exit 75\n"));
	SEND(cmd, small, sizeof(small) - 1, 10, MAIL_SEND_TEMPFAIL);
	snprintf(cmd, sizeof(cmd), "%s", script("kill", "kill -9 $$\n"));
	SEND(cmd, small, sizeof(small) - 1, 10, MAIL_SEND_TEMPFAIL);
	CHECK(strstr(err, "signal 9") != NULL, "signal: \"%s\"", err);

	/* Cannot start: not found, not executable, empty command. */
	SEND("keymail-no-such-mailer-here -t", small, sizeof(small) - 1, 10,
	    MAIL_SEND_TEMPFAIL);
	CHECK(strstr(err, "cannot run") != NULL, "missing: \"%s\"", err);
	snprintf(cmd, sizeof(cmd), "%s/noexec", dir);
	fd = open(cmd, O_WRONLY | O_CREAT, 0644);
	close(fd);
	SEND(cmd, small, sizeof(small) - 1, 10, MAIL_SEND_TEMPFAIL);
	CHECK(strstr(err, "ermission denied") != NULL, "noexec: \"%s\"", err);
	SEND("", small, sizeof(small) - 1, 10, MAIL_SEND_TEMPFAIL);
	SEND(" \t ", small, sizeof(small) - 1, 10, MAIL_SEND_TEMPFAIL);

	/* Timeout: killed. The mailers below would run for five minutes;
	 * nothing here measures how fast we are: HANG_GUARD only tells
	 * "killed at the 1-second timeout" from "waited for the mailer",
	 * with room for any machine, however busy. */
	t0 = now();
	SEND("sleep 300", small, sizeof(small) - 1, 1, MAIL_SEND_TEMPFAIL);
	CHECK(now() - t0 < HANG_GUARD, "sleep 300 was not killed (%.1f s)",
	    now() - t0);
	CHECK(strstr(err, "timed out") != NULL, "timeout: \"%s\"", err);
	/* A child that closes its pipes and lingers is still timed out,
	 * and its own children go with it (process group). */
	snprintf(out, sizeof(out), "%s/linger.pid", dir);
	snprintf(cmd, sizeof(cmd), "%s %s", script("linger",
	    "exec 0<&- 2>&-\nsleep 300 &\necho $! > \"$1\"\nsleep 300\n"), out);
	t0 = now();
	SEND(cmd, small, sizeof(small) - 1, 1, MAIL_SEND_TEMPFAIL);
	CHECK(now() - t0 < HANG_GUARD, "linger was not killed (%.1f s)",
	    now() - t0);
	s = slurp(out, &n);
	CHECK(s != NULL && atol(s) > 0 && gone((pid_t)atol(s)),
	    "the lingering mailer's own child (%s) outlived it", s ? s : "?");
	free(s);

	/* A mailer that never reads stdin, with a message far bigger than
	 * a pipe: no hang, no SIGPIPE; its exit status decides (a hang
	 * would end in the 10-second timeout, TEMPFAIL, for "true"). */
	SEND("true", big, bigLen, 10, MAIL_SEND_OK);
	SEND("/bin/false", big, bigLen, 10, MAIL_SEND_TEMPFAIL);
	t0 = now();
	SEND("sleep 300", big, bigLen, 1, MAIL_SEND_TEMPFAIL);
	CHECK(now() - t0 < HANG_GUARD, "blocked writer was not stopped "
	    "(%.1f s)", now() - t0);
	sigaction(SIGPIPE, NULL, &sa);
	CHECK(sa.sa_handler == SIG_DFL, "SIGPIPE disposition not restored");

	/* The whole message arrives, even while stderr is flooded. */
	snprintf(out, sizeof(out), "%s/stdin.out", dir);
	snprintf(cmd, sizeof(cmd), "%s %s", script("tee",
	    "head -c 300000 /dev/zero | tr '\\0' x >&2\ncat > \"$1\"\n"), out);
	SEND(cmd, big, bigLen, 20, MAIL_SEND_OK);
	s = slurp(out, &n);
	CHECK(s != NULL && n == bigLen && memcmp(s, big, n) == 0,
	    "stdin copy: %zu bytes, want %zu", n, bigLen);
	free(s);
	/* An empty message is fine too. */
	SEND(cmd, (const uint8_t *)"", 0, 10, MAIL_SEND_OK);
	s = slurp(out, &n);
	CHECK(s != NULL && n == 0, "empty stdin: %zu bytes", n);
	free(s);

	/* Environment: PATH and HOME only. */
	setenv("KM_TEST_SECRET", "leak", 1);
	setenv("HOME", "/home/keymail-test", 1);
	snprintf(out, sizeof(out), "%s/env.out", dir);
	snprintf(cmd, sizeof(cmd), "%s %s", script("env",
	    "echo \"PATH=$PATH HOME=$HOME S=${KM_TEST_SECRET-unset}\" > \"$1\"\n"
	    "env | grep -v '^PWD=' | grep -v '^OLDPWD=' | sort >> \"$1\"\n"),
	    out);
	SEND(cmd, small, sizeof(small) - 1, 10, MAIL_SEND_OK);
	s = slurp(out, &n);
	CHECK(s != NULL && strcmp(s, "PATH=/usr/local/bin:/usr/bin:/bin "
	    "HOME=/home/keymail-test S=unset\n"
	    "HOME=/home/keymail-test\nPATH=/usr/local/bin:/usr/bin:/bin\n") == 0,
	    "environment:\n%s", s ? s : "(none)");
	free(s);

	/* Descriptors beyond 0-2 are not inherited. */
	fd = open("/dev/null", O_RDONLY);
	dup2(fd, 42);
	close(fd);
	snprintf(out, sizeof(out), "%s/fd.out", dir);
	snprintf(cmd, sizeof(cmd), "%s %s", script("fd",
	    "if [ -e /proc/$$/fd/42 ]; then echo leaked; else echo clean; fi"
	    " > \"$1\"\n"), out);
	SEND(cmd, small, sizeof(small) - 1, 10, MAIL_SEND_OK);
	s = slurp(out, &n);
	CHECK(s != NULL && strcmp(s, "clean\n") == 0, "fd 42: %s", s ? s : "");
	free(s);
	close(42);

	free(big);
	/* Clean up the temp directory. */
	{
		static const char *const files[] = { "x67", "x65", "x75",
		    "kill", "noexec", "linger", "linger.pid", "tee", "stdin.out", "env",
		    "env.out", "fd", "fd.out" };

		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(cmd, sizeof(cmd), "%s/%s", dir, files[i]);
			unlink(cmd);
		}
		rmdir(dir);
	}
	return check_done();
}
