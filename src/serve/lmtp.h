/*
 * serve/lmtp.h - the LMTP server dialogue (RFC 2033, server.md 6) as an
 * I/O-free state machine: octets in, replies and events out.
 *
 * The caller (serve/lmtp_worker.c) reads from the socket and hands the
 * octets to lmtp_input(), which consumes them up to the next event, and
 * writes out what the machine put in m->out. When lmtp_input() reports
 * LMTP_EV_MESSAGE, the caller runs the message (m->sender, m->data), then
 * calls lmtp_message_done() with the outcome, which queues one reply per
 * accepted recipient, and goes on feeding the octets not yet consumed
 * (a pipelining client may have sent more). After LMTP_EV_CLOSE the
 * caller writes m->out and closes the connection.
 *
 * Commands: LHLO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, VRFY, QUIT;
 * HELO/EHLO are refused (500 5.5.1); anything else, and command lines
 * over KM_LMTP_MAX_LINE octets with their CRLF, is 500 5.5.2. Lines end in
 * CRLF; a bare LF is accepted too. DATA is dot-unstuffed with line ends
 * kept as received and ends at a line holding one dot; once more than
 * max_message_size octets have arrived the rest is read and dropped
 * (data_too_big), so memory stays bounded.
 *
 * Untrusted input: every octet. Sender and recipients hold no control
 * octets and no blanks (they are printed into a Return-Path header and
 * logs). Memory: the machine owns sender, recipients, data and out;
 * lmtp_free() releases them.
 */
#ifndef KM_SERVE_LMTP_H
#define KM_SERVE_LMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct lmtp_limits {
	const char *hostname;		/* in the greeting and LHLO reply */
	size_t max_message_size;	/* announced as SIZE; larger data: 552 */
	size_t max_recipients;		/* more RCPT get 452 4.5.3 */
};

enum lmtp_state {
	LMTP_S_START,		/* greeting sent, no LHLO yet */
	LMTP_S_READY,		/* after LHLO, no transaction */
	LMTP_S_MAIL,		/* MAIL accepted (maybe RCPTs) */
	LMTP_S_DATA,		/* receiving the message */
	LMTP_S_MESSAGE,		/* message complete, waiting for lmtp_message_done */
	LMTP_S_CLOSED,		/* QUIT, timeout or shutdown: close after out */
};

enum lmtp_event {
	LMTP_EV_NONE,		/* all input consumed; read more */
	LMTP_EV_MESSAGE,	/* a message is complete (see struct lmtp) */
	LMTP_EV_CLOSE,		/* write out, then close */
};

/* What became of a message, for every accepted recipient. */
enum lmtp_outcome {
	LMTP_DONE,		/* 250 2.0.0 Ok: COMMAND done */
	LMTP_TEMPFAIL,		/* 451 4.3.0 Temporary failure, try again later */
	LMTP_TOO_BIG,		/* 552 5.3.4 Message too big */
};

struct lmtp {
	struct lmtp_limits lim;
	enum lmtp_state state;
	struct buf out;		/* replies to write, CRLF line ends */
	/* The transaction. */
	char *sender;		/* "" for the null sender; NULL before MAIL */
	char **rcpts;
	size_t nrcpts;
	struct buf data;	/* the message, dot-unstuffed (cap max_message_size) */
	size_t data_size;	/* octets of data received, kept or not */
	bool data_too_big;
	/* Internal. */
	struct buf line;	/* partial command line */
	bool line_too_long;
	int dot;		/* DATA: 0, or 1 after a '.' at line start, 2 after ".\r" */
	bool bol;		/* DATA: at the start of a line */
	bool shutting_down;
};

void lmtp_init(struct lmtp *m, const struct lmtp_limits *lim);
void lmtp_free(struct lmtp *m);
/* Queue the 220 greeting. */
void lmtp_greeting(struct lmtp *m);
/* Consume in[0..len) up to the next event; *used says how much. */
enum lmtp_event lmtp_input(struct lmtp *m, const uint8_t *in, size_t len,
    size_t *used);
/* The message reported by LMTP_EV_MESSAGE is finished: queue one reply
 * per accepted recipient (command: "ADD", "GET", ... for LMTP_DONE) and
 * reset the transaction. Returns LMTP_EV_CLOSE if shutting down (a 421
 * follows the replies), else LMTP_EV_NONE. */
enum lmtp_event lmtp_message_done(struct lmtp *m, enum lmtp_outcome o,
    const char *command);
/* No command or data for lmtp_timeout: 421 4.4.2, close. */
void lmtp_timeout(struct lmtp *m);
/*
 * The server is stopping. Outside a transaction, 421 4.3.2 is queued at
 * once and LMTP_EV_CLOSE returned; inside one, the message being received
 * or processed is finished and replied to, and the next command (or the
 * end of the message) gets the 421. Returns LMTP_EV_NONE then.
 */
enum lmtp_event lmtp_shutdown(struct lmtp *m);

#endif
