#!/usr/bin/python3
# bench/mkmails.py - request mails for the latency runs of bench/run.sh.
#
#   mkmails.py add DUMP DIR LIST        one ADD mail per key of the binary
#                                       dump DUMP (armored, as a user pastes
#                                       it); paths go to LIST
#   mkmails.py cmd SUBJECT N DIR LIST   N mails with Subject SUBJECT
#   mkmails.py armor DUMP OUT           the whole dump as one armor block
#   mkmails.py head N DUMP OUT          the first N keys of DUMP
#   mkmails.py mix DUMP LIST NEW N DIR OUTLIST
#                                       the mixed stream of the throughput
#                                       run: N each of ADD of a key of DUMP
#                                       (the store's corpus; LIST is its
#                                       kmgen -l list), ADD of a key of NEW
#                                       (not stored), GET 0xKEYID and INDEX
#                                       EMAIL of keys of DUMP spread over
#                                       it, interleaved in that order; the
#                                       paths go to OUTLIST
#
# Every mail has its own From and Message-ID, so each run of the robot
# answers a different sender (as on a live server). Input is our own
# generated corpus; nothing here is security-relevant.
import base64
import os
import sys


def crc24(data):
    crc = 0xB704CE
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(data):
    b64 = base64.b64encode(data).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    crc = base64.b64encode(crc24(data).to_bytes(3, 'big')).decode()
    return ('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n' + '\n'.join(lines) +
            '\n=' + crc + '\n-----END PGP PUBLIC KEY BLOCK-----\n')


def keys(dump):
    """Split a binary dump into transferable keys (at tag 6)."""
    d = open(dump, 'rb').read()
    i, start, out = 0, None, []
    while i < len(d):
        c = d[i]
        if c & 0x40:
            tag, o = c & 0x3F, d[i + 1]
            if o < 192:
                h, n = 2, o
            elif o < 224:
                h, n = 3, ((o - 192) << 8) + d[i + 2] + 192
            else:
                h, n = 6, int.from_bytes(d[i + 2:i + 6], 'big')
        else:
            tag, lt = (c >> 2) & 15, c & 3
            h = 1 + (1, 2, 4)[lt]
            n = int.from_bytes(d[i + 1:i + h], 'big')
        if tag == 6:
            if start is not None:
                out.append(d[start:i])
            start = i
        i += h + n
    if start is not None:
        out.append(d[start:])
    return out


def mail(path, k, subject, body=''):
    with open(path, 'w') as f:
        f.write('From: Bench User %d <user%d@bench.example>\n' % (k, k))
        f.write('To: pgp-public-keys@keys.test.example\n')
        f.write('Subject: %s\n' % subject)
        f.write('Message-ID: <bench.%d.%d@bench.example>\n' % (os.getpid(), k))
        f.write('Date: Sat, 21 Nov 2026 10:00:00 +0000\n')
        f.write('MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n')
        f.write(body)


def main():
    cmd = sys.argv[1]
    if cmd == 'add':
        dump, d, lst = sys.argv[2:5]
        os.makedirs(d, exist_ok=True)
        paths = []
        for k, key in enumerate(keys(dump)):
            p = os.path.join(d, 'add-%05d.eml' % k)
            mail(p, k, 'ADD', armor(key))
            paths.append(p)
        open(lst, 'w').write('\n'.join(paths) + '\n')
    elif cmd == 'cmd':
        subject, n, d, lst = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
        os.makedirs(d, exist_ok=True)
        paths = []
        for k in range(n):
            p = os.path.join(d, 'cmd-%05d.eml' % k)
            mail(p, k, subject)
            paths.append(p)
        open(lst, 'w').write('\n'.join(paths) + '\n')
    elif cmd == 'mix':
        dump, lst, new, n, d, out = sys.argv[2:8]
        n = int(n)
        known = keys(dump)
        fresh = keys(new)
        rows = [l.split() for l in open(lst) if l.strip()]
        if len(fresh) < n or len(known) < n or len(rows) < len(known):
            sys.exit('mkmails.py mix: not enough keys')
        os.makedirs(d, exist_ok=True)
        step = len(known) // n
        paths = []
        k = 0
        for i in range(n):
            j = i * step + step // 2
            keyid, email = rows[j][2], rows[j][4].strip('<>')
            for kind, subject, body in (
                    ('known', 'ADD', armor(known[j])),
                    ('new', 'ADD', armor(fresh[i])),
                    ('get', 'GET 0x' + keyid, ''),
                    ('index', 'INDEX ' + email, '')):
                p = os.path.join(d, 'mix-%05d-%s.eml' % (k, kind))
                mail(p, k, subject, body)
                paths.append(p)
                k += 1
        open(out, 'w').write('\n'.join(paths) + '\n')
    elif cmd == 'head':
        n, dump, out = int(sys.argv[2]), sys.argv[3], sys.argv[4]
        open(out, 'wb').write(b''.join(keys(dump)[:n]))
    elif cmd == 'armor':
        open(sys.argv[3], 'w').write(armor(open(sys.argv[2], 'rb').read()))
    else:
        sys.exit('usage: mkmails.py add|cmd|armor|head|mix ...')


main()
