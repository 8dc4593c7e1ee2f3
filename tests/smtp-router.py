#!/usr/bin/python3
"""tests/smtp-router.py - one local SMTP receiver for several keymail instances.

The sync tests run two or three keymail instances (own database, own
config) that mail each other through the real msmtp. This receiver plays
every instance's MTA: for each envelope recipient it looks the address up
in the --route table and pipes the message, with a Return-Path: header in
front as a local delivery agent would write it, into that instance's
`keymail -c CONF filter`. Recipients without a route (people who get
replies) go to a mailbox directory. Every delivery is a line in the log
(tab-separated), which the tests count:

    seq  env_from  rcpt  header_from  subject  x_keyserver_sent  route  rc  file

The filter runs before the SMTP transaction is answered (so when msmtp,
and therefore `keymail sync`, returns, the receiving instance has merged
the key), but as an asyncio subprocess, so the receiver keeps accepting
the connections that filter itself may open to send a reply.

usage: smtp-router.py --port-file FILE --log FILE --spool DIR
                      --keymail PROGRAM [--route ADDRESS=CONF ...]

It listens on 127.0.0.1, on a port the kernel picks, and writes that port
to the --port-file once it listens (tests/smtp_listen.py).
Needs python3-aiosmtpd (Debian's /usr/bin/python3 has it).
"""
import argparse
import asyncio
import email
import email.policy
import os

from smtp_listen import serve


class Router:
    def __init__(self, args):
        self.keymail = args.keymail
        self.routes = {}
        for r in args.route:
            addr, _, conf = r.partition('=')
            self.routes[addr.lower()] = conf
        self.log = args.log
        self.spool = args.spool
        self.seq = 0
        self.lock = asyncio.Lock()

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode('utf-8', 'surrogateescape')
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
        hfrom = (msg.get('From') or '').strip()
        subject = (msg.get('Subject') or '').strip()
        xks = ','.join(v.strip() for v in (msg.get_all('X-KeyServer-Sent') or []))
        env_from = envelope.mail_from or ''
        # As a delivery agent would: the envelope sender in front.
        delivered = b'Return-Path: <' + env_from.encode() + b'>\n' + \
            data.replace(b'\r\n', b'\n')
        for rcpt in envelope.rcpt_tos:
            async with self.lock:
                self.seq += 1
                seq = self.seq
            path = os.path.join(self.spool, '%05d.eml' % seq)
            with open(path, 'wb') as f:
                f.write(delivered)
            conf = self.routes.get(rcpt.lower())
            rc = ''
            if conf is not None:
                proc = await asyncio.create_subprocess_exec(
                    self.keymail, '-c', conf, 'filter',
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE)
                _, err = await proc.communicate(delivered)
                rc = str(proc.returncode)
                with open(path + '.err', 'wb') as f:
                    f.write(err)
            with open(self.log, 'a') as f:
                f.write('\t'.join([str(seq), env_from, rcpt, hfrom, subject, xks,
                                   conf or 'mailbox', rc, path]) + '\n')
            if conf is not None and rc == '75':
                return '451 4.3.0 filter asked to retry'
        return '250 OK'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port-file', required=True)
    ap.add_argument('--log', required=True)
    ap.add_argument('--spool', required=True)
    ap.add_argument('--keymail', required=True)
    ap.add_argument('--route', action='append', default=[])
    args = ap.parse_args()
    os.makedirs(args.spool, exist_ok=True)
    open(args.log, 'a').close()
    serve(Router(args), args.port_file)


if __name__ == '__main__':
    main()
