# pgp/encrypt.c against OpenPGP.js 6 (owner-control.md 6.3, v6 keys):
# OpenPGP.js decrypts what the module made (tests/tools/km_encrypt) to
# exactly the plaintext, for RFC 9580's sample v6 certificate (A.3, with
# the secret key A.4) and for keys OpenPGP.js generates here: v6 X25519,
# X448, RSA, NIST P-256 and P-384 ECDH (v6 PKESK + SEIPD v2, AES-128-OCB
# as these keys list no AEAD preferences), one listing AES-256-GCM first
# (which it gets), and a v4 X25519 key advertising SEIPD v2 (v3 PKESK +
# SEIPD v1 all the same).
#
# openpgp@6 comes from the npm registry at test time, into a scratch
# directory under $T (npm's cache in $HOME/.cache/keymail-npm keeps later
# runs offline). Without node, or without the package, the test says so
# (SKIP/NOTE) and passes without running.
. "$KM_TOP/tests/lib.sh"
ENC=$KM_BUILD/tests/tools/km_encrypt
if [ ! -x "$ENC" ]; then
	notok "tests/tools/km_encrypt is not built (make all-tests)"
	km_done
	exit 1
fi
km_openpgpjs "OpenPGP.js decryption"

cat > "$T/js.js" <<'EOJ'
// gen DIR NAME TYPE... : write DIR/NAME.pub and DIR/NAME.sec (armored)
// dec SECFILE MSGFILE  : decrypt, plaintext to stdout; the packet
//                        versions and algorithms to stderr
const openpgp = require('openpgp');
const fs = require('fs');
const [mode, a, b, ...rest] = process.argv.slice(2);
(async () => {
  if (mode === 'gen') {
    const opt = JSON.parse(rest[0]);
    const k = await openpgp.generateKey({ ...opt, format: 'armored',
      userIDs: [{ name: 'Enc ' + b, email: b + '@enc.example' }] });
    fs.writeFileSync(a + '/' + b + '.pub', k.publicKey);
    fs.writeFileSync(a + '/' + b + '.sec', k.privateKey);
    return;
  }
  const privateKeys = await openpgp.readPrivateKey({ armoredKey: fs.readFileSync(a, 'utf8') });
  const message = await openpgp.readMessage({ armoredMessage: fs.readFileSync(b, 'utf8') });
  const desc = [];
  for (const p of message.packets) {
    const name = p.constructor.tag === 1 ? 'pkesk' : p.constructor.tag === 18 ? 'seipd' : 'tag' + p.constructor.tag;
    desc.push(name + ' v' + p.version + (p.constructor.tag === 18 && p.version === 2 ?
      ' cipher ' + p.cipherAlgorithm + ' aead ' + p.aeadAlgorithm + ' chunk ' + p.chunkSizeByte : ''));
  }
  const { data } = await openpgp.decrypt({ message, decryptionKeys: privateKeys,
    expectSigned: false, format: 'binary' });
  process.stdout.write(Buffer.from(data));
  process.stderr.write(desc.join(', ') + '\n');
})().catch((e) => { process.stderr.write('ERROR ' + e.message + '\n'); process.exit(1); });
EOJ

printf 'keyserver: pgp-public-keys@keys.test.example\ncommand: SHOW\ntoken: ABCDEFGHIJKLMNOPQRSTUVWXYZ234567\n' > "$T/plain"
# the literal data is text ('u'): its line ends are CRLF on the wire
sed 's/$/\r/' "$T/plain" > "$T/plain.crlf"

# RFC 9580 A.3 (certificate) and A.4 (its secret key)
km_rfc9580_v6_key "$T/a3.pub" "$T/a3.sec"

verified=
# roundtrip NAME WANT_PACKETS: encrypt to NAME.pub, OpenPGP.js decrypts
roundtrip() {
	"$ENC" "$T/$1.pub" < "$T/plain" > "$T/$1.msg" 2> "$T/$1.enc"
	check_eq "$1: km_encrypt" "$?" 0
	node "$T/js.js" dec "$T/$1.sec" "$T/$1.msg" > "$T/$1.out" 2> "$T/$1.pkts"
	check_eq "$1: OpenPGP.js decrypts ($(head -c 200 "$T/$1.pkts"))" "$?" 0
	check "$1: plaintext exact" cmp -s "$T/$1.out" "$T/plain.crlf"
	check_eq "$1: packets" "$(cat "$T/$1.pkts")" "$2"
	if cmp -s "$T/$1.out" "$T/plain.crlf"; then verified="$verified $1"; fi
}
# cipher 7 AES-128, 9 AES-256; AEAD 2 OCB; chunk size octet 6
V6_256="pkesk v6, seipd v2 cipher 9 aead 2 chunk 6"
V6_128="pkesk v6, seipd v2 cipher 7 aead 2 chunk 6"
roundtrip a3 "$V6_256"	# A.3 lists AES-256-OCB first
check "a3: no CRC line (v2 SEIPD)" sh -c "! grep -q '^=' '$T/a3.msg'"

gen() { node "$T/js.js" gen "$T" "$1" "$2" || notok "OpenPGP.js could not make $1"; }
gen v6x25519 '{"type":"curve25519","config":{"v6Keys":true}}'
gen v6x448 '{"type":"curve448","config":{"v6Keys":true}}'
gen v6rsa '{"type":"rsa","rsaBits":3072,"config":{"v6Keys":true}}'
gen v6p256 '{"type":"ecc","curve":"nistP256","config":{"v6Keys":true}}'
gen v6p384 '{"type":"ecc","curve":"nistP384","config":{"v6Keys":true}}'
gen v6aead '{"type":"curve25519","config":{"v6Keys":true,"aeadProtect":true}}'
gen v6two '{"type":"curve25519","subkeys":[{},{"type":"curve448"}],"config":{"v6Keys":true}}'
gen v4aead '{"type":"curve25519","config":{"v6Keys":false,"aeadProtect":true}}'
# OpenPGP.js's v6 keys carry no AEAD preferences unless asked: AES-128-OCB
for k in v6x25519 v6x448 v6rsa v6p256 v6p384; do
	roundtrip "$k" "$V6_128"
done
# with aeadProtect its Preferred AEAD Ciphersuites start with AES-256-GCM
roundtrip v6aead "pkesk v6, seipd v2 cipher 9 aead 3 chunk 6"
# two encryption subkeys (X25519, X448): one PKESK each
roundtrip v6two "pkesk v6, pkesk v6, seipd v2 cipher 7 aead 2 chunk 6"
roundtrip v4aead "pkesk v3, seipd v1"

echo "NOTE: decrypted by OpenPGP.js $OPENPGPJS_VERSION:$verified"
km_done
