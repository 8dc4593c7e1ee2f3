/*
 * owner_control_test.c - the control-block checks (cmd/owner_control.c)
 * on real control blocks: tests/unit/data/control/, made once with
 * GnuPG 2.2 under a faked clock by make.sh there (our own throwaway
 * keys; craft.py for what GnuPG will not make), committed. cases.tsv
 * gives, per case, the mail, the stored key, "now" and the verdict
 * (control_fixture.h) the checks must reach; the expected verdicts were
 * written by hand into make.sh, not taken from this code.
 *
 * Then the cases that need other arguments than a mail: the size bound,
 * the two-step API for REPLACE, a missing key, a Subject that is no
 * owner command, and the configuration keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pgp/internal.h"
#include "control_fixture.h"
#include "util/conf.h"

#define ROBOT "pgp-public-keys@keys.example.net"

static char dir[4096];

static char *
data_file(const char *name, size_t *len)
{
	char path[8192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return cf_slurp(path, len);
}

static void
test_cases(void)
{
	char path[8192], line[2048], *mail, *key;
	size_t mlen, klen, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cases.tsv", dir);
	if ((f = fopen(path, "r")) == NULL) {
		CHECK(0, "%s missing", path);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *name = strtok(line, "\t"), *kname = strtok(NULL, "\t");
		char *now = strtok(NULL, "\t"), *want = strtok(NULL, "\n");
		char mname[512];
		struct buf got;

		if (name == NULL || kname == NULL || now == NULL ||
		    want == NULL) {
			CHECK(0, "cases.tsv: bad line");
			continue;
		}
		snprintf(mname, sizeof(mname), "%s.eml", name);
		mail = data_file(mname, &mlen);
		key = data_file(kname, &klen);
		CHECK(mail != NULL && key != NULL, "%s, %s readable", mname,
		    kname);
		buf_init(&got, 0);
		if (mail != NULL && key != NULL)
			cf_verdict(mail, mlen, key, klen,
			    (time_t)strtoll(now, NULL, 10), ROBOT, NULL, &got);
		CHECK(strcmp((char *)got.data, want) == 0,
		    "%s with %s at %s:\n    got  %s\n    want %s", name, kname,
		    now, (char *)got.data, want);
		buf_free(&got);
		free(mail);
		free(key);
		n++;
	}
	fclose(f);
	CHECK(n >= 47, "cases.tsv has %zu cases", n);
}

static struct mail_msg msg;
static struct owner_cmd subj;

static int
load_mail(const char *name)
{
	size_t len;
	char *raw = data_file(name, &len), err[200];
	int rc;

	mail_msg_free(&msg);
	if (raw == NULL)
		return -1;
	rc = mail_parse(raw, len, NULL, &msg, err, sizeof(err)) == MAIL_OK ?
	    0 : -1;
	free(raw);
	(void)owner_cmd_parse(msg.subject, &subj);
	return rc;
}

static struct pgp_key *
load_key(const char *name, time_t now)
{
	size_t len;
	char *asc = data_file(name, &len);
	struct pgp_key *k = asc ? cf_read_key(asc, len, NULL) : NULL;

	free(asc);
	if (k != NULL)
		(void)pgp_key_check(k, now, NULL, 0);
	return k;
}

/* The size bound counts the block from BEGIN to END, both lines in. */
static void
test_size(void)
{
	struct control_limits lim;
	struct control_block b;
	struct pgp_clearsign cs;
	const char *begin;
	size_t blen;

	if (load_mail("ok-rsa-show.eml") != 0 || msg.nparts != 1) {
		CHECK(0, "ok-rsa-show.eml");
		return;
	}
	begin = strstr((char *)msg.parts[0].data, "-----BEGIN PGP SIGNED");
	CHECK_INT(pgp_clearsign_parse(begin, strlen(begin), 0, &cs, NULL),
	    PGP_CS_OK);
	blen = cs.block_len;
	pgp_clearsign_free(&cs);
	control_limits_default(&lim);
	CHECK_INT(lim.max_control_size, 5242880);
	CHECK_INT(lim.control_max_age, 172800);
	CHECK_INT(lim.control_max_skew, 600);
	lim.max_control_size = blen;
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &subj, ROBOT,
	    &lim, &b), CONTROL_OK);
	control_block_free(&b);
	lim.max_control_size = blen - 1;
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &subj, ROBOT,
	    &lim, &b), CONTROL_REFUSED);
	CHECK_STR(b.reason, "refused: control block larger than "
	    "max_control_size");
	control_block_free(&b);
	lim.max_control_size = 0;	/* no limit */
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &subj, ROBOT,
	    &lim, &b), CONTROL_OK);
	control_block_free(&b);
}

/* REPLACE of a key not stored yet: parse first, take the key out of the
 * block, and check against it. */
static void
test_two_steps(void)
{
	struct control_block b;
	struct pgp_key *k, *e;
	const time_t now = 1780000000;

	if (load_mail("ok-ed-replace.eml") != 0) {
		CHECK(0, "ok-ed-replace.eml");
		return;
	}
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &subj, ROBOT,
	    NULL, &b), CONTROL_OK);
	CHECK(b.key_armor != NULL && b.created == 0 && b.signer_fpr[0] == 0,
	    "parse alone: key, no signer yet");
	CHECK_STR(b.nonce, "ed-replace-show-1");
	k = b.key_armor ? cf_read_key(b.key_armor, b.key_armor_len, NULL) :
	    NULL;
	CHECK(k != NULL, "the REPLACE key parses");
	if (k != NULL) {
		CHECK(pgp_key_check(k, now, NULL, 0) == PGP_OK, "and checks");
		CHECK_INT(owner_control_verify(&b, k, now, NULL), CONTROL_OK);
		CHECK(b.by_subkey, "signed by the subkey");
		/* the same block against another key */
		e = load_key("key-R.asc", now);
		CHECK_INT(owner_control_verify(&b, e, now, NULL),
		    CONTROL_REFUSED);
		CHECK(strncmp(b.reason, "refused: signed by a key other than ",
		    36) == 0, "%s", b.reason);
		pgp_key_free(e);
	}
	pgp_key_free(k);
	control_block_free(&b);
	control_block_free(&b);
	/* no stored key at all */
	CHECK_INT(owner_control_check(msg.parts, msg.nparts, &subj, ROBOT,
	    NULL, now, NULL, &b), CONTROL_REFUSED);
	CHECK_STR(b.reason, "refused: no key with this fingerprint is stored "
	    "here");
	control_block_free(&b);
}

/*
 * Issuer by key ID only (older v4 signers): accepted for v4, never for
 * v6. The parsed signature is changed in memory (the bytes, and so the
 * signature, stay as they are).
 */
static void
issuer_keyid(const char *mail, const char *keyfile, enum control_status want,
    const char *reason)
{
	struct control_block b;
	struct pgp_key *k;
	const time_t now = 1780000000;

	if (load_mail(mail) != 0) {
		CHECK(0, "%s", mail);
		return;
	}
	k = load_key(keyfile, now);
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &subj, ROBOT,
	    NULL, &b), CONTROL_OK);
	CHECK(b.cs.nsigs == 1 && b.cs.sigs[0].issuer_fpr_len > 0 &&
	    b.cs.sigs[0].has_issuer, "%s: issuer fingerprint and key ID", mail);
	if (k != NULL && b.cs.nsigs == 1) {
		b.cs.sigs[0].issuer_fpr_len = 0;
		CHECK_INT(owner_control_verify(&b, k, now, NULL), want);
		if (reason != NULL)
			CHECK_STR(b.reason, reason);
		/* a key ID that names nothing */
		b.cs.sigs[0].issuer[0] ^= 1;
		CHECK_INT(owner_control_verify(&b, k, now, NULL),
		    CONTROL_REFUSED);
	}
	pgp_key_free(k);
	control_block_free(&b);
}

static void
test_issuer_keyid(void)
{
	issuer_keyid("ok-rsa-show.eml", "key-R.asc", CONTROL_OK, NULL);
	issuer_keyid("ok-ed-notify.eml", "key-E.asc", CONTROL_OK, NULL);
	issuer_keyid("ok-v6.eml", "key-v6.asc", CONTROL_REFUSED,
	    "refused: signed by a key other than "
	    "09EEBB807E1AA70AE342BE98EA50A7921DD6D1183F83A4DF448575DA09D2D56F");
}

/*
 * Expiry at the signature's time, by the newest binding made by then: a
 * self-signature made later neither expires the key back in time nor
 * revives it. The fixture key gets a second copy of its user-ID
 * certification, made "after" the block (fields changed in memory).
 */
static void
test_expiry_at(void)
{
	struct control_block b;
	struct pgp_key *k;
	struct pgp_component *u;
	const time_t now = 1780000000;
	struct {
		uint32_t first_expires, later_expires;
		enum control_status want;
	} c[] = {
		{ 0, 86400, CONTROL_OK },		/* later expiry: ignored */
		{ 86400, 0, CONTROL_REFUSED },		/* expired, revived later */
		{ 86400 * 20, 86400, CONTROL_OK },	/* valid then */
		{ 86400 * 10, 0, CONTROL_REFUSED },	/* expired that second */
		{ 86400 * 10 + 1, 0, CONTROL_OK },	/* and one second before */
	};
	size_t i;

	if (load_mail("ok-rsa-show.eml") != 0) {
		CHECK(0, "ok-rsa-show.eml");
		return;
	}
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		k = load_key("key-R.asc", now);
		if (k == NULL || k->nuids != 1 || k->uids[0].nsigs != 1) {
			CHECK(0, "key-R: one user ID, one certification");
			pgp_key_free(k);
			return;
		}
		u = &k->uids[0];
		CHECK(u->sigs[0].state == PGP_SIG_GOOD &&
		    u->sigs[0].created == now - 864000, "certified at KT");
		u->sigs = pgp_grow(u->sigs, u->nsigs, sizeof(*u->sigs));
		pgp_sig_copy(&u->sigs[1], &u->sigs[0]);
		u->nsigs = 2;
		u->sigs[0].key_expires = c[i].first_expires;
		u->sigs[1].created = (uint32_t)now + 100;
		u->sigs[1].key_expires = c[i].later_expires;
		CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &subj,
		    ROBOT, NULL, &b), CONTROL_OK);
		CHECK(owner_control_verify(&b, k, now, NULL) == c[i].want,
		    "expiry case %zu: %s", i, b.reason);
		if (c[i].want == CONTROL_REFUSED)
			CHECK(strstr(b.reason, "had expired when it signed") !=
			    NULL, "%s", b.reason);
		control_block_free(&b);
		pgp_key_free(k);
	}
}

/* A block with a Subject that is no owner command, or is malformed. */
static void
test_not_owner(void)
{
	struct control_block b;
	struct owner_cmd c;

	if (load_mail("ok-rsa-show.eml") != 0) {
		CHECK(0, "ok-rsa-show.eml");
		return;
	}
	(void)owner_cmd_parse("SUBSCRIBE 61476C7BE161917E5EA95137016A9AF86C419D53",
	    &c);
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &c, ROBOT, NULL,
	    &b), CONTROL_REFUSED);
	CHECK_STR(b.reason, "refused: a control block goes with an owner "
	    "command only");
	control_block_free(&b);
	(void)owner_cmd_parse("SHOW 61476C7BE161917E5EA95137016A9AF86C419D5",
	    &c);
	CHECK(c.malformed, "39 digits are no fingerprint");
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &c, ROBOT, NULL,
	    &b), CONTROL_REFUSED);
	control_block_free(&b);
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, NULL, ROBOT, NULL,
	    &b), CONTROL_REFUSED);
	control_block_free(&b);
	/* the robot's address is compared as an address */
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &subj,
	    "PGP-Public-Keys@KEYS.example.NET", NULL, &b), CONTROL_OK);
	control_block_free(&b);
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &subj,
	    "pgp-public-keys@keys.example.ne", NULL, &b), CONTROL_REFUSED);
	control_block_free(&b);
	/* the block in a text/html part only does not count */
	free(msg.parts[0].content_type);
	msg.parts[0].content_type = strdup("text/html");
	CHECK_INT(owner_control_parse(msg.parts, msg.nparts, &subj, ROBOT,
	    NULL, &b), CONTROL_ABSENT);
	control_block_free(&b);
}

/* keymail.conf: the three keys, their defaults and ranges. */
static void
test_conf(void)
{
	static const struct {
		const char *text;
		int rc;
	} c[] = {
		{ "control_max_age = 60\n", 0 },
		{ "control_max_age = 1209600\n", 0 },
		{ "control_max_age = 59\n", -1 },
		{ "control_max_age = 1209601\n", -1 },
		{ "control_max_skew = 0\n", 0 },
		{ "control_max_skew = 86400\n", 0 },
		{ "control_max_skew = 86401\n", -1 },
		{ "max_control_size = 0\n", 0 },
		{ "max_control_size = 1000\n", 0 },
		{ "max_control_size = -1\n", -1 },
	};
	char path[] = "/tmp/km-owner-control-conf.XXXXXX", err[256];
	struct conf conf;
	size_t i;
	int fd;

	conf_defaults(&conf);
	CHECK_INT(conf.max_control_size, 5242880);
	CHECK_INT(conf.control_max_age, 172800);
	CHECK_INT(conf.control_max_skew, 600);
	conf_free(&conf);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if ((fd = mkstemp(path)) < 0)
			continue;
		if (write(fd, c[i].text, strlen(c[i].text)) < 0)
			CHECK(0, "write");
		close(fd);
		conf_defaults(&conf);
		CHECK(conf_load(&conf, path, err, sizeof(err)) == c[i].rc,
		    "conf \"%.*s\": want %d", (int)strlen(c[i].text) - 1,
		    c[i].text, c[i].rc);
		conf_free(&conf);
		unlink(path);
		strcpy(path, "/tmp/km-owner-control-conf.XXXXXX");
	}
}

int
main(void)
{
	const char *top = getenv("KM_TOP");

	snprintf(dir, sizeof(dir), "%s/tests/unit/data/control",
	    top ? top : ".");
	if (pgp_crypto_init() != 0) {
		printf("libgcrypt init failed\n");
		return 1;
	}
	test_cases();
	test_size();
	test_two_steps();
	test_issuer_keyid();
	test_expiry_at();
	test_not_owner();
	test_conf();
	mail_msg_free(&msg);
	return check_done();
}
