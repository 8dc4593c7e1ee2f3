/*
 * serve/sig.c - the self-pipe behind worker.h's sig_* functions.
 *
 * A signal handler may only do async-signal-safe things: it writes the
 * signal number into a non-blocking pipe (a full pipe drops it: the loop
 * has plenty to wake up for already) and keeps errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "serve/worker.h"

static int pipe_fds[2] = { -1, -1 };

static void
on_signal(int signo)
{
	int saved = errno;
	unsigned char c = (unsigned char)signo;

	(void)write(pipe_fds[1], &c, 1);
	errno = saved;
}

void
sig_reset(void)
{
	if (pipe_fds[0] >= 0)
		close(pipe_fds[0]);
	if (pipe_fds[1] >= 0)
		close(pipe_fds[1]);
	pipe_fds[0] = pipe_fds[1] = -1;
}

int
sig_setup(const int *signals, const int *ignored)
{
	struct sigaction sa;
	sigset_t none;
	size_t i;

	sig_reset();
	if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	for (i = 0; signals && signals[i]; i++)
		if (sigaction(signals[i], &sa, NULL) < 0)
			return -1;
	sa.sa_handler = SIG_IGN;
	for (i = 0; ignored && ignored[i]; i++)
		(void)sigaction(ignored[i], &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	return 0;
}

int
sig_fd(void)
{
	return pipe_fds[0];
}

int
sig_take(void)
{
	unsigned char c;

	if (pipe_fds[0] < 0 || read(pipe_fds[0], &c, 1) != 1)
		return 0;
	return c;
}
