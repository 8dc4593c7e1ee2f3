#!/usr/bin/python3
"""tests/smtp-sink.py - a local SMTP receiver that files every message in a
maildir (aiosmtpd's Mailbox handler, which adds X-MailFrom and X-RcptTo
headers), for tests/lib.sh km_smtp_start.

usage: smtp-sink.py --maildir DIR --port-file FILE

It listens on 127.0.0.1, on a port the kernel picks, and writes that port
to FILE once it listens (tests/smtp_listen.py).
"""
import argparse

from aiosmtpd.handlers import Mailbox

from smtp_listen import serve


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--maildir', required=True)
    ap.add_argument('--port-file', required=True)
    args = ap.parse_args()
    serve(Mailbox(args.maildir), args.port_file)


if __name__ == '__main__':
    main()
