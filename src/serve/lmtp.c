/*
 * serve/lmtp.c - see lmtp.h. Reply texts follow server.md 6.1; every
 * reply carries an RFC 3463 enhanced status code.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/lmtp.h"
#include "util/limits.h"
#include "util/xalloc.h"

void
lmtp_init(struct lmtp *m, const struct lmtp_limits *lim)
{
	memset(m, 0, sizeof(*m));
	m->lim = *lim;
	m->state = LMTP_S_START;
	buf_init(&m->out, 0);
	buf_init(&m->line, 0);
	buf_init(&m->data, lim->max_message_size);
}

static void
reset_transaction(struct lmtp *m)
{
	size_t i;

	free(m->sender);
	m->sender = NULL;
	for (i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	m->rcpts = NULL;
	m->nrcpts = 0;
	buf_free(&m->data);
	buf_init(&m->data, m->lim.max_message_size);
	m->data_size = 0;
	m->data_too_big = false;
}

void
lmtp_free(struct lmtp *m)
{
	reset_transaction(m);
	buf_free(&m->data);
	buf_free(&m->out);
	buf_free(&m->line);
}

static void
reply(struct lmtp *m, const char *text)
{
	buf_puts(&m->out, text);
	buf_puts(&m->out, "\r\n");
}

void
lmtp_greeting(struct lmtp *m)
{
	buf_printf(&m->out, "220 %s keymail LMTP ready\r\n", m->lim.hostname);
}

static enum lmtp_event
close_with(struct lmtp *m, const char *text)
{
	reply(m, text);
	m->state = LMTP_S_CLOSED;
	return LMTP_EV_CLOSE;
}

void
lmtp_timeout(struct lmtp *m)
{
	if (m->state != LMTP_S_CLOSED)
		(void)close_with(m, "421 4.4.2 Timeout");
}

enum lmtp_event
lmtp_shutdown(struct lmtp *m)
{
	m->shutting_down = true;
	if (m->state == LMTP_S_START || m->state == LMTP_S_READY)
		return close_with(m, "421 4.3.2 Service shutting down");
	return m->state == LMTP_S_CLOSED ? LMTP_EV_CLOSE : LMTP_EV_NONE;
}

/* Does line start with the word w (case-insensitive), followed by the end
 * or a blank? Sets *rest to what follows the blanks after it. */
static bool
verb_is(const char *line, const char *w, const char **rest)
{
	size_t n = strlen(w);

	if (strncasecmp(line, w, n) != 0 || (line[n] != '\0' && line[n] != ' '))
		return false;
	line += n;
	while (*line == ' ')
		line++;
	*rest = line;
	return true;
}

/* A path inside <>: printable ASCII or UTF-8 (SMTPUTF8), no blanks, no
 * '<' or '>', at most KM_MAX_ADDRESS octets. */
static bool
path_ok(const char *p, size_t n)
{
	size_t i;

	if (n > KM_MAX_ADDRESS)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
			return false;
	}
	return true;
}

/*
 * "FROM:<path> params" or "TO:<path> params" after the verb. On success
 * *path is a fresh copy of what was inside the brackets and *params
 * points at the parameters (blanks skipped). Blanks after the colon are
 * tolerated, as Postfix does.
 */
static bool
parse_path_arg(const char *arg, const char *kw, char **path, const char **params)
{
	size_t n = strlen(kw);
	const char *lt, *gt;

	if (strncasecmp(arg, kw, n) != 0)
		return false;
	lt = arg + n;
	while (*lt == ' ')
		lt++;
	if (*lt != '<' || (gt = strchr(lt, '>')) == NULL)
		return false;
	if (gt[1] != '\0' && gt[1] != ' ')
		return false;
	if (!path_ok(lt + 1, (size_t)(gt - lt - 1)))
		return false;
	*path = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	*params = gt + 1;
	while (**params == ' ')
		(*params)++;
	return true;
}

/* MAIL parameters: SIZE=n, BODY=7BIT|8BITMIME, SMTPUTF8. Returns NULL when
 * they are acceptable, else the reply. */
static const char *
mail_params(const struct lmtp *m, const char *p)
{
	while (*p) {
		const char *e = strchr(p, ' ');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n > 5 && strncasecmp(p, "SIZE=", 5) == 0) {
			unsigned long long v = 0;
			size_t i;

			for (i = 5; i < n; i++) {
				if (!isdigit((unsigned char)p[i]) || i > 5 + 19)
					return "501 5.5.4 Syntax error in SIZE";
				v = v * 10 + (unsigned)(p[i] - '0');
			}
			if (v > m->lim.max_message_size)
				return "552 5.3.4 Message size exceeds fixed maximum message size";
		} else if ((n == 9 && strncasecmp(p, "BODY=7BIT", 9) == 0) ||
		    (n == 13 && strncasecmp(p, "BODY=8BITMIME", 13) == 0) ||
		    (n == 8 && strncasecmp(p, "SMTPUTF8", 8) == 0)) {
			/* accepted */
		} else if (n == 4 && strncasecmp(p, "SIZE", 4) == 0)
			return "501 5.5.4 Syntax error in SIZE";
		else
			return "555 5.5.4 Unsupported parameter";
		p += n;
		while (*p == ' ')
			p++;
	}
	return NULL;
}

static enum lmtp_event
do_command(struct lmtp *m, char *line)
{
	const char *arg;
	char *path = NULL;
	const char *params, *bad;

	if (m->shutting_down)
		return close_with(m, "421 4.3.2 Service shutting down");
	if (verb_is(line, "LHLO", &arg)) {
		if (*arg == '\0')
			reply(m, "501 5.5.4 Syntax: LHLO hostname");
		else {
			reset_transaction(m);
			m->state = LMTP_S_READY;
			buf_printf(&m->out, "250-%s\r\n250-PIPELINING\r\n"
			    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
			    "250-SMTPUTF8\r\n250 SIZE %zu\r\n", m->lim.hostname,
			    m->lim.max_message_size);
		}
	} else if (verb_is(line, "HELO", &arg) || verb_is(line, "EHLO", &arg))
		reply(m, "500 5.5.1 Use LHLO");
	else if (verb_is(line, "MAIL", &arg)) {
		if (m->state != LMTP_S_READY)
			reply(m, m->state == LMTP_S_START ?
			    "503 5.5.1 Send LHLO first" :
			    "503 5.5.1 Nested MAIL command");
		else if (!parse_path_arg(arg, "FROM:", &path, &params))
			reply(m, "501 5.5.4 Syntax: MAIL FROM:<address>");
		else if ((bad = mail_params(m, params)) != NULL) {
			free(path);
			reply(m, bad);
		} else {
			m->sender = path;
			m->state = LMTP_S_MAIL;
			reply(m, "250 2.1.0 Ok");
		}
	} else if (verb_is(line, "RCPT", &arg)) {
		if (m->state != LMTP_S_MAIL)
			reply(m, "503 5.5.1 Need MAIL command");
		else if (!parse_path_arg(arg, "TO:", &path, &params) || *path == '\0') {
			free(path);
			reply(m, "501 5.5.4 Syntax: RCPT TO:<address>");
		} else if (*params != '\0') {
			free(path);
			reply(m, "555 5.5.4 Unsupported parameter");
		} else if (m->nrcpts >= m->lim.max_recipients) {
			free(path);
			reply(m, "452 4.5.3 Too many recipients");
		} else {
			m->rcpts = xreallocarray(m->rcpts, m->nrcpts + 1, sizeof(*m->rcpts));
			m->rcpts[m->nrcpts++] = path;
			reply(m, "250 2.1.5 Ok");
		}
	} else if (verb_is(line, "DATA", &arg)) {
		if (*arg != '\0')
			reply(m, "501 5.5.4 Syntax: DATA");
		else if (m->state != LMTP_S_MAIL || m->nrcpts == 0)
			reply(m, "503 5.5.1 Need RCPT command");
		else {
			m->state = LMTP_S_DATA;
			m->bol = true;
			m->dot = 0;
			reply(m, "354 End data with <CR><LF>.<CR><LF>");
		}
	} else if (verb_is(line, "RSET", &arg)) {
		if (*arg != '\0')
			reply(m, "501 5.5.4 Syntax: RSET");
		else {
			reset_transaction(m);
			if (m->state == LMTP_S_MAIL)
				m->state = LMTP_S_READY;
			reply(m, "250 2.0.0 Ok");
		}
	} else if (verb_is(line, "NOOP", &arg))
		reply(m, "250 2.0.0 Ok");
	else if (verb_is(line, "VRFY", &arg))
		reply(m, "252 2.5.0 Cannot VRFY user; try RCPT");
	else if (verb_is(line, "QUIT", &arg))
		return close_with(m, "221 2.0.0 Bye");
	else
		reply(m, "500 5.5.2 Command unrecognized");
	return LMTP_EV_NONE;
}

/* One complete command line (CRLF or LF removed) in m->line. */
static enum lmtp_event
command_line(struct lmtp *m)
{
	char *line = (char *)m->line.data;
	size_t i, n = m->line.len;
	enum lmtp_event ev;

	if (m->line_too_long) {
		m->line_too_long = false;
		buf_reset(&m->line);
		if (m->shutting_down)
			return close_with(m, "421 4.3.2 Service shutting down");
		reply(m, "500 5.5.2 Line too long");
		return LMTP_EV_NONE;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			break;
	if (i < n || n == 0) {
		buf_reset(&m->line);
		if (m->shutting_down)
			return close_with(m, "421 4.3.2 Service shutting down");
		reply(m, "500 5.5.2 Syntax error");
		return LMTP_EV_NONE;
	}
	for (i = 0; i < n; i++)	/* tabs count as blanks in arguments */
		if (line[i] == '\t')
			line[i] = ' ';
	ev = do_command(m, line);
	buf_reset(&m->line);
	return ev;
}

static void
data_put(struct lmtp *m, const uint8_t *p, size_t n)
{
	m->data_size += n;
	if (m->data_too_big)
		return;
	if (buf_append(&m->data, p, n) < 0) {
		m->data_too_big = true;
		buf_free(&m->data);
		buf_init(&m->data, m->lim.max_message_size);
	}
}

/* DATA octets: dot-unstuffing and the end marker. Returns true at the end
 * of the message, with *used octets consumed. */
static bool
data_input(struct lmtp *m, const uint8_t *in, size_t len, size_t *used)
{
	size_t i = 0, run;

	while (i < len) {
		uint8_t c = in[i];

		if (m->dot == 1) {		/* a '.' began the line */
			i++;
			if (c == '\n')
				goto end;
			if (c == '\r') {
				m->dot = 2;
				continue;
			}
			m->dot = 0;		/* a stuffed dot: drop it */
			m->bol = false;
			data_put(m, &c, 1);
			continue;
		}
		if (m->dot == 2) {		/* ".\r" */
			if (c == '\n') {
				i++;
				goto end;
			}
			m->dot = 0;
			m->bol = false;
			data_put(m, (const uint8_t *)"\r", 1);
			continue;		/* c is handled as an ordinary octet */
		}
		if (m->bol && c == '.') {
			m->dot = 1;
			i++;
			continue;
		}
		/* An ordinary run up to and including the next LF. */
		run = 0;
		while (i + run < len && in[i + run] != '\n')
			run++;
		if (i + run < len) {
			run++;
			m->bol = true;
		} else
			m->bol = false;
		data_put(m, in + i, run);
		i += run;
	}
	*used = i;
	return false;
end:
	*used = i;
	m->dot = 0;
	return true;
}

enum lmtp_event
lmtp_input(struct lmtp *m, const uint8_t *in, size_t len, size_t *used)
{
	size_t i = 0, n;
	enum lmtp_event ev;

	*used = 0;
	while (i < len) {
		switch (m->state) {
		case LMTP_S_CLOSED:
			*used = i;
			return LMTP_EV_CLOSE;
		case LMTP_S_MESSAGE:
			*used = i;
			return LMTP_EV_MESSAGE;
		case LMTP_S_DATA:
			if (data_input(m, in + i, len - i, &n)) {
				i += n;
				m->state = LMTP_S_MESSAGE;
				*used = i;
				return LMTP_EV_MESSAGE;
			}
			i += n;
			break;
		default: {
			const uint8_t *lf = memchr(in + i, '\n', len - i);
			size_t take = lf ? (size_t)(lf - (in + i)) : len - i;

			/* The line with its CRLF must fit in KM_LMTP_MAX_LINE:
			 * at most MAX - 2 octets of text (and a CR) are kept. */
			if (!m->line_too_long) {
				if (m->line.len + take > KM_LMTP_MAX_LINE - 1) {
					m->line_too_long = true;
					buf_reset(&m->line);
				} else
					buf_append(&m->line, in + i, take);
			}
			i += take;
			if (lf == NULL)
				break;
			i++;	/* the LF */
			if (m->line.len && m->line.data[m->line.len - 1] == '\r')
				m->line.data[--m->line.len] = '\0';
			if (m->line.len > KM_LMTP_MAX_LINE - 2) {
				m->line_too_long = true;
				buf_reset(&m->line);
			}
			ev = command_line(m);
			if (ev != LMTP_EV_NONE) {
				*used = i;
				return ev;
			}
			break;
		}
		}
	}
	*used = i;
	if (m->state == LMTP_S_CLOSED)
		return LMTP_EV_CLOSE;
	return LMTP_EV_NONE;
}

enum lmtp_event
lmtp_message_done(struct lmtp *m, enum lmtp_outcome o, const char *command)
{
	size_t i;

	for (i = 0; i < m->nrcpts; i++) {
		switch (o) {
		case LMTP_DONE:
			buf_printf(&m->out, "250 2.0.0 Ok: %s done\r\n",
			    command && *command ? command : "none");
			break;
		case LMTP_TEMPFAIL:
			reply(m, "451 4.3.0 Temporary failure, try again later");
			break;
		case LMTP_TOO_BIG:
			reply(m, "552 5.3.4 Message too big");
			break;
		}
	}
	reset_transaction(m);
	m->state = LMTP_S_READY;
	if (m->shutting_down)
		return close_with(m, "421 4.3.2 Service shutting down");
	return LMTP_EV_NONE;
}
