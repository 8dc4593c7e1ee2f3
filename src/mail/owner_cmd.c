/*
 * mail/owner_cmd.c - the Subject grammar of the owner-control commands;
 * see owner_cmd.h.
 *
 * DESCRIPTION
 *	The Subject is split into blank-separated words. The first word
 *	picks the command; each command then takes its words in the shape
 *	of owner-control.md 4.1. Any deviation - a missing word, a word
 *	too many, a word of the wrong form, more than KM_MAX_COMMAND_ITEMS
 *	issuers, addresses or fingerprints - marks the command malformed
 *	with a static phrase saying which, and the usage line. CONFIRM is
 *	the exception: its whole rest is the token, in which blanks and
 *	"-" do not count (people copy tokens in groups).
 *
 * MEMORY
 *	None allocated; struct owner_cmd is filled in place.
 *
 * SECURITY
 *	Untrusted Subject. Every word is bounded before it is copied into
 *	the fixed arrays; nothing from the Subject goes into the phrases
 *	of owner_cmd_failure_line().
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/owner_cmd.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

static const struct {
	const char *word;
	enum owner_cmd_kind kind;
	const char *usage;
} commands[] = {
	{ "SHOW", OWNER_CMD_SHOW, "SHOW <fingerprint>" },
	{ "HIDE", OWNER_CMD_HIDE, "HIDE <fingerprint>" },
	{ "REPLACE", OWNER_CMD_REPLACE, "REPLACE <fingerprint> [SHOW]" },
	{ "NOTIFY", OWNER_CMD_NOTIFY, "NOTIFY <fingerprint> <address>|OFF" },
	{ "HELD", OWNER_CMD_HELD, "HELD <fingerprint>" },
	{ "ACCEPT", OWNER_CMD_ACCEPT,
	    "ACCEPT <fingerprint> ALL|<issuer> [<issuer>...]" },
	{ "REJECT", OWNER_CMD_REJECT,
	    "REJECT <fingerprint> ALL|<issuer> [<issuer>...] [BLOCK]" },
	{ "VERIFY", OWNER_CMD_VERIFY, "VERIFY <fingerprint> [<address>...]" },
	{ "UNPUBLISH", OWNER_CMD_UNPUBLISH, "UNPUBLISH <address>" },
	{ "SUBSCRIBE", OWNER_CMD_SUBSCRIBE,
	    "SUBSCRIBE <fingerprint> [<fingerprint>...]" },
	{ "UNSUBSCRIBE", OWNER_CMD_UNSUBSCRIBE,
	    "UNSUBSCRIBE <fingerprint> [<fingerprint>...] or UNSUBSCRIBE ALL" },
	{ "SIGNERS", OWNER_CMD_SIGNERS, "SIGNERS <key ID>|<fingerprint>" },
	{ "CONFIRM", OWNER_CMD_CONFIRM, "CONFIRM <token>" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* What the usage line's words mean, added to every failure line. */
static const char forms[] =
    "a fingerprint is 40 or 64 hex digits, an issuer a fingerprint or "
    "0x and 16 hex digits, an address local@domain";

static const char p_missing[] = "an argument is missing";
static const char p_extra[] = "too many arguments";
static const char p_fpr[] = "not a fingerprint";
static const char p_issuer[] = "not an issuer fingerprint or key ID";
static const char p_keyid[] = "not a key ID or fingerprint";
static const char p_address[] = "not a plain address";
static const char p_word[] = "unexpected word";
static const char p_items[] = "more than " STR(KM_MAX_COMMAND_ITEMS)
    " issuers, addresses or fingerprints";
static const char p_token[] = "not a token of 32 letters A-Z and digits 2-7";

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static bool
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static char
upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* n hex digits at s -> upper case at out (NUL-terminated). */
static bool
hex_upper(const char *s, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_hex((unsigned char)s[i]))
			return false;
		out[i] = upper(s[i]);
	}
	out[n] = '\0';
	return true;
}

static bool
has_0x(const char *s, size_t n)
{
	return n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

bool
owner_canon_fpr(const char *s, size_t n, char out[65])
{
	if (has_0x(s, n)) {
		s += 2;
		n -= 2;
	}
	if (n != 40 && n != 64)
		return false;
	return hex_upper(s, n, out);
}

bool
owner_canon_issuer(const char *s, size_t n, char out[65],
    enum owner_arg_kind *kind)
{
	if (owner_canon_fpr(s, n, out)) {
		*kind = OWNER_ARG_FPR;
		return true;
	}
	if (!has_0x(s, n) || n != 18)
		return false;
	out[0] = '0';
	out[1] = 'x';
	if (!hex_upper(s + 2, 16, out + 2))
		return false;
	*kind = OWNER_ARG_KEYID;
	return true;
}

/* RFC 5322 atext. */
static bool
is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool
is_label_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * dot-atom-text over the alphabet ok(): no empty atom, so no leading,
 * trailing or doubled dot.
 */
static bool
dot_atoms(const char *s, size_t n, bool (*ok)(int))
{
	size_t i;
	bool prev_dot = true;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (prev_dot)
				return false;
			prev_dot = true;
			continue;
		}
		if (!ok((unsigned char)s[i]))
			return false;
		prev_dot = false;
	}
	return !prev_dot;
}

bool
owner_canon_address(const char *s, size_t n, char *out)
{
	const char *at;
	size_t local, i;

	if (n == 0 || n > KM_MAX_ADDRESS)
		return false;
	at = memchr(s, '@', n);
	if (at == NULL)
		return false;
	local = (size_t)(at - s);
	/* No leading '-': an address must never read as a mailer option. */
	if (s[0] == '-' || !dot_atoms(s, local, is_atext) ||
	    !dot_atoms(at + 1, n - local - 1, is_label_char))
		return false;
	for (i = 0; i < n; i++)
		out[i] = i > local ? lower(s[i]) : s[i];
	out[n] = '\0';
	return true;
}

bool
owner_address_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

bool
owner_canon_token(const char *s, size_t n, char out[OWNER_TOKEN_LEN + 1])
{
	size_t i, k = 0;
	char c;

	for (i = 0; i < n; i++) {
		if (is_blank((unsigned char)s[i]) || s[i] == '-')
			continue;
		c = upper(s[i]);
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')))
			return false;
		if (k == OWNER_TOKEN_LEN)
			return false;
		out[k++] = c;
	}
	out[k] = '\0';
	return k == OWNER_TOKEN_LEN;
}

/* ---- words ------------------------------------------------------------- */

struct word {
	const char *p;
	size_t n;
};

static bool
word_is(struct word w, const char *kw)
{
	return w.n == strlen(kw) && strncasecmp(w.p, kw, w.n) == 0;
}

/* Next word after *s; false at the end. */
static bool
next_word(const char **s, struct word *w)
{
	const char *p = *s;

	while (is_blank((unsigned char)*p))
		p++;
	if (*p == '\0') {
		*s = p;
		return false;
	}
	w->p = p;
	while (*p != '\0' && !is_blank((unsigned char)*p))
		p++;
	w->n = (size_t)(p - w->p);
	*s = p;
	return true;
}

static bool
fail(struct owner_cmd *c, const char *problem)
{
	c->malformed = true;
	c->problem = problem;
	return false;
}

static struct owner_arg *
new_arg(struct owner_cmd *c, enum owner_arg_kind kind)
{
	struct owner_arg *a = &c->args[c->nargs++];

	a->kind = kind;
	return a;
}

static bool
add_word(struct owner_cmd *c, const char *kw)
{
	struct owner_arg *a = new_arg(c, OWNER_ARG_WORD);

	snprintf(a->text, sizeof(a->text), "%s", kw);
	return true;
}

/* One more item (issuer, address, fingerprint), under the cap. */
static bool
room(struct owner_cmd *c, size_t items)
{
	return items < KM_MAX_COMMAND_ITEMS || fail(c, p_items);
}

static bool
add_fpr(struct owner_cmd *c, struct word w)
{
	struct owner_arg *a;
	char t[65];

	if (!owner_canon_fpr(w.p, w.n, t))
		return fail(c, p_fpr);
	a = new_arg(c, OWNER_ARG_FPR);
	memcpy(a->text, t, strlen(t) + 1);
	return true;
}

static bool
add_issuer(struct owner_cmd *c, struct word w)
{
	enum owner_arg_kind kind;
	struct owner_arg *a;
	char t[65];

	if (!owner_canon_issuer(w.p, w.n, t, &kind))
		return fail(c, p_issuer);
	a = new_arg(c, kind);
	memcpy(a->text, t, strlen(t) + 1);
	return true;
}

static bool
add_address(struct owner_cmd *c, struct word w)
{
	struct owner_arg *a;
	char t[OWNER_ARG_MAX];

	if (!owner_canon_address(w.p, w.n, t))
		return fail(c, p_address);
	a = new_arg(c, OWNER_ARG_ADDRESS);
	memcpy(a->text, t, strlen(t) + 1);
	return true;
}

/* The key an owner command or VERIFY is about. */
static bool
take_fpr(struct owner_cmd *c, const char **s)
{
	struct word w;

	if (!next_word(s, &w))
		return fail(c, p_missing);
	if (!owner_canon_fpr(w.p, w.n, c->fpr)) {
		c->fpr[0] = '\0';
		return fail(c, p_fpr);
	}
	return true;
}

static bool
at_end(struct owner_cmd *c, const char **s)
{
	struct word w;

	return !next_word(s, &w) || fail(c, p_extra);
}

/* ACCEPT and REJECT: ALL | issuer..., then BLOCK for REJECT. */
static bool
parse_issuers(struct owner_cmd *c, const char **s, bool block_ok)
{
	struct word w;
	size_t items = 0;

	if (!next_word(s, &w))
		return fail(c, p_missing);
	if (word_is(w, "ALL")) {
		add_word(c, "ALL");
		if (!next_word(s, &w))
			return true;
		if (!block_ok || !word_is(w, "BLOCK"))
			return fail(c, block_ok ? p_word : p_extra);
		add_word(c, "BLOCK");
		return at_end(c, s);
	}
	do {
		if (block_ok && items > 0 && word_is(w, "BLOCK")) {
			add_word(c, "BLOCK");
			return at_end(c, s);
		}
		if (!room(c, items++) || !add_issuer(c, w))
			return false;
	} while (next_word(s, &w));
	return true;
}

static bool
parse_fprs(struct owner_cmd *c, const char **s, bool all_ok)
{
	struct word w;
	size_t items = 0;

	if (!next_word(s, &w))
		return fail(c, p_missing);
	if (all_ok && word_is(w, "ALL")) {
		add_word(c, "ALL");
		return at_end(c, s);
	}
	do {
		if (!room(c, items++) || !add_fpr(c, w))
			return false;
	} while (next_word(s, &w));
	return true;
}

static bool
parse_args(struct owner_cmd *c, const char *s)
{
	struct word w;
	size_t items = 0;

	switch (c->kind) {
	case OWNER_CMD_SHOW: case OWNER_CMD_HIDE: case OWNER_CMD_HELD:
		return take_fpr(c, &s) && at_end(c, &s);
	case OWNER_CMD_REPLACE:
		if (!take_fpr(c, &s))
			return false;
		if (!next_word(&s, &w))
			return true;
		if (!word_is(w, "SHOW"))
			return fail(c, p_word);
		add_word(c, "SHOW");
		return at_end(c, &s);
	case OWNER_CMD_NOTIFY:
		if (!take_fpr(c, &s))
			return false;
		if (!next_word(&s, &w))
			return fail(c, p_missing);
		if (word_is(w, "OFF"))
			add_word(c, "OFF");
		else if (!add_address(c, w))
			return false;
		return at_end(c, &s);
	case OWNER_CMD_ACCEPT: case OWNER_CMD_REJECT:
		return take_fpr(c, &s) &&
		    parse_issuers(c, &s, c->kind == OWNER_CMD_REJECT);
	case OWNER_CMD_VERIFY:
		if (!take_fpr(c, &s))
			return false;
		while (next_word(&s, &w))
			if (!room(c, items++) || !add_address(c, w))
				return false;
		return true;
	case OWNER_CMD_UNPUBLISH:
		if (!next_word(&s, &w))
			return fail(c, p_missing);
		return add_address(c, w) && at_end(c, &s);
	case OWNER_CMD_SUBSCRIBE: case OWNER_CMD_UNSUBSCRIBE:
		return parse_fprs(c, &s, c->kind == OWNER_CMD_UNSUBSCRIBE);
	case OWNER_CMD_SIGNERS:
		if (!next_word(&s, &w))
			return fail(c, p_missing);
		/* keyid = "0x" 16HEXDIG: the issuer forms, exactly. */
		if (!add_issuer(c, w)) {
			c->problem = p_keyid;
			return false;
		}
		return at_end(c, &s);
	case OWNER_CMD_CONFIRM:
		if (!owner_canon_token(s, strlen(s), c->token)) {
			c->token[0] = '\0';
			return fail(c, p_token);
		}
		return true;
	case OWNER_CMD_NONE:
		break;
	}
	return false;
}

enum owner_cmd_kind
owner_cmd_lookup(const char *word, size_t n)
{
	struct word w = { word, n };
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (word_is(w, commands[i].word))
			return commands[i].kind;
	return OWNER_CMD_NONE;
}

enum owner_cmd_kind
owner_cmd_parse(const char *subject, struct owner_cmd *out)
{
	const char *s = subject;
	struct word w;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (s == NULL || !next_word(&s, &w))
		return OWNER_CMD_NONE;
	for (i = 0; i < NCOMMANDS; i++)
		if (word_is(w, commands[i].word))
			break;
	if (i == NCOMMANDS)
		return OWNER_CMD_NONE;
	out->kind = commands[i].kind;
	out->usage = commands[i].usage;
	(void)parse_args(out, s);
	return out->kind;
}

bool
owner_cmd_is_owner(enum owner_cmd_kind k)
{
	switch (k) {
	case OWNER_CMD_SHOW: case OWNER_CMD_HIDE: case OWNER_CMD_REPLACE:
	case OWNER_CMD_NOTIFY: case OWNER_CMD_HELD: case OWNER_CMD_ACCEPT:
	case OWNER_CMD_REJECT:
		return true;
	default:
		return false;
	}
}

const char *
owner_cmd_name(enum owner_cmd_kind k)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (commands[i].kind == k)
			return commands[i].word;
	return "NONE";
}

void
owner_cmd_failure_line(const struct owner_cmd *c, char *out, size_t outlen)
{
	size_t i;
	const char *usage = c->usage;

	if (usage == NULL)
		for (i = 0; i < NCOMMANDS; i++)
			if (commands[i].kind == c->kind)
				usage = commands[i].usage;
	snprintf(out, outlen, "Malformed command (%s): expected %s (%s).",
	    c->problem ? c->problem : p_word, usage ? usage : "a command",
	    forms);
}

bool
owner_cmd_same(const struct owner_cmd *a, const struct owner_cmd *b)
{
	size_t i;

	if (a->malformed || b->malformed || a->kind != b->kind ||
	    a->kind == OWNER_CMD_NONE || strcmp(a->fpr, b->fpr) != 0 ||
	    a->nargs != b->nargs || strcmp(a->token, b->token) != 0)
		return false;
	for (i = 0; i < a->nargs; i++) {
		if (a->args[i].kind != b->args[i].kind)
			return false;
		if (a->args[i].kind == OWNER_ARG_ADDRESS ?
		    !owner_address_equal(a->args[i].text, b->args[i].text) :
		    strcmp(a->args[i].text, b->args[i].text) != 0)
			return false;
	}
	return true;
}
