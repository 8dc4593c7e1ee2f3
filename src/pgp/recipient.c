/*
 * pgp/recipient.c - which components of a key a message is encrypted to,
 * and the reading of their public key material (owner-control.md 6.3;
 * the rules are summed up in encrypt.h).
 *
 * Untrusted input: the key came from mail. Its self-signatures have been
 * checked (pgp_key_check); only GOOD ones issued by the primary key are
 * believed, and only their hashed subpackets (key flags, preferences,
 * expiry). The key material is re-read from the packet body through
 * util/rd and checked here and by the libgcrypt adapter (crypto.h)
 * before anything is computed with it: moduli odd and in range, points
 * in their curve's encoding and on the curve, no small-order points.
 *
 * Memory: a struct pgp_enc_recipient points into the key's packet body;
 * nothing is allocated here.
 */
#include <string.h>

#include "pgp/crypto.h"
#include "pgp/encrypt.h"
#include "pgp/internal.h"
#include "pgp/pgp.h"
#include "util/rd.h"

/* Key flags (RFC 9580 5.2.3.29): encrypt communications / storage. */
#define FLAGS_ENCRYPT	0x0c
/* Hashed subpackets read here (RFC 9580 5.2.3.7). */
#define SUB_PREF_SYM	11
#define SUB_KEY_FLAGS	27
#define SUB_PREF_AEAD	39

/* ---- key material -------------------------------------------------------- */

/* An MPI's value octets, leading zero octets stripped. */
static int
read_mpi(struct rd *r, const uint8_t **p, size_t *n)
{
	uint16_t bits;

	if (rd_u16(r, &bits) == -1 ||
	    rd_bytes(r, ((size_t)bits + 7) / 8, p) == -1)
		return -1;
	*n = ((size_t)bits + 7) / 8;
	while (*n > 0 && **p == 0) {
		(*p)++;
		(*n)--;
	}
	return 0;
}

static unsigned
bitlen(const uint8_t *p, size_t n)
{
	unsigned b = 0;
	uint8_t top;

	if (n == 0)
		return 0;
	for (top = p[0]; top; top >>= 1)
		b++;
	return (unsigned)(n - 1) * 8 + b;
}

/* Compare stripped big-endian integers. */
static int
cmp_be(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* 1 < v < p - 1 for an odd p (so p - 1 is p with its last bit cleared). */
static bool
inside(const uint8_t *v, size_t vlen, const uint8_t *p, size_t plen)
{
	uint8_t last;
	int c;

	if (vlen == 0 || (vlen == 1 && v[0] <= 1))
		return false;
	if (vlen != plen)
		return vlen < plen;
	c = memcmp(v, p, plen - 1);
	if (c != 0)
		return c < 0;
	last = (uint8_t)(p[plen - 1] - 1);
	return v[vlen - 1] < last;
}

static enum pgp_enc_status
read_rsa(struct rd *m, struct pgp_enc_recipient *r)
{
	if (read_mpi(m, &r->a, &r->alen) == -1 ||
	    read_mpi(m, &r->b, &r->blen) == -1)
		return PGP_ENC_BAD_KEY_MATERIAL;
	r->bits = bitlen(r->a, r->alen);
	if (r->bits < PGP_ENC_MIN_RSA_BITS ||
	    r->bits > PGP_ENC_MAX_MODULUS_BITS ||
	    bitlen(r->b, r->blen) > PGP_ENC_MAX_RSA_E_BITS)
		return PGP_ENC_NO_USABLE_KEY;
	if (!(r->a[r->alen - 1] & 1) || r->blen == 0 ||
	    !(r->b[r->blen - 1] & 1) || (r->blen == 1 && r->b[0] < 3) ||
	    cmp_be(r->b, r->blen, r->a, r->alen) >= 0)
		return PGP_ENC_BAD_KEY_MATERIAL;
	return PGP_ENC_OK;
}

static enum pgp_enc_status
read_elgamal(struct rd *m, struct pgp_enc_recipient *r)
{
	if (read_mpi(m, &r->a, &r->alen) == -1 ||
	    read_mpi(m, &r->b, &r->blen) == -1 ||
	    read_mpi(m, &r->c, &r->clen) == -1)
		return PGP_ENC_BAD_KEY_MATERIAL;
	r->bits = bitlen(r->a, r->alen);
	if (r->bits < PGP_ENC_MIN_RSA_BITS ||
	    r->bits > PGP_ENC_MAX_MODULUS_BITS)
		return PGP_ENC_NO_USABLE_KEY;
	if (!(r->a[r->alen - 1] & 1) || !inside(r->b, r->blen, r->a, r->alen) ||
	    !inside(r->c, r->clen, r->a, r->alen))
		return PGP_ENC_BAD_KEY_MATERIAL;
	return PGP_ENC_OK;
}

static const struct ecdh_curve {
	const char *name;	/* pgp_pubkey.curve, from packet.c's table */
	enum pgp_ec_curve curve;
	bool prefixed;		/* Montgomery: 0x40 || native u */
	uint8_t v6_hash, v6_kek;	/* RFC 9580 table 30; 0: not in v6 */
} ecdh_curves[] = {
	{ "nistp256", PGP_EC_P256, false, PGP_HASH_SHA256, PGP_SYM_AES128 },
	{ "nistp384", PGP_EC_P384, false, PGP_HASH_SHA384, PGP_SYM_AES192 },
	{ "nistp521", PGP_EC_P521, false, PGP_HASH_SHA512, PGP_SYM_AES256 },
	{ "brainpoolP256r1", PGP_EC_BP256, false, PGP_HASH_SHA256,
	    PGP_SYM_AES128 },
	{ "brainpoolP384r1", PGP_EC_BP384, false, PGP_HASH_SHA384,
	    PGP_SYM_AES192 },
	{ "brainpoolP512r1", PGP_EC_BP512, false, PGP_HASH_SHA512,
	    PGP_SYM_AES256 },
	/* not in RFC 9580, but GnuPG 2.2 makes it */
	{ "secp256k1", PGP_EC_SECP256K1, false, 0, 0 },
	/* Curve25519Legacy (RFC 9580 9.2): v4 only */
	{ "cv25519", PGP_EC_X25519, true, 0, 0 },
	/* RFC 8410 OIDs, as GnuPG 2.3+ writes X448 ECDH keys (v4) */
	{ "x25519", PGP_EC_X25519, true, 0, 0 },
	{ "x448", PGP_EC_X448, true, 0, 0 },
};

static enum pgp_enc_status
read_ecdh(struct rd *m, const struct pgp_pubkey *pub,
    struct pgp_enc_recipient *r)
{
	const struct ecdh_curve *ec = NULL;
	struct rd kdf;
	uint8_t oidlen, kdflen, reserved;
	const uint8_t *pt;
	size_t i, ptlen, size;

	if (rd_u8(m, &oidlen) == -1 || oidlen == 0 || oidlen == 0xff ||
	    rd_bytes(m, oidlen, &r->oid) == -1 || read_mpi(m, &pt, &ptlen) == -1 ||
	    rd_u8(m, &kdflen) == -1 || kdflen == 0 || kdflen == 0xff ||
	    rd_sub(m, kdflen, &kdf) == -1)
		return PGP_ENC_BAD_KEY_MATERIAL;
	r->oidlen = oidlen;
	for (i = 0; pub->curve != NULL &&
	    i < sizeof(ecdh_curves) / sizeof(ecdh_curves[0]); i++)
		if (strcmp(ecdh_curves[i].name, pub->curve) == 0)
			ec = &ecdh_curves[i];
	if (ec == NULL || (r->version == 6 && ec->v6_hash == 0))
		return PGP_ENC_NO_USABLE_KEY;	/* unknown, or not in v6 */
	/* KDF parameters: exactly 01, hash, cipher (others are reserved) */
	if (kdflen != 3 || rd_u8(&kdf, &reserved) == -1 || reserved != 1 ||
	    rd_u8(&kdf, &r->kdf_hash) == -1 || rd_u8(&kdf, &r->kek) == -1)
		return PGP_ENC_NO_USABLE_KEY;
	if ((r->kdf_hash != PGP_HASH_SHA256 && r->kdf_hash != PGP_HASH_SHA384 &&
	    r->kdf_hash != PGP_HASH_SHA512) ||
	    pgp_crypto_cipher_keylen(r->kek) == 0)
		return PGP_ENC_NO_USABLE_KEY;
	if (r->version == 6 &&
	    (r->kdf_hash != ec->v6_hash || r->kek != ec->v6_kek))
		return PGP_ENC_NO_USABLE_KEY;	/* RFC 9580 11.5.1: MUST NOT */
	r->curve = ec->curve;
	r->prefixed = ec->prefixed;
	size = pgp_crypto_ec_size(ec->curve);
	r->bits = (unsigned)size * 8;
	if (ec->prefixed) {
		if (ptlen != size + 1 || pt[0] != 0x40)
			return PGP_ENC_BAD_KEY_MATERIAL;
		pt++;
		ptlen--;
	}
	r->a = pt;
	r->alen = ptlen;
	if (pgp_crypto_ec_check(ec->curve, pt, ptlen) != PGP_CRYPTO_OK)
		return PGP_ENC_BAD_KEY_MATERIAL;
	return PGP_ENC_OK;
}

static enum pgp_enc_status
read_native(struct rd *m, enum pgp_ec_curve curve,
    struct pgp_enc_recipient *r)
{
	size_t size = pgp_crypto_ec_size(curve);

	r->curve = curve;
	r->alen = size;
	r->bits = curve == PGP_EC_X25519 ? 255 : 448;
	if (rd_bytes(m, size, &r->a) == -1)
		return PGP_ENC_BAD_KEY_MATERIAL;
	if (pgp_crypto_ec_check(curve, r->a, size) != PGP_CRYPTO_OK)
		return PGP_ENC_BAD_KEY_MATERIAL;
	return PGP_ENC_OK;
}

enum pgp_enc_status
pgp_enc_recipient_read(const struct pgp_pubkey *pub, const uint8_t *body,
    size_t len, struct pgp_enc_recipient *r)
{
	struct rd m;

	memset(r, 0, sizeof(*r));
	if (pub->version != 4 && pub->version != 6)
		return PGP_ENC_NO_USABLE_KEY;
	if (pub->material_off > len || pub->fprlen != (pub->version == 4 ?
	    20u : 32u))
		return PGP_ENC_BAD_KEY_MATERIAL;
	r->version = pub->version;
	r->algo = pub->algo;
	r->created = pub->created;
	memcpy(r->fpr, pub->fpr, pub->fprlen);
	r->fprlen = pub->fprlen;
	memcpy(r->keyid, pub->keyid, 8);
	rd_init(&m, body + pub->material_off, len - pub->material_off);
	switch (pub->algo) {
	case PGP_PK_RSA: case PGP_PK_RSA_E:
		return read_rsa(&m, r);
	case PGP_PK_ELGAMAL_E:
		/* RFC 9580 5.1.4: no ElGamal in v6 PKESKs */
		if (pub->version != 4)
			return PGP_ENC_NO_USABLE_KEY;
		return read_elgamal(&m, r);
	case PGP_PK_ECDH:
		return read_ecdh(&m, pub, r);
	case PGP_PK_X25519:
		return read_native(&m, PGP_EC_X25519, r);
	case PGP_PK_X448:
		return read_native(&m, PGP_EC_X448, r);
	default:
		/* signing-only algorithms, ElGamal sign+encrypt (20, which
		 * RFC 9580 forbids making), anything unknown */
		return PGP_ENC_NO_USABLE_KEY;
	}
}

/* ---- what the self-signatures say ------------------------------------------ */

struct sigprefs {
	bool has_flags, has_sym, has_aead;
	uint8_t flags;
	bool aes256;
	uint8_t aead[32];
	size_t naead;		/* pairs */
};

static void
scan_prefs(const struct pgp_sig *s, struct sigprefs *sp)
{
	struct rd r, sub;
	uint8_t type;
	size_t i;

	memset(sp, 0, sizeof(*sp));
	if (pgp_sig_hashed(s, &r) == -1)
		return;
	while (pgp_subpacket_next(&r, &type, &sub) == 0) {
		type &= 0x7f;
		if (type == SUB_KEY_FLAGS && !sp->has_flags) {
			sp->has_flags = true;
			sp->flags = sub.left > 0 ? sub.p[0] : 0;
		} else if (type == SUB_PREF_SYM && !sp->has_sym) {
			sp->has_sym = true;
			for (i = 0; i < sub.left; i++)
				if (sub.p[i] == PGP_SYM_AES256)
					sp->aes256 = true;
		} else if (type == SUB_PREF_AEAD && !sp->has_aead) {
			sp->has_aead = true;
			for (i = 0; i + 1 < sub.left &&
			    sp->naead < sizeof(sp->aead) / 2; i += 2) {
				sp->aead[2 * sp->naead] = sub.p[i];
				sp->aead[2 * sp->naead + 1] = sub.p[i + 1];
				sp->naead++;
			}
		}
	}
}

/* A signature checked GOOD and issued by the primary key itself
 * (pgp_key_check_certs may have marked third-party ones GOOD too). */
static bool
good_self(const struct pgp_key *key, const struct pgp_sig *s)
{
	if (s->state != PGP_SIG_GOOD)
		return false;
	if (s->issuer_fpr_len != 0)
		return s->issuer_fpr_len == key->pub.fprlen &&
		    memcmp(s->issuer_fpr, key->pub.fpr, key->pub.fprlen) == 0;
	if (s->has_issuer)
		return memcmp(s->issuer, key->pub.keyid, 8) == 0;
	return true;	/* no issuer: check.c tried it with the primary */
}

static bool
sig_expired(const struct pgp_sig *s, time_t now)
{
	return s->sig_expires != 0 &&
	    (uint64_t)s->created + s->sig_expires <= (uint64_t)now;
}

/* The newest GOOD self-signature of a type in lo..hi: it supersedes the
 * older ones, so when it has expired (signature expiration time) the
 * component counts as expired and NULL is returned. */
static const struct pgp_sig *
newest(const struct pgp_key *key, const struct pgp_sig *sigs, size_t n,
    uint8_t lo, uint8_t hi, time_t now)
{
	const struct pgp_sig *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pgp_sig *s = &sigs[i];

		if (s->type < lo || s->type > hi || !good_self(key, s))
			continue;
		if (best == NULL || s->created > best->created)
			best = s;
	}
	return best != NULL && sig_expired(best, now) ? NULL : best;
}

/*
 * What the key as a whole says: the newest direct-key self-signature,
 * then the primary user ID's newest self-certification (RFC 9580
 * 5.2.3.10: preferences of v6 keys live in the former, of v4 keys mostly
 * in the latter). Each item is taken from the first that carries it.
 * Returns false when neither exists (the primary key is then no
 * recipient).
 */
static bool
key_prefs(const struct pgp_key *key, time_t now, struct sigprefs *kp)
{
	const struct pgp_sig *d, *u = NULL;
	struct sigprefs a, b;

	memset(kp, 0, sizeof(*kp));
	d = newest(key, key->sigs, key->nsigs, PGP_SIG_DIRECT, PGP_SIG_DIRECT,
	    now);
	if (key->primary_uid >= 0 && (size_t)key->primary_uid < key->nuids) {
		const struct pgp_component *c = &key->uids[key->primary_uid];

		u = newest(key, c->sigs, c->nsigs, PGP_SIG_CERT_GENERIC,
		    PGP_SIG_CERT_POSITIVE, now);
	}
	if (d == NULL && u == NULL)
		return false;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (d != NULL)
		scan_prefs(d, &a);
	if (u != NULL)
		scan_prefs(u, &b);
	*kp = a;
	if (!a.has_flags) {
		kp->has_flags = b.has_flags;
		kp->flags = b.flags;
	}
	if (!a.has_sym) {
		kp->has_sym = b.has_sym;
		kp->aes256 = b.aes256;
	}
	if (!a.has_aead) {
		kp->has_aead = b.has_aead;
		memcpy(kp->aead, b.aead, sizeof(kp->aead));
		kp->naead = b.naead;
	}
	return true;
}

/* Encryption-capable: by key flags, or, without any, by algorithm. */
static bool
can_encrypt(const struct sigprefs *p, uint8_t algo)
{
	if (p->has_flags)
		return (p->flags & FLAGS_ENCRYPT) != 0;
	switch (algo) {
	case PGP_PK_RSA: case PGP_PK_RSA_E: case PGP_PK_ELGAMAL_E:
	case PGP_PK_ECDH: case PGP_PK_X25519: case PGP_PK_X448:
		return true;
	default:
		return false;
	}
}

/* Preferences of a component: its own signature's, else the key's. */
static void
set_prefs(struct pgp_enc_recipient *r, const struct sigprefs *own,
    const struct sigprefs *kp)
{
	const struct sigprefs *s = own && own->has_sym ? own : kp;
	const struct sigprefs *a = own && own->has_aead ? own : kp;

	r->prefers_aes256 = s->has_sym && s->aes256;
	r->naead_prefs = a->has_aead ? a->naead : 0;
	memcpy(r->aead_prefs, a->aead, 2 * r->naead_prefs);
}

struct cand {
	const struct pgp_pubkey *pub;
	const struct pgp_packet *pkt;
	struct sigprefs own;
	bool has_own;
};

/* Newest first; equal times by fingerprint, so the order is fixed. */
static bool
before(const struct cand *x, const struct cand *y)
{
	if (x->pub->created != y->pub->created)
		return x->pub->created > y->pub->created;
	return memcmp(x->pub->fpr, y->pub->fpr, x->pub->fprlen) < 0;
}

/* Candidates kept, newest first (a key may have many subkeys). */
#define MAX_CANDIDATES	64

enum pgp_enc_status
pgp_enc_select(const struct pgp_key *key, time_t now,
    struct pgp_enc_recipient *r, size_t *n, unsigned *nbad)
{
	struct cand cands[MAX_CANDIDATES], c;
	struct sigprefs kp;
	size_t ncand = 0, i, j;

	*n = 0;
	*nbad = 0;
	if (key->revoked || (key->expires != 0 &&
	    (uint64_t)key->expires <= (uint64_t)now))
		return PGP_ENC_NO_USABLE_KEY;
	if (!key_prefs(key, now, &kp))
		return PGP_ENC_NO_USABLE_KEY;	/* nothing vouches for it */

	/* The primary key itself, when it may encrypt; the subkeys are
	 * then inserted in order (insertion sort). */
	if (can_encrypt(&kp, key->pub.algo)) {
		memset(&c, 0, sizeof(c));
		c.pub = &key->pub;
		c.pkt = &key->pkt;
		cands[ncand++] = c;
	}
	for (i = 0; i < key->nsubkeys; i++) {
		const struct pgp_component *sk = &key->subkeys[i];
		const struct pgp_sig *b;

		if (!sk->valid || sk->revoked ||
		    sk->sub.version != key->pub.version)
			continue;
		b = newest(key, sk->sigs, sk->nsigs, PGP_SIG_SUBKEY_BINDING,
		    PGP_SIG_SUBKEY_BINDING, now);
		if (b == NULL)
			continue;
		if (b->key_expires != 0 && (uint64_t)sk->sub.created +
		    b->key_expires <= (uint64_t)now)
			continue;
		memset(&c, 0, sizeof(c));
		scan_prefs(b, &c.own);
		c.has_own = true;
		if (!can_encrypt(&c.own, sk->sub.algo))
			continue;
		c.pub = &sk->sub;
		c.pkt = &sk->pkt;
		/* insertion sort; past the capacity the oldest falls off */
		for (j = ncand; j > 0 && before(&c, &cands[j - 1]); j--)
			if (j < MAX_CANDIDATES)
				cands[j] = cands[j - 1];
		if (j < MAX_CANDIDATES) {
			cands[j] = c;
			if (ncand < MAX_CANDIDATES)
				ncand++;
		}
	}
	for (i = 0; i < ncand && *n < PGP_ENC_MAX_RECIPIENTS; i++) {
		enum pgp_enc_status st = pgp_enc_recipient_read(cands[i].pub,
		    cands[i].pkt->body, cands[i].pkt->len, &r[*n]);

		if (st == PGP_ENC_BAD_KEY_MATERIAL)
			(*nbad)++;
		if (st != PGP_ENC_OK)
			continue;
		set_prefs(&r[*n], cands[i].has_own ? &cands[i].own : NULL,
		    &kp);
		(*n)++;
	}
	if (*n > 0)
		return PGP_ENC_OK;
	return *nbad > 0 ? PGP_ENC_BAD_KEY_MATERIAL : PGP_ENC_NO_USABLE_KEY;
}

/* A v4/v6 expiry: created + offset, 0 (never) when offset is 0. */
static uint32_t
expiry_of(uint32_t created, uint32_t offset)
{
	if (offset == 0)
		return 0;
	return (uint64_t)created + offset > UINT32_MAX ? UINT32_MAX :
	    created + offset;
}

size_t
pgp_enc_expiry(const struct pgp_key *key, time_t now, uint32_t *latest)
{
	struct sigprefs kp, own;
	size_t i, n = 0;
	bool never = false;

	*latest = 0;
	if (key->revoked || !key_prefs(key, now, &kp))
		return 0;
	if (can_encrypt(&kp, key->pub.algo)) {
		n++;
		never = key->expires == 0;
		*latest = key->expires;
	}
	for (i = 0; i < key->nsubkeys; i++) {
		const struct pgp_component *sk = &key->subkeys[i];
		const struct pgp_sig *b;
		uint32_t e;

		if (!sk->valid || sk->revoked)
			continue;
		b = newest(key, sk->sigs, sk->nsigs, PGP_SIG_SUBKEY_BINDING,
		    PGP_SIG_SUBKEY_BINDING, now);
		if (b == NULL)
			continue;
		memset(&own, 0, sizeof(own));
		scan_prefs(b, &own);
		if (!can_encrypt(&own, sk->sub.algo))
			continue;
		e = expiry_of(sk->sub.created, b->key_expires);
		if (e != 0 && (uint64_t)e <= (uint64_t)now)
			continue;	/* expired already: not usable */
		n++;
		never = never || e == 0;
		if (e > *latest)
			*latest = e;
	}
	if (never)
		*latest = 0;
	return n;
}
