/*
 * fuzz_clearsign.c - libFuzzer target: cleartext signed messages
 * (pgp/clearsign.c, pgp/docsig.c) and the owner-command Subject grammar
 * (mail/owner_cmd.c).
 *
 * The input's first line is also parsed as a Subject (and its failure
 * line made, and compared with itself); the whole input is counted and
 * parsed as text holding a signed message, under a small size bound and
 * under none, and each signature found is verified over the canonical
 * text with the RFC 9580 A.3 key (v6) and a v4 key, whichever matches
 * its version, so the hashing and public-key paths run too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/owner_cmd.h"
#include "pgp/clearsign.h"
#include "pgp/pgp.h"
#include "../unit/control_fixture.h"
#include "../unit/pgp_fixture.h"
#include "../unit/rfc9580_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pgp_key *v6key, *v4key;

static void
init(void)
{
	static int done;

	if (done++)
		return;
	(void)pgp_crypto_init();
	v6key = cf_read_key(rfc_a3, strlen(rfc_a3), NULL);
	v4key = cf_read_key(fixture_asc, strlen(fixture_asc), NULL);
}

static void
subject(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	char *s = malloc(n + 1), line[600];
	struct owner_cmd a, b;

	if (s == NULL)
		return;
	memcpy(s, data, n);
	s[n] = '\0';
	(void)owner_cmd_parse(s, &a);
	(void)owner_cmd_parse(s, &b);
	owner_cmd_failure_line(&a, line, sizeof(line));
	if (!a.malformed && a.kind != OWNER_CMD_NONE && !owner_cmd_same(&a, &b))
		abort();	/* a command must equal itself */
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgp_clearsign cs;
	const char *text = (const char *)data;
	const char *why;
	size_t i;

	init();
	subject(data, size);
	(void)pgp_clearsign_count(text, size);
	if (pgp_clearsign_parse(text, size, 4096, &cs, &why) == PGP_CS_OK)
		pgp_clearsign_free(&cs);
	if (pgp_clearsign_parse(text, size, 0, &cs, &why) != PGP_CS_OK)
		return 0;
	for (i = 0; i < cs.nsigs; i++) {
		struct pgp_key *k = cs.sigs[i].version == 6 ? v6key : v4key;

		if (k != NULL)
			(void)pgp_doc_verify(&k->pub, &k->pkt, &cs.sigs[i],
			    cs.text, cs.text_len, &why);
	}
	pgp_clearsign_free(&cs);
	return 0;
}
