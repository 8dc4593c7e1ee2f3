#!/usr/bin/env python3
"""tests/mail/corpus.py - the hostile-mail corpus: writes it, and makes the
cases too big to keep in the tree.

    python3 tests/mail/corpus.py write          (re)write tests/mail/NNN-*.eml/.expect
    python3 tests/mail/corpus.py gen KIND       print a generated mail on stdout

Every mail here is made by this script, byte by byte (no e-mail library,
which would repair what we want broken). The keys in keys/ were made with
GnuPG for this corpus (ed25519, no expiry; secret-throwaway.asc is a
throwaway secret key made to be refused). Cases marked "generate KIND" in
their .expect have no .eml: tests/e2e/435-hostile-corpus.sh asks "gen KIND"
for them at test time.

The .expect format (one assertion per line, '#' comments) is described in
tests/mail/README. The limits the expectations assume are the small ones
the driver writes into its configuration (CONF below).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
US = b"pgp-public-keys@keys.test.example"

# The driver's configuration: small limits, so that the cases stay small.
CONF = """max_message_size = 65536
max_header_size = 16384
max_headers = 100
max_subject = 200
max_mime_depth = 4
max_mime_parts = 20
max_decoded_size = 32768
max_keys_per_add = 3
max_key_size = 4096
max_search = 40
max_reply_keys = 2
"""


def key(name):
    with open(os.path.join(HERE, "keys", name), "rb") as f:
        return f.read()


def msg(headers, body=b"", eol=b"\n", blank=True):
    """headers: list of bytes lines (without line ends)."""
    out = eol.join(headers) + eol
    if blank:
        out += eol
    if eol != b"\n":
        body = body.replace(b"\n", eol)
    return out + body


def std(subject, frm=b"Alice Example <alice@example.org>", extra=(), mid=None):
    h = [b"From: " + frm, b"To: " + US, b"Subject: " + subject,
         b"Date: Sun, 22 Nov 2026 10:00:00 +0000"]
    h.append(b"Message-ID: <" + (mid or b"corpus") + b"@example.org>")
    return h + list(extra)


def b64(data, width=76):
    import base64
    s = base64.b64encode(data)
    return b"\n".join(s[i:i + width] for i in range(0, len(s), width)) + b"\n"


def qp_armor(armor):
    """Quoted-printable with every '=' escaped (armor's base64 padding)."""
    return armor.replace(b"=", b"=3D")


def multipart(boundary, parts, pre=b"", post=b"", close=True):
    out = pre
    for p in parts:
        out += b"--" + boundary + b"\n" + p
        if not p.endswith(b"\n"):
            out += b"\n"
    if close:
        out += b"--" + boundary + b"--\n"
    return out + post


CASES = []


def case(name, data, *expect):
    CASES.append((name, data, list(expect)))


def gen_case(name, kind, *expect):
    CASES.append((name, None, ["generate " + kind] + list(expect)))


K1, K2, K3, K4, K5 = (key("key%d.asc" % i) for i in range(1, 6))
K6, K7 = key("key6.asc"), key("key7.asc")
BIG = key("big.asc")
SECRET = key("secret-throwaway.asc")
K1BIN = key("key1.gpg")

HELP_OK = ("exit 0", "reply yes", "subject Your command, HELP")
NO = ("exit 0", "reply no")
# An unknown command gets a few lines saying so, never the help text
# (issue 15: every spam is an unknown command from a forged sender).
UNKNOWN = ("body-has was not understood", "body-has Subject HELP",
           "body-lacks KEYSERVER HELP", "body-lacks HOW TO SEND A COMMAND")

# ---- who gets an answer ------------------------------------------------
case("001-plain-help", msg(std(b"HELP")), *HELP_OK, "to alice@example.org",
     "body-has keyserver")
case("002-return-path-null", msg([b"Return-Path: <>"] + std(b"HELP")), *NO,
     "log-has null envelope sender")
case("003-return-path-mailer-daemon",
     msg([b"Return-Path: <MAILER-DAEMON>"] + std(b"HELP")), *NO,
     "log-has null envelope sender")
case("004-return-path-mailer-daemon-domain",
     msg([b"Return-Path: <mailer-daemon@mx.example.org>"] + std(b"HELP")), *NO)
case("005-from-mailer-daemon",
     msg(std(b"HELP", frm=b"Mail Delivery System <MAILER-DAEMON@mx.example.org>")), *NO,
     "log-has daemon sender")
case("006-from-postmaster", msg(std(b"HELP", frm=b"postmaster@example.org")), *NO)
case("007-from-list-request", msg(std(b"HELP", frm=b"keys-request@lists.example.org")), *NO)
case("008-auto-submitted-auto-replied",
     msg(std(b"HELP", extra=[b"Auto-Submitted: auto-replied"])), *NO,
     "log-has Auto-Submitted")
case("009-auto-submitted-auto-generated-comment",
     msg(std(b"HELP", extra=[b"Auto-Submitted: Auto-Generated (vacation)"])), *NO)
case("010-auto-submitted-no", msg(std(b"HELP", extra=[b"Auto-Submitted: no"])), *HELP_OK)
case("011-auto-submitted-no-comment",
     msg(std(b"HELP", extra=[b"Auto-Submitted: NO (a person wrote this)"])), *HELP_OK)
case("012-precedence-bulk", msg(std(b"HELP", extra=[b"Precedence: bulk"])), *NO,
     "log-has Precedence")
case("013-precedence-junk", msg(std(b"HELP", extra=[b"Precedence: JUNK"])), *NO)
case("014-precedence-list", msg(std(b"HELP", extra=[b"Precedence: list"])), *NO)
case("015-precedence-first-class",
     msg(std(b"HELP", extra=[b"Precedence: first-class"])), *HELP_OK)
case("016-list-id", msg(std(b"HELP", extra=[b"List-Id: Keys <keys.lists.example.org>"])),
     *NO, "log-has mailing-list")
case("017-list-unsubscribe",
     msg(std(b"HELP", extra=[b"List-Unsubscribe: <mailto:leave@lists.example.org>"])), *NO)
case("018-x-loop-ours", msg(std(b"HELP", extra=[b"X-Loop: " + US])), *NO, "log-has X-Loop")
case("019-x-loop-ours-display-case",
     msg(std(b"HELP", extra=[b"X-Loop: Keyserver <PGP-Public-Keys@Keys.Test.Example>"])), *NO)
case("020-x-loop-other-address",
     msg(std(b"HELP", extra=[b"X-Loop: other-" + US])), *HELP_OK)
case("021-from-our-address", msg(std(b"HELP", frm=b"Robot <" + US + b">")), *NO,
     "log-has our own address")
case("022-reply-to-our-address",
     msg(std(b"HELP", extra=[b"Reply-To: " + US.upper()])), *NO, "log-has our own address")
case("023-sender-our-address", msg(std(b"HELP", extra=[b"Sender: " + US])), *NO)
case("024-missing-from", msg([b"To: " + US, b"Subject: HELP"]), *NO,
     "log-has no usable From")
case("025-from-display-name-only", msg([b"From: Alice Example", b"Subject: HELP"]), *NO)
case("026-from-empty-group", msg([b"From: undisclosed-recipients:;", b"Subject: HELP"]), *NO)
case("027-from-leading-dash",
     msg(std(b"HELP", frm=b"<-oQ/tmp/x@example.org>")), *NO,
     "# a mailer option in disguise: never on the mailer's command line")
case("028-duplicate-from",
     msg([b"From: first@example.org", b"From: Second <second@example.org>",
          b"Subject: HELP"]), *HELP_OK, "to second@example.org",
     "# the last From: wins (mail-protocol.md 1.1)")
case("029-duplicate-subject",
     msg([b"From: a@example.org", b"Subject: GET 0xDEADBEEF", b"Subject: HELP"]), *HELP_OK)
case("030-reply-to-garbage",
     msg(std(b"HELP", extra=[b"Reply-To: this is not an address"])), *HELP_OK,
     "to alice@example.org", "# an unusable Reply-To: the reply goes to From")
case("031-from-comment", msg(std(b"HELP", frm=b"alice@example.org (Alice at home)")),
     *HELP_OK, "to alice@example.org")

# ---- bounces and reports ------------------------------------------------
DSN_BODY = multipart(b"dsn1", [
    b"Content-Type: text/plain\n\nYour message could not be delivered.\n",
    b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
    b"Final-Recipient: rfc822; nobody@example.org\nAction: failed\nStatus: 5.1.1\n",
    b"Content-Type: message/rfc822\n\nFrom: " + US + b"\nSubject: Your command, HELP\n\nhelp text\n",
])
case("032-bounce-multipart-report",
     msg([b"Return-Path: <>", b"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>",
          b"To: " + US, b"Subject: Undelivered Mail Returned to Sender",
          b"MIME-Version: 1.0",
          b"Content-Type: multipart/report; report-type=delivery-status; boundary=dsn1"],
         DSN_BODY), *NO)
case("033-report-from-a-person",
     msg([b"From: bob@example.org", b"To: " + US, b"Subject: HELP", b"MIME-Version: 1.0",
          b"Content-Type: multipart/report; report-type=delivery-status; boundary=dsn1"],
         DSN_BODY), *NO, "log-has delivery report")

# ---- incrementals: processed although never answered -------------------
case("034-incremental-precedence-list",
     msg([b"From: Peer Keyserver <pgp-public-keys@peer.example.net>", b"To: " + US,
          b"Subject: incremental", b"Precedence: list",
          b"X-KeyServer-Sent: pgp-public-keys@peer.example.net"], K1),
     "exit 0", "reply no", "stored 1")
case("035-incremental-from-bounce-address",
     msg([b"Return-Path: <>", b"From: MAILER-DAEMON@peer.example.net", b"To: " + US,
          b"Subject: INCREMENTAL", b"Auto-Submitted: auto-generated"], K2),
     "exit 0", "reply no", "stored 1")
case("036-add-precedence-bulk",
     msg(std(b"ADD", extra=[b"Precedence: bulk"]), K3), "exit 0", "reply no", "stored 1",
     "# an ADD is carried out even when it gets no answer")

# ---- header injection, odd bytes, encodings -------------------------------
case("037-subject-encoded-crlf-injection",
     msg(std(b"=?UTF-8?Q?GET_x=0D=0ABcc:_victim@example.net?=")), "exit 0", "reply yes",
     "header-lacks ^(Bcc|Cc):", "header-lacks ^(?!Subject:).*victim", "to alice@example.org")
case("038-from-encoded-crlf-injection",
     msg(std(b"HELP", frm=b"=?UTF-8?Q?x=0D=0ATo:_victim@example.net?= <alice@example.org>")),
     *HELP_OK, "to alice@example.org", "header-lacks victim")
case("039-raw-cr-in-subject",
     msg(std(b"HELP\rBcc: victim@example.net")), "exit 0", "reply yes",
     "header-lacks ^Bcc:", "# a bare CR is not a line end")
case("040-raw-cr-in-message-id",
     msg(std(b"HELP", mid=b"x\rBcc: victim@example.net")), *HELP_OK,
     "header-lacks ^Bcc:", "header-lacks ^In-Reply-To:")
case("041-nul-in-subject", msg(std(b"HE\0LP")), "exit 0", "reply yes",
     "subject Your command, HE LP, was invalid", *UNKNOWN)
case("042-nul-in-body-around-key", msg(std(b"ADD"), b"\0\0junk\0\n" + K4 + b"\0\0\n"),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1")
case("043-invalid-utf8-subject", msg(std(b"GET \xff\xfe\xc0\xafalice")), "exit 0",
     "reply yes", "subject-has Your command, GET ?", "subject-has , failed")
case("044-8bit-utf8-subject", msg(std("HELP Grüße".encode())), "exit 0", "reply yes",
     "subject Your command, HELP Grüße")
case("045-8bit-latin1-display-name",
     msg(std(b"HELP", frm=b"J\xfcrgen M\xfcller <juergen@example.org>")), *HELP_OK,
     "to juergen@example.org")
case("046-rfc2047-base64-subject", msg(std(b"=?UTF-8?B?SEVMUA==?=")), *HELP_OK)
case("047-rfc2047-q-latin1-subject",
     msg(std(b"=?ISO-8859-1?Q?INDEX_M=FCller?=")), "exit 0", "reply yes",
     "subject Your command, INDEX Müller, failed", "body-has No matching keys")
case("048-rfc2047-malformed-subject", msg(std(b"=?UTF-8?B?!!!not base64?=")), "exit 0",
     "reply yes", "subject-has was invalid", *UNKNOWN)
case("049-rfc2047-encoded-newline-command",
     msg(std(b"=?UTF-8?Q?HELP=0A=0AADD?=")), "exit 0", "reply yes",
     "subject Your command, HELP ADD", "stored 0",
     "# encoded line ends are blanks: one Subject, one command (HELP, language ADD)")
case("050-crlf-line-ends", msg(std(b"HELP"), eol=b"\r\n"), *HELP_OK)
case("051-mbox-from-line",
     msg([b"From alice@example.org Sun Nov 22 10:00:00 2026"] + std(b"HELP")), *HELP_OK)
case("052-mbox-from-line-crlf",
     msg([b"From alice@example.org Sun Nov 22 10:00:00 2026"] + std(b"HELP"), eol=b"\r\n"),
     *HELP_OK)
case("053-headers-only-no-body", msg(std(b"HELP"), blank=False), *HELP_OK)
case("054-folded-subject", msg(std(b"INDEX\n   corpus\n\tkey7")), "exit 0", "reply yes",
     "subject Your command, INDEX corpus key7, failed")
case("055-no-subject", msg([b"From: alice@example.org"]), "exit 0", "reply yes",
     "subject-has was invalid", *UNKNOWN)
case("056-re-prefix-subject", msg(std(b"Re: HELP")), "exit 0", "reply yes",
     "subject Your command, Re: HELP, was invalid", *UNKNOWN)
case("057-empty-message", b"", *NO)
case("058-binary-junk-no-headers", bytes(range(256)) * 4, *NO)
case("059-duplicate-content-type",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=zz",
                           b"Content-Type: text/plain"]), K5),
     "exit 0", "reply yes", "stored 1", "# the last Content-Type counts: plain text here")

# ---- limits (the driver's small ones) -------------------------------------
case("060-subject-too-long", msg(std(b"INDEX " + b"a" * 250)), "exit 0", "reply yes",
     "subject-has , failed", "body-has max_subject")
case("061-header-line-too-long",
     msg(std(b"HELP", extra=[b"X-Long: " + b"x" * 1200])), "exit 0", "reply yes",
     "subject Your command, HELP, failed", "body-has max_header_line")
case("062-too-many-headers",
     msg(std(b"HELP") + [b"X-Filler-%d: %d" % (i, i) for i in range(120)]), "exit 0",
     "reply yes", "subject Your command, HELP, failed", "body-has max_headers")
gen_case("063-header-block-too-big", "header-size", "exit 0", "reply yes",
         "body-has max_header_size")
gen_case("064-message-too-big", "oversize", "exit 0", "reply yes",
         "subject Your command, ADD, failed", "body-has max_message_size", "stored 0")
gen_case("065-message-too-big-from-bounce", "oversize-bounce", *NO)


def nest(depth, inner):
    """depth nested multipart/mixed levels around inner (a part with headers)."""
    part = inner
    for d in range(depth, 0, -1):
        b = b"lvl%d" % d
        part = (b"Content-Type: multipart/mixed; boundary=" + b + b"\n\n" +
                multipart(b, [part]))
    return part


KEYPART = b"Content-Type: application/pgp-keys\n\n" + K6
deep5 = nest(5, KEYPART)
case("066-mime-too-deep", msg(std(b"ADD", extra=[b"MIME-Version: 1.0"]) +
                              [deep5.split(b"\n\n", 1)[0]], deep5.split(b"\n\n", 1)[1]),
     "exit 0", "reply yes", "subject Your command, ADD, failed", "body-has max_mime_depth",
     "stored 0")
deep4 = nest(4, KEYPART)
case("067-mime-at-depth-limit", msg(std(b"ADD", extra=[b"MIME-Version: 1.0"]) +
                                    [deep4.split(b"\n\n", 1)[0]], deep4.split(b"\n\n", 1)[1]),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1")
many = multipart(b"mp", [b"Content-Type: text/plain\n\npart %d\n" % i for i in range(25)])
case("068-too-many-mime-parts",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=mp"]),
         many), "exit 0", "reply yes", "body-has max_mime_parts", "stored 0")
gen_case("069-decoded-too-big", "decoded-size", "exit 0", "reply yes",
         "body-has max_decoded_size", "stored 0")
case("070-keys-beyond-max-keys-per-add", msg(std(b"ADD"), K1 + K2 + K3 + K4 + K5),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 3",
     "body-has max_keys_per_add")
case("071-key-over-max-key-size", msg(std(b"ADD"), BIG), "exit 0", "reply yes",
     "subject Your command, ADD, failed", "body-has max_key_size", "stored 0")
case("072-search-over-max-search", msg(std(b"INDEX " + b"b" * 45)), "exit 0", "reply yes",
     "subject-has , failed", "body-has max_search")
case("073-results-over-max-reply-keys", msg(std(b"INDEX corpus")), "exit 0", "reply yes",
     "setup 073-results-over-max-reply-keys.setup", "stored 3",
     "subject Your command, INDEX corpus, failed", "body-has max_reply_keys")
case("074-last-over-max-last-days", msg(std(b"LAST 30")), "exit 0", "reply yes",
     "subject-has , failed", "body-has max_last_days")

# ---- bodies ---------------------------------------------------------------
case("075-add-empty-body", msg(std(b"ADD")), "exit 0", "reply yes",
     "subject Your command, ADD, failed", "body-has No public key block", "stored 0")
case("076-add-binary-junk-body", msg(std(b"ADD"), bytes((i * 37 + 11) % 256 for i in range(3000))),
     "exit 0", "reply yes", "subject Your command, ADD, failed", "stored 0")
gen_case("077-add-one-huge-line", "huge-line", "exit 0", "reply yes",
         "subject Your command, ADD, failed", "stored 0")
case("078-secret-key", msg(std(b"ADD"), SECRET), "exit 0", "reply yes",
     "subject Your command, ADD, failed", "body-has secret", "stored 0")
armor_lines = K7.split(b"\n")
garbage = b"\n".join(armor_lines[:4] + [b"!!!! this is not base64 at all !!!!"] + armor_lines[4:])
case("079-armor-with-garbage-line", msg(std(b"ADD"), garbage), "exit 0", "reply yes",
     "subject Your command, ADD, failed", "stored 0")
case("080-armor-wrong-crc", msg(std(b"ADD"), K7[:K7.rindex(b"\n=")] + b"\n=AAAA\n" +
                               b"-----END PGP PUBLIC KEY BLOCK-----\n"),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1",
     "# a wrong CRC is accepted, as mail-protocol.md 3.1 recommends")
trunc = K7[:len(K7) // 2]
case("081-armor-truncated", msg(std(b"ADD"), trunc), "exit 0", "reply yes",
     "subject Your command, ADD, failed", "stored 0")
empties = b"".join(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n"
                   for _ in range(50))
case("082-fifty-empty-armor-blocks", msg(std(b"ADD"), empties), "exit 0", "reply yes",
     "subject Your command, ADD, failed", "stored 0")
case("083-unterminated-multipart",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=open"]),
         b"--open\nContent-Type: text/plain\n\n" + K1), "exit 0", "reply yes",
     "subject Your command, ADD", "stored 1", "# the cut-off last part still counts")
case("084-truncated-base64-attachment",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=b64"]),
         multipart(b"b64", [b"Content-Type: text/plain\n\nmy key\n",
                            b"Content-Type: application/pgp-keys\nContent-Transfer-Encoding: base64\n\n" +
                            b64(K1BIN)[:100]], close=False)),
     "exit 0", "reply yes", "subject Your command, ADD, failed", "stored 0")
case("085-base64-binary-attachment",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=b64"]),
         multipart(b"b64", [b"Content-Type: text/plain\n\nmy key\n",
                            b"Content-Type: application/pgp-keys\nContent-Transfer-Encoding: base64\n\n" +
                            b64(K1BIN)])),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1")
case("086-quoted-printable-armor",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: text/plain; charset=us-ascii",
                           b"Content-Transfer-Encoding: quoted-printable"]), qp_armor(K2)),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1")
case("087-key-in-forwarded-message",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=fw"]),
         multipart(b"fw", [b"Content-Type: text/plain\n\nforwarding\n",
                           b"Content-Type: message/rfc822\n\nFrom: c@example.org\nSubject: key\n\n" + K3])),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1")
case("088-octet-stream-asc-attachment",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=os"]),
         multipart(b"os", [b"Content-Type: application/octet-stream\n"
                           b"Content-Disposition: attachment; filename=\"key.asc\"\n\n" + K4])),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1")
case("089-octet-stream-exe-attachment",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=os"]),
         multipart(b"os", [b"Content-Type: application/octet-stream\n"
                           b"Content-Disposition: attachment; filename=\"key.exe\"\n\n" + K4])),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1",
     "# an octet-stream part is looked into for key material whatever its name (issue 15)")
case("090-multipart-without-boundary",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed"]), K5),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1",
     "# no usable boundary: read as plain text")
case("091-html-part-with-key",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: text/html"]),
         b"<html><body><pre>\n" + K6 + b"</pre></body></html>\n"),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1")
case("092-boundary-inside-key-text",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=--"]),
         multipart(b"--", [b"Content-Type: text/plain\n\n" + K7])),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1")
case("093-incremental-secret-key",
     msg([b"From: pgp-public-keys@peer.example.net", b"Subject: incremental",
          b"Precedence: list"], SECRET), "exit 0", "reply no", "stored 0")
case("094-get-header-injection-argument",
     msg(std(b"GET =?UTF-8?Q?0x=0D=0AX-Evil:_1?=")), "exit 0", "reply yes",
     "header-lacks ^X-Evil", "subject-has , failed")

case("095-our-own-message-id",
     msg([b"From: alice@example.org", b"Subject: HELP",
          b"Message-ID: <0123456789abcdef0123456789abcdef@keys.test.example>"]), *NO,
     "log-has our own Message-ID", "# one of our replies, back without its X-Loop")
case("096-message-id-like-ours-other-domain",
     msg([b"From: alice@example.org", b"Subject: HELP",
          b"Message-ID: <0123456789abcdef0123456789abcdef@example.org>"]), *HELP_OK)

# ---- unknown commands from forged senders (issue 15, item 3) -----------
# Our MTA is "mx.keys.test.example" (authserv_id in those cases); an
# Authentication-Results field of any other name is somebody else's.
AR_OURS = b"Authentication-Results: mx.keys.test.example; spf=pass smtp.mailfrom=x; dmarc=fail (p=reject dis=none) header.from=bank.example"
AR_SPF = b"Authentication-Results: mx.keys.test.example;\n\tspf=fail (sender IP is 192.0.2.7) smtp.mailfrom=bank.example"
AR_OTHER = b"Authentication-Results: mx.elsewhere.example; dmarc=fail header.from=bank.example"
case("097-unknown-dmarc-fail-ours",
     msg(std(b"Buy cheap pills", frm=b"Bank <info@bank.example>", extra=[AR_OURS])),
     *NO, "conf authserv_id = mx.keys.test.example", "log-has dmarc=fail",
     "# forged sender, and our MTA says so: no backscatter")
case("098-unknown-dmarc-fail-not-ours",
     msg(std(b"Buy cheap pills", frm=b"Bank <info@bank.example>", extra=[AR_OTHER])),
     "exit 0", "reply yes", "subject-has was invalid", *UNKNOWN,
     "conf authserv_id = mx.keys.test.example",
     "# anybody can write such a field: only our MTA's counts")
case("099-help-dmarc-fail",
     msg(std(b"HELP", frm=b"Bank <info@bank.example>", extra=[AR_OURS])), *HELP_OK,
     "conf authserv_id = mx.keys.test.example",
     "# only unknown commands are withheld")
case("100-unknown-spf-fail-default",
     msg(std(b"hello", frm=b"Bank <info@bank.example>", extra=[AR_SPF])),
     "exit 0", "reply yes", *UNKNOWN, "conf authserv_id = mx.keys.test.example",
     "# spf=fail alone withholds nothing unless configured")
case("101-unknown-spf-fail-configured",
     msg(std(b"hello", frm=b"Bank <info@bank.example>", extra=[AR_SPF])), *NO,
     "conf authserv_id = mx.keys.test.example", "conf silence_unknown_on_spf_fail = yes",
     "log-has spf=fail")
case("102-unknown-silent",
     msg(std(b"hello")), *NO, "conf reply_to_unknown = no", "log-has reply_to_unknown",
     "# the operator's choice: no reply to unknown commands at all")
case("103-unknown-dmarc-fail-no-authserv-id",
     msg(std(b"Buy cheap pills", frm=b"Bank <info@bank.example>", extra=[AR_OURS])),
     "exit 0", "reply yes", *UNKNOWN,
     "# without authserv_id no such field is trusted")

# ---- attachments as mail programs label them (issue 15, item 6) --------
case("104-pgp-encrypted-binary-key",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=pe"]),
         multipart(b"pe", [b"Content-Type: text/plain\n\nMy key is attached.\n",
                           b"Content-Type: application/pgp-encrypted\n"
                           b"Content-Disposition: attachment; filename=\"key1.pgp\"\n"
                           b"Content-Transfer-Encoding: base64\n\n" + b64(K1BIN)])),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1",
     "# Debian's mime.types labels .pgp application/pgp-encrypted; mutt sends keys so")
case("105-pgp-encrypted-armored-key",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=pe"]),
         multipart(b"pe", [b"Content-Type: application/pgp-encrypted; name=\"key2.pgp\"\n\n" + K2])),
     "exit 0", "reply yes", "subject Your command, ADD", "stored 1")
case("106-octet-stream-not-a-key",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0", b"Content-Type: multipart/mixed; boundary=ns"]),
         multipart(b"ns", [b"Content-Type: application/octet-stream\n"
                           b"Content-Disposition: attachment; filename=\"photo.jpg\"\n"
                           b"Content-Transfer-Encoding: base64\n\n" +
                           b64(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)))])),
     "exit 0", "reply yes", "subject Your command, ADD, failed", "stored 0",
     "body-has No public key block was found", "body-lacks rejected",
     "# binary that does not start with a key or signature packet is not a broken key")
case("107-pgp-mime-encrypted-message",
     msg(std(b"ADD", extra=[b"MIME-Version: 1.0",
                            b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=en"]),
         multipart(b"en", [b"Content-Type: application/pgp-encrypted\n\nVersion: 1\n",
                           b"Content-Type: application/octet-stream; name=\"encrypted.asc\"\n\n"
                           b"-----BEGIN PGP MESSAGE-----\n\nhF4DAAAAAAAAAAASAQdAAAAA\n=AAAA\n"
                           b"-----END PGP MESSAGE-----\n"])),
     "exit 0", "reply yes", "subject Your command, ADD, failed", "stored 0",
     "body-has No public key block was found",
     "# an encrypted message is no key: nothing to report about it")


def write():
    keep = set()
    for name, data, expect in CASES:
        if data is not None:
            with open(os.path.join(HERE, name + ".eml"), "wb") as f:
                f.write(data)
            keep.add(name + ".eml")
        with open(os.path.join(HERE, name + ".expect"), "w") as f:
            f.write("# tests/mail/%s: written by corpus.py\n" % name)
            for e in expect:
                f.write(e + "\n")
        keep.add(name + ".expect")
    # The setup mail of case 073: three keys sharing the word "corpus".
    with open(os.path.join(HERE, "073-results-over-max-reply-keys.setup"), "wb") as f:
        f.write(msg(std(b"ADD"), K1 + K2 + K3))
    for fn in os.listdir(HERE):
        if (fn.endswith(".eml") or fn.endswith(".expect")) and fn not in keep:
            os.unlink(os.path.join(HERE, fn))
    # The same mails seed the fuzz_mail target (replayed by make check).
    seeds = os.path.join(HERE, "..", "fuzz", "corpus", "fuzz_mail")
    for fn in os.listdir(seeds):
        if fn.startswith("hostile-"):
            os.unlink(os.path.join(seeds, fn))
    for name, data, _ in CASES:
        if data is not None:
            with open(os.path.join(seeds, "hostile-" + name + ".eml"), "wb") as f:
                f.write(data)
    print("%d cases" % len(CASES))


def gen(kind):
    out = sys.stdout.buffer
    if kind == "oversize":
        body = K1 + b"x" * 70 + b"\n"
        body = body * (70000 // len(body) + 1)
        out.write(msg(std(b"ADD"), body))
    elif kind == "oversize-bounce":
        out.write(msg([b"Return-Path: <>"] + std(b"ADD"), b"y" * 79 + b"\n") * 1)
        out.write((b"y" * 79 + b"\n") * 900)
    elif kind == "header-size":
        out.write(msg(std(b"HELP") + [b"X-Pad-%02d: " % i + b"p" * 900 for i in range(20)]))
    elif kind == "decoded-size":
        text = (b"z" * 75 + b"\n") * 520          # 39520 bytes decoded
        out.write(msg(std(b"ADD", extra=[b"MIME-Version: 1.0",
                                         b"Content-Type: text/plain",
                                         b"Content-Transfer-Encoding: base64"]), b64(text)))
    elif kind == "huge-line":
        out.write(msg(std(b"ADD"), b"A" * 60000))
    else:
        sys.exit("corpus.py: unknown kind " + kind)


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "write":
        write()
    elif len(sys.argv) == 3 and sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "conf":
        sys.stdout.write(CONF)
    else:
        sys.exit(__doc__)
