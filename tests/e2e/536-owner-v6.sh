# A v6 key's owner (RFC 9580) with OpenPGP.js 6 as the client
# (owner-control.md 6.3, 14): OpenPGP.js makes a v6 Ed25519/X25519 key,
# ADDs it to a trusted server, decrypts the challenge of an unsigned SHOW
# (v6 PKESK, SEIPD v2), CONFIRMs it, GETs the key back; then clearsigns a
# HIDE control block (a v6 signature) that is carried out at once, and a
# replay of it is refused.
#
# openpgp@6 comes from the npm registry at test time (km_openpgpjs in
# tests/lib.sh). Without node or the package the test says it was not run
# (SKIP/NOTE) and passes.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
km_openpgpjs "the v6 challenge and control-block flow"

cat >"$T/v6.js" <<'EOJ'
// gen DIR           : a v6 key; DIR/pub.asc, DIR/sec.asc, fingerprint on stdout
// dec DIR MSGFILE   : decrypt MSGFILE with DIR/sec.asc; plaintext on stdout,
//                     the packets' versions on stderr
// sign DIR TEXTFILE : clearsign TEXTFILE with DIR/sec.asc, on stdout
const openpgp = require('openpgp');
const fs = require('fs');
const [mode, dir, file] = process.argv.slice(2);
(async () => {
  if (mode === 'gen') {
    const k = await openpgp.generateKey({ type: 'curve25519', format: 'armored',
      config: { v6Keys: true }, userIDs: [{ name: 'Vee Six', email: 'v6@owner.example' }] });
    fs.writeFileSync(dir + '/pub.asc', k.publicKey);
    fs.writeFileSync(dir + '/sec.asc', k.privateKey);
    const pub = await openpgp.readKey({ armoredKey: k.publicKey });
    console.log(pub.getFingerprint().toUpperCase());
    return;
  }
  const key = await openpgp.readPrivateKey({ armoredKey: fs.readFileSync(dir + '/sec.asc', 'utf8') });
  if (mode === 'dec') {
    const message = await openpgp.readMessage({ armoredMessage: fs.readFileSync(file, 'utf8') });
    for (const p of message.packets) {
      console.error(p.constructor.tag + ' v' + p.version);
    }
    const { data } = await openpgp.decrypt({ message, decryptionKeys: key });
    process.stdout.write(data);
    return;
  }
  const message = await openpgp.createCleartextMessage({ text: fs.readFileSync(file, 'utf8') });
  process.stdout.write(await openpgp.sign({ message, signingKeys: key }));
})().catch(e => { console.error(String(e)); process.exit(1); });
EOJ

own_newdb own536
own_conf max_token_mails_per_day 0
mkdir -p "$T/v6"
F=$(node "$T/v6.js" gen "$T/v6" 2>"$T/gen.err")
check_eq "OpenPGP.js made a v6 key (64-digit fingerprint)" "$(printf '%s' "$F" | tr -d '0-9A-F' | wc -c)/${#F}" "0/64"

own_send ADD "$T/v6/pub.asc"
decoded_body "$reply" >"$T/add.txt"
check "v6 key received" grep -q '^    received$' "$T/add.txt"
own_send "SHOW $F"
check_eq "v6 SHOW: challenge" "$(reply_subject "$reply")" "Your command, SHOW $F, needs confirmation"
own_message "$reply" >"$T/m.asc"
node "$T/v6.js" dec "$T/v6" "$T/m.asc" >"$T/plain.txt" 2>"$T/dec.err"
check_eq "OpenPGP.js decrypts the challenge" "$?" 0
check "v6 PKESK" grep -q '^1 v6$' "$T/dec.err"
check "SEIPD v2" grep -q '^18 v2$' "$T/dec.err"
check_eq "the challenge names the key" "$(grep '^fingerprint: ' "$T/plain.txt")" "fingerprint: $F"
tok=$(own_token_of "$T/plain.txt")
check "one token" [ -n "$tok" ]
own_send "CONFIRM $tok"
check_eq "CONFIRM" "$(reply_subject "$reply")" "Your command, CONFIRM"
own_send "GET $F"
check_eq "GET the v6 key" "$(reply_subject "$reply")" "Your command, GET $F"

# A control block clearsigned by OpenPGP.js with the v6 key.
printf 'keymail-control: 1\nkeyserver: %s\ncommand: HIDE\nfingerprint: %s\nnonce: %s\n' \
    "$ROBOT" "$F" "$(own_nonce)" >"$T/block.in"
node "$T/v6.js" sign "$T/v6" "$T/block.in" >"$T/block.txt" 2>"$T/sign.err"
check_eq "OpenPGP.js clearsigns" "$?" 0
own_send "HIDE $F" "$T/block.txt"
check_eq "v6 signed HIDE carried out" "$(reply_subject "$reply")" "Your command, HIDE $F"
own_send "GET $F"
check_eq "hidden" "$(reply_subject "$reply")" "Your command, GET $F, failed"
own_send "HIDE $F" "$T/block.txt"
check_eq "v6 replay refused" "$(reply_subject "$reply")" "Your command, HIDE $F, failed"
km_done
