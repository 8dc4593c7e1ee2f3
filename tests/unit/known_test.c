/*
 * tests/unit/known_test.c - checking only what is new (pgp/known.c and
 * pgp_key_check_known, pgp_key_check_certs_known).
 *
 * What must hold: checking a key with what the store knows of it gives
 * exactly what checking it from scratch gives (status, sentence, summary,
 * bytes), only with the public-key operations of known signatures
 * skipped; a signature that differs in one octet, sits in another place,
 * or was verified with another key is verified again; a key is "all
 * known" only when every packet in its place is.
 *
 * Keys: the GnuPG-made fixture (pgp_fixture.h), the GnuPG-made
 * certified keys of tests/fuzz/corpus/fuzz_certs/seed-gpg-certified.bin
 * and, when it is there, every file of the shared corpus
 * (../shared/testdata/keys, MANIFEST.tsv): none of them made by us.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pgp/pgp.h"
#include "pgp_fixture.h"
#include "util/buf.h"
#include "util/xalloc.h"

static const time_t now = 1900000000;	/* after every corpus signature */

struct keylist {
	struct pgp_key **keys;
	size_t n;
};

static int
on_key(void *arg, struct pgp_key *key, enum pgp_status st, const uint8_t *fpr,
    size_t fprlen, const char *detail)
{
	struct keylist *kl = arg;

	(void)fpr;
	(void)fprlen;
	(void)detail;
	if (st != PGP_OK || key == NULL) {
		pgp_key_free(key);
		return 0;
	}
	kl->keys = xreallocarray(kl->keys, kl->n + 1, sizeof(*kl->keys));
	kl->keys[kl->n++] = key;
	return 0;
}

static int
armor_cb(void *ctx, enum pgp_armor_kind kind, const uint8_t *data, size_t len,
    bool crc_ok, enum pgp_status st)
{
	struct buf *b = ctx;

	(void)crc_ok;
	if (st == PGP_OK && kind == PGP_ARMOR_PUBLIC_KEY)
		(void)buf_append(b, data, len);
	return 0;
}

/* Binary or armored data into binary. */
static void
to_binary(const uint8_t *data, size_t len, struct buf *out)
{
	buf_init(out, 0);
	if (len > 0 && (data[0] & 0x80))
		(void)buf_append(out, data, len);
	else
		(void)pgp_armor_scan((const char *)data, len, 0, armor_cb, out);
}

static void
load(const uint8_t *bin, size_t len, struct keylist *kl)
{
	memset(kl, 0, sizeof(*kl));
	(void)pgp_keys_read(bin, len, NULL, on_key, kl);
}

static void
free_keys(struct keylist *kl)
{
	size_t i;

	for (i = 0; i < kl->n; i++)
		pgp_key_free(kl->keys[i]);
	free(kl->keys);
	memset(kl, 0, sizeof(*kl));
}

static void
bytes(const struct pgp_key *k, struct buf *b)
{
	buf_init(b, 0);
	(void)pgp_key_write(k, b);
}

static unsigned long
total(const unsigned long *v)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < PGP_VK_COUNT; i++)
		n += v[i];
	return n;
}

/* What the store would keep of a checked key: its names and its
 * verified entries (bufs owned by the caller). */
struct stored {
	struct buf names, verified;
	struct pgp_known view;
};

static void
stored_of(const struct pgp_key *k, struct stored *s)
{
	size_t n;

	buf_init(&s->names, 0);
	buf_init(&s->verified, 0);
	n = pgp_key_names(k, &s->names);
	(void)buf_append(&s->verified, k->verified,
	    k->nverified * PGP_VERIFIED_LEN);
	pgp_verified_keep(&s->verified, s->names.data, n);
	s->view.names = s->names.data;
	s->view.nnames = n;
	s->view.verified = s->verified.data;
	s->view.nverified = s->verified.len / PGP_VERIFIED_LEN;
}

static void
stored_free(struct stored *s)
{
	free(s->names.data);
	free(s->verified.data);
}

/*
 * Check every key of bin twice, from scratch and knowing what storing
 * the first result would keep: the two must agree in everything, and
 * the second may skip only public-key operations the first did. Returns
 * the number of keys compared.
 */
static size_t
equivalence(const uint8_t *bin, size_t len, const char *what)
{
	struct keylist a, b;
	size_t i, n = 0;

	load(bin, len, &a);
	load(bin, len, &b);
	for (i = 0; i < a.n && i < b.n; i++) {
		struct pgp_vstats va, vb;
		struct stored st;
		struct buf wa, wb;
		char da[512], db[512];
		enum pgp_status sa, sb;
		int k;

		memset(&va, 0, sizeof(va));
		memset(&vb, 0, sizeof(vb));
		sa = pgp_key_check_known(a.keys[i], now, NULL, &va, da,
		    sizeof(da));
		stored_of(a.keys[i], &st);
		sb = pgp_key_check_known(b.keys[i], now, &st.view, &vb, db,
		    sizeof(db));
		CHECK(sa == sb, "%s key %zu: status %d with known, %d without",
		    what, i, (int)sb, (int)sa);
		CHECK(!strcmp(da, db), "%s key %zu: \"%s\" with known, \"%s\" "
		    "without", what, i, db, da);
		bytes(a.keys[i], &wa);
		bytes(b.keys[i], &wb);
		CHECK(wa.len == wb.len && !memcmp(wa.data, wb.data, wa.len),
		    "%s key %zu: other bytes with known", what, i);
		CHECK(a.keys[i]->revoked == b.keys[i]->revoked &&
		    a.keys[i]->expires == b.keys[i]->expires &&
		    a.keys[i]->primary_uid == b.keys[i]->primary_uid,
		    "%s key %zu: other summary with known", what, i);
		for (k = 0; k < PGP_VK_COUNT; k++)
			CHECK(vb.done[k] + vb.skipped[k] == va.done[k],
			    "%s key %zu %s: %lu done + %lu skipped, from "
			    "scratch %lu", what, i,
			    pgp_vkind_name((enum pgp_vkind)k), vb.done[k],
			    vb.skipped[k], va.done[k]);
		CHECK(total(va.skipped) == 0, "%s key %zu: skipped without "
		    "known", what, i);
		/* nothing left out: every operation was known */
		if (sa == PGP_OK && *da == '\0')
			CHECK(total(vb.done) == 0, "%s key %zu: %lu operations "
			    "done again", what, i, total(vb.done));
		/* the checked key is all known; so is the second one */
		if (sa == PGP_OK) {
			CHECK(pgp_key_all_known(a.keys[i], &st.view),
			    "%s key %zu: not all known", what, i);
			CHECK(pgp_key_all_known(b.keys[i], &st.view),
			    "%s key %zu: second not all known", what, i);
		}
		free(wa.data);
		free(wb.data);
		stored_free(&st);
		n++;
	}
	CHECK(a.n == b.n, "%s: parsed twice, %zu and %zu keys", what, a.n, b.n);
	free_keys(&a);
	free_keys(&b);
	return n;
}

/* ---- the fixture, changed ----------------------------------------------- */

static uint8_t *fixbin;
static size_t fixlen;

/* A (changed, unchecked) key back to binary. */
static void
write_key(const struct pgp_key *k, struct buf *out)
{
	buf_init(out, 0);
	(void)pgp_key_write(k, out);
}

static struct pgp_key *
fixture(void)
{
	enum pgp_status st;

	return pgp_key_parse_one(fixbin, fixlen, NULL, &st);
}

/* Check a fresh parse of bin with known (may be NULL); stats into v. */
static enum pgp_status
check_bin(const struct buf *bin, const struct pgp_known *known,
    struct pgp_vstats *v, char *detail, size_t dlen, struct buf *out)
{
	struct pgp_key *k;
	enum pgp_status st, pst;

	memset(v, 0, sizeof(*v));
	k = pgp_key_parse_one(bin->data, bin->len, NULL, &pst);
	if (k == NULL)
		return pst;
	st = pgp_key_check_known(k, now, known, v, detail, dlen);
	if (out != NULL)
		bytes(k, out);
	pgp_key_free(k);
	return st;
}

static void
test_changed(void)
{
	struct pgp_key *k;
	struct stored st, wrong;
	struct pgp_vstats v;
	struct buf bin, out1, out2;
	char d1[512], d2[512];
	enum pgp_status s1, s2;
	uint8_t *last;
	size_t i;

	/* what storing the fixture keeps */
	k = fixture();
	if (k == NULL) {
		CHECK(0, "fixture does not parse");
		return;
	}
	memset(&v, 0, sizeof(v));
	CHECK_INT(pgp_key_check_known(k, now, NULL, &v, NULL, 0), PGP_OK);
	/* two user-ID certifications and a subkey binding (an encryption
	 * subkey: no back-signature), all EdDSA */
	CHECK_INT(v.done[PGP_VK_EDDSA], 3);
	CHECK_INT(total(v.done), 3);
	CHECK_INT(k->nverified, 3);
	stored_of(k, &st);
	CHECK_INT(st.view.nverified, 3);
	CHECK_INT(st.view.nnames, 6);	/* 2 user IDs, a subkey, 3 sigs */
	CHECK(pgp_key_all_known(k, &st.view), "checked fixture all known");
	pgp_key_free(k);

	/* the same key again: nothing verified, three skipped */
	buf_init(&bin, 0);
	(void)buf_append(&bin, fixbin, fixlen);
	CHECK_INT(check_bin(&bin, &st.view, &v, d1, sizeof(d1), NULL), PGP_OK);
	CHECK_INT(total(v.done), 0);
	CHECK_INT(v.skipped[PGP_VK_EDDSA], 3);
	free(bin.data);

	/* one octet of the first user ID's certification flipped (the end
	 * of its signature value): verified again and dropped, as from
	 * scratch, and the key is not all known */
	k = fixture();
	last = k->uids[0].sigs[0].pkt.body + k->uids[0].sigs[0].pkt.len - 1;
	*last ^= 0x01;
	CHECK(!pgp_key_all_known(k, &st.view), "flipped octet: not all known");
	write_key(k, &bin);
	pgp_key_free(k);
	s1 = check_bin(&bin, &st.view, &v, d1, sizeof(d1), &out1);
	CHECK_INT(v.done[PGP_VK_EDDSA], 1);
	CHECK_INT(v.skipped[PGP_VK_EDDSA], 2);
	s2 = check_bin(&bin, NULL, &v, d2, sizeof(d2), &out2);
	CHECK_INT(s1, s2);
	CHECK_INT(s1, PGP_OK);		/* the other user ID still binds */
	CHECK(!strcmp(d1, d2) && strstr(d1, "1 signature") != NULL &&
	    strstr(d1, "1 user ID") != NULL, "flipped: \"%s\" / \"%s\"", d1, d2);
	CHECK(out1.len == out2.len && !memcmp(out1.data, out2.data, out1.len),
	    "flipped: same bytes with and without known");
	free(bin.data);
	free(out1.data);
	free(out2.data);

	/* both user IDs' certifications flipped: refused, as from scratch */
	k = fixture();
	for (i = 0; i < 2; i++)
		k->uids[i].sigs[0].pkt.body[k->uids[i].sigs[0].pkt.len - 1] ^= 1;
	write_key(k, &bin);
	pgp_key_free(k);
	s1 = check_bin(&bin, &st.view, &v, d1, sizeof(d1), NULL);
	CHECK_INT(s1, PGP_ERR_NO_SELFSIG);
	CHECK_INT(v.done[PGP_VK_EDDSA], 2);
	free(bin.data);

	/* the second user ID's certification under the first user ID: in
	 * that place it is new (and fails); moved home, it is known */
	k = fixture();
	k->uids[0].sigs = xreallocarray(k->uids[0].sigs, 2,
	    sizeof(*k->uids[0].sigs));
	k->uids[0].sigs[1] = k->uids[1].sigs[0];
	k->uids[0].nsigs = 2;
	k->uids[1].nsigs = 0;
	CHECK(!pgp_key_all_known(k, &st.view), "moved: not all known");
	write_key(k, &bin);
	pgp_key_free(k);
	s1 = check_bin(&bin, &st.view, &v, d1, sizeof(d1), &out1);
	CHECK_INT(total(v.done), 0);	/* digest check, then known at home */
	CHECK_INT(v.skipped[PGP_VK_EDDSA], 3);
	s2 = check_bin(&bin, NULL, &v, d2, sizeof(d2), &out2);
	CHECK_INT(v.done[PGP_VK_EDDSA], 3);
	CHECK_INT(s1, s2);
	CHECK(!strcmp(d1, d2), "moved: \"%s\" / \"%s\"", d1, d2);
	CHECK(out1.len == out2.len && !memcmp(out1.data, out2.data, out1.len),
	    "moved: same bytes with and without known");
	free(bin.data);
	free(out1.data);
	free(out2.data);

	/* entries naming another signer key do not count */
	buf_init(&wrong.names, 0);
	buf_init(&wrong.verified, 0);
	(void)buf_append(&wrong.names, st.names.data, st.names.len);
	(void)buf_append(&wrong.verified, st.verified.data, st.verified.len);
	for (i = 0; i < st.view.nverified; i++)
		wrong.verified.data[i * PGP_VERIFIED_LEN + PGP_NAME_LEN] ^= 0x80;
	wrong.view = st.view;
	wrong.view.verified = wrong.verified.data;
	buf_init(&bin, 0);
	(void)buf_append(&bin, fixbin, fixlen);
	CHECK_INT(check_bin(&bin, &wrong.view, &v, NULL, 0, NULL), PGP_OK);
	CHECK_INT(v.done[PGP_VK_EDDSA], 3);
	CHECK_INT(total(v.skipped), 0);
	free(bin.data);
	stored_free(&wrong);

	/* pgp_verified_keep drops entries of signatures not named */
	{
		struct buf e;
		size_t n1;

		buf_init(&e, 0);
		(void)buf_append(&e, st.verified.data, st.verified.len);
		(void)buf_append(&e, st.verified.data, st.verified.len);
		pgp_verified_keep(&e, st.names.data, st.view.nnames);
		CHECK_INT(e.len, st.verified.len);	/* duplicates gone */
		n1 = st.view.nnames;
		/* without the names of the signatures: nothing left */
		pgp_verified_keep(&e, st.names.data, 0);
		CHECK_INT(e.len, 0);
		(void)n1;
		free(e.data);
	}
	stored_free(&st);
}

/* ---- third-party certifications --------------------------------------- */

static void
test_certs(const char *top)
{
	char path[8192];
	struct keylist kl;
	struct buf w[3], bin;
	struct pgp_blob b[3];
	struct pgp_vstats v;
	struct stored st;
	struct pgp_key *again;
	enum pgp_status pst;
	FILE *f;
	uint8_t tmp[65536];
	size_t len, i, j;

	snprintf(path, sizeof(path), "%s%stests/fuzz/corpus/fuzz_certs/"
	    "seed-gpg-certified.bin", top ? top : "", top ? "/" : "");
	if ((f = fopen(path, "rb")) == NULL) {
		CHECK(0, "cannot read %s", path);
		return;
	}
	len = fread(tmp, 1, sizeof(tmp), f);
	fclose(f);
	load(tmp, len, &kl);
	CHECK_INT(kl.n, 3);
	if (kl.n != 3) {
		free_keys(&kl);
		return;
	}
	for (i = 0; i < 3; i++) {
		CHECK_INT(pgp_key_check(kl.keys[i], now, NULL, 0), PGP_OK);
		bytes(kl.keys[i], &w[i]);
		b[i].data = w[i].data;
		b[i].len = w[i].len;
	}
	/* from scratch: the two certifications (P-256, RSA 2048) verified */
	memset(&v, 0, sizeof(v));
	kl.keys[0]->nverified = 0;
	CHECK_INT(pgp_key_check_certs_known(kl.keys[0], 0, b, 3, now, NULL,
	    &v), 2);
	CHECK_INT(v.done[PGP_VK_ECDSA], 1);
	CHECK_INT(v.done[PGP_VK_RSA2048], 1);
	CHECK_INT(kl.keys[0]->nverified, 2);
	stored_of(kl.keys[0], &st);
	CHECK_INT(st.view.nverified, 2);

	/* again, knowing them: the same verdicts, nothing verified */
	again = pgp_key_parse_one(w[0].data, w[0].len, NULL, &pst);
	CHECK(again != NULL, "key 0 parses back");
	if (again != NULL) {
		memset(&v, 0, sizeof(v));
		CHECK_INT(pgp_key_check_certs_known(again, 0, b, 3, now,
		    &st.view, &v), 2);
		CHECK_INT(total(v.done), 0);
		CHECK_INT(total(v.skipped), 2);
		for (j = 0; j < again->uids[0].nsigs; j++) {
			const struct pgp_sig *x = &again->uids[0].sigs[j];

			if (x->has_issuer && !memcmp(x->issuer,
			    again->pub.keyid, 8))
				continue;	/* self: not this function's */
			CHECK(x->state == PGP_SIG_GOOD &&
			    kl.keys[0]->uids[0].sigs[j].state == PGP_SIG_GOOD,
			    "certification %zu: GOOD with and without known", j);
		}
		pgp_key_free(again);
	}
	/* entries that name another signer key do not count */
	again = pgp_key_parse_one(w[0].data, w[0].len, NULL, &pst);
	if (again != NULL) {
		buf_init(&bin, 0);
		(void)buf_append(&bin, st.verified.data, st.verified.len);
		for (j = 0; j < st.view.nverified; j++)
			bin.data[j * PGP_VERIFIED_LEN + PGP_VERIFIED_LEN - 1] ^= 1;
		st.view.verified = bin.data;
		memset(&v, 0, sizeof(v));
		CHECK_INT(pgp_key_check_certs_known(again, 0, b, 3, now,
		    &st.view, &v), 2);
		CHECK_INT(total(v.done), 2);
		CHECK_INT(total(v.skipped), 0);
		free(bin.data);
		pgp_key_free(again);
	}
	stored_free(&st);
	for (i = 0; i < 3; i++)
		free(w[i].data);
	free_keys(&kl);
}

/* ---- the corpus ---------------------------------------------------------- */

static uint8_t *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		(void)buf_append(&b, tmp, n);
	fclose(f);
	*len = b.len;
	return b.data;
}

static void
test_corpus(const char *top)
{
	char dir[4096], path[12800], line[8192];
	FILE *m;
	size_t files = 0, keys = 0;

	snprintf(dir, sizeof(dir), "%s%s../shared/testdata/keys",
	    top ? top : "", top ? "/" : "");
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", dir);
	if ((m = fopen(path, "r")) == NULL) {
		printf("NOTE: corpus absent (%s): checked with and without "
		    "known on the fixtures only\n", dir);
		return;
	}
	while (fgets(line, sizeof(line), m) != NULL) {
		char *tab = strchr(line, '\t');
		uint8_t *data;
		struct buf bin;
		size_t len;

		if (tab == NULL || !strncmp(line, "file\t", 5))
			continue;
		*tab = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		if ((data = read_all(path, &len)) == NULL)
			continue;
		to_binary(data, len, &bin);
		free(data);
		keys += equivalence(bin.data, bin.len, line);
		free(bin.data);
		files++;
	}
	fclose(m);
	printf("TALLY: checked with and without known: %zu keys of %zu "
	    "files\n", keys, files);
}

int
main(void)
{
	const char *top = getenv("KM_TOP");
	struct buf b;

	if (pgp_crypto_init() == -1) {
		printf("FAIL: libgcrypt version mismatch\n");
		return 1;
	}
	to_binary((const uint8_t *)fixture_asc, strlen(fixture_asc), &b);
	fixbin = b.data;
	fixlen = b.len;
	CHECK(fixlen > 0, "fixture decodes");
	CHECK_INT(equivalence(fixbin, fixlen, "fixture"), 1);
	test_changed();
	test_certs(top);
	test_corpus(top);
	free(fixbin);
	return check_done();
}
