#!/usr/bin/env python3
# tests/recon-keys.py - two key sets for the reconciliation tests, made
# from a bench/kmgen dump by packet surgery that keymail plays no part in.
#
#   recon-keys.py DUMP A_OUT B_OUT COMMON A_ONLY B_ONLY TWO LIST_OUT
#
# The first COMMON keys of DUMP (kmgen's index order) go to both sides;
# of the rest, the first TWO keys that can be cut both ways (two user
# IDs or more, a third-party certification) are "two version" keys, and
# the others go to A (A_ONLY of them) and then to B (B_ONLY); keys left
# over are not used. A gets the common keys, its own keys and one version
# of each two-version key; B the common keys, its own and the other
# version:
#   even ones: A lacks the key's last user ID (with its signatures), B
#              lacks one third-party certification;
#   odd ones:  the other way round.
# Either way neither version contains the other, so one session only
# converges if both sides send their version (spec 10.5). LIST_OUT gets
# one line per key used: "FPR kind", kind common, a, b or two.
import hashlib
import sys


def packets(data):
    """(tag, header+body bytes, body) for each packet of a binary dump."""
    i, out = 0, []
    while i < len(data):
        c = data[i]
        if not c & 0x80:
            raise SystemExit('not a packet at %d' % i)
        if c & 0x40:
            tag = c & 0x3f
            o = data[i + 1]
            if o < 192:
                h, n = 2, o
            elif o < 224:
                h, n = 3, ((o - 192) << 8) + data[i + 2] + 192
            elif o == 255:
                h, n = 6, int.from_bytes(data[i + 2:i + 6], 'big')
            else:
                raise SystemExit('partial length')
        else:
            tag = (c >> 2) & 15
            lt = c & 3
            h = {0: 2, 1: 3, 2: 5}[lt]
            n = int.from_bytes(data[i + 1:i + h], 'big')
        out.append((tag, data[i:i + h + n], data[i + h:i + h + n]))
        i += h + n
    return out


def keys(pkts):
    cur = []
    for p in pkts:
        if p[0] == 6 and cur:
            yield cur
            cur = []
        cur.append(p)
    if cur:
        yield cur


def fpr(key):
    body = key[0][2]
    return hashlib.sha1(b'\x99' + len(body).to_bytes(2, 'big') + body).hexdigest().upper()


def issuer(body):
    """The issuer key ID (8 octets) of a v4 signature, or None."""
    if body[0] != 4:
        return None
    hl = int.from_bytes(body[4:6], 'big')
    areas = [body[6:6 + hl]]
    ul = int.from_bytes(body[6 + hl:8 + hl], 'big')
    areas.append(body[8 + hl:8 + hl + ul])
    for a in areas:
        j = 0
        while j < len(a):
            o = a[j]
            if o < 192:
                ln, j = o, j + 1
            elif o < 255:
                ln, j = ((o - 192) << 8) + a[j + 1] + 192, j + 2
            else:
                ln, j = int.from_bytes(a[j + 1:j + 5], 'big'), j + 5
            t = a[j] & 0x7f
            if t == 16:
                return a[j + 1:j + 9]
            if t == 33 and a[j + 1] == 4:
                return a[j + 2 + 12:j + 2 + 20]
            j += ln
    return None


def without_last_uid(key):
    """The key without its last user ID and that ID's signatures."""
    uids = [i for i, p in enumerate(key) if p[0] == 13]
    if len(uids) < 2:
        return None
    start = uids[-1]
    end = start + 1
    while end < len(key) and key[end][0] == 2:
        end += 1
    return key[:start] + key[end:]


def without_a_cert(key):
    """The key without its first third-party certification on a user ID."""
    own = bytes.fromhex(fpr(key))[-8:]
    in_uid = False
    for i, p in enumerate(key):
        if p[0] in (13, 17):
            in_uid = True
        elif p[0] == 14:
            in_uid = False
        elif p[0] == 2 and in_uid:
            iss = issuer(p[2])
            if iss is not None and iss != own:
                return key[:i] + key[i + 1:]
    return None


def raw(key):
    return b''.join(p[1] for p in key)


def main():
    dump, a_out, b_out = sys.argv[1:4]
    common, a_only, b_only, two = (int(x) for x in sys.argv[4:8])
    ks = list(keys(packets(open(dump, 'rb').read())))
    a, b, lst = [], [], []
    for k in ks[:common]:
        a.append(raw(k)); b.append(raw(k)); lst.append((fpr(k), 'common'))
    na = nb = nt = 0
    for k in ks[common:]:
        nouid, nocert = without_last_uid(k), without_a_cert(k)
        if nt < two and nouid is not None and nocert is not None:
            if nt % 2 == 0:
                a.append(raw(nouid)); b.append(raw(nocert))
            else:
                a.append(raw(nocert)); b.append(raw(nouid))
            lst.append((fpr(k), 'two'))
            nt += 1
        elif na < a_only:
            a.append(raw(k)); lst.append((fpr(k), 'a'))
            na += 1
        elif nb < b_only:
            b.append(raw(k)); lst.append((fpr(k), 'b'))
            nb += 1
    if (na, nb, nt) != (a_only, b_only, two) or len(ks) < common:
        raise SystemExit('recon-keys: the dump is too small: %d a, %d b, '
                         '%d two' % (na, nb, nt))
    open(a_out, 'wb').write(b''.join(a))
    open(b_out, 'wb').write(b''.join(b))
    with open(sys.argv[8], 'w') as f:
        for fp, kind in lst:
            f.write('%s %s\n' % (fp, kind))


main()
