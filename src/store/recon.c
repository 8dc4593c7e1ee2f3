/*
 * store/recon.c - the state of reconciliation (sql/040-recon.sql,
 * reconciliation.md 5.2, 10, 11): the digest scan, sessions, per-peer
 * rows, the keys a session sends, the futility memo, the per-peer lock.
 *
 * DESCRIPTION
 *	Every time here is a parameter (the process clock, spec 4.3); no
 *	statement reads now(). Functions do not open transactions of their
 *	own: a caller that groups writes wraps them in store_begin /
 *	store_commit, others run in autocommit. The digest scan is one
 *	statement (COPY ... TO STDOUT, binary), so it reads one consistent
 *	state of the store with memory flat in the number of keys.
 *
 * SECURITY
 *	Values only as parameters; session numbers travel as one int8[]
 *	array (PARAMS_MAX bounds the parameter count). Rows read back are
 *	ours, but lengths are still checked before copying.
 *
 * MEMORY
 *	struct store_recon_session owns its buffers
 *	(store_recon_session_free); *out arrays are malloc'd for the caller.
 */
#include <string.h>

#include "store/pg_internal.h"
#include "store/store.h"
#include "util/xalloc.h"

void
store_recon_session_init(struct store_recon_session *ss)
{
	memset(ss, 0, sizeof(*ss));
	buf_init(&ss->cells, 0);
	buf_init(&ss->out_record, 0);
	buf_init(&ss->out_mail, 0);
}

void
store_recon_session_free(struct store_recon_session *ss)
{
	buf_free(&ss->cells);
	buf_free(&ss->out_record);
	buf_free(&ss->out_mail);
}

/* ---- the lock (transactions: store_begin etc. in pending.c) ---------- */

#define STR_(x)		#x
#define STR(x)		STR_(x)
#define LOCK_CLASS	STR(STORE_RECON_LOCK_CLASS)

/* FNV-1a of the address, as a signed 32-bit lock key. */
static int32_t
peer_lockkey(const char *peer)
{
	uint32_t h = 2166136261u;

	for (; *peer; peer++) {
		h ^= (uint8_t)*peer;
		h *= 16777619u;
	}
	return (int32_t)h;
}

static enum store_status
peer_lock(struct store *s, const char *peer, const char *sql)
{
	struct params p;
	char key[16];

	snprintf(key, sizeof(key), "%d", (int)peer_lockkey(peer));
	p_init(&p);
	p_add(&p, OID_INT4, key, 0, 0);
	return q(s, "recon: peer lock", sql, &p, 0, NULL);
}

enum store_status
store_recon_lock(struct store *s, const char *peer)
{
	return peer_lock(s, peer, "SELECT pg_advisory_lock("
	    LOCK_CLASS ", $1)");
}

enum store_status
store_recon_unlock(struct store *s, const char *peer)
{
	return peer_lock(s, peer, "SELECT pg_advisory_unlock("
	    LOCK_CLASS ", $1)");
}

/* ---- the digest scan ------------------------------------------------ */

/*
 * The set this server reconciles (reconciliation.md 5.1): every key's
 * public copy under the policy the store's view names (owner-control.md
 * 2, store_set_view). open: every key as stored (keys.data, keys.digest)
 * but those whose owner HIDs them; trusted: the published copies
 * (published.data, published.digest) of visible keys; verified: the
 * published copies that carry a user ID (primary_uid set), the ones peer
 * sync sends (owner-control.md 11). Columns: row id, fingerprint, digest, data. Keys
 * without a public copy, and the revocation-only copies that outgoing
 * sync sends for hidden or unclaimed revoked keys, are not elements:
 * reconciliation never sends them.
 */
static const char *
recon_set(const struct store *s)
{
	switch (s->view) {
	case STORE_POLICY_OPEN:
		return "SELECT k.id, k.fingerprint, k.digest, k.data FROM keys k"
		    " WHERE NOT EXISTS (SELECT 1 FROM owner o WHERE o.key_id ="
		    " k.id AND o.state = 'hidden')";
	case STORE_POLICY_TRUSTED:
		return "SELECT k.id, k.fingerprint, pb.digest, pb.data FROM keys k"
		    " JOIN owner o ON o.key_id = k.id AND o.state = 'visible'"
		    " JOIN published pb ON pb.key_id = k.id";
	case STORE_POLICY_VERIFIED:
		return "SELECT k.id, k.fingerprint, pb.digest, pb.data FROM keys k"
		    " JOIN published pb ON pb.key_id = k.id"
		    " WHERE pb.primary_uid IS NOT NULL";
	default:
		return "SELECT k.id, k.fingerprint, k.digest, k.data FROM keys k"
		    " WHERE false";
	}
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/*
 * One tuple of COPY's binary format: a 2-octet field count (-1 ends the
 * data), then per field a 4-octet length and the value. Ours: the row id
 * (int8) and the digest (32 octets). 1: a row; 0: the end; -1: not what
 * we asked for.
 */
static int
copy_tuple(const uint8_t *p, size_t n, int64_t *row, const uint8_t **digest)
{
	if (n >= 2 && p[0] == 0xff && p[1] == 0xff)
		return 0;
	if (n != 2 + 4 + 8 + 4 + 32 || p[0] != 0 || p[1] != 2 ||
	    be32(p + 2) != 8 || be32(p + 14) != 32)
		return -1;
	*row = (int64_t)be64(p + 6);
	*digest = p + 18;
	return 1;
}

enum store_status
store_recon_scan(struct store *s, store_digest_cb cb, void *arg)
{
	static const uint8_t sig[11] = "PGCOPY\n\377\r\n";
	PGresult *res;
	enum store_status st = STORE_OK;
	const uint8_t *digest, *p;
	char *buf = NULL, *sql;
	int64_t row;
	size_t off, skip;
	int n, t, stop = 0, first = 1;

	if (s->conn == NULL)
		return q(s, "recon: scan", "SELECT 1", NULL, 0, NULL);
	sql = xasprintf("COPY (SELECT e.id, e.digest FROM (%s) AS e(id,"
	    " fingerprint, digest, data)) TO STDOUT (FORMAT binary)",
	    recon_set(s));
	res = PQexec(s->conn, sql);
	free(sql);
	if (res == NULL || PQresultStatus(res) != PGRES_COPY_OUT) {
		st = pg_classify(s, res, "recon: scan");
		PQclear(res);
		return st;
	}
	PQclear(res);
	while ((n = PQgetCopyData(s->conn, &buf, 0)) > 0) {
		p = (const uint8_t *)buf;
		off = 0;
		if (first) {
			/* Signature, flags, header extension. */
			if (n < 19 || memcmp(p, sig, 11) != 0 ||
			    (skip = be32(p + 15)) > (size_t)n - 19) {
				pg_set_err(s, xstrdup("recon: scan: not a binary COPY"));
				st = STORE_ERROR;
			} else
				off = 19 + skip;
			first = 0;
		}
		if (st == STORE_OK && !stop && (size_t)n > off) {
			t = copy_tuple(p + off, (size_t)n - off, &row, &digest);
			if (t == -1) {
				pg_set_err(s, xstrdup("recon: scan: unexpected row"));
				st = STORE_ERROR;
			} else if (t == 1)
				stop = cb(arg, row, digest);
		}
		PQfreemem(buf);
		buf = NULL;
	}
	if (n == -2 && st == STORE_OK)
		st = pg_classify(s, NULL, "recon: scan");
	while ((res = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && st == STORE_OK)
			st = pg_classify(s, res, "recon: scan");
		PQclear(res);
	}
	return st;
}

/* ---- keys by row id and fingerprint ----------------------------------- */

static void
fpr_set(struct store_fpr *f, const PGresult *r, int row, int col)
{
	size_t n = (size_t)PQgetlength(r, row, col);

	if (n > sizeof(f->fpr))
		n = 0;
	memcpy(f->fpr, PQgetvalue(r, row, col), n);
	f->len = n;
}

enum store_status
store_recon_fprs(struct store *s, const int64_t *rows, size_t n,
    struct store_fpr *out)
{
	struct params p;
	struct barr a;
	PGresult *res;
	enum store_status st;
	size_t i;
	int r;
	int64_t at;

	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return STORE_OK;
	barr_init(&a, OID_INT8);
	for (i = 0; i < n; i++)
		barr_int8(&a, rows[i]);
	p_init(&p);
	p_barr(&p, OID_INT8_ARRAY, &a);
	st = q(s, "recon: fingerprints", "SELECT u.i, k.fingerprint FROM"
	    " unnest($1::int8[]) WITH ORDINALITY AS u(id, i)"
	    " JOIN keys k ON k.id = u.id", &p, 1, &res);
	barr_free(&a);
	if (st != STORE_OK)
		return st;
	for (r = 0; r < PQntuples(res); r++) {
		at = pg_get_int8(res, r, 0) - 1;
		if (at >= 0 && (size_t)at < n)
			fpr_set(&out[at], res, r, 1);
	}
	PQclear(res);
	return STORE_OK;
}

static void
fpr_array(struct barr *a, const struct store_fpr *fprs, size_t n)
{
	size_t i;

	barr_init(a, OID_BYTEA);
	for (i = 0; i < n; i++)
		barr_add(a, fprs[i].fpr, fprs[i].len);
}

enum store_status
store_recon_keyinfo(struct store *s, const struct store_fpr *fprs, size_t n,
    bool with_data, store_keyinfo_cb cb, void *arg)
{
	struct params p;
	struct barr a;
	PGresult *res;
	enum store_status st;
	struct store_fpr f;
	char *sql;
	int r, stop = 0;

	if (n == 0)
		return STORE_OK;
	fpr_array(&a, fprs, n);
	p_init(&p);
	p_barr(&p, OID_BYTEA_ARRAY, &a);
	/* Only elements of the set, as the set holds them: what leaves is
	 * the public copy that outgoing sync would send (owner-control.md
	 * 11), and a key hidden or unpublished since is not sent. */
	sql = xasprintf(with_data ?
	    "SELECT e.fingerprint, e.digest, e.data FROM (%s) AS e(id,"
	    " fingerprint, digest, data) WHERE e.fingerprint = ANY($1::bytea[])" :
	    "SELECT e.fingerprint, e.digest, octet_length(e.data)::int8 FROM"
	    " (%s) AS e(id, fingerprint, digest, data)"
	    " WHERE e.fingerprint = ANY($1::bytea[])", recon_set(s));
	st = q(s, "recon: keys", sql, &p, 1, &res);
	free(sql);
	barr_free(&a);
	if (st != STORE_OK)
		return st;
	for (r = 0; r < PQntuples(res) && !stop; r++) {
		if (PQgetlength(res, r, 1) != 32)
			continue;
		fpr_set(&f, res, r, 0);
		if (with_data)
			stop = cb(arg, &f, (const uint8_t *)PQgetvalue(res, r, 1),
			    (const uint8_t *)PQgetvalue(res, r, 2),
			    (size_t)PQgetlength(res, r, 2));
		else
			stop = cb(arg, &f, (const uint8_t *)PQgetvalue(res, r, 1),
			    NULL, (size_t)pg_get_int8(res, r, 2));
	}
	PQclear(res);
	return STORE_OK;
}

/* ---- sessions ------------------------------------------------------- */

/* The numeric columns, in the order of the int8[] parameter of put and
 * of the first columns of a get. */
#define SESSION_NUMS \
	"role::int8, state::int8, status::int8, reason::int8, seq_in::int8," \
	" seq_out::int8, created, COALESCE(ended, 0), n_self, n_peer," \
	" max_cells::int8, held::int8, asked::int8, mores::int8, d_est," \
	" out_type::int8, out_pending::int::int8, out_sent, resends::int8," \
	" mails::int8, bytes, d, ours, theirs, cells_ok, keys_sent, skipped," \
	" unknown"
#define SESSION_NNUMS	28
#define SESSION_COLS	SESSION_NUMS ", sid, salt, out_record, out_mail"

static void
session_nums(const struct store_recon_session *ss, int64_t *v)
{
	int64_t in[SESSION_NNUMS] = {
		ss->role, ss->state, ss->status, ss->reason, ss->seq_in,
		ss->seq_out, ss->created, ss->ended, ss->n_self, ss->n_peer,
		ss->max_cells, ss->held, ss->asked, ss->mores, ss->d_est,
		ss->out_type, ss->out_pending, ss->out_sent, ss->resends,
		ss->mails, (int64_t)ss->bytes, ss->d, ss->ours, ss->theirs,
		ss->cells_ok, ss->keys_sent, ss->skipped, ss->unknown,
	};

	memcpy(v, in, sizeof(in));
}

static void
bytea_into(struct buf *b, const PGresult *r, int row, int col)
{
	buf_reset(b);
	if (!PQgetisnull(r, row, col))
		(void)buf_append(b, PQgetvalue(r, row, col),
		    (size_t)PQgetlength(r, row, col));
}

static void
session_read(struct store_recon_session *ss, const char *peer,
    const PGresult *r, bool cells)
{
	int64_t v[SESSION_NNUMS];
	int i;

	for (i = 0; i < SESSION_NNUMS; i++)
		v[i] = pg_get_int8(r, 0, i);
	snprintf(ss->peer, sizeof(ss->peer), "%s", peer);
	ss->role = (int)v[0];
	ss->state = (int)v[1];
	ss->status = (int)v[2];
	ss->reason = (int)v[3];
	ss->seq_in = (uint32_t)v[4];
	ss->seq_out = (uint32_t)v[5];
	ss->created = v[6];
	ss->ended = v[7];
	ss->n_self = (uint32_t)v[8];
	ss->n_peer = (uint32_t)v[9];
	ss->max_cells = (uint32_t)v[10];
	ss->held = (uint32_t)v[11];
	ss->asked = (uint32_t)v[12];
	ss->mores = (uint32_t)v[13];
	ss->d_est = (uint32_t)v[14];
	ss->out_type = (uint8_t)v[15];
	ss->out_pending = v[16] != 0;
	ss->out_sent = v[17];
	ss->resends = (uint32_t)v[18];
	ss->mails = (uint32_t)v[19];
	ss->bytes = (uint64_t)v[20];
	ss->d = (uint32_t)v[21];
	ss->ours = (uint32_t)v[22];
	ss->theirs = (uint32_t)v[23];
	ss->cells_ok = (uint32_t)v[24];
	ss->keys_sent = (uint32_t)v[25];
	ss->skipped = (uint32_t)v[26];
	ss->unknown = (uint32_t)v[27];
	ss->sid = (uint64_t)pg_get_int8(r, 0, SESSION_NNUMS);
	if (PQgetlength(r, 0, SESSION_NNUMS + 1) == 16)
		memcpy(ss->salt, PQgetvalue(r, 0, SESSION_NNUMS + 1), 16);
	bytea_into(&ss->out_record, r, 0, SESSION_NNUMS + 2);
	bytea_into(&ss->out_mail, r, 0, SESSION_NNUMS + 3);
	if (cells)
		bytea_into(&ss->cells, r, 0, SESSION_NNUMS + 4);
}

static enum store_status
session_query(struct store *s, const char *peer, const char *where,
    const uint64_t *sid, bool cells, struct store_recon_session *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	char *sql;

	p_init(&p);
	p_text(&p, peer);
	if (sid != NULL)
		p_int8(&p, (int64_t)*sid);
	sql = xasprintf("SELECT " SESSION_COLS "%s FROM recon_sessions"
	    " WHERE peer = $1 AND %s", cells ? ", cells" : "", where);
	st = q(s, "recon: session", sql, &p, 1, &res);
	free(sql);
	if (st != STORE_OK)
		return st;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOTFOUND;
	}
	session_read(out, peer, res, cells);
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_recon_get(struct store *s, const char *peer, uint64_t sid, bool cells,
    struct store_recon_session *out)
{
	return session_query(s, peer, "sid = $2", &sid, cells, out);
}

enum store_status
store_recon_live(struct store *s, const char *peer, bool cells,
    struct store_recon_session *out)
{
	return session_query(s, peer, "status = 0", NULL, cells, out);
}

enum store_status
store_recon_put(struct store *s, const struct store_recon_session *ss,
    bool cells)
{
	int64_t v[SESSION_NNUMS];
	struct params p;
	struct barr a;
	enum store_status st;
	int i;

	session_nums(ss, v);
	barr_init(&a, OID_INT8);
	for (i = 0; i < SESSION_NNUMS; i++)
		barr_int8(&a, v[i]);
	p_init(&p);
	p_text(&p, ss->peer);
	p_int8(&p, (int64_t)ss->sid);
	p_barr(&p, OID_INT8_ARRAY, &a);
	p_bytea(&p, ss->salt, 16);
	if (ss->out_record.len > 0)
		p_bytea(&p, ss->out_record.data, ss->out_record.len);
	else
		p_add(&p, OID_BYTEA, NULL, 0, 1);
	if (ss->out_mail.len > 0)
		p_bytea(&p, ss->out_mail.data, ss->out_mail.len);
	else
		p_add(&p, OID_BYTEA, NULL, 0, 1);
	if (ss->cells.len > 0)
		p_bytea(&p, ss->cells.data, ss->cells.len);
	else
		p_add(&p, OID_BYTEA, NULL, 0, 1);
	p_bool(&p, cells);
	st = q(s, "recon: save session", "INSERT INTO recon_sessions AS r"
	    " (peer, sid, role, state, status, reason, seq_in, seq_out, created,"
	    " ended, n_self, n_peer, max_cells, held, asked, mores, d_est,"
	    " out_type, out_pending, out_sent, resends, mails, bytes, d, ours,"
	    " theirs, cells_ok, keys_sent, skipped, unknown, salt, out_record,"
	    " out_mail, cells)"
	    " SELECT $1, $2, a[1], a[2], a[3], a[4], a[5], a[6], a[7],"
	    " NULLIF(a[8], 0), a[9], a[10], a[11], a[12], a[13], a[14], a[15],"
	    " a[16], a[17] <> 0, a[18], a[19], a[20], a[21], a[22], a[23],"
	    " a[24], a[25], a[26], a[27], a[28], $4, $5, $6, $7"
	    " FROM (SELECT $3::int8[] AS a) AS t"
	    " ON CONFLICT (peer, sid) DO UPDATE SET role = EXCLUDED.role,"
	    " state = EXCLUDED.state, status = EXCLUDED.status,"
	    " reason = EXCLUDED.reason, seq_in = EXCLUDED.seq_in,"
	    " seq_out = EXCLUDED.seq_out, created = EXCLUDED.created,"
	    " ended = EXCLUDED.ended, n_self = EXCLUDED.n_self,"
	    " n_peer = EXCLUDED.n_peer, max_cells = EXCLUDED.max_cells,"
	    " held = EXCLUDED.held, asked = EXCLUDED.asked,"
	    " mores = EXCLUDED.mores, d_est = EXCLUDED.d_est,"
	    " out_type = EXCLUDED.out_type, out_pending = EXCLUDED.out_pending,"
	    " out_sent = EXCLUDED.out_sent, resends = EXCLUDED.resends,"
	    " mails = EXCLUDED.mails, bytes = EXCLUDED.bytes, d = EXCLUDED.d,"
	    " ours = EXCLUDED.ours, theirs = EXCLUDED.theirs,"
	    " cells_ok = EXCLUDED.cells_ok, keys_sent = EXCLUDED.keys_sent,"
	    " skipped = EXCLUDED.skipped, unknown = EXCLUDED.unknown,"
	    " out_record = EXCLUDED.out_record, out_mail = EXCLUDED.out_mail,"
	    " cells = CASE WHEN $8 THEN EXCLUDED.cells ELSE r.cells END",
	    &p, 0, NULL);
	barr_free(&a);
	return st;
}

enum store_status
store_recon_active(struct store *s, const char *peer, uint64_t **sids,
    size_t *n)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int r;

	*sids = NULL;
	*n = 0;
	p_init(&p);
	p_text(&p, peer);
	st = q(s, "recon: active sessions", "SELECT sid FROM recon_sessions r"
	    " WHERE peer = $1 AND (status = 0 OR out_pending OR EXISTS"
	    " (SELECT 1 FROM recon_keys k WHERE k.peer = r.peer AND"
	    " k.sid = r.sid AND k.state = 1)) ORDER BY created, sid", &p, 1,
	    &res);
	if (st != STORE_OK)
		return st;
	*sids = xcalloc((size_t)PQntuples(res) + 1, sizeof(**sids));
	for (r = 0; r < PQntuples(res); r++)
		(*sids)[(*n)++] = (uint64_t)pg_get_int8(res, r, 0);
	PQclear(res);
	return STORE_OK;
}

/* ---- peers ---------------------------------------------------------- */

enum store_status
store_recon_peer_get(struct store *s, const char *peer,
    struct store_recon_peer *out)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	memset(out, 0, sizeof(*out));
	p_init(&p);
	p_text(&p, peer);
	st = q(s, "recon: peer", "SELECT last_start, last_end,"
	    " last_status::int8, last_reason::int8, last_d, failures::int8,"
	    " busy_sent FROM recon_peers WHERE peer = $1", &p, 1, &res);
	if (st != STORE_OK)
		return st;
	if (PQntuples(res) == 1) {
		out->last_start = pg_get_int8(res, 0, 0);
		out->last_end = pg_get_int8(res, 0, 1);
		out->last_status = (int)pg_get_int8(res, 0, 2);
		out->last_reason = (int)pg_get_int8(res, 0, 3);
		out->last_d = (uint32_t)pg_get_int8(res, 0, 4);
		out->failures = (uint32_t)pg_get_int8(res, 0, 5);
		out->busy_sent = pg_get_int8(res, 0, 6);
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_recon_peer_put(struct store *s, const char *peer,
    const struct store_recon_peer *pr)
{
	struct params p;

	p_init(&p);
	p_text(&p, peer);
	p_int8(&p, pr->last_start);
	p_int8(&p, pr->last_end);
	p_int8(&p, pr->last_status);
	p_int8(&p, pr->last_reason);
	p_int8(&p, pr->last_d);
	p_int8(&p, pr->failures);
	p_int8(&p, pr->busy_sent);
	return q(s, "recon: save peer", "INSERT INTO recon_peers (peer,"
	    " last_start, last_end, last_status, last_reason, last_d, failures,"
	    " busy_sent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	    " ON CONFLICT (peer) DO UPDATE SET last_start = EXCLUDED.last_start,"
	    " last_end = EXCLUDED.last_end, last_status = EXCLUDED.last_status,"
	    " last_reason = EXCLUDED.last_reason, last_d = EXCLUDED.last_d,"
	    " failures = EXCLUDED.failures, busy_sent = EXCLUDED.busy_sent",
	    &p, 0, NULL);
}

enum store_status
store_recon_counts(struct store *s, const char *peer, int64_t since,
    uint32_t *sessions, uint32_t *keys)
{
	struct params p;
	PGresult *res;
	enum store_status st;

	*sessions = *keys = 0;
	p_init(&p);
	p_text(&p, peer);
	p_int8(&p, since);
	st = q(s, "recon: counts", "SELECT (SELECT count(*) FROM recon_sessions"
	    " WHERE peer = $1 AND created >= $2), (SELECT count(*) FROM"
	    " recon_keys WHERE peer = $1 AND decided >= $2 AND state IN (1, 2))",
	    &p, 1, &res);
	if (st != STORE_OK)
		return st;
	*sessions = (uint32_t)pg_get_int8(res, 0, 0);
	*keys = (uint32_t)pg_get_int8(res, 0, 1);
	PQclear(res);
	return STORE_OK;
}

/* ---- the keys a session sends ----------------------------------------- */

enum store_status
store_recon_keys_add(struct store *s, const char *peer, uint64_t sid,
    const struct store_fpr *fprs, size_t n, int state, int64_t now)
{
	struct params p;
	struct barr a;
	enum store_status st;

	if (n == 0)
		return STORE_OK;
	fpr_array(&a, fprs, n);
	p_init(&p);
	p_text(&p, peer);
	p_int8(&p, (int64_t)sid);
	p_barr(&p, OID_BYTEA_ARRAY, &a);
	p_int8(&p, state);
	p_int8(&p, now);
	/* decided: when a key was first decided on (the 24-hour limit
	 * counts from then); sent: when the mailer took it. */
	st = q(s, "recon: session keys", "INSERT INTO recon_keys AS k"
	    " (peer, sid, fpr, state, decided, sent)"
	    " SELECT $1, $2, f, $4, $5, CASE WHEN $4 = 2 THEN $5 END"
	    " FROM unnest($3::bytea[]) AS f"
	    " ON CONFLICT (peer, sid, fpr) DO UPDATE SET state = EXCLUDED.state,"
	    " sent = COALESCE(EXCLUDED.sent, k.sent),"
	    " decided = CASE WHEN k.state = 0 THEN EXCLUDED.decided"
	    " ELSE k.decided END", &p, 0, NULL);
	barr_free(&a);
	return st;
}

enum store_status
store_recon_keys_get(struct store *s, const char *peer, uint64_t sid,
    int state, struct store_fpr **out, size_t *n)
{
	struct params p;
	PGresult *res;
	enum store_status st;
	int r;

	*out = NULL;
	*n = 0;
	p_init(&p);
	p_text(&p, peer);
	p_int8(&p, (int64_t)sid);
	p_int8(&p, state);
	st = q(s, "recon: session keys", "SELECT fpr FROM recon_keys"
	    " WHERE peer = $1 AND sid = $2 AND state = $3 ORDER BY fpr", &p, 1,
	    &res);
	if (st != STORE_OK)
		return st;
	*out = xcalloc((size_t)PQntuples(res) + 1, sizeof(**out));
	for (r = 0; r < PQntuples(res); r++)
		fpr_set(&(*out)[(*n)++], res, r, 0);
	PQclear(res);
	return STORE_OK;
}

/* ---- the futility memo -------------------------------------------------- */

enum store_status
store_recon_futile_get(struct store *s, const char *peer,
    const struct store_fpr *fprs, size_t n, uint8_t (*digests)[32],
    uint32_t *sessions)
{
	struct params p;
	struct barr a;
	PGresult *res;
	enum store_status st;
	int64_t at;
	int r;

	memset(sessions, 0, n * sizeof(*sessions));
	if (n == 0)
		return STORE_OK;
	fpr_array(&a, fprs, n);
	p_init(&p);
	p_text(&p, peer);
	p_barr(&p, OID_BYTEA_ARRAY, &a);
	st = q(s, "recon: futility memo", "SELECT u.i, f.digest,"
	    " f.sessions::int8 FROM unnest($2::bytea[]) WITH ORDINALITY"
	    " AS u(fpr, i) JOIN recon_futile f ON f.peer = $1 AND"
	    " f.fpr = u.fpr", &p, 1, &res);
	barr_free(&a);
	if (st != STORE_OK)
		return st;
	for (r = 0; r < PQntuples(res); r++) {
		at = pg_get_int8(res, r, 0) - 1;
		if (at < 0 || (size_t)at >= n || PQgetlength(res, r, 1) != 32)
			continue;
		memcpy(digests[at], PQgetvalue(res, r, 1), 32);
		sessions[at] = (uint32_t)pg_get_int8(res, r, 2);
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status
store_recon_futile_sent(struct store *s, const char *peer,
    const struct store_fpr *fpr, const uint8_t digest[32], int64_t now)
{
	struct params p;

	p_init(&p);
	p_text(&p, peer);
	p_bytea(&p, fpr->fpr, fpr->len);
	p_bytea(&p, digest, 32);
	p_int8(&p, now);
	return q(s, "recon: futility memo", "INSERT INTO recon_futile AS f"
	    " (peer, fpr, digest, sessions, updated) VALUES ($1, $2, $3, 1, $4)"
	    " ON CONFLICT (peer, fpr) DO UPDATE SET sessions = CASE WHEN"
	    " f.digest = EXCLUDED.digest THEN f.sessions + 1 ELSE 1 END,"
	    " digest = EXCLUDED.digest, updated = EXCLUDED.updated", &p, 0,
	    NULL);
}

enum store_status
store_recon_expire(struct store *s, int64_t ended_before, int64_t memo_before)
{
	struct params p;
	enum store_status st;

	p_init(&p);
	p_int8(&p, ended_before);
	st = q(s, "recon: expire sessions", "DELETE FROM recon_sessions r"
	    " WHERE status <> 0 AND ended < $1 AND NOT out_pending AND"
	    " NOT EXISTS (SELECT 1 FROM recon_keys k WHERE k.peer = r.peer"
	    " AND k.sid = r.sid AND k.state = 1)", &p, 0, NULL);
	if (st != STORE_OK)
		return st;
	p_init(&p);
	p_int8(&p, memo_before);
	return q(s, "recon: expire memo", "DELETE FROM recon_futile"
	    " WHERE updated < $1", &p, 0, NULL);
}
