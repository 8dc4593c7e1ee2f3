/*
 * fuzz_control.c - libFuzzer target: the control-block checks of owner
 * commands (cmd/owner_control.c) on whole mails.
 *
 * The input is a mail: mail_parse, the Subject through owner_cmd_parse,
 * then owner_control_check against the stored key the Subject names -
 * chosen, as the program will, by fingerprint among the fixture keys of
 * tests/unit/data/control (read once from the working directory, the
 * top of the tree under `make fuzz` and `make check`; without them every
 * block meets "no key"). The seeds are the fixture mails, whose blocks
 * verify, so mutations start from signatures that are right.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/owner_control.h"
#include "mail/mail.h"
#include "mail/owner_cmd.h"
#include "pgp/pgp.h"
#include "util/buf.h"
#include "../unit/control_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	1780000000	/* the fixtures' T0 */

static const char *const key_files[] = {
	"key-R.asc", "key-E.asc", "key-P.asc", "key-D.asc", "key-V.asc",
	"key-K.asc", "key-X.asc", "key-dsa224.asc", "key-flagless.asc",
	"key-v6.asc",
};
#define NKEYS (sizeof(key_files) / sizeof(key_files[0]))
static struct pgp_key *keys[NKEYS];

static void
init(void)
{
	static int done;
	char path[512], *asc;
	size_t i, n;

	if (done++)
		return;
	(void)pgp_crypto_init();
	for (i = 0; i < NKEYS; i++) {
		snprintf(path, sizeof(path), "tests/unit/data/control/%s",
		    key_files[i]);
		if ((asc = cf_slurp(path, &n)) == NULL)
			continue;
		keys[i] = cf_read_key(asc, n, NULL);
		free(asc);
		if (keys[i] != NULL)
			(void)pgp_key_check(keys[i], NOW, NULL, 0);
	}
}

static const struct pgp_key *
lookup(const char *fpr)
{
	char hex[65];
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i] == NULL)
			continue;
		pgp_hex(keys[i]->pub.fpr, keys[i]->pub.fprlen, hex);
		if (strcmp(hex, fpr) == 0)
			return keys[i];
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_msg m;
	struct owner_cmd oc;
	struct control_block b;
	struct control_limits lim;
	char err[256];

	init();
	memset(&m, 0, sizeof(m));
	if (mail_parse((const char *)data, size, NULL, &m, err, sizeof(err)) ==
	    MAIL_OK) {
		(void)owner_cmd_parse(m.subject, &oc);
		control_limits_default(&lim);
		(void)owner_control_check(m.parts, m.nparts, &oc,
		    "pgp-public-keys@keys.example.net", lookup(oc.fpr), NOW,
		    &lim, &b);
		if (strchr(b.reason, '\n') != NULL)
			abort();	/* one line, always */
		control_block_free(&b);
	}
	mail_msg_free(&m);
	return 0;
}
