/*
 * cmd/index_mr.c - the machine-readable key listing of HKP (server.md
 * 5.3, draft-shaw-openpgp-hkp 5.2, GnuPG doc/KEYSERVER), formatted from
 * what cmd_find_keys found:
 *
 *   info:1:N
 *   pub:FINGERPRINT:ALGO:BITS:CREATED:EXPIRES:FLAGS
 *   uid:ESCAPED-USER-ID:CREATED:EXPIRES:FLAGS
 *
 * The stored keys are our own canonical blobs whose self-signatures were
 * verified when they were merged; pgp_key_check runs again here only to
 * get the summary (revocation, expiry, which binding counts), as INDEX
 * does. Nothing here touches the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

/* Octets outside 0x20-0x7e, ':' and '%' as %XX (upper-case hex). */
static void
put_escaped(struct buf *b, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == ':' || s[i] == '%')
			buf_printf(b, "%%%02X", s[i]);
		else
			buf_putc(b, s[i]);
	}
}

static bool
is_binding(const struct pgp_key *k, const struct pgp_sig *s)
{
	return s->type >= PGP_SIG_CERT_GENERIC && s->type <= PGP_SIG_CERT_POSITIVE &&
	    s->state == PGP_SIG_GOOD && s->has_issuer &&
	    memcmp(s->issuer, k->pub.keyid, 8) == 0;
}

static void
render_uid(const struct pgp_key *k, const struct pgp_component *u, time_t now,
    struct buf *b)
{
	const struct pgp_sig *newest = NULL;
	uint64_t expires = 0;
	size_t i;

	for (i = 0; i < u->nsigs; i++)
		if (is_binding(k, &u->sigs[i]) &&
		    (newest == NULL || u->sigs[i].created > newest->created))
			newest = &u->sigs[i];
	buf_puts(b, "uid:");
	put_escaped(b, u->pkt.body, u->pkt.len);
	buf_putc(b, ':');
	if (newest) {
		buf_printf(b, "%lu", (unsigned long)newest->created);
		if (newest->sig_expires)
			expires = (uint64_t)newest->created + newest->sig_expires;
	}
	buf_putc(b, ':');
	if (expires)
		buf_printf(b, "%llu", (unsigned long long)expires);
	buf_putc(b, ':');
	if (u->revoked)
		buf_putc(b, 'r');
	if (expires && (time_t)expires <= now)
		buf_putc(b, 'e');
	buf_putc(b, '\n');
}

static void
render_key(const struct pgp_key *k, time_t now, struct buf *b)
{
	char hex[65];
	size_t i;

	pgp_hex(k->pub.fpr, k->pub.fprlen, hex);
	buf_printf(b, "pub:%s:%u:%u:%lu:", hex, k->pub.algo, k->pub.bits,
	    (unsigned long)k->pub.created);
	if (k->expires)
		buf_printf(b, "%lu", (unsigned long)k->expires);
	buf_putc(b, ':');
	if (k->revoked)
		buf_putc(b, 'r');
	if (k->expires && (time_t)k->expires <= now)
		buf_putc(b, 'e');
	buf_putc(b, '\n');
	for (i = 0; i < k->nuids; i++)
		if (k->uids[i].pkt.tag == PGP_TAG_UID)	/* no lines for photo IDs */
			render_uid(k, &k->uids[i], now, b);
}

void
cmd_render_index_mr(struct cmd_ctx *ctx, const struct store_keys *ks, struct buf *out)
{
	struct buf keys;
	size_t i, n = 0;

	buf_init(&keys, 0);
	for (i = 0; i < ks->n; i++) {
		enum pgp_status st;
		struct pgp_key *k = pgp_key_parse_one(ks->v[i].data, ks->v[i].len,
		    &ctx->lim, &st);

		if (k == NULL)
			continue;	/* cannot happen for our own blobs; skip */
		(void)pgp_key_check(k, ctx->now, NULL, 0);
		render_key(k, ctx->now, &keys);
		n++;
		pgp_key_free(k);
	}
	buf_printf(out, "info:1:%zu\n", n);
	buf_append(out, keys.data, keys.len);
	buf_free(&keys);
}
