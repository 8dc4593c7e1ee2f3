/*
 * mail/send.c - hand a finished message to the mailer (msmtp).
 *
 * DESCRIPTION
 *	mail_send() runs the configured command the way Postfix's
 *	pipe_command() runs a delivery command: the command line is split
 *	on blanks into an argv (no shell, so no quoting and no expansion),
 *	argv[0] is looked up in a fixed PATH, the environment is built from
 *	scratch (PATH and HOME only), the message goes in on stdin, the
 *	first bytes of stderr are kept for the log, and a deadline bounds
 *	the whole run. stdout goes to /dev/null. The child gets its own
 *	process group so a timeout kills whatever it started as well.
 *
 *	Exit status: 0 is sent; 65 (EX_DATAERR) and 67 (EX_NOUSER) are
 *	permanent (msmtp documents sysexits); anything else, a signal, a
 *	timeout or a failure to start the program is temporary. If the
 *	mailer exits before reading all of the message, its exit status
 *	still decides, as in Postfix: it may legitimately have stopped
 *	reading after a fatal error it reports in its status.
 *
 * MEMORY
 *	Nothing is kept between calls; err is the caller's.
 *
 * SECURITY
 *	cmdline is trusted configuration; msg is our own composition, but
 *	may quote request text. The recipient address, if the caller puts
 *	one in cmdline, must already be a checked addr-spec (mail_parse()
 *	guarantees no blanks and no leading '-'). The child inherits only
 *	fds 0-2: everything else is marked close-on-exec first, so the
 *	mailer cannot reach our database connection. SIGPIPE is ignored
 *	while we write, so a mailer that exits early cannot kill us.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "mail/mail.h"
#include "util/clock.h"
#include "util/limits.h"
#include "util/xalloc.h"

#define SEND_PATH	"/usr/local/bin:/usr/bin:/bin"
#define SEND_MAXARGS	64
#define SEND_ERRCAP	512	/* bytes of the mailer's stderr we keep */

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* First line of the captured stderr, controls made '?', for the log. */
static void
errline(const char *cap, size_t n, char *dst, size_t dstlen)
{
	size_t i, j = 0;

	if (dstlen == 0)
		return;
	for (i = 0; i < n && cap[i] != '\n' && j + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)cap[i];

		if (c == '\r')
			continue;
		dst[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[j] = '\0';
}

/* In the child: keep 0-2, make every other fd close-on-exec (the exec
 * status pipe must stay open until execve succeeds). */
static void
child_fds(void)
{
	long max, fd;

#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/*
 * Runs after fork(): only async-signal-safe calls. Reports the errno of
 * the failed exec through statfd and exits.
 */
static _Noreturn void
child(char **argv, char **paths, size_t npaths, char **envp, int in,
    int out, int errfd, int statfd)
{
	struct sigaction sa;
	sigset_t none;
	int e = ENOENT, fd;
	size_t i;

	(void)setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(errfd, 2) == -1) {
		e = errno;
		goto fail;
	}
	/* dup2 onto the same number keeps close-on-exec: clear it. */
	for (fd = 0; fd <= 2; fd++)
		(void)fcntl(fd, F_SETFD, 0);
	child_fds();
	for (i = 0; i < npaths; i++) {
		(void)execve(paths[i], argv, envp);
		/* Like execvp: a permission problem is worth reporting
		 * over "not found" further down the PATH. */
		if (errno != ENOENT && errno != ENOTDIR)
			e = errno;
	}
fail:
	(void)!write(statfd, &e, sizeof(e));
	_exit(127);
}

enum mail_send_status
mail_send(const char *cmdline, const uint8_t *msg, size_t len,
    unsigned timeout, char *err, size_t errlen)
{
	char *line = NULL, *argv[SEND_MAXARGS + 1], *paths[8], *envp[3];
	char *home = NULL, cap[SEND_ERRCAP], first[SEND_ERRCAP];
	size_t argc = 0, npaths = 0, capn = 0, off = 0, i;
	int in[2] = { -1, -1 }, ep[2] = { -1, -1 }, sp[2] = { -1, -1 };
	int devnull = -1, status = 0, e = 0, timed_out = 0;
	long long deadline;
	long nap = 50 * 1000L;		/* ns; see the wait loop below */
	struct sigaction ign, old;
	enum mail_send_status rc = MAIL_SEND_TEMPFAIL;
	pid_t pid;
	char *save = NULL, *tok;
	ssize_t n;

	seterr(err, errlen, "%s", "");
	if (timeout == 0)
		timeout = KM_SENDMAIL_TIMEOUT;
	line = xstrdup(cmdline ? cmdline : "");
	for (tok = strtok_r(line, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (argc == SEND_MAXARGS) {
			seterr(err, errlen, "mailer command has over %d words",
			    SEND_MAXARGS);
			free(line);
			return MAIL_SEND_TEMPFAIL;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (argc == 0) {
		seterr(err, errlen, "no mailer command configured");
		free(line);
		return MAIL_SEND_TEMPFAIL;
	}
	/* The PATH search is done here, before fork, with our fixed PATH
	 * rather than whatever PATH the MTA gave us. */
	if (strchr(argv[0], '/') != NULL)
		paths[npaths++] = xstrdup(argv[0]);
	else {
		char *dirs = xstrdup(SEND_PATH), *d, *s2 = NULL;

		for (d = strtok_r(dirs, ":", &s2); d && npaths < 8;
		    d = strtok_r(NULL, ":", &s2))
			paths[npaths++] = xasprintf("%s/%s", d, argv[0]);
		free(dirs);
	}
	envp[0] = "PATH=" SEND_PATH;
	envp[1] = NULL;
	envp[2] = NULL;
	if (getenv("HOME") != NULL) {
		home = xasprintf("HOME=%s", getenv("HOME"));
		envp[1] = home;
	}

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1 ||
	    pipe2(sp, O_CLOEXEC) == -1 ||
	    (devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1) {
		seterr(err, errlen, "cannot set up the mailer's pipes: %s",
		    strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == -1) {
		seterr(err, errlen, "cannot fork the mailer: %s",
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, paths, npaths, envp, in[0], devnull, ep[1], sp[1]);

	(void)close(in[0]);
	(void)close(ep[1]);
	(void)close(sp[1]);
	(void)close(devnull);
	in[0] = ep[1] = sp[1] = devnull = -1;

	/* EOF on the status pipe means execve succeeded. */
	do
		n = read(sp[0], &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		seterr(err, errlen, "cannot run mailer %s: %s", argv[0],
		    strerror(e));
		goto out;
	}

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &ign, &old);
	(void)fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
	if (len == 0) {
		(void)close(in[1]);
		in[1] = -1;
	}
	deadline = (long long)clock_ms() + (long long)timeout * 1000;
	while (in[1] != -1 || ep[0] != -1) {
		struct pollfd pfd[2];
		nfds_t np = 0;
		long long left = deadline - (long long)clock_ms();
		int r, wi = -1, ri = -1;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (in[1] != -1) {
			pfd[np].fd = in[1];
			pfd[np].events = POLLOUT;
			wi = (int)np++;
		}
		if (ep[0] != -1) {
			pfd[np].fd = ep[0];
			pfd[np].events = POLLIN;
			ri = (int)np++;
		}
		r = poll(pfd, np, left > 1000 ? 1000 : (int)left);
		if (r == -1 && errno != EINTR) {
			seterr(err, errlen, "poll: %s", strerror(errno));
			timed_out = 1;	/* kill it: we cannot watch it */
			break;
		}
		if (r <= 0)
			continue;
		if (wi != -1 && pfd[wi].revents) {
			n = write(in[1], msg + off, len - off);
			if (n > 0)
				off += (size_t)n;
			if ((n == -1 && errno != EAGAIN && errno != EINTR) ||
			    off == len) {
				/* Done, or the mailer stopped reading
				 * (EPIPE): its exit status will tell. */
				(void)close(in[1]);
				in[1] = -1;
			}
		}
		if (ri != -1 && pfd[ri].revents) {
			char tmp[4096];

			n = read(ep[0], tmp, sizeof(tmp));
			if (n > 0 && capn < sizeof(cap)) {
				size_t k = (size_t)n < sizeof(cap) - capn ?
				    (size_t)n : sizeof(cap) - capn;

				memcpy(cap + capn, tmp, k);
				capn += k;
			}
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				(void)close(ep[0]);
				ep[0] = -1;
			}
		}
	}
	/* Both pipes closed: the mailer is exiting, or has closed them
	 * and lingers. Wait for it within what is left of the deadline,
	 * napping 50 us, then twice as long each time up to 10 ms: it is
	 * usually gone within a fraction of a millisecond, and a first nap
	 * of 10 ms (SIGCHLD does not cut it short) added 10 ms to every
	 * reply (measured by bench/run.sh). */
	while (!timed_out) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w == -1 && errno != EINTR) {
			seterr(err, errlen, "waitpid: %s", strerror(errno));
			(void)sigaction(SIGPIPE, &old, NULL);
			goto out;
		}
		if ((long long)clock_ms() >= deadline) {
			timed_out = 1;
			break;
		}
		{
			struct timespec ts = { 0, nap };

			(void)nanosleep(&ts, NULL);
			if (nap < 10 * 1000 * 1000L)
				nap *= 2;
		}
	}
	if (timed_out) {
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	(void)sigaction(SIGPIPE, &old, NULL);

	errline(cap, capn, first, sizeof(first));
	if (timed_out) {
		seterr(err, errlen, "mailer %s timed out after %u s%s%s",
		    argv[0], timeout, *first ? ": " : "", first);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = MAIL_SEND_OK;
	} else if (WIFEXITED(status)) {
		int x = WEXITSTATUS(status);

		rc = (x == EX_DATAERR || x == EX_NOUSER) ?
		    MAIL_SEND_PERMFAIL : MAIL_SEND_TEMPFAIL;
		seterr(err, errlen, "mailer %s exited with status %d%s%s",
		    argv[0], x, *first ? ": " : "", first);
	} else if (WIFSIGNALED(status)) {
		seterr(err, errlen, "mailer %s killed by signal %d%s%s",
		    argv[0], WTERMSIG(status), *first ? ": " : "", first);
	} else
		seterr(err, errlen, "mailer %s ended oddly (status 0x%x)",
		    argv[0], (unsigned)status);
out:
	for (i = 0; i < 2; i++) {
		if (in[i] != -1)
			(void)close(in[i]);
		if (ep[i] != -1)
			(void)close(ep[i]);
		if (sp[i] != -1)
			(void)close(sp[i]);
	}
	if (devnull != -1)
		(void)close(devnull);
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(home);
	free(line);
	return rc;
}

int
mail_send_resolve(const char *cmdline, char *path, size_t pathlen, char *err,
    size_t errlen)
{
	char *line = xstrdup(cmdline ? cmdline : ""), *save = NULL, *prog;
	char *dirs, *d, *s2 = NULL, *cand;
	int rc = -1, e = ENOENT;

	seterr(err, errlen, "%s", "");
	if (path != NULL && pathlen > 0)
		*path = '\0';
	prog = strtok_r(line, " \t", &save);
	if (prog == NULL) {
		seterr(err, errlen, "no mailer command configured");
		free(line);
		return -1;
	}
	/* The same search as mail_send's: the name as it is if it holds a
	 * slash, else each directory of SEND_PATH in turn. */
	dirs = xstrdup(strchr(prog, '/') != NULL ? "" : SEND_PATH);
	for (d = strchr(prog, '/') != NULL ? dirs : strtok_r(dirs, ":", &s2);
	    d != NULL; d = *d ? strtok_r(NULL, ":", &s2) : NULL) {
		cand = *d ? xasprintf("%s/%s", d, prog) : xstrdup(prog);
		if (access(cand, X_OK) == 0) {
			if (path != NULL && pathlen > 0)
				snprintf(path, pathlen, "%s", cand);
			free(cand);
			rc = 0;
			break;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			e = errno;
		free(cand);
	}
	if (rc != 0)
		seterr(err, errlen, "%s: %s%s", prog, strerror(e),
		    strchr(prog, '/') != NULL ? "" : " (looked for in " SEND_PATH ")");
	free(dirs);
	free(line);
	return rc;
}
