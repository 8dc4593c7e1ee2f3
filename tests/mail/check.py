#!/usr/bin/env python3
"""tests/mail/check.py - check the outcomes of hostile-corpus cases.

    check.py --results DIR
    check.py EXPECT EXIT STORED LOG [REPLY]

Prints one line per assertion, "ok: ..." or "FAIL: ...", for the driver
tests/e2e/435-hostile-corpus.sh to count. With --results, DIR holds one
directory per case as the driver leaves them: "expect" (the path of the
case's .expect file), "rc" (the filter's exit status), "stored" (keys in
the store afterwards), "log" (the filter's standard error) and
"reply.eml" if a reply was sent. The second form checks one case.
The .expect format is described in tests/mail/README.

Besides the .expect lines, every case is held to what must hold for any
mail at all: keymail exits 0 (never 75, which would make the MTA retry a
hostile mail for days, and never a signal or a crash), and a reply it
sends is well-formed and harmless: header lines of printable ASCII only,
no bare CR, at most 998 octets, exactly one To: with one bare address, no
Cc:/Bcc:, and the robot headers (Auto-Submitted, Precedence, X-Loop) that
keep other robots from answering it. (The driver checks "at most one
reply".)
"""
import email
import email.header
import os
import re
import sys
from email import policy

US = "pgp-public-keys@keys.test.example"


def parse_reply(raw, ok):
    """Check the reply's header; return its unfolded fields, Subject, text."""
    fields = []
    head = raw.split(b"\n\n", 1)[0]
    lines = head.split(b"\n")
    bad = [l for l in lines if len(l) > 998 or
           any((c < 0x20 and c != 0x09) or c > 0x7e for c in l)]
    ok(not bad, "reply header lines are printable ASCII, no CR, <= 998 octets")
    for l in lines:
        if l[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += l.decode("ascii", "replace")
        elif b":" in l:
            n, v = l.split(b":", 1)
            fields.append([n.decode("ascii", "replace"), v.decode("ascii", "replace")])
    names = [f[0].lower() for f in fields]
    ok(names.count("to") == 1, "exactly one To:")
    ok("cc" not in names and "bcc" not in names, "no Cc:/Bcc:")
    hv = {f[0].lower(): f[1].strip() for f in fields}
    ok(hv.get("auto-submitted") == "auto-replied", "Auto-Submitted: auto-replied")
    ok(hv.get("precedence") == "list", "Precedence: list")
    ok(hv.get("x-loop") == US, "X-Loop: our address")
    ok(re.fullmatch(r"[^\s<>,@]+@[^\s<>,@]+", hv.get("to", "")) is not None,
       "To: is one bare address")
    subject = str(email.header.make_header(email.header.decode_header(hv.get("subject", ""))))
    body = ""
    m = email.message_from_bytes(raw, policy=policy.default)
    for part in m.walk():
        if part.get_content_maintype() != "multipart":
            body += (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return fields, subject, body


def check(expect_path, rc, stored, log_path, reply_path):
    name = os.path.basename(expect_path).rsplit(".", 1)[0]
    rc, stored = int(rc), int(stored)
    with open(log_path, "rb") as f:
        log = f.read().decode("utf-8", "replace")

    def ok(cond, what):
        print(("ok: " if cond else "FAIL: ") + name + ": " + what)

    fields, subject, body = [], None, ""
    if reply_path is not None:
        with open(reply_path, "rb") as f:
            fields, subject, body = parse_reply(f.read(), ok)
    ok(rc == 0, "exit status 0 (got %d)" % rc)

    with open(expect_path, encoding="utf-8") as f:
        expect = f.read().splitlines()
    for line in expect:
        if not line or line.startswith("#"):
            continue
        key, _, arg = line.partition(" ")
        if key == "exit":
            ok(rc == int(arg), "exit %s (got %d)" % (arg, rc))
        elif key == "reply":
            ok((reply_path is not None) == (arg == "yes"), "reply %s" % arg)
        elif key == "stored":
            ok(stored == int(arg), "stored %s (got %d)" % (arg, stored))
        elif key == "subject":
            ok(subject == arg, "subject %r (got %r)" % (arg, subject))
        elif key == "subject-has":
            ok(subject is not None and arg in subject,
               "subject has %r (got %r)" % (arg, subject))
        elif key == "body-has":
            ok(arg in body, "body has %r" % arg)
        elif key == "body-lacks":
            ok(arg not in body, "body lacks %r" % arg)
        elif key == "to":
            got = next((v.strip() for n, v in fields if n.lower() == "to"), None)
            ok(got == arg, "to %s (got %s)" % (arg, got))
        elif key == "header-lacks":
            rx = re.compile(arg, re.I)
            hit = ["%s:%s" % (n, v) for n, v in fields if rx.search("%s:%s" % (n, v))]
            ok(not hit, "no header matches %r %s" % (arg, hit[:1]))
        elif key == "log-has":
            ok(arg in log, "log has %r" % arg)
        elif key in ("generate", "setup", "conf"):
            pass        # the driver's business
        else:
            ok(False, "unknown assertion %r" % line)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--results":
        d = sys.argv[2]
        for case in sorted(os.listdir(d)):
            c = os.path.join(d, case)

            def rd(f):
                with open(os.path.join(c, f)) as fh:
                    return fh.read().strip()
            reply = os.path.join(c, "reply.eml")
            check(rd("expect"), rd("rc"), rd("stored"), os.path.join(c, "log"),
                  reply if os.path.exists(reply) else None)
    elif len(sys.argv) in (5, 6):
        check(*sys.argv[1:5], sys.argv[5] if len(sys.argv) == 6 else None)
    else:
        sys.exit(__doc__)
