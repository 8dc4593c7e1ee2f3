/*
 * tests/unit/publish_test.c - pgp/publish.c: the copies owner control
 * publishes (owner-control.md 2, 3, 7), on keys GnuPG made under a faked
 * clock (tests/unit/data/owner/, see make.sh there): the self copy and
 * the held items of a claim, absorbing what comes in (held, published at
 * once, dropped by the suppressed set and the block list), ACCEPT of a
 * fragment, REPLACE keeping revocations, the revocation-only copy, and
 * the names of issuers and components.
 *
 * Every expectation is about what GnuPG put into the files (how many
 * user IDs, which signature classes), never about key ID digits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "control_fixture.h"
#include "pgp/pgp.h"
#include "pgp/publish.h"
#include "util/buf.h"

#define DIR	"tests/unit/data/owner/"
#define NOW	1780001000	/* after every fixture signature */

static struct pgp_key *
load(const char *name)
{
	size_t len;
	char *text = cf_slurp(name, &len);
	struct pgp_key *k;

	if (text == NULL) {
		CHECK(0, "cannot read %s", name);
		return NULL;
	}
	k = cf_read_key(text, len, NULL);
	free(text);
	CHECK(k != NULL, "%s holds a key", name);
	if (k != NULL)
		CHECK_INT(pgp_key_check(k, NOW, NULL, 0), PGP_OK);
	return k;
}

/* Signatures of a class over the whole key. */
static size_t
count_type(const struct pgp_key *k, uint8_t type)
{
	size_t n = 0, i, j;

	for (i = 0; i < k->nsigs; i++)
		n += k->sigs[i].type == type;
	for (i = 0; i < k->nuids; i++)
		for (j = 0; j < k->uids[i].nsigs; j++)
			n += k->uids[i].sigs[j].type == type;
	for (i = 0; i < k->nsubkeys; i++)
		for (j = 0; j < k->subkeys[i].nsigs; j++)
			n += k->subkeys[i].sigs[j].type == type;
	return n;
}

static struct pgp_key *
reparse(const struct pgp_key *k)
{
	struct buf b;
	struct pgp_key *r;
	enum pgp_status st;

	buf_init(&b, 0);
	CHECK(pgp_key_write(k, &b) == 0, "written");
	r = pgp_key_parse_one(b.data, b.len, NULL, &st);
	buf_free(&b);
	return r;
}

int
main(void)
{
	struct pgp_key *o, *ot, *ou2, *oexp, *orev, *t, *self, *pub, *f, *r;
	struct pgp_held_list held;
	struct pgp_absorb_result res;
	struct pgp_absorb_rules rules;
	struct pgp_issuer_ref ref;
	uint8_t (*h)[PGP_PACKET_HASH] = NULL, hash[PGP_PACKET_HASH];
	char name[PGP_ISSUER_NAME], comp[PGP_COMPONENT_NAME], tf[65], of[65];
	enum pgp_status pst;
	size_t n;

	if (pgp_crypto_init() < 0)
		return 1;
	o = load(DIR "o.asc");
	ot = load(DIR "o-t.asc");
	ou2 = load(DIR "o-uid2.asc");
	oexp = load(DIR "o-exp.asc");
	orev = load(DIR "o-rev.asc");
	t = load(DIR "t.asc");
	if (!o || !ot || !ou2 || !oexp || !orev || !t)
		return check_done();
	pgp_hex(t->pub.fpr, t->pub.fprlen, tf);
	pgp_hex(o->pub.fpr, o->pub.fprlen, of);

	/* ---- names ---- */
	CHECK(pgp_sig_self_issued(o, &o->uids[0].sigs[0]), "O's self-sig is O's");
	CHECK(!pgp_sig_self_issued(o, &t->uids[0].sigs[0]), "T's is not");
	pgp_sig_issuer_name(&t->uids[0].sigs[0], name);
	CHECK_STR(name, tf);
	pgp_component_name(o, NULL, comp);
	CHECK_STR(comp, "key");
	pgp_component_name(o, &o->uids[0], comp);
	CHECK(strncmp(comp, "uid:", 4) == 0 && strlen(comp) == 20, "uid name %s", comp);
	pgp_component_name(o, &o->subkeys[0], comp);
	CHECK(strncmp(comp, "subkey:", 7) == 0 && strlen(comp) == 47, "subkey name %s", comp);
	CHECK(pgp_issuer_parse(tf, &ref), "FPR parses");
	CHECK(pgp_issuer_matches(&ref, &t->uids[0].sigs[0]), "FPR matches T's sig");
	CHECK(!pgp_issuer_matches(&ref, &o->uids[0].sigs[0]), "not O's");
	snprintf(name, sizeof(name), "0x%s", tf + 24);
	CHECK(pgp_issuer_parse(name, &ref), "0x key ID parses");
	CHECK(pgp_issuer_matches(&ref, &t->uids[0].sigs[0]), "key ID matches T's sig");
	CHECK(pgp_issuer_matches_name(&ref, tf), "key ID names the FPR");
	CHECK(!pgp_issuer_parse("0x123", &ref), "short key ID refused");
	CHECK(!pgp_issuer_parse("alice", &ref), "text refused");

	/* ---- claiming: the self copy and its held items ---- */
	memset(&held, 0, sizeof(held));
	self = pgp_key_self_copy(ot, &held);
	CHECK_INT(count_type(ot, PGP_SIG_CERT_GENERIC), 1);
	CHECK_INT(count_type(self, PGP_SIG_CERT_GENERIC), 0);
	CHECK_INT(count_type(self, PGP_SIG_CERT_POSITIVE), 1);
	CHECK_INT(count_type(self, PGP_SIG_SUBKEY_BINDING), 1);
	CHECK_INT(held.n, 1);
	if (held.n == 1) {
		CHECK_STR(held.v[0].issuer, tf);
		pgp_component_name(o, &o->uids[0], comp);
		CHECK_STR(held.v[0].component, comp);
		CHECK_INT(held.v[0].created, 1780000100);
		f = pgp_key_parse_one(held.v[0].data, held.v[0].len, NULL, &pst);
		CHECK(f != NULL, "fragment parses");
		if (f != NULL) {
			CHECK_INT(f->nuids, 1);
			CHECK_INT(f->nsubkeys, 0);
			CHECK_INT(count_type(f, PGP_SIG_CERT_GENERIC), 1);
			/* ACCEPT: merged into the copy, T's certification published. */
			pub = pgp_key_dup(self);
			CHECK_INT(pgp_publish_fragment(pub, f), 1);
			CHECK_INT(count_type(pub, PGP_SIG_CERT_GENERIC), 1);
			pgp_key_free(pub);
			/* A certification on a user ID not published stays held. */
			pub = pgp_key_dup(self);
			pgp_component_clear(&pub->uids[0]);
			pub->nuids = 0;
			CHECK_INT(pgp_publish_fragment(pub, f), 0);
			pgp_key_free(pub);
			CHECK_INT(pgp_publish_fragment(t, f), -1);
			pgp_key_free(f);
		}
	}
	pgp_held_list_free(&held);

	/* ---- what comes in (7.2) ---- */
	/* T's certification: held, nothing published. */
	pub = pgp_key_dup(self);
	CHECK_INT(pgp_absorb(pub, ot, NULL, &res), 0);
	CHECK(!res.changed, "certification not published");
	CHECK_INT(res.held.n, 1);
	CHECK_INT(count_type(pub, PGP_SIG_CERT_GENERIC), 0);
	pgp_absorb_result_free(&res);
	/* A blocked issuer: dropped. */
	memset(&rules, 0, sizeof(rules));
	CHECK(pgp_issuer_parse(tf, &ref), "T");
	rules.blocked = &ref;
	rules.nblocked = 1;
	CHECK_INT(pgp_absorb(pub, ot, &rules, &res), 0);
	CHECK_INT(res.held.n, 0);
	CHECK_INT(res.dropped, 1);
	pgp_absorb_result_free(&res);
	/* Suppressed: dropped too. */
	pgp_packet_hash(PGP_TAG_SIG, ot->uids[0].sigs[ot->uids[0].sigs[0].type ==
	    PGP_SIG_CERT_GENERIC ? 0 : 1].pkt.body, ot->uids[0].sigs[
	    ot->uids[0].sigs[0].type == PGP_SIG_CERT_GENERIC ? 0 : 1].pkt.len, hash);
	memset(&rules, 0, sizeof(rules));
	rules.suppressed = (const uint8_t (*)[PGP_PACKET_HASH])&hash;
	rules.nsuppressed = 1;
	CHECK_INT(pgp_absorb(pub, ot, &rules, &res), 0);
	CHECK_INT(res.held.n, 0);
	CHECK_INT(res.dropped, 1);
	pgp_absorb_result_free(&res);
	/* A new user ID: held as the key's own item. */
	CHECK_INT(pgp_absorb(pub, ou2, NULL, &res), 0);
	CHECK(!res.changed, "new user ID not published");
	CHECK_INT(res.held.n, 1);
	if (res.held.n == 1) {
		CHECK_STR(res.held.v[0].issuer, of);
		f = pgp_key_parse_one(res.held.v[0].data, res.held.v[0].len, NULL, &pst);
		CHECK(f != NULL && f->nuids == 1, "own fragment: one user ID");
		if (f != NULL) {
			r = pgp_key_dup(pub);
			CHECK_INT(pgp_publish_fragment(r, f), 1);
			CHECK_INT(r->nuids, 2);
			pgp_key_free(r);
			pgp_key_free(f);
		}
	}
	pgp_absorb_result_free(&res);
	CHECK_INT(pub->nuids, 1);
	/* The newer self-signature: published at once. */
	CHECK_INT(pgp_absorb(pub, oexp, NULL, &res), 0);
	CHECK(res.changed, "newer self-signature published");
	CHECK_INT(res.held.n, 0);
	CHECK_INT(res.revocations, 0);
	CHECK_INT(count_type(pub, PGP_SIG_CERT_POSITIVE), 2);
	pgp_absorb_result_free(&res);
	/* The same again: nothing. */
	CHECK_INT(pgp_absorb(pub, oexp, NULL, &res), 0);
	CHECK(!res.changed, "idempotent");
	pgp_absorb_result_free(&res);
	/* The key revocation: published at once, even if suppressed. */
	pgp_packet_hash(PGP_TAG_SIG, orev->sigs[0].pkt.body, orev->sigs[0].pkt.len, hash);
	memset(&rules, 0, sizeof(rules));
	rules.suppressed = (const uint8_t (*)[PGP_PACKET_HASH])&hash;
	rules.nsuppressed = 1;
	CHECK_INT(pgp_absorb(pub, orev, &rules, &res), 0);
	CHECK(res.changed, "revocation published");
	CHECK_INT(res.revocations, 1);
	CHECK(pgp_key_has_key_revocation(pub), "copy revoked");
	pgp_absorb_result_free(&res);
	CHECK_INT(pgp_absorb(pub, t, NULL, &res), -1);
	pgp_absorb_result_free(&res);
	/* The copy stays a key GnuPG-style readers accept. */
	r = reparse(pub);
	CHECK(r != NULL && pgp_key_check(r, NOW, NULL, 0) == PGP_OK, "copy checks");
	pgp_key_free(r);
	pgp_key_free(pub);

	/* ---- REPLACE keeps revocations; packet hashes ---- */
	r = pgp_replace_copy(o, orev);
	CHECK(r != NULL, "replace copy");
	if (r != NULL) {
		CHECK(pgp_key_has_key_revocation(r), "revocation kept");
		CHECK_INT(count_type(r, PGP_SIG_CERT_POSITIVE), 1);
		n = pgp_key_packet_hashes(r, &h);
		/* revocation, user ID, its self-sig, subkey, its binding */
		CHECK_INT(n, 5);
		free(h);
		pgp_key_free(r);
	}
	CHECK(pgp_replace_copy(o, t) == NULL, "other primary refused");

	/* ---- the revocation-only copy ---- */
	CHECK(pgp_key_revocation_copy(o) == NULL, "no revocation, no copy");
	r = pgp_key_revocation_copy(orev);
	CHECK(r != NULL, "revocation-only copy");
	if (r != NULL) {
		CHECK_INT(r->nuids, 0);
		CHECK_INT(r->nsubkeys, 0);
		CHECK_INT(r->nsigs, 1);
		CHECK_INT(r->sigs[0].type, PGP_SIG_KEY_REVOKE);
		f = reparse(r);
		/* Accepted as a key on its own (check.c): its self-revocation. */
		CHECK(f != NULL && pgp_key_check(f, NOW, NULL, 0) == PGP_OK,
		    "revocation-only copy checks");
		pgp_key_free(f);
		pgp_key_free(r);
	}

	pgp_key_free(self);
	pgp_key_free(o);
	pgp_key_free(ot);
	pgp_key_free(ou2);
	pgp_key_free(oexp);
	pgp_key_free(orev);
	pgp_key_free(t);
	return check_done();
}
