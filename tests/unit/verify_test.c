/*
 * verify_test.c - signature verification and key cleaning (pgp/check*.c,
 * pgp/gcrypt/verify.c) against real keys and the RFC 9580 test vectors.
 *
 * The key corpus is read in place from ../shared/testdata/keys (or
 * $KM_TOP/../shared/testdata/keys); when it is absent the corpus tests are
 * skipped with a NOTE and the RFC vectors still run. Corpus keys are
 * modified only in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "rfc9580_vectors.h"
#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/rd.h"
#include "util/xalloc.h"

static const struct pgp_limits lim = {
	KM_MAX_KEY_SIZE, KM_MAX_PACKETS_PER_KEY, KM_MAX_UID_LENGTH,
	KM_MAX_SIGS_PER_UID
};
static time_t now;
static char corpus[4096];

/* ---- loading ------------------------------------------------------------ */

struct keylist {
	struct pgp_key **keys;
	size_t n;
	size_t nerr;		/* keys the parser refused */
	char err[256];		/* the first refusal */
};

static int
key_cb(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct keylist *kl = ctx;
	char hex[65] = "";

	if (st == PGP_OK) {
		kl->keys = realloc(kl->keys, (kl->n + 1) * sizeof(*kl->keys));
		if (kl->keys == NULL)
			abort();
		kl->keys[kl->n++] = key;
		return 0;
	}
	if (kl->nerr++ == 0) {
		pgp_hex(fpr, fprlen, hex);
		snprintf(kl->err, sizeof(kl->err), "parser: %s (%s) %s",
		    pgp_strerror(st), detail ? detail : "", hex);
	}
	return 0;
}

static int
armor_cb(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	(void)crc_ok;
	if (st == PGP_OK && kind == PGP_ARMOR_PUBLIC_KEY)
		(void)pgp_keys_read(data, len, &lim, key_cb, ctx);
	return 0;
}

static void
load_mem(const uint8_t *data, size_t len, struct keylist *kl)
{
	memset(kl, 0, sizeof(*kl));
	if (memmem(data, len, "-----BEGIN PGP", 14) != NULL)
		(void)pgp_armor_scan((const char *)data, len, KM_MAX_KEY_SIZE,
		    armor_cb, kl);
	else
		(void)pgp_keys_read(data, len, &lim, key_cb, kl);
}

/* Whole file into a malloc'd buffer; NULL if unreadable. */
static uint8_t *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL, *np;
	size_t len = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if ((np = realloc(p, len + 65536)) == NULL)
			abort();
		p = np;
		if ((n = fread(p + len, 1, 65536, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	*lenp = len;
	return p;
}

/* Load corpus file rel (relative to the corpus top). -1 if unreadable. */
static int
load_file(const char *rel, struct keylist *kl)
{
	char path[8192];
	uint8_t *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", corpus, rel);
	if ((data = read_file(path, &len)) == NULL) {
		memset(kl, 0, sizeof(*kl));
		return -1;
	}
	load_mem(data, len, kl);
	free(data);
	return 0;
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
fpr_hex(const struct pgp_key *k, char out[65])
{
	pgp_hex(k->pub.fpr, k->pub.fprlen, out);
}

/* Print what is known about a key that did not check; in_* are its
 * counts before checking (the check removes what did not verify). */
static void
describe(const char *file, const struct pgp_key *k, enum pgp_status st,
    const char *detail, size_t in_uids, size_t in_subkeys, size_t in_sigs)
{
	char hex[65];

	fpr_hex(k, hex);
	printf("  %s: %s: %s (%s)\n", file, hex, pgp_strerror(st), detail);
	printf("    primary v%u algo %u bits %u curve %s; had %zu user IDs, "
	    "%zu subkeys, %zu direct-key sigs\n", k->pub.version, k->pub.algo,
	    k->pub.bits, k->pub.curve ? k->pub.curve : "-", in_uids,
	    in_subkeys, in_sigs);
}

/* ---- (1) every accepted key in valid/ and revoked-expired/ ------------- */

struct counts {
	size_t keys, uids, subkeys, sigs;
};

static void
add_counts(struct counts *c, const struct pgp_key *k)
{
	size_t i;

	c->keys++;
	c->uids += k->nuids;
	c->subkeys += k->nsubkeys;
	c->sigs += k->nsigs;
	for (i = 0; i < k->nuids; i++)
		c->sigs += k->uids[i].nsigs;
	for (i = 0; i < k->nsubkeys; i++)
		c->sigs += k->subkeys[i].nsigs;
}

/* Does the comma-separated list want contain exactly the fingerprints of
 * the keys in kl? */
static bool
same_fprs(const char *want, struct keylist *kl)
{
	char hex[65];
	size_t i, nwant = 0;
	const char *p;

	for (p = want; *p; p++)
		if (*p == ',')
			nwant++;
	if (*want)
		nwant++;
	if (nwant != kl->n)
		return false;
	for (i = 0; i < kl->n; i++) {
		fpr_hex(kl->keys[i], hex);
		if (strstr(want, hex) == NULL)
			return false;
	}
	return true;
}

/*
 * Accepted files whose key packets carry octets after the public key
 * material: the parser cuts them off (pgp.h, pgp_pubkey.trailing), so the
 * fingerprint is that of the public part, as GnuPG computes it, not the
 * MANIFEST's hash of the whole body. The self-signatures name the issuer
 * of the public part, so a key that checks is the proof; the test also
 * wants the fingerprint to differ from the listed one and the cut to be
 * recorded.
 */
static const char *const trimmed_files[] = {
	/* tag 6 and 14 packets followed by encrypted secret-key fields */
	"revoked-expired/hkp__sks_fail.asc",
};

static bool
is_trimmed_file(const char *file)
{
	size_t i;

	for (i = 0; i < sizeof(trimmed_files) / sizeof(trimmed_files[0]); i++)
		if (strcmp(file, trimmed_files[i]) == 0)
			return true;
	return false;
}

static bool
all_trimmed(const struct keylist *kl)
{
	size_t i;

	for (i = 0; i < kl->n; i++)
		if (kl->keys[i]->trimmed_packets == 0)
			return false;
	return kl->n > 0;
}

static int
test_accept_corpus(void)
{
	char path[8192], line[65536], detail[512], hex[65];
	FILE *f;
	size_t total = 0, good = 0, i, ndropfiles = 0;

	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", corpus);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *file = strtok(line, "\t\n");
		char *expect = strtok(NULL, "\t\n");
		char *fprs = strtok(NULL, "\t\n");
		struct keylist kl;
		struct counts before = { 0, 0, 0, 0 }, after = { 0, 0, 0, 0 };
		bool ok = true;

		if (file == NULL || expect == NULL || fprs == NULL ||
		    strcmp(expect, "accept") != 0 ||
		    (strncmp(file, "valid/", 6) != 0 &&
		    strncmp(file, "revoked-expired/", 16) != 0))
			continue;
		total++;
		if (load_file(file, &kl) == -1 || kl.n == 0 || kl.nerr != 0) {
			printf("  %s: not loaded: %s\n", file,
			    kl.nerr ? kl.err : "no key");
			ok = false;
		}
		for (i = 0; i < kl.n; i++) {
			struct pgp_key *k = kl.keys[i];
			size_t nu = k->nuids, ns = k->nsubkeys, nd = k->nsigs;
			enum pgp_status st;

			add_counts(&before, k);
			st = pgp_key_check(k, now, detail, sizeof(detail));
			add_counts(&after, k);
			if (st != PGP_OK) {
				ok = false;
				describe(file, k, st, detail, nu, ns, nd);
			}
		}
		if (ok && is_trimmed_file(file)) {
			CHECK(!same_fprs(fprs, &kl) && all_trimmed(&kl),
			    "%s: key packets not cut at the end of the public "
			    "key material", file);
		} else if (ok && !same_fprs(fprs, &kl)) {
			ok = false;
			printf("  %s: fingerprints differ, want %s, got", file,
			    fprs);
			for (i = 0; i < kl.n; i++) {
				fpr_hex(kl.keys[i], hex);
				printf(" %s", hex);
			}
			printf("\n");
		}
		/* "accept" means nothing needs dropping; report (not fail)
		 * where our policy is stricter than the corpus's reading. */
		if (ok && (after.uids != before.uids ||
		    after.subkeys != before.subkeys)) {
			ndropfiles++;
			printf("NOTE: %s: accepted, but dropped %zu of %zu user "
			    "IDs and %zu of %zu subkeys\n", file,
			    before.uids - after.uids, before.uids,
			    before.subkeys - after.subkeys, before.subkeys);
		}
		good += ok;
		CHECK(ok, "accept corpus file %s", file);
		free_keys(&kl);
	}
	fclose(f);
	printf("TALLY: verify accept %zu/%zu\n", good, total);
	printf("NOTE: %zu accepted files lost components\n", ndropfiles);
	return 0;
}

/* ---- (2) negative tests ---------------------------------------------- */

/* Flip one octet inside the signature value of s: in the middle of the
 * first MPI (past its bit count), or of the native value. */
static void
corrupt_sig(struct pgp_sig *s)
{
	size_t n = s->pkt.len - s->mpi_off;
	size_t at = s->mpi_off + (n > 4 ? 2 + (n - 2) / 4 : n - 1);

	s->pkt.body[at] ^= 0x5A;
}

static bool
is_self(const struct pgp_key *k, const struct pgp_sig *s)
{
	return s->has_issuer && memcmp(s->issuer, k->pub.keyid, 8) == 0;
}

/*
 * For one real key of each algorithm: break every self-certification of
 * the first user ID, and the binding of the first subkey. The user ID and
 * the subkey must go (or the key be refused if that was its only user
 * ID); the same key unbroken must still check.
 */
static const char *const flip_files[] = {
	"valid/rnp__test_stream_key_load__rsa-rsa-pub.asc",
	"valid/rnp__test_stream_key_load__dsa-eg-pub.asc",
	"valid/rnp__test_stream_key_load__ecc-p256-pub.asc",
	"valid/rnp__test_stream_key_load__ecc-p384-pub.asc",
	"valid/rnp__test_stream_key_load__ecc-p521-pub.asc",
	"valid/rnp__test_stream_key_load__ecc-bp256-pub.asc",
	"valid/rnp__test_stream_key_load__ecc-p256k1-pub.asc",
	"valid/rnp__test_stream_key_load__ecc-25519-pub.asc",
	"valid/ojs__openpgp-L4844-decrypt-verify-should-succeed-using-X448-Ed448-PKE.asc",
	"v6-pqc/rpgp-derived__rpgp-rfc9580-v6-ed448-x448.pub.asc",
	"v6-pqc/rpgp-derived__rpgp-rfc9580-v6-rsa.pub.asc",
	"v6-pqc/rpgp-derived__rpgp-rfc9580-v6-nistp.pub.asc",
};

static void
test_flip_one(const char *file)
{
	struct keylist kl;
	struct pgp_key *k;
	struct pgp_component *u;
	char detail[512];
	size_t i, nuids, nsubkeys, broken = 0;
	enum pgp_status st;

	if (load_file(file, &kl) == -1 || kl.n == 0) {
		CHECK(0, "%s: could not load", file);
		free_keys(&kl);
		return;
	}
	k = kl.keys[0];
	if (k->nuids == 0) {
		/* v6 key resting on its direct-key signature */
		for (i = 0; i < k->nsigs; i++)
			if (k->sigs[i].type == PGP_SIG_DIRECT)
				corrupt_sig(&k->sigs[i]), broken++;
		st = pgp_key_check(k, now, detail, sizeof(detail));
		CHECK(broken > 0 && st != PGP_OK,
		    "%s: broken direct-key sig: got %s", file,
		    pgp_strerror(st));
		free_keys(&kl);
		return;
	}
	u = &k->uids[0];
	for (i = 0; i < u->nsigs; i++)
		if (is_self(k, &u->sigs[i]) && u->sigs[i].type >= 0x10 &&
		    u->sigs[i].type <= 0x13)
			corrupt_sig(&u->sigs[i]), broken++;
	if (k->nsubkeys > 0)
		for (i = 0; i < k->subkeys[0].nsigs; i++)
			if (k->subkeys[0].sigs[i].type ==
			    PGP_SIG_SUBKEY_BINDING)
				corrupt_sig(&k->subkeys[0].sigs[i]);
	nuids = k->nuids;
	nsubkeys = k->nsubkeys;
	st = pgp_key_check(k, now, detail, sizeof(detail));
	CHECK(broken > 0, "%s: no self-certification found", file);
	if (nuids == 1 && k->nsigs == 0) {
		CHECK(st == PGP_ERR_NO_SELFSIG, "%s: broken only user ID: "
		    "got %s (%s)", file, pgp_strerror(st), detail);
		CHECK(strstr(detail, "bad") != NULL, "%s: detail \"%s\"",
		    file, detail);
	} else {
		CHECK(st == PGP_OK, "%s: got %s (%s)", file,
		    pgp_strerror(st), detail);
		CHECK(k->nuids == nuids - 1, "%s: uids %zu -> %zu", file,
		    nuids, k->nuids);
	}
	if (st == PGP_OK && nsubkeys > 0)
		CHECK(k->nsubkeys == nsubkeys - 1, "%s: subkeys %zu -> %zu",
		    file, nsubkeys, k->nsubkeys);
	free_keys(&kl);

	/* control: the same key, untouched */
	if (load_file(file, &kl) == 0 && kl.n > 0) {
		st = pgp_key_check(kl.keys[0], now, detail, sizeof(detail));
		CHECK(st == PGP_OK, "%s: untouched: %s (%s)", file,
		    pgp_strerror(st), detail);
	}
	free_keys(&kl);
}

/* Sum kept components over the keys that check; refused keys count 0. */
static void
check_all(struct keylist *kl, struct counts *in, struct counts *out)
{
	char detail[512];
	size_t i;

	memset(in, 0, sizeof(*in));
	memset(out, 0, sizeof(*out));
	for (i = 0; i < kl->n; i++) {
		add_counts(in, kl->keys[i]);
		if (pgp_key_check(kl->keys[i], now, detail, sizeof(detail)) ==
		    PGP_OK)
			add_counts(out, kl->keys[i]);
	}
}

/*
 * binding/ files the corpus marks partial with a forged or bad signature:
 * something must be lost, something kept. Where the notes give gpg's
 * "kept u/s/k" numbers we must keep exactly as much.
 */
static void
test_binding_corpus(void)
{
	char path[8192], line[65536];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", corpus);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *file = strtok(line, "\t\n");
		char *expect = strtok(NULL, "\t\n");
		char *fprs = strtok(NULL, "\t\n");
		char *notes = strtok(NULL, "\n");
		const char *kept;
		struct keylist kl;
		struct counts in, out;
		unsigned ku, ks, kk;

		(void)fprs;
		if (file == NULL || expect == NULL || notes == NULL ||
		    strncmp(file, "binding/", 8) != 0 ||
		    strcmp(expect, "partial") != 0 ||
		    (strstr(notes, "forged") == NULL &&
		    strstr(notes, "bad") == NULL))
			continue;
		if (load_file(file, &kl) == -1) {
			CHECK(0, "%s: unreadable", file);
			continue;
		}
		check_all(&kl, &in, &out);
		n++;
		/* (some "partial" files have nothing valid left) */
		CHECK(out.keys > 0 ||
		    strstr(notes, "no valid self-signed user ID") != NULL,
		    "%s: no key kept", file);
		CHECK(out.keys + out.uids + out.subkeys + out.sigs <
		    in.keys + in.uids + in.subkeys + in.sigs,
		    "%s: nothing dropped (%zu keys, %zu uids, %zu subkeys, "
		    "%zu sigs)", file, in.keys, in.uids, in.subkeys, in.sigs);
		if ((kept = strstr(notes, "kept ")) != NULL &&
		    sscanf(kept, "kept %u/%u/%u", &ku, &ks, &kk) == 3)
			CHECK(out.uids == ku && out.subkeys == ks &&
			    out.keys == kk, "%s: kept %zu/%zu/%zu, gpg %u/%u/%u",
			    file, out.uids, out.subkeys, out.keys, ku, ks, kk);
		free_keys(&kl);
	}
	fclose(f);
	CHECK(n >= 5, "only %zu binding/ forged files found", n);
}

/* Key revocations kept UNCHECKED after checking the first key of file
 * (-1 if it does not load or check). */
static int
third_party_revocations(const char *file)
{
	struct keylist kl;
	char detail[512];
	int n = -1;
	size_t j;

	if (load_file(file, &kl) == 0 && kl.n > 0 &&
	    pgp_key_check(kl.keys[0], now, detail, sizeof(detail)) == PGP_OK) {
		n = 0;
		for (j = 0; j < kl.keys[0]->nsigs; j++)
			if (kl.keys[0]->sigs[j].type == PGP_SIG_KEY_REVOKE &&
			    kl.keys[0]->sigs[j].state == PGP_SIG_UNCHECKED)
				n++;
	}
	free_keys(&kl);
	return n;
}

/* Policy corner cases on real keys. */
static void
test_policy_corpus(void)
{
	static const struct {
		const char *file;
		enum pgp_status want;
	} cases[] = {
		/* MD5 self-signatures are refused */
		{ "malformed/sq__keys__hash-algos__MD5.gpg", PGP_ERR_NO_SELFSIG },
		/* SHA-1 ones made before 2023 count */
		{ "revoked-expired/sq__keys__hash-algos__SHA1.gpg", PGP_OK },
		/* critical unknown subpacket / critical notation */
		{ "malformed/ojs__sig-L2623-Should-parse-a-signature-with-a-critical-unknown-s.asc",
		    PGP_ERR_NO_SELFSIG },
		{ "malformed/rnp__test_key_edge_cases__key-critical-notations.pgp",
		    PGP_ERR_NO_SELFSIG },
		/* self-signatures made in 2030 */
		{ "malformed/ojs__key-L1693-key_created_2030.asc",
		    PGP_ERR_NO_SELFSIG },
		/* public key material changed after signing */
		{ "binding/rnp__test_forged_keys__rsa-rsa-pub-forged-material.pgp",
		    PGP_ERR_NO_SELFSIG },
		{ "binding/rnp__test_forged_keys__ecc-25519-pub-forged-material.pgp",
		    PGP_ERR_NO_SELFSIG },
		/* the A.3 key in a file, and a v6 RSA key */
		{ "v6-pqc/rnp__RFC9580__A.3.transferable-pubkey-v6.asc", PGP_OK },
		{ "v6-pqc/rpgp-derived__rpgp-rfc9580-v6-rsa.pub.asc", PGP_OK },
		/* a designated revoker's revocation is kept */
		{ "valid/rnp__test_stream_key_load__ecc-p256-desigrevoked-25519-pub.asc",
		    PGP_OK },
	};
	struct keylist kl;
	char detail[512];
	size_t i;
	enum pgp_status st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (load_file(cases[i].file, &kl) == -1 || kl.n == 0) {
			CHECK(0, "%s: could not load", cases[i].file);
			free_keys(&kl);
			continue;
		}
		st = pgp_key_check(kl.keys[0], now, detail, sizeof(detail));
		CHECK(st == cases[i].want, "%s: got %s (%s), want %s",
		    cases[i].file, pgp_strerror(st), detail,
		    pgp_strerror(cases[i].want));
		free_keys(&kl);
	}

	/* A key checked with the clock set before its self-signatures were
	 * made: they are "in the future" and bind nothing. */
	if (load_file("valid/rnp__test_stream_key_load__ecc-p256-pub.asc",
	    &kl) == 0 && kl.n > 0) {
		st = pgp_key_check(kl.keys[0],
		    (time_t)kl.keys[0]->pub.created - 3 * 86400, detail,
		    sizeof(detail));
		CHECK(st == PGP_ERR_NO_SELFSIG, "clock before key: got %s (%s)",
		    pgp_strerror(st), detail);
	}
	free_keys(&kl);

	/* Designated revoker: its revocation is kept, unchecked; one by
	 * a key the revocation-key subpacket does not name is dropped. */
	CHECK_INT(third_party_revocations(
	    "valid/rnp__test_stream_key_load__ecc-p256-desigrevoked-25519-pub.asc"),
	    1);
	CHECK_INT(third_party_revocations(
	    "malformed/rnp__test_stream_key_load__ecc-p256-desig-wrong-revoker.pgp"),
	    0);
}

/* ---- (3) RFC 9580 Appendix A ------------------------------------------ */

/* A.3 Sample Version 6 Certificate: rfc9580_vectors.h (rfc_a3). */

static void
test_rfc9580_a3(void)
{
	struct keylist kl;
	char detail[512], hex[65];
	enum pgp_status st;

	load_mem((const uint8_t *)rfc_a3, sizeof(rfc_a3) - 1, &kl);
	CHECK_INT(kl.n, 1);
	if (kl.n != 1) {
		free_keys(&kl);
		return;
	}
	st = pgp_key_check(kl.keys[0], now, detail, sizeof(detail));
	CHECK(st == PGP_OK, "A.3: %s (%s)", pgp_strerror(st), detail);
	fpr_hex(kl.keys[0], hex);
	CHECK_STR(hex,
	    "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9");
	CHECK_INT(kl.keys[0]->nsubkeys, 1);
	CHECK_INT(kl.keys[0]->nsubkeys ? kl.keys[0]->subkeys[0].valid : 0, 1);
	CHECK_INT(kl.keys[0]->primary_uid, -1);
	CHECK_INT(kl.keys[0]->revoked, 0);
	CHECK_INT(kl.keys[0]->expires, 0);
	free_keys(&kl);

	/* The same certificate with one octet of the direct-key signature's
	 * value flipped: nothing is left to accept it on. */
	load_mem((const uint8_t *)rfc_a3, sizeof(rfc_a3) - 1, &kl);
	if (kl.n == 1 && kl.keys[0]->nsigs == 1) {
		corrupt_sig(&kl.keys[0]->sigs[0]);
		st = pgp_key_check(kl.keys[0], now, detail, sizeof(detail));
		CHECK(st == PGP_ERR_NO_SELFSIG, "A.3 broken: %s (%s)",
		    pgp_strerror(st), detail);
	} else {
		CHECK(0, "A.3: want one direct-key signature");
	}
	free_keys(&kl);
}

static int
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	for (; *s; s++) {
		if (*s == ' ')
			continue;
		if (n == max || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s++;
	}
	return (int)n;
}

/*
 * A.1 (v4 Ed25519Legacy key) and A.2 (its signature over "OpenPGP", with
 * the digest given in the RFC): pgp_crypto_verify on its own, then with
 * one octet of r flipped, of s flipped, and with another digest.
 */
static void
test_rfc9580_a2(void)
{
	static const char key_hex[] =
	    "04 53 f3 5f 0b 16 09 2b 06 01 04 01 da 47"
	    "0f 01 01 07 40 3f 09 89 94 bd d9 16 ed 40 53 19"
	    "79 34 e4 a8 7c 80 73 3a 12 80 d6 2f 80 10 99 2e"
	    "43 ee 3b 24 06";
	static const char sig_hex[] =
	    "04 00 16 08 00 06 05 02 55 f9 5f 95 00 0a"
	    "09 10 8c fd e1 21 97 96 5a 9a f6 22 00 ff 56 f9"
	    "0c ca 98 e2 10 26 37 bd 98 3f db 16 c1 31 df d2"
	    "7e d8 2b f4 dd e5 60 6e 0d 75 6a ed 33 66 01 00"
	    "d0 9c 4f a1 15 27 f0 38 e0 f5 7f 22 01 d8 2f 2e"
	    "a2 c9 03 32 65 fa 6c eb 48 9e 85 4b ae 61 b4 04";
	static const char digest_hex[] =
	    "f6220a3f757814f4c2176ffbb68b00249cd4ccdc059c4b34ad871f30b1740280";
	uint8_t kb[64] = { 0 }, sb[128] = { 0 }, d[32] = { 0 };
	int kn = unhex(key_hex, kb, sizeof(kb));
	int sn = unhex(sig_hex, sb, sizeof(sb));
	struct pgp_pubkey pub;
	struct pgp_sig sig;
	char detail[256];
	char hex[65];

	CHECK(unhex(digest_hex, d, sizeof(d)) == 32, "digest hex");
	CHECK(kn == 51 && sn == 94, "vector lengths %d %d", kn, sn);
	memset(&pub, 0, sizeof(pub));
	CHECK(pgp_pubkey_parse(kb, (size_t)kn, false, &pub, detail,
	    sizeof(detail)) == PGP_OK, "A.1 key: %s", detail);
	pgp_hex(pub.fpr, pub.fprlen, hex);
	CHECK_STR(hex, "C959BDBAFA32A2F89A153B678CFDE12197965A9A");
	memset(&sig, 0, sizeof(sig));
	sig.pkt.tag = PGP_TAG_SIG;
	sig.pkt.body = sb;
	sig.pkt.len = (size_t)sn;
	CHECK(pgp_sig_parse(&sig) == PGP_OK, "A.2 signature parses");
	CHECK(sig.left16[0] == d[0] && sig.left16[1] == d[1], "A.2 left16");
	CHECK_INT(pgp_crypto_verify(&pub, kb, (size_t)kn, &sig, d, 32),
	    PGP_SIG_GOOD);
	d[5] ^= 1;
	CHECK_INT(pgp_crypto_verify(&pub, kb, (size_t)kn, &sig, d, 32),
	    PGP_SIG_BAD);
	d[5] ^= 1;
	sb[sig.mpi_off + 2 + 7] ^= 0x10;		/* inside r */
	CHECK_INT(pgp_crypto_verify(&pub, kb, (size_t)kn, &sig, d, 32),
	    PGP_SIG_BAD);
	sb[sig.mpi_off + 2 + 7] ^= 0x10;
	sb[sn - 3] ^= 0x01;				/* inside s */
	CHECK_INT(pgp_crypto_verify(&pub, kb, (size_t)kn, &sig, d, 32),
	    PGP_SIG_BAD);
	sb[sn - 3] ^= 0x01;
	/* truncated signature data must not be read past */
	sig.pkt.len = (size_t)sn - 5;
	CHECK_INT(pgp_crypto_verify(&pub, kb, (size_t)kn, &sig, d, 32),
	    PGP_SIG_BAD);
	sig.pkt.len = (size_t)sn;
	/* an algorithm that never signs */
	pub.algo = PGP_PK_ECDH;
	sig.pkalgo = PGP_PK_ECDH;
	CHECK_INT(pgp_crypto_verify(&pub, kb, (size_t)kn, &sig, d, 32),
	    PGP_SIG_UNSUPPORTED);
}

/* ---- A.4, A.5: transferable secret keys are refused ----------------- */

/* A.4 Sample Version 6 Secret Key; A.5 the same, locked (RFC text). */
static const char rfc_a4[] =
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
    "\n"
    "xUsGY4d/4xsAAAAg+U2nu0jWCmHlZ3BqZYfQMxmZu52JGggkLq2EVD34laMAGXKB\n"
    "exK+cH6NX1hs5hNhIB00TrJmosgv3mg1ditlsLfCsQYfGwoAAABCBYJjh3/jAwsJ\n"
    "BwUVCg4IDAIWAAKbAwIeCSIhBssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce6\n"
    "2azJBScJAgcCAAAAAK0oIBA+LX0ifsDm185Ecds2v8lwgyU2kCcUmKfvBXbAf6rh\n"
    "RYWzuQOwEn7E/aLwIwRaLsdry0+VcallHhSu4RN6HWaEQsiPlR4zxP/TP7mhfVEe\n"
    "7XWPxtnMUMtf15OyA51YBMdLBmOHf+MZAAAAIIaTJINn+eUBXbki+PSAld2nhJh/\n"
    "LVmFsS+60WyvXkQ1AE1gCk95TUR3XFeibg/u/tVY6a//1q0NWC1X+yui3O24wpsG\n"
    "GBsKAAAALAWCY4d/4wKbDCIhBssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce6\n"
    "2azJAAAAAAQBIKbpGG2dWTX8j+VjFM21J0hqWlEg+bdiojWnKfA5AQpWUWtnNwDE\n"
    "M0g12vYxoWM8Y81W+bHBw805I8kWVkXU6vFOi+HWvv/ira7ofJu16NnoUkhclkUr\n"
    "k0mXubZvyl4GBg==\n"
    "-----END PGP PRIVATE KEY BLOCK-----\n";

static const char rfc_a5[] =
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
    "\n"
    "xYIGY4d/4xsAAAAg+U2nu0jWCmHlZ3BqZYfQMxmZu52JGggkLq2EVD34laP9JgkC\n"
    "FARdb9ccngltHraRe25uHuyuAQQVtKipJ0+r5jL4dacGWSAheCWPpITYiyfyIOPS\n"
    "3gIDyg8f7strd1OB4+LZsUhcIjOMpVHgmiY/IutJkulneoBYwrEGHxsKAAAAQgWC\n"
    "Y4d/4wMLCQcFFQoOCAwCFgACmwMCHgkiIQbLGGxPBgmml+TVLfpscisMHx4nwYpW\n"
    "cI9lJewnutmsyQUnCQIHAgAAAACtKCAQPi19In7A5tfORHHbNr/JcIMlNpAnFJin\n"
    "7wV2wH+q4UWFs7kDsBJ+xP2i8CMEWi7Ha8tPlXGpZR4UruETeh1mhELIj5UeM8T/\n"
    "0z+5oX1RHu11j8bZzFDLX9eTsgOdWATHggZjh3/jGQAAACCGkySDZ/nlAV25Ivj0\n"
    "gJXdp4SYfy1ZhbEvutFsr15ENf0mCQIUBA5hhGgp2oaavg6mFUXcFMwBBBUuE8qf\n"
    "9Ock+xwusd+GAglBr5LVyr/lup3xxQvHXFSjjA2haXfoN6xUGRdDEHI6+uevKjVR\n"
    "v5oAxgu7eJpaXNjCmwYYGwoAAAAsBYJjh3/jApsMIiEGyxhsTwYJppfk1S36bHIr\n"
    "DB8eJ8GKVnCPZSXsJ7rZrMkAAAAABAEgpukYbZ1ZNfyP5WMUzbUnSGpaUSD5t2Ki\n"
    "Nacp8DkBClZRa2c3AMQzSDXa9jGhYzxjzVb5scHDzTkjyRZWRdTq8U6L4da+/+Kt\n"
    "ruh8m7Xo2ehSSFyWRSuTSZe5tm/KXgYG\n"
    "-----END PGP PRIVATE KEY BLOCK-----\n";

#define RFC_A3_FPR \
    "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9"

struct secret_seen {
	int blocks, private_blocks, keys, secret;
	char fpr[65];
};

static int
secret_key_cb(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	struct secret_seen *ss = ctx;

	(void)detail;
	if (key != NULL) {
		ss->keys++;
		pgp_key_free(key);
	}
	if (st == PGP_ERR_SECRET && ss->secret++ == 0)
		pgp_hex(fpr, fprlen, ss->fpr);
	return 0;
}

static int
secret_armor_cb(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct secret_seen *ss = ctx;

	(void)crc_ok;
	ss->blocks++;
	if (kind == PGP_ARMOR_PRIVATE_KEY)
		ss->private_blocks++;
	/* ADD stops at the armor kind; the parser must refuse the packets
	 * on its own too (a binary .gpg attachment has no armor). */
	if (st == PGP_OK)
		(void)pgp_keys_read(data, len, &lim, secret_key_cb, ctx);
	return 0;
}

static void
test_rfc9580_a4_a5(void)
{
	const char *const v[2] = { rfc_a4, rfc_a5 };
	struct secret_seen ss;
	int i;

	for (i = 0; i < 2; i++) {
		memset(&ss, 0, sizeof(ss));
		pgp_armor_scan(v[i], strlen(v[i]), KM_MAX_KEY_SIZE,
		    secret_armor_cb, &ss);
		CHECK(ss.blocks == 1 && ss.private_blocks == 1,
		    "A.%d: a PRIVATE KEY BLOCK", 4 + i);
		CHECK(ss.keys == 0 && ss.secret == 1, "A.%d: refused as "
		    "secret (%d keys, %d secret)", 4 + i, ss.keys, ss.secret);
		/* named by the fingerprint of its public part: A.3's */
		CHECK_STR(ss.fpr, RFC_A3_FPR);
	}
}

/* ---- A.6, A.7: the v6 signature over a text message ------------------ */

/* A.6: the signature packet body (packet header c2 98 left out) and the
 * data it is made over (salt, canonical text, trailer), as listed. */
static const char a6_sig_hex[] =
    "06 01 1b 0a 00 00 00 29 05 82 63 98 a3 63 22 21 06 cb 18 6c 4f 06"
    "09 a6 97 e4 d5 2d fa 6c 72 2b 0c 1f 1e 27 c1 8a 56 70 8f 65 25 ec"
    "27 ba d9 ac c9 00 00 00 00 69 36 20 76 49 5f 50 21 88 90 f7 f5 e2"
    "ee 3c 18 22 51 4f 70 50 0f 55 1d 86 e5 c9 21 e4 04 e3 4a 53 fb ac"
    "27 d0 6f b8 0a a8 fc 5b cb 16 e1 96 31 b2 80 74 0f 9e a6 ae d5 e0"
    "73 ad 00 f9 41 5a 65 3c 40 e7 7a 6a e7 7e 69 2b a7 1d 06 9a 10 9f"
    "a2 4c 58 cf d8 e3 16 d0 a0 6b 34 ad 9a cb 8e 5c 5f 52 15 01";
static const char a6_text[] =
    "What we need from the grocery store:\r\n\r\n- tofu\r\n- vegetables\r\n"
    "- noodles\r\n";
static const char a6_digest_hex[] =
    "69365bf44a97af1f0844f1f6ab83fdf6b36f26692efaa621a8aac91c4e29ea07"
    "e894cabc6e2f20eedfce6c03b89141a2cc7cbe245e6e7a5654addbec5000b89b";

/* A.7: the same signature inside an inline-signed message. */
static const char rfc_a7[] =
    "-----BEGIN PGP MESSAGE-----\n"
    "\n"
    "xEYGAQobIHZJX1AhiJD39eLuPBgiUU9wUA9VHYblySHkBONKU/usyxhsTwYJppfk\n"
    "1S36bHIrDB8eJ8GKVnCPZSXsJ7rZrMkBy0p1AAAAAABXaGF0IHdlIG5lZWQgZnJv\n"
    "bSB0aGUgZ3JvY2VyeSBzdG9yZToKCi0gdG9mdQotIHZlZ2V0YWJsZXMKLSBub29k\n"
    "bGVzCsKYBgEbCgAAACkFgmOYo2MiIQbLGGxPBgmml+TVLfpscisMHx4nwYpWcI9l\n"
    "JewnutmsyQAAAABpNiB2SV9QIYiQ9/Xi7jwYIlFPcFAPVR2G5ckh5ATjSlP7rCfQ\n"
    "b7gKqPxbyxbhljGygHQPnqau1eBzrQD5QVplPEDnemrnfmkrpx0GmhCfokxYz9jj\n"
    "FtCgazStmsuOXF9SFQE=\n"
    "-----END PGP MESSAGE-----\n";

/* salt || text || v6 trailer of sig, hashed with its hash algorithm. */
static size_t
v6_text_digest(const struct pgp_sig *sig, const uint8_t *text, size_t n,
    uint8_t d[64])
{
	struct pgp_hash *h = pgp_hash_open(sig->hashalgo);
	uint8_t tr[6];
	size_t hend = sig->hashed_off + sig->hashed_len;

	if (h == NULL)
		return 0;
	pgp_hash_write(h, sig->pkt.body + sig->salt_off, sig->salt_len);
	pgp_hash_write(h, text, n);
	pgp_hash_write(h, sig->pkt.body, hend);
	tr[0] = 6;
	tr[1] = 0xff;
	tr[2] = (uint8_t)(hend >> 24);
	tr[3] = (uint8_t)(hend >> 16);
	tr[4] = (uint8_t)(hend >> 8);
	tr[5] = (uint8_t)hend;
	pgp_hash_write(h, tr, 6);
	return pgp_hash_final(h, d);
}

static int
collect_armor(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct buf *b = ctx;

	(void)kind;
	(void)crc_ok;
	if (st == PGP_OK)
		buf_append(b, data, len);
	return 0;
}

static int
not_a_key_cb(void *ctx, struct pgp_key *key, enum pgp_status st,
    const uint8_t *fpr, size_t fprlen, const char *detail)
{
	int *first = ctx;	/* -2 nothing yet, -1 a key, else a status */

	(void)fpr;
	(void)fprlen;
	(void)detail;
	if (*first == -2)
		*first = key != NULL ? -1 : (int)st;
	pgp_key_free(key);
	return 0;
}

static void
test_rfc9580_a6_a7(void)
{
	struct keylist kl;
	struct pgp_sig sig;
	struct pgp_pkthdr h;
	struct buf msg, canon;
	struct rd r;
	uint8_t sb[200], want[64], d[64];
	int sn = unhex(a6_sig_hex, sb, sizeof(sb));
	size_t dlen, i;
	const struct pgp_key *k;
	int first = -2;
	bool lit = false;

	CHECK_INT(sn, 0x98);
	CHECK_INT(unhex(a6_digest_hex, want, sizeof(want)), 64);
	load_mem((const uint8_t *)rfc_a3, sizeof(rfc_a3) - 1, &kl);
	if (kl.n != 1 || sn != 0x98) {
		CHECK(0, "A.6: A.3 key or signature not loaded");
		free_keys(&kl);
		return;
	}
	k = kl.keys[0];
	memset(&sig, 0, sizeof(sig));
	sig.pkt.tag = PGP_TAG_SIG;
	sig.pkt.body = sb;
	sig.pkt.len = (size_t)sn;
	CHECK(pgp_sig_parse(&sig) == PGP_OK, "A.6 signature parses");
	CHECK_INT(sig.version, 6);
	CHECK_INT(sig.type, PGP_SIG_TEXT);
	CHECK_INT(sig.salt_len, 32);
	CHECK(sig.issuer_fpr_len == 32 &&
	    memcmp(sig.issuer_fpr, k->pub.fpr, 32) == 0, "A.6 issuer is A.3");
	dlen = v6_text_digest(&sig, (const uint8_t *)a6_text,
	    sizeof(a6_text) - 1, d);
	CHECK(dlen == 64 && memcmp(d, want, 64) == 0, "A.6 digest as in the "
	    "RFC");
	CHECK_INT(pgp_crypto_verify(&k->pub, k->pkt.body, k->pkt.len, &sig, d,
	    dlen), PGP_SIG_GOOD);
	d[63] ^= 0x80;
	CHECK_INT(pgp_crypto_verify(&k->pub, k->pkt.body, k->pkt.len, &sig, d,
	    dlen), PGP_SIG_BAD);

	/* A.7: walk the message's packets; the literal data, made
	 * canonical (LF to CR LF), and its signature verify the same. */
	buf_init(&msg, 0);
	buf_init(&canon, 0);
	pgp_armor_scan(rfc_a7, strlen(rfc_a7), 0, collect_armor, &msg);
	rd_init(&r, msg.data, msg.len);
	while (r.left > 0 && pgp_packet_next(&r, &h) == PGP_OK) {
		if (h.tag == PGP_TAG_LITERAL && h.len > 6 &&
		    (size_t)h.body[1] + 6 <= h.len) {
			/* format, name length, name, date, data */
			for (i = (size_t)h.body[1] + 6; i < h.len; i++) {
				if (h.body[i] == '\n')
					buf_putc(&canon, '\r');
				buf_putc(&canon, (char)h.body[i]);
			}
			lit = true;
		} else if (h.tag == PGP_TAG_SIG && lit) {
			memset(&sig, 0, sizeof(sig));
			sig.pkt.tag = PGP_TAG_SIG;
			sig.pkt.body = (uint8_t *)xmemdup(h.body, h.len);
			sig.pkt.len = h.len;
			CHECK(h.len == (size_t)sn && memcmp(h.body, sb, h.len) == 0,
			    "A.7 carries the A.6 signature");
			CHECK(pgp_sig_parse(&sig) == PGP_OK, "A.7 sig parses");
			dlen = v6_text_digest(&sig, canon.data, canon.len, d);
			CHECK(dlen == 64 && memcmp(d, want, 64) == 0,
			    "A.7 digest as in the RFC");
			CHECK_INT(pgp_crypto_verify(&k->pub, k->pkt.body,
			    k->pkt.len, &sig, d, dlen), PGP_SIG_GOOD);
			free(sig.pkt.body);
		}
	}
	CHECK(lit, "A.7 has literal data");
	/* and a message is not a key */
	(void)pgp_keys_read(msg.data, msg.len, &lim, not_a_key_cb, &first);
	CHECK_INT(first, (int)PGP_ERR_NO_PRIMARY);
	free(msg.data);
	free(canon.data);
	free_keys(&kl);
}

/* ---- third-party certifications with signer keys -------------------- */

/*
 * tests/fuzz/corpus/fuzz_certs/seed-gpg-certified.bin, made with GnuPG
 * 2.2 for this project: an Ed25519 key whose user ID is certified by a
 * NIST P-256 key and an RSA 2048 key, then those two keys. Both
 * certifications verify with their signers, none without them; a broken
 * one is BAD, and only the one whose signer is offered is checked.
 */
static void
test_third_party(const char *top)
{
	char path[8192];
	uint8_t *data;
	size_t len, i, nthird = 0;
	struct keylist kl;
	struct buf w[3];
	struct pgp_blob b[3];
	struct pgp_component *u;

	snprintf(path, sizeof(path), "%s%stests/fuzz/corpus/fuzz_certs/"
	    "seed-gpg-certified.bin", top ? top : "", top ? "/" : "");
	if ((data = read_file(path, &len)) == NULL) {
		CHECK(0, "cannot read %s", path);
		return;
	}
	load_mem(data, len, &kl);
	free(data);
	CHECK_INT(kl.n, 3);
	if (kl.n != 3) {
		free_keys(&kl);
		return;
	}
	for (i = 0; i < 3; i++) {
		CHECK_INT(pgp_key_check(kl.keys[i], now, NULL, 0), PGP_OK);
		buf_init(&w[i], 0);
		pgp_key_write(kl.keys[i], &w[i]);
		b[i].data = w[i].data;
		b[i].len = w[i].len;
	}
	u = &kl.keys[0]->uids[0];
	for (i = 0; i < u->nsigs; i++)
		nthird += !is_self(kl.keys[0], &u->sigs[i]);
	CHECK_INT(nthird, 2);
	/* no signers: nothing changes */
	CHECK_INT(pgp_key_check_certs(kl.keys[0], 0, b, 0, now), 0);
	/* only the key itself: it is no third party */
	CHECK_INT(pgp_key_check_certs(kl.keys[0], 0, b, 1, now), 0);
	/* one signer (P-256): one verified, the other left alone */
	CHECK_INT(pgp_key_check_certs(kl.keys[0], 0, b + 1, 1, now), 1);
	for (i = 0; i < u->nsigs; i++)
		if (!is_self(kl.keys[0], &u->sigs[i]))
			CHECK(u->sigs[i].state == (u->sigs[i].pkalgo ==
			    PGP_PK_ECDSA ? PGP_SIG_GOOD : PGP_SIG_UNCHECKED),
			    "only the P-256 certification is checked");
	/* "over": a user ID with 2 third-party signatures is not crowded
	 * at 2, and is at 1 */
	CHECK_INT(pgp_key_check_certs(kl.keys[0], 2, b, 3, now), 0);
	CHECK_INT(pgp_key_check_certs(kl.keys[0], 1, b, 3, now), 2);
	/* a broken certification is BAD, the other still GOOD */
	for (i = 0; i < u->nsigs; i++)
		if (!is_self(kl.keys[0], &u->sigs[i]) &&
		    u->sigs[i].pkalgo != PGP_PK_ECDSA)
			corrupt_sig(&u->sigs[i]);
	CHECK_INT(pgp_key_check_certs(kl.keys[0], 0, b, 3, now), 1);
	for (i = 0; i < u->nsigs; i++)
		if (!is_self(kl.keys[0], &u->sigs[i]))
			CHECK(u->sigs[i].state == (u->sigs[i].pkalgo ==
			    PGP_PK_ECDSA ? PGP_SIG_GOOD : PGP_SIG_BAD),
			    "broken RSA certification: state %d",
			    (int)u->sigs[i].state);
	/* a signer blob that is not a key, or cut inside its first packet */
	b[1].len = 10;
	CHECK_INT(pgp_key_check_certs(kl.keys[0], 0, b + 1, 1, now), 0);
	for (i = 0; i < 3; i++)
		free(w[i].data);
	free_keys(&kl);
}

int
main(void)
{
	const char *top = getenv("KM_TOP");
	char path[8192];
	FILE *f;
	size_t i;

	now = time(NULL);
	if (pgp_crypto_init() == -1) {
		printf("FAIL: libgcrypt version mismatch\n");
		return 1;
	}
	/* tests/run sets KM_TOP; by hand, run from the repository top */
	snprintf(corpus, sizeof(corpus), "%s%s../shared/testdata/keys",
	    top ? top : "", top ? "/" : "");

	test_rfc9580_a2();
	test_rfc9580_a3();
	test_rfc9580_a4_a5();
	test_rfc9580_a6_a7();
	test_third_party(top);

	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", corpus);
	if ((f = fopen(path, "r")) == NULL) {
		printf("NOTE: corpus absent, 4 tests not run\n");
		return check_done();
	}
	fclose(f);
	(void)test_accept_corpus();
	for (i = 0; i < sizeof(flip_files) / sizeof(flip_files[0]); i++)
		test_flip_one(flip_files[i]);
	test_binding_corpus();
	test_policy_corpus();
	return check_done();
}
