#!/usr/bin/env python3
# tests/recon-forge.py - reconciliation records made and read without
# keymail's code (reconciliation.md 8, 9): the hostile and protocol tests
# play a peer with it, and GnuPG makes the signatures.
#
#   recon-forge.py secret SEEDFILE PUBKEY OUT
#       a transferable secret key (unprotected) for GnuPG: the server
#       key file's seed put into the key packet of PUBKEY (binary, as
#       `keymail get` serves it after gpg --dearmor)
#   recon-forge.py record --type T --sid HEX --seq N --time T --sender FPR
#       --recipient FPR --body HEX [--gnupghome DIR --signer FPR |
#       --sig-hex HEX] OUT
#       a record: header, body, and a detached signature over both made
#       by `gpg --detach-sign` (or the octets given)
#   recon-forge.py body TYPE ARGS...
#       the body of a record, in hex: offer SALT N M MAX COUNTERS CELLS,
#       more LO HI D N, cells LO HI CELLS, result N CELLS RONLY IDS,
#       done SENT UNKNOWN SKIPPED, abort REASON (COUNTERS, CELLS and IDS
#       are hex or "-" for none; IDS are 16 hex digits each, as given)
#   recon-forge.py mail --from A --to B --subject S RECORD OUT
#       a control mail carrying the record (base64, 76 columns)
#   recon-forge.py show MAIL
#       the record in a mail: header fields and body fields, one
#       "name value" per line (cells and ids in hex)
#   recon-forge.py split MAIL DATA SIG
#       the signed octets and the signature packet, for gpg --verify
import base64
import email
import os
import struct
import subprocess
import sys
import tempfile

TYPES = {'OFFER': 1, 'MORE': 2, 'CELLS': 3, 'RESULT': 4, 'DONE': 5, 'ABORT': 6}
NAMES = {v: k for k, v in TYPES.items()}


def packet(tag, body):
    """Old-format packet with a 4-octet length (or 1 octet when short)."""
    if len(body) < 256:
        return bytes([0x80 | tag << 2, len(body)]) + body
    return bytes([0x80 | tag << 2 | 2]) + struct.pack('>I', len(body)) + body


def packets(data):
    i = 0
    while i < len(data):
        c = data[i]
        if c & 0x40:
            tag = c & 0x3f
            o = data[i + 1]
            if o < 192:
                h, n = 2, o
            elif o < 224:
                h, n = 3, ((o - 192) << 8) + data[i + 2] + 192
            else:
                h, n = 6, int.from_bytes(data[i + 2:i + 6], 'big')
        else:
            tag = (c >> 2) & 15
            h = {0: 2, 1: 3, 2: 5}[c & 3]
            n = int.from_bytes(data[i + 1:i + h], 'big')
        yield tag, data[i:i + h + n], data[i + h:i + h + n]
        i += h + n


def mpi(b):
    b = b.lstrip(b'\0')
    bits = len(b) * 8 - (8 - b[0].bit_length()) if b else 0
    return struct.pack('>H', bits) + b


def cmd_secret(seedfile, pubfile, out):
    seed = None
    for line in open(seedfile):
        if line.startswith('ed25519-seed '):
            seed = bytes.fromhex(line.split()[1])
    pub = open(pubfile, 'rb').read()
    res = b''
    for tag, raw, body in packets(pub):
        if tag == 6:
            m = mpi(seed)
            cks = sum(m) & 0xffff
            res += packet(5, body + b'\0' + m + struct.pack('>H', cks))
        else:
            res += raw
    open(out, 'wb').write(res)


def cmd_body(kind, args):
    def hx(s):
        return b'' if s == '-' else bytes.fromhex(s)
    if kind == 'offer':
        salt, n, m, mx, counters, cells = args
        c = hx(counters)
        k = len(c) // 4
        b = hx(salt) + struct.pack('>IIIH', int(n), int(m), int(mx), k) + c + hx(cells)
    elif kind == 'more':
        b = struct.pack('>IIII', *(int(x) for x in args))
    elif kind == 'cells':
        b = struct.pack('>II', int(args[0]), int(args[1])) + hx(args[2])
    elif kind == 'result':
        ids = hx(args[3])
        b = struct.pack('>IIII', int(args[0]), int(args[1]), int(args[2]), len(ids) // 8) + ids
    elif kind == 'done':
        b = struct.pack('>III', *(int(x) for x in args))
    elif kind == 'abort':
        b = bytes([int(args[0])])
    else:
        raise SystemExit('unknown body ' + kind)
    print(b.hex())


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return v
    if default is None:
        raise SystemExit('missing ' + name)
    return default


def cmd_record(args):
    t = opt(args, '--type').upper()
    sid = int(opt(args, '--sid'), 16)
    seq = int(opt(args, '--seq'))
    when = int(opt(args, '--time'))
    sender = bytes.fromhex(opt(args, '--sender'))
    recipient = bytes.fromhex(opt(args, '--recipient'))
    body = bytes.fromhex(opt(args, '--body'))
    home = opt(args, '--gnupghome', '')
    signer = opt(args, '--signer', '')
    sighex = opt(args, '--sig-hex', '')
    out = args[0]
    head = b'KMR1' + bytes([TYPES.get(t, 0) if t in TYPES else int(t), 0]) + \
        struct.pack('>QHQ', sid, seq, when) + sender + recipient + \
        struct.pack('>I', len(body))
    data = head + body
    if sighex:
        sig = bytes.fromhex(sighex)
    elif home:
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            sig = subprocess.run(['gpg', '--homedir', home, '--batch', '--yes',
                                  '--pinentry-mode', 'loopback', '--passphrase', '',
                                  '--digest-algo', 'SHA512', '--local-user', signer,
                                  '--detach-sign', '-o', '-', f.name],
                                 stdout=subprocess.PIPE, check=True).stdout
    else:
        sig = b''
    open(out, 'wb').write(data + sig)


def cmd_mail(args):
    frm = opt(args, '--from')
    to = opt(args, '--to')
    subject = opt(args, '--subject')
    rec = open(args[0], 'rb').read()
    b64 = base64.b64encode(rec).decode()
    lines = '\n'.join(b64[i:i + 76] for i in range(0, len(b64), 76))
    msg = ('From: %s\nTo: %s\nSubject: %s\nDate: Mon, 07 Dec 2026 10:00:00 +0000\n'
           'Message-ID: <%s@forge.test>\nAuto-Submitted: auto-generated\n'
           'Precedence: list\nMIME-Version: 1.0\n'
           'Content-Type: application/x-keymail-recon\n'
           'Content-Transfer-Encoding: base64\n\n%s\n') % (
               frm, to, subject, os.urandom(8).hex(), lines)
    open(args[1], 'w').write(msg)


def record_of(path):
    m = email.message_from_binary_file(open(path, 'rb'))
    for part in m.walk():
        if part.get_content_type() == 'application/x-keymail-recon':
            return part.get_payload(decode=True)
    raise SystemExit('no record in ' + path)


def cmd_show(path):
    r = record_of(path)
    t = r[4]
    sid, seq, when = struct.unpack('>QHQ', r[6:24])
    ln = struct.unpack('>I', r[64:68])[0]
    b = r[68:68 + ln]
    print('type', NAMES.get(t, t))
    print('sid %016x' % sid)
    print('seq', seq)
    print('time', when)
    print('sender', r[24:44].hex().upper())
    print('recipient', r[44:64].hex().upper())
    print('len', ln)
    print('siglen', len(r) - 68 - ln)
    if t == 1:
        n, m, mx, k = struct.unpack('>IIIH', b[16:30])
        print('salt', b[:16].hex())
        print('n', n)
        print('m', m)
        print('max_cells', mx)
        print('counters', b[30:30 + 4 * k].hex())
        print('cells', b[30 + 4 * k:].hex())
    elif t == 2:
        for name, v in zip(('lo', 'hi', 'd_est', 'n'), struct.unpack('>IIII', b)):
            print(name, v)
    elif t == 3:
        lo, hi = struct.unpack('>II', b[:8])
        print('lo', lo)
        print('hi', hi)
        print('cells', b[8:].hex())
    elif t == 4:
        n, c, ro, w = struct.unpack('>IIII', b[:16])
        print('n', n)
        print('cells', c)
        print('r_only', ro)
        print('w', w)
        print('want', b[16:].hex())
    elif t == 5:
        for name, v in zip(('sent', 'unknown', 'skipped'), struct.unpack('>III', b)):
            print(name, v)
    elif t == 6:
        print('reason', b[0])


def cmd_split(path, data, sig):
    r = record_of(path)
    ln = struct.unpack('>I', r[64:68])[0]
    open(data, 'wb').write(r[:68 + ln])
    open(sig, 'wb').write(r[68 + ln:])


def main():
    a = sys.argv[1:]
    if a[0] == 'secret':
        cmd_secret(*a[1:4])
    elif a[0] == 'body':
        cmd_body(a[1], a[2:])
    elif a[0] == 'record':
        cmd_record(a[1:])
    elif a[0] == 'mail':
        cmd_mail(a[1:])
    elif a[0] == 'show':
        cmd_show(a[1])
    elif a[0] == 'split':
        cmd_split(*a[1:4])
    else:
        raise SystemExit('usage: see the header of this file')


main()
