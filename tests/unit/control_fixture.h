/*
 * tests/unit/control_fixture.h - run the control-block checks
 * (cmd/owner_control.c) on one mail and one stored key, and say the
 * verdict in one line; shared by tests/unit/owner_control_test.c (the
 * fixtures in tests/unit/data/control/) and the e2e driver
 * tests/tools/control_verdict.c (blocks GnuPG makes at test time).
 *
 * Verdicts:
 *   absent
 *   refused: <reason>
 *   accepted <CMD> <FPR> [<arg>...] nonce=<n> created=<t> signer=<FPR>
 *       [ subkey][ key=<sha256 hex of the REPLACE key, binary>]
 *   error: <what>              (the mail or key could not be read)
 *
 * The key is an armored public key: the first key in it is parsed and
 * run through pgp_key_check(key, now) as the store's copy would be.
 */
#ifndef KM_TEST_CONTROL_FIXTURE_H
#define KM_TEST_CONTROL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/owner_control.h"
#include "mail/mail.h"
#include "mail/owner_cmd.h"
#include "pgp/pgp.h"
#include "util/buf.h"
#include "util/limits.h"

struct cf_key {
	struct pgp_key *key;
	struct buf bin;		/* decoded armor (for key=) */
};

static inline int
cf_on_key(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct cf_key *k = ctx;

	(void)fpr; (void)fprlen; (void)detail;
	if (st != PGP_OK)
		return 0;
	if (k->key == NULL) {
		k->key = key;
		return 1;
	}
	pgp_key_free(key);
	return 0;
}

static inline int
cf_on_armor(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct cf_key *k = ctx;

	(void)crc_ok;
	if (st == PGP_OK && kind == PGP_ARMOR_PUBLIC_KEY && k->bin.len == 0)
		(void)buf_append(&k->bin, data, len);
	return 0;
}

/* The first key of an armored text, parsed (not checked); NULL if none.
 * bin gets the decoded binary of the first block. */
static inline struct pgp_key *
cf_read_key(const char *armor, size_t len, struct buf *bin)
{
	struct cf_key k;

	memset(&k, 0, sizeof(k));
	buf_init(&k.bin, 0);
	(void)pgp_armor_scan(armor, len, KM_MAX_KEY_SIZE, cf_on_armor, &k);
	if (k.bin.len > 0)
		(void)pgp_keys_read(k.bin.data, k.bin.len, NULL, cf_on_key, &k);
	if (bin != NULL)
		*bin = k.bin;
	else
		buf_free(&k.bin);
	return k.key;
}

static inline void
cf_verdict(const char *mail, size_t mlen, const char *keyasc, size_t klen,
    time_t now, const char *robot, const struct control_limits *lim,
    struct buf *out)
{
	struct mail_msg m;
	struct owner_cmd oc;
	struct control_block b;
	struct pgp_key *key;
	struct buf bin;
	enum control_status st;
	char err[256], hex[65];
	uint8_t d[64];
	size_t i;

	memset(&m, 0, sizeof(m));
	if (mail_parse(mail, mlen, NULL, &m, err, sizeof(err)) != MAIL_OK) {
		buf_printf(out, "error: mail: %s", err);
		mail_msg_free(&m);
		return;
	}
	(void)owner_cmd_parse(m.subject, &oc);
	key = keyasc ? cf_read_key(keyasc, klen, NULL) : NULL;
	if (key != NULL)
		(void)pgp_key_check(key, now, NULL, 0);
	st = owner_control_check(m.parts, m.nparts, &oc, robot, key, now, lim,
	    &b);
	if (st == CONTROL_ABSENT) {
		buf_puts(out, "absent");
	} else if (st == CONTROL_REFUSED) {
		buf_puts(out, b.reason);
	} else {
		buf_printf(out, "accepted %s %s", owner_cmd_name(b.cmd.kind),
		    b.cmd.fpr);
		for (i = 0; i < b.cmd.nargs; i++)
			buf_printf(out, " %s", b.cmd.args[i].text);
		buf_printf(out, " nonce=%s created=%lu signer=%s%s", b.nonce,
		    (unsigned long)b.created, b.signer_fpr,
		    b.by_subkey ? " subkey" : "");
		if (b.key_armor != NULL) {
			pgp_key_free(cf_read_key(b.key_armor, b.key_armor_len,
			    &bin));
			pgp_hash_buf(PGP_HASH_SHA256, bin.data, bin.len, d);
			for (i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", d[i]);
			buf_printf(out, " key=%s", hex);
			buf_free(&bin);
		}
	}
	control_block_free(&b);
	pgp_key_free(key);
	mail_msg_free(&m);
}

/* Whole file into a NUL-terminated malloc'd buffer; NULL if unreadable. */
static inline char *
cf_slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		(void)buf_append(&b, chunk, n);
	fclose(f);
	return (char *)buf_detach(&b, lenp);
}

#endif
