#!/usr/bin/python3
"""tests/unit/data/control/craft.py - OpenPGP pieces GnuPG 2.2 will not make,
for the control-block fixtures (run by make.sh, output committed).

  strip-backsig IN OUT     a key with every back-signature (subpacket 32)
                           removed from the unhashed area of its subkey
                           bindings (the bindings still verify; the
                           subkeys lose their proof)
  flagless DIR T KT        an Ed25519 (EdDSA legacy, v4) key made at KT
                           whose Ed25519 subkey is bound WITHOUT key flags
                           and without back-signature, and a control block
                           signed by that subkey at T: DIR/flagless.asc,
                           DIR/flagless.fpr, DIR/flagless-sub.fpr, and
                           DIR/flagless.block.in (the fields) ->
                           DIR/flagless.block (clearsigned)
  dsa224 DIR T KT FIELDS   a DSA key with a 2048-bit p and a 224-bit q, as
                           GnuPG 1.4 made them (GnuPG 2.2 makes q 256
                           bits and cannot sign with SHA2-224), and a
                           block signed with SHA2-224 at T: DIR/dsa224.asc,
                           DIR/dsa224.fpr, FIELDS.dsa224 (needs openssl for
                           the domain parameters)
  v6 DIR T KT FIELDS...    a v6 Ed25519 key (RFC 9580) made at KT and
                           clearsigned blocks over the text read from
                           each FIELDS file, signed at T: FIELDS.v6 (v6
                           signature) and FIELDS.v4 (a v4 signature by the
                           same key: a version mismatch)

The secret keys are random and thrown away: the fixtures are public keys
and signatures only. Needs python3-cryptography (fixtures only; the tests
never run this).
"""
import base64
import hashlib
import os
import struct
import sys

import subprocess
import tempfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed, decode_dss_signature)
from cryptography.hazmat.primitives import hashes, serialization

ED25519_OID = bytes.fromhex("2B06010401DA470F01")


def raw_pub(sk):
    return sk.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)


def mpi(b):
    b = b.lstrip(b"\0")
    bits = len(b) * 8 - (8 - b[0].bit_length()) if b else 0
    return struct.pack(">H", bits) + b


def packet(tag, body):
    """New-format packet with a 5-octet length (always valid)."""
    return bytes([0xC0 | tag, 0xFF]) + struct.pack(">I", len(body)) + body


def subpacket(t, data):
    body = bytes([t]) + data
    assert len(body) < 192
    return bytes([len(body)]) + body


def crc24(data):
    crc = 0xB704CE
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(kind, data):
    b64 = base64.b64encode(data).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    crc = base64.b64encode(struct.pack(">I", crc24(data))[1:]).decode()
    return ("-----BEGIN PGP %s-----\n\n" % kind + "\n".join(lines) +
            "\n=" + crc + "\n-----END PGP %s-----\n" % kind)


def dearmor(text):
    lines = text.splitlines()
    i = 1
    while lines[i].strip():
        i += 1
    data = "".join(l for l in lines[i + 1:] if l and not l.startswith("=")
                   and not l.startswith("-----"))
    return base64.b64decode(data)


def read_packets(data):
    """[(tag, body)] of old- or new-format packets (no partial lengths)."""
    out, i = [], 0
    while i < len(data):
        ctb = data[i]
        if ctb & 0x40:
            tag = ctb & 0x3F
            o = data[i + 1]
            if o < 192:
                n, h = o, 2
            elif o < 224:
                n, h = ((o - 192) << 8) + data[i + 2] + 192, 3
            else:
                n, h = struct.unpack(">I", data[i + 2:i + 6])[0], 6
        else:
            tag = (ctb >> 2) & 0xF
            lt = ctb & 3
            h = 1 + (1, 2, 4)[lt]
            n = int.from_bytes(data[i + 1:i + h], "big")
        out.append((tag, data[i + h:i + h + n]))
        i += h + n
    return out


# ---- v4 ------------------------------------------------------------------

class V4Ed:
    """A v4 EdDSA-legacy (algo 22) Ed25519 key."""

    def __init__(self, created):
        self.sk = Ed25519PrivateKey.generate()
        self.body = (bytes([4]) + struct.pack(">I", created) + bytes([22]) +
                     bytes([len(ED25519_OID)]) + ED25519_OID +
                     mpi(b"\x40" + raw_pub(self.sk)))
        self.fpr = hashlib.sha1(self.frame()).digest()

    def frame(self):
        return b"\x99" + struct.pack(">H", len(self.body)) + self.body

    def sign(self, sigtype, created, prefix, hashed_extra=b"", unhashed=b""):
        hashed = (subpacket(33, b"\x04" + self.fpr) +
                  subpacket(2, struct.pack(">I", created)) + hashed_extra)
        head = (bytes([4, sigtype, 22, 8]) + struct.pack(">H", len(hashed)) +
                hashed)
        d = hashlib.sha256(prefix + head + b"\x04\xff" +
                           struct.pack(">I", len(head))).digest()
        sig = self.sk.sign(d)
        unh = subpacket(16, self.fpr[-8:]) + unhashed
        return (head + struct.pack(">H", len(unh)) + unh + d[:2] +
                mpi(sig[:32]) + mpi(sig[32:]))


def uid_frame(uid):
    return b"\xb4" + struct.pack(">I", len(uid)) + uid


def int_mpi(n):
    return mpi(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class V4Dsa:
    """A v4 DSA (algo 17) key, 2048-bit p and 224-bit q, SHA2-224."""

    def __init__(self, created):
        with tempfile.NamedTemporaryFile(suffix=".pem") as par:
            subprocess.run(
                ["openssl", "genpkey", "-genparam", "-algorithm", "DSA",
                 "-pkeyopt", "dsa_paramgen_bits:2048",
                 "-pkeyopt", "dsa_paramgen_q_bits:224", "-out", par.name],
                check=True, capture_output=True)
            pem = subprocess.run(
                ["openssl", "genpkey", "-paramfile", par.name],
                check=True, capture_output=True).stdout
        self.sk = serialization.load_pem_private_key(pem, None)
        pub = self.sk.public_key().public_numbers()
        pn = pub.parameter_numbers
        assert pn.q.bit_length() == 224 and pn.p.bit_length() == 2048
        self.body = (bytes([4]) + struct.pack(">I", created) + bytes([17]) +
                     int_mpi(pn.p) + int_mpi(pn.q) + int_mpi(pn.g) +
                     int_mpi(pub.y))
        self.fpr = hashlib.sha1(self.frame()).digest()

    def frame(self):
        return b"\x99" + struct.pack(">H", len(self.body)) + self.body

    def sign(self, sigtype, created, prefix, hashed_extra=b""):
        hashed = (subpacket(33, b"\x04" + self.fpr) +
                  subpacket(2, struct.pack(">I", created)) + hashed_extra)
        head = (bytes([4, sigtype, 17, 11]) + struct.pack(">H", len(hashed)) +
                hashed)
        d = hashlib.sha224(prefix + head + b"\x04\xff" +
                           struct.pack(">I", len(head))).digest()
        r, s = decode_dss_signature(
            self.sk.sign(d, Prehashed(hashes.SHA224())))
        unh = subpacket(16, self.fpr[-8:])
        return (head + struct.pack(">H", len(unh)) + unh + d[:2] +
                int_mpi(r) + int_mpi(s))


# ---- v6 ------------------------------------------------------------------

class V6Ed:
    """A v6 Ed25519 (algo 27) key."""

    def __init__(self, created):
        self.sk = Ed25519PrivateKey.generate()
        mat = raw_pub(self.sk)
        self.body = (bytes([6]) + struct.pack(">I", created) + bytes([27]) +
                     struct.pack(">I", len(mat)) + mat)
        self.fpr = hashlib.sha256(self.frame()).digest()

    def frame(self):
        return b"\x9b" + struct.pack(">I", len(self.body)) + self.body

    def sign(self, sigtype, created, prefix, hashed_extra=b""):
        salt = os.urandom(16)
        hashed = (subpacket(33, b"\x06" + self.fpr) +
                  subpacket(2, struct.pack(">I", created)) + hashed_extra)
        head = (bytes([6, sigtype, 27, 8]) + struct.pack(">I", len(hashed)) +
                hashed)
        d = hashlib.sha256(salt + prefix + head + b"\x06\xff" +
                           struct.pack(">I", len(head))).digest()
        return (head + struct.pack(">I", 0) + d[:2] + bytes([len(salt)]) +
                salt + self.sk.sign(d))

    def sign_v4(self, sigtype, created, prefix):
        """A v4-format signature by this v6 key (not allowed)."""
        hashed = (subpacket(33, b"\x06" + self.fpr) +
                  subpacket(2, struct.pack(">I", created)))
        head = (bytes([4, sigtype, 27, 8]) + struct.pack(">H", len(hashed)) +
                hashed)
        d = hashlib.sha256(prefix + head + b"\x04\xff" +
                           struct.pack(">I", len(head))).digest()
        return (head + struct.pack(">H", 0) + d[:2] + self.sk.sign(d))


# ---- cleartext -----------------------------------------------------------

def canonical(text):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return "\r\n".join(l.rstrip(" \t\r") for l in lines).encode()


def clearsign(text, sigpkt, hash_header=True):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    esc = "".join(("- " + l if l.startswith("-") else l) + "\n" for l in lines)
    return ("-----BEGIN PGP SIGNED MESSAGE-----\n" +
            ("Hash: SHA256\n" if hash_header else "") + "\n" + esc +
            armor("SIGNATURE", packet(2, sigpkt)))


# ---- commands ------------------------------------------------------------

def strip_backsig(src, dst):
    with open(src) as f:
        data = dearmor(f.read())
    out = b""
    for tag, body in read_packets(data):
        if tag == 2 and body[0] == 4 and body[1] == 0x18:
            hl = struct.unpack(">H", body[4:6])[0]
            head = body[:6 + hl]
            ul = struct.unpack(">H", body[6 + hl:8 + hl])[0]
            unh = body[8 + hl:8 + hl + ul]
            rest = body[8 + hl + ul:]
            kept, i = b"", 0
            while i < len(unh):
                n = unh[i]
                assert n < 192
                if unh[i + 1] & 0x7F != 32:
                    kept += unh[i:i + 1 + n]
                i += 1 + n
            body = head + struct.pack(">H", len(kept)) + kept + rest
        out += packet(tag, body)
    with open(dst, "w") as f:
        f.write(armor("PUBLIC KEY BLOCK", out))


def flagless(d, t, kt):
    prim = V4Ed(kt)
    sub = V4Ed(kt)
    uid = b"Flagless Owner <flagless@example.org>"
    cert = prim.sign(0x13, kt, prim.frame() + uid_frame(uid),
                     subpacket(27, b"\x01"))
    bind = prim.sign(0x18, kt, prim.frame() + sub.frame())  # no key flags
    key = (packet(6, prim.body) + packet(13, uid) + packet(2, cert) +
           packet(14, sub.body) + packet(2, bind))
    with open(os.path.join(d, "flagless.asc"), "w") as f:
        f.write(armor("PUBLIC KEY BLOCK", key))
    with open(os.path.join(d, "flagless.fpr"), "w") as f:
        f.write(prim.fpr.hex().upper() + "\n")
    with open(os.path.join(d, "flagless-sub.fpr"), "w") as f:
        f.write(sub.fpr.hex().upper() + "\n")
    fields = input_text(os.path.join(d, "flagless.block.in"),
                        prim.fpr.hex().upper())
    sig = sub.sign(0x01, t, canonical(fields))
    with open(os.path.join(d, "flagless.block"), "w") as f:
        f.write(clearsign(fields, sig))


def input_text(path, fpr):
    with open(path) as f:
        return f.read().replace("@FPR@", fpr)


def v6(d, t, kt, files):
    k = V6Ed(kt)
    uid = b"Six Owner <six@example.org>"
    direct = k.sign(0x1F, kt, k.frame(), subpacket(27, b"\x03"))
    cert = k.sign(0x13, kt, k.frame() + uid_frame(uid),
                  subpacket(27, b"\x03"))
    key = (packet(6, k.body) + packet(2, direct) + packet(13, uid) +
           packet(2, cert))
    fpr = k.fpr.hex().upper()
    with open(os.path.join(d, "v6.asc"), "w") as f:
        f.write(armor("PUBLIC KEY BLOCK", key))
    with open(os.path.join(d, "v6.fpr"), "w") as f:
        f.write(fpr + "\n")
    for path in files:
        fields = input_text(path, fpr)
        with open(path + ".v6", "w") as f:
            f.write(clearsign(fields, k.sign(0x01, t, canonical(fields)),
                              hash_header=False))
        with open(path + ".v4", "w") as f:
            f.write(clearsign(fields, k.sign_v4(0x01, t, canonical(fields))))


def dsa224(d, t, kt, path):
    k = V4Dsa(kt)
    uid = b"DSA-224 Owner <dsa224@example.org>"
    cert = k.sign(0x13, kt, k.frame() + uid_frame(uid), subpacket(27, b"\x03"))
    key = packet(6, k.body) + packet(13, uid) + packet(2, cert)
    fpr = k.fpr.hex().upper()
    with open(os.path.join(d, "dsa224.asc"), "w") as f:
        f.write(armor("PUBLIC KEY BLOCK", key))
    with open(os.path.join(d, "dsa224.fpr"), "w") as f:
        f.write(fpr + "\n")
    fields = input_text(path, fpr)
    with open(path + ".dsa224", "w") as f:
        f.write(clearsign(fields, k.sign(0x01, t, canonical(fields))).replace(
            "Hash: SHA256", "Hash: SHA224"))


def main(argv):
    if argv[1] == "strip-backsig":
        strip_backsig(argv[2], argv[3])
    elif argv[1] == "flagless":
        flagless(argv[2], int(argv[3]), int(argv[4]))
    elif argv[1] == "dsa224":
        dsa224(argv[2], int(argv[3]), int(argv[4]), argv[5])
    elif argv[1] == "v6":
        v6(argv[2], int(argv[3]), int(argv[4]), argv[5:])
    else:
        sys.exit("usage: craft.py strip-backsig|flagless|dsa224|v6 ...")


if __name__ == "__main__":
    main(sys.argv)
