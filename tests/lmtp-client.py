#!/usr/bin/python3
"""tests/lmtp-client.py - a small LMTP client for the tests (RFC 2033).

Python's smtplib.LMTP reads only one reply after DATA; LMTP gives one per
accepted recipient, so this client reads them itself.

  lmtp-client.py ADDR [--from SENDER] [--rcpt ADDR]... [--hold-after N]
                 [--quit | --no-quit] MAILFILE...

ADDR is a unix socket path or HOST:PORT. For each mail file: MAIL FROM,
the RCPTs, DATA (dot-stuffed, CRLF line ends), then one reply per accepted
recipient. Prints one line per reply received, "CODE TEXT", prefixed with
the command ("MAIL", "RCPT", "DATA", "END" for the per-recipient replies,
"QUIT"), and "EOF" if the server closed the connection. --hold-after N:
after sending N octets of the first message's data, print "HOLDING" and
wait for a line on standard input before sending the rest (so that a test
can act while a message is half received). Exit status 0 unless the
connection failed.
"""
import socket
import sys


def connect(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    s.settimeout(120)
    return s


class Conn:
    def __init__(self, s):
        self.s = s
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                return None
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r").decode("ascii", "replace")

    def reply(self):
        """One (possibly multi-line) reply: returns its last line, or None."""
        while True:
            ln = self.line()
            if ln is None:
                return None
            if len(ln) < 4 or ln[3] != "-":
                return ln

    def send(self, data):
        # A server that has answered and closed (421) may be gone before
        # we write: what it said is still to be read, so go on reading.
        try:
            self.s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def stuff(raw):
    out = []
    for ln in raw.replace(b"\r\n", b"\n").split(b"\n"):
        if ln.startswith(b"."):
            ln = b"." + ln
        out.append(ln)
    if out and out[-1] == b"":
        out.pop()
    return b"\r\n".join(out) + b"\r\n.\r\n"


def main(argv):
    addr = argv[0]
    sender = "alice@example.org"
    rcpts = []
    files = []
    hold = None
    quit_ = True
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--from":
            sender = argv[i + 1]; i += 2
        elif a == "--rcpt":
            rcpts.append(argv[i + 1]); i += 2
        elif a == "--hold-after":
            hold = int(argv[i + 1]); i += 2
        elif a == "--no-quit":
            quit_ = False; i += 1
        else:
            files.append(a); i += 1
    if not rcpts:
        rcpts = ["pgp-public-keys@keys.test.example"]
    c = Conn(connect(addr))

    def say(tag, r):
        print("%s %s" % (tag, r if r is not None else "EOF"), flush=True)
        return r is not None

    if not say("GREETING", c.reply()):
        return 0
    c.send(b"LHLO client.test\r\n")
    if not say("LHLO", c.reply()):
        return 0
    for n, f in enumerate(files):
        raw = open(f, "rb").read()
        c.send(b"MAIL FROM:<%s>\r\n" % sender.encode())
        r = c.reply()
        if not say("MAIL", r) or not r.startswith("250"):
            continue
        accepted = 0
        for rc in rcpts:
            c.send(b"RCPT TO:<%s>\r\n" % rc.encode())
            r = c.reply()
            if not say("RCPT", r):
                return 0
            if r.startswith("250"):
                accepted += 1
        c.send(b"DATA\r\n")
        r = c.reply()
        if not say("DATA", r):
            return 0
        if not r.startswith("354"):
            continue
        data = stuff(raw)
        if hold is not None and n == 0:
            c.send(data[:hold])
            print("HOLDING", flush=True)
            sys.stdin.readline()
            c.send(data[hold:])
        else:
            c.send(data)
        for _ in range(accepted):
            if not say("END", c.reply()):
                return 0
    if quit_:
        c.send(b"QUIT\r\n")
        say("QUIT", c.reply())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
