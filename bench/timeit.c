/*
 * bench/timeit.c - whole-process latency of a command, for bench/run.sh.
 *
 *   timeit [-n RUNS] [-w WARMUP] [-i INPUT | -I LIST] -- command [arg ...]
 *
 * Runs the command WARMUP + RUNS times, one after the other, and prints
 * "median p90 p99 mean min max" of the last RUNS, in milliseconds. Each
 * run is timed from just before fork() to the return of waitpid()
 * (CLOCK_MONOTONIC): the whole process, start-up and exit included, and
 * no shell in between. Standard input is INPUT, or with -I the k-th line
 * of LIST (a file of paths, used round-robin), so that every run can get
 * its own mail; standard output and standard error go to /dev/null. A run
 * that exits non-zero is reported on stderr and counted (the bench says
 * so), because a failing command is not a fast one.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double
pct(const double *v, int n, double p)
{
	int k = (int)(p / 100.0 * n + 0.999999) - 1;

	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

int
main(int argc, char **argv)
{
	int runs = 100, warm = 3, ch, i, nin = 0, failed = 0;
	const char *input = NULL, *list = NULL;
	char **inputs = NULL, line[4096];
	double *t, sum = 0;

	while ((ch = getopt(argc, argv, "+n:w:i:I:")) != -1) {
		switch (ch) {
		case 'n': runs = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 'i': input = optarg; break;
		case 'I': list = optarg; break;
		default: goto usage;
		}
	}
	if (optind >= argc || runs < 1 || warm < 0)
		goto usage;
	if (list) {
		FILE *f = fopen(list, "r");

		if (f == NULL) {
			perror(list);
			return 1;
		}
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			inputs = realloc(inputs, (size_t)(nin + 1) * sizeof(*inputs));
			inputs[nin++] = strdup(line);
		}
		fclose(f);
		if (nin == 0) {
			fprintf(stderr, "timeit: %s is empty\n", list);
			return 1;
		}
	}
	t = calloc((size_t)runs, sizeof(*t));
	for (i = 0; i < warm + runs; i++) {
		const char *in = list ? inputs[i % nin] : input ? input : "/dev/null";
		int fd = open(in, O_RDONLY), null = open("/dev/null", O_WRONLY), st;
		double t0;
		pid_t pid;

		if (fd < 0 || null < 0) {
			perror(in);
			return 1;
		}
		t0 = now_ms();
		pid = fork();
		if (pid == 0) {
			dup2(fd, 0);
			dup2(null, 1);
			dup2(null, 2);
			execvp(argv[optind], argv + optind);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0) {
			perror("fork");
			return 1;
		}
		if (i >= warm) {
			t[i - warm] = now_ms() - t0;
			sum += t[i - warm];
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
		}
		close(fd);
		close(null);
	}
	if (failed)
		fprintf(stderr, "timeit: %d of %d runs of %s failed\n", failed,
		    runs, argv[optind]);
	qsort(t, (size_t)runs, sizeof(*t), cmp_d);
	printf("%.2f %.2f %.2f %.2f %.2f %.2f\n", pct(t, runs, 50),
	    pct(t, runs, 90), pct(t, runs, 99), sum / runs, t[0], t[runs - 1]);
	return failed ? 2 : 0;
usage:
	fprintf(stderr, "usage: timeit [-n runs] [-w warmup] [-i input | -I list] "
	    "-- command [arg ...]\n");
	return 64;
}
