/*
 * util/log.h - diagnostics.
 *
 * log_warn appends strerror(errno); log_warnx does not. log_fatal* is for
 * trouble in the environment (exits with the given sysexits code);
 * log_panic is for a violated invariant of our own (abort()).
 * Messages go to stderr, prefixed with the program name, and to syslog
 * (facility mail) once log_open() has been called.
 * Messages may contain data from mail: callers pass it through "%s" only;
 * log_* replaces control characters before writing.
 */
#ifndef KM_UTIL_LOG_H
#define KM_UTIL_LOG_H

#define KM_PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_open(const char *progname, int use_syslog);
void log_set_quiet(int quiet);	/* quiet: no stderr (syslog only) */
/* 0: log_info goes to syslog only, warnings and errors to stderr too
 * (keymail sync from cron: no mail for every run); 1 (default): all. */
void log_set_stderr_info(int on);
void log_info(const char *fmt, ...) KM_PRINTF(1, 2);
void log_warn(const char *fmt, ...) KM_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) KM_PRINTF(1, 2);
/* Something the operator must fix (syslog priority err), no errno. */
void log_errorx(const char *fmt, ...) KM_PRINTF(1, 2);
_Noreturn void log_fatal_code(int code, const char *fmt, ...) KM_PRINTF(2, 3);
_Noreturn void log_panic(const char *fmt, ...) KM_PRINTF(1, 2);

#endif
