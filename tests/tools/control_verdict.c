/*
 * tests/tools/control_verdict.c - test driver (built by `make`, never
 * installed): run the control-block checks on mail files and print one
 * verdict per case (tests/unit/control_fixture.h says which).
 *
 *   control-verdict CASES DIR    each line of CASES: "mail key now want"
 *                                (tab-separated, mail without .eml, files
 *                                in DIR); prints "ok NAME" or "FAIL ...",
 *                                then "N passed, N failed"
 *   control-verdict MAIL KEY NOW [ROBOT]
 *                                the verdict for one mail
 *
 * The robot's address defaults to pgp-public-keys@keys.example.net.
 * Exit 0 when every case passed (or a single verdict was printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_fixture.h"

#define ROBOT "pgp-public-keys@keys.example.net"

static int
one(const char *mpath, const char *kpath, time_t now, const char *robot,
    struct buf *out)
{
	size_t mlen, klen;
	char *mail = cf_slurp(mpath, &mlen), *key = cf_slurp(kpath, &klen);
	int rc = 0;

	if (mail == NULL || key == NULL) {
		buf_printf(out, "error: cannot read %s", mail ? kpath : mpath);
		rc = -1;
	} else {
		cf_verdict(mail, mlen, key, klen, now, robot, NULL, out);
	}
	free(mail);
	free(key);
	return rc;
}

static int
cases(const char *list, const char *dir)
{
	FILE *f = fopen(list, "r");
	char line[2048], mpath[4096], kpath[4096];
	int pass = 0, fail = 0;

	if (f == NULL) {
		printf("cannot read %s\n0 passed, 1 failed\n", list);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *name = strtok(line, "\t"), *key = strtok(NULL, "\t");
		char *now = strtok(NULL, "\t"), *want = strtok(NULL, "\n");
		struct buf got;

		if (name == NULL || key == NULL || now == NULL || want == NULL)
			continue;
		snprintf(mpath, sizeof(mpath), "%s/%s.eml", dir, name);
		snprintf(kpath, sizeof(kpath), "%s/%s", dir, key);
		buf_init(&got, 0);
		(void)one(mpath, kpath, (time_t)strtoll(now, NULL, 10), ROBOT,
		    &got);
		if (strcmp((char *)got.data, want) == 0) {
			pass++;
			printf("ok %s (%s)\n", name, key);
		} else {
			fail++;
			printf("FAIL %s with %s at %s:\n    got  %s\n    want %s\n",
			    name, key, now, (char *)got.data, want);
		}
		buf_free(&got);
	}
	fclose(f);
	printf("%d passed, %d failed\n", pass, fail);
	return fail != 0;
}

int
main(int argc, char **argv)
{
	struct buf out;
	int rc;

	if (pgp_crypto_init() != 0) {
		fprintf(stderr, "control-verdict: libgcrypt init failed\n");
		return 2;
	}
	if (argc == 3)
		return cases(argv[1], argv[2]);
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: control-verdict CASES DIR | "
		    "MAIL KEY NOW [ROBOT]\n");
		return 2;
	}
	buf_init(&out, 0);
	rc = one(argv[1], argv[2], (time_t)strtoll(argv[3], NULL, 10),
	    argc == 5 ? argv[4] : ROBOT, &out);
	printf("%s\n", (char *)out.data);
	buf_free(&out);
	return rc != 0;
}
