/*
 * bench/deliver.c - mail throughput of a mail robot, for bench/run.sh:
 * what an MTA does when it pipes mails into a delivery command, with a
 * bounded number of deliveries at a time.
 *
 *   deliver -P N -I LIST [-S DIR -e MAIL] -- command [arg ...]
 *
 * Runs the command once per line of LIST (paths of mail files, in that
 * order), each with that file on standard input, at most N at a time,
 * and prints "SECONDS MAILS/S CPU-SECONDS FAILED" for the whole stream:
 * from the first fork to the last exit, and the user + system time of
 * all the commands (their children included). Standard output and
 * standard error go to /dev/null. A command that exits non-zero is
 * counted as failed.
 *
 * onak's robot (onak-mail.pl) spools each mail into DIR and handles the
 * spool only in the one delivery that holds its lock, so a mail can
 * still wait there when every delivery has returned. With -S DIR, the
 * clock stops only when DIR holds no "*.onak" file any more: until then
 * the command is run again with MAIL (a mail it does nothing with) on
 * its standard input, as the next delivery would.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static pid_t
start(char **cmd, const char *input)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	if ((fd = open(input, O_RDONLY)) < 0 || dup2(fd, 0) < 0)
		_exit(127);
	if ((fd = open("/dev/null", O_WRONLY)) < 0 || dup2(fd, 1) < 0 ||
	    dup2(fd, 2) < 0)
		_exit(127);
	execvp(cmd[0], cmd);
	_exit(127);
}

/* Does dir still hold a spooled mail? */
static int
spooled(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	size_t n;

	if (d == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		found = n > 5 && strcmp(e->d_name + n - 5, ".onak") == 0;
	}
	closedir(d);
	return found;
}

int
main(int argc, char **argv)
{
	const char *list = NULL, *spool = NULL, *empty = NULL;
	char **inputs = NULL, line[4096], **cmd;
	int par = 1, ch, n = 0, next = 0, running = 0, failed = 0, st, rounds;
	double t0, t1;
	struct rusage ru;
	FILE *f;

	while ((ch = getopt(argc, argv, "+P:I:S:e:")) != -1) {
		switch (ch) {
		case 'P': par = atoi(optarg); break;
		case 'I': list = optarg; break;
		case 'S': spool = optarg; break;
		case 'e': empty = optarg; break;
		default: goto usage;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc || list == NULL || par < 1 ||
	    (spool != NULL && empty == NULL))
		goto usage;
	cmd = argv + optind;
	if ((f = fopen(list, "r")) == NULL) {
		perror(list);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (*line == '\0')
			continue;
		inputs = realloc(inputs, (size_t)(n + 1) * sizeof(*inputs));
		inputs[n++] = strdup(line);
	}
	fclose(f);
	if (n == 0)
		goto usage;

	t0 = now_s();
	while (next < n || running > 0) {
		while (running < par && next < n) {
			if (start(cmd, inputs[next++]) < 0) {
				perror("fork");
				return 1;
			}
			running++;
		}
		if (wait(&st) > 0) {
			running--;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
		}
	}
	for (rounds = 0; spool != NULL && spooled(spool) && rounds < 1000;
	    rounds++) {
		if (start(cmd, empty) < 0 || wait(&st) < 0)
			return 1;
		if (spooled(spool))
			usleep(1000);	/* the lock holder is still at it */
	}
	t1 = now_s();
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("%.3f %.2f %.3f %d\n", t1 - t0, (double)n / (t1 - t0),
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	    failed);
	return 0;
usage:
	fprintf(stderr, "usage: deliver -P N -I LIST [-S DIR -e MAIL] -- "
	    "command [arg ...]\n");
	return 64;
}
