/*
 * util/log.c - see log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "util/log.h"

static const char *prog = "keymail";
static int to_syslog;
static int quiet;
static int stderr_info = 1;

void
log_open(const char *progname, int use_syslog)
{
	prog = progname;
	to_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID, LOG_MAIL);
}

void
log_set_quiet(int q)
{
	quiet = q;
}

void
log_set_stderr_info(int on)
{
	stderr_info = on;
}

static void
emit(int prio, const char *errstr, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t i;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Safety net: mail data may reach here; keep log lines single and printable. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	if (!quiet && (prio != LOG_INFO || stderr_info)) {
		if (errstr)
			fprintf(stderr, "%s: %s: %s\n", prog, msg, errstr);
		else
			fprintf(stderr, "%s: %s\n", prog, msg);
	}
	if (to_syslog) {
		if (errstr)
			syslog(prio, "%s: %s", msg, errstr);
		else
			syslog(prio, "%s", msg);
	}
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	emit(LOG_WARNING, e, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_errorx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
}

void
log_fatal_code(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(code);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	abort();
}
