# keymail import / export.
#
# Keys made by GnuPG (one certified by another), plus two bad ones (a
# secret key, a key whose only user ID lost its self-signature), are
# imported as a binary keyring: the good ones are stored, each bad one is
# reported with its fingerprint (as GnuPG computes it) and skipped. The
# export is imported back into GnuPG, which must list exactly the good
# keys with the certification intact, and into two empty stores, from
# standard input and as armored text: both exports must equal the first,
# byte for byte. A synthetic corpus (bench/kmgen, checked by GnuPG here)
# is imported through a pipe that stalls halfway, the import is killed
# with SIGKILL, then run again: the store must end exactly as after one
# clean run. Finally a database that cannot be reached gives exit 75.
. "$KM_TOP/tests/lib.sh"
KMGEN=$KM_BUILD/bench/kmgen
count() { psql "$1" -Atc "select count(*) from keys"; }

km_newdb imp1
cp "$T/keymail.conf" "$T/db1.conf"; DB1=$KM_DB
km_gpg_init
km_gpg_genkey ed25519 'Alice Import <alice@import.example>'
km_gpg_genkey rsa2048 'Bob Import <bob@import.example>'
km_gpg_genkey ed25519 'Carol Secret <carol@import.example>'
km_gpg_genkey ed25519 'Dave Stripped <dave@import.example>'
A=$(km_gpg_fpr alice@import.example); B=$(km_gpg_fpr bob@import.example)
C=$(km_gpg_fpr carol@import.example); D=$(km_gpg_fpr dave@import.example)
gpg --batch --pinentry-mode loopback --passphrase '' -u "$A" --quick-sign-key "$B" >/dev/null 2>&1
gpg --export "$A" "$B" > "$T/good.gpg"
gpg --armor --export "$A" "$B" > "$T/good.asc"
gpg --batch --pinentry-mode loopback --passphrase '' --export-secret-keys "$C" > "$T/carol-secret.gpg"
gpg --export "$D" > "$T/dave.gpg"
# Dave without signatures: his primary key and user ID packets only.
$PY - "$T/dave.gpg" "$T/dave-bare.gpg" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read(); out = b''; i = 0
while i < len(d):
    c = d[i]
    if c & 0x40:
        tag = c & 0x3f; o = d[i + 1]
        if o < 192: h, n = 2, o
        elif o < 224: h, n = 3, ((o - 192) << 8) + d[i + 2] + 192
        else: h, n = 6, int.from_bytes(d[i + 2:i + 6], 'big')
    else:
        tag = (c >> 2) & 15; lt = c & 3
        h = 1 + (1, 2, 4)[lt]; n = int.from_bytes(d[i + 1:i + h], 'big')
    if tag in (6, 13): out += d[i:i + h + n]
    i += h + n
open(sys.argv[2], 'wb').write(out)
PY
cat "$T/good.gpg" "$T/carol-secret.gpg" "$T/dave-bare.gpg" > "$T/mixed.gpg"
check "all four keys made" test -n "$A" -a -n "$B" -a -n "$C" -a -n "$D"

# -- a keyring with two good keys and two bad ones
KEYMAIL_CONF=$T/db1.conf "$KEYMAIL" import "$T/mixed.gpg" 2>"$T/err1"
check_eq "import of a mixed keyring exits 0" "$?" 0
check_eq "two keys stored" "$(count "$DB1")" 2
check "the secret key is reported by fingerprint" grep -q "^Key $C: .*secret key material" "$T/err1"
check "the bare key is reported by fingerprint" grep -q "^Key $D: " "$T/err1"
check_eq "exactly two reports" "$(grep -c '^Key ' "$T/err1")" 2
check "no progress output when stderr is no terminal" sh -c "! grep -q 'keys/s' '$T/err1'"

KEYMAIL_CONF=$T/db1.conf "$KEYMAIL" export > "$T/d1.gpg"
check_eq "export exits 0" "$?" 0
G=$T/gnupg-check; mkdir -m 700 "$G"
GNUPGHOME=$G gpg --batch --import "$T/d1.gpg" 2>/dev/null
got=$(GNUPGHOME=$G gpg --with-colons --list-keys 2>/dev/null | awk -F: '/^pub/ {getline; print $10}' | sort | tr '\n' ' ')
want=$(printf '%s\n%s\n' "$A" "$B" | sort | tr '\n' ' ')
check_eq "GnuPG reads back exactly the good keys" "$got" "$want"
check "Alice's certification of Bob survives (gpg: sig!)" sh -c \
    "GNUPGHOME='$G' gpg --batch --check-sigs '$B' 2>/dev/null | grep -q '^sig!.*$(echo "$A" | cut -c25-40)'"

# -- importing the same keyring again changes nothing
KEYMAIL_CONF=$T/db1.conf "$KEYMAIL" import -q "$T/good.gpg" 2>/dev/null
KEYMAIL_CONF=$T/db1.conf "$KEYMAIL" export > "$T/d1b.gpg"
check "a second import changes nothing" cmp -s "$T/d1.gpg" "$T/d1b.gpg"

# -- export -> import (stdin) into an empty store -> the same bytes
km_newdb imp2
cp "$T/keymail.conf" "$T/db2.conf"
KEYMAIL_CONF=$T/db2.conf "$KEYMAIL" export > "$T/empty.gpg"
check "an empty store exports nothing" test ! -s "$T/empty.gpg"
KEYMAIL_CONF=$T/db2.conf "$KEYMAIL" import < "$T/d1.gpg" 2>"$T/err2"
check_eq "import from standard input exits 0" "$?" 0
KEYMAIL_CONF=$T/db2.conf "$KEYMAIL" export > "$T/d2.gpg"
check "export -> import -> export is byte for byte the same" cmp -s "$T/d1.gpg" "$T/d2.gpg"

# -- the armored export of GnuPG gives the same store
km_newdb imp3
cp "$T/keymail.conf" "$T/db3.conf"
KEYMAIL_CONF=$T/db3.conf "$KEYMAIL" import "$T/good.asc" 2>"$T/err3"
check_eq "import of armored text exits 0" "$?" 0
KEYMAIL_CONF=$T/db3.conf "$KEYMAIL" export > "$T/d3.gpg"
check "armored import exports the same bytes" cmp -s "$T/d1.gpg" "$T/d3.gpg"

# -- the synthetic corpus: GnuPG accepts a sample, every signature good
if [ -x "$KMGEN" ]; then
	"$KMGEN" -n 30 -s 7 -o "$T/sample.gpg"
	S=$T/gnupg-sample; mkdir -m 700 "$S"
	GNUPGHOME=$S gpg --batch --import "$T/sample.gpg" 2>"$T/gpg-sample.log"
	check "GnuPG imports all 30 synthetic keys" grep -q "imported: 30\$" "$T/gpg-sample.log"
	GNUPGHOME=$S gpg --batch --check-sigs 2>/dev/null > "$T/sigs.txt"
	nsig=$(grep -c '^sig' "$T/sigs.txt"); ngood=$(grep -c '^sig!' "$T/sigs.txt")
	check "GnuPG checks signatures of the sample" test "$nsig" -gt 30
	check_eq "every signature of the sample verifies in GnuPG" "$ngood" "$nsig"

	# -- an import killed halfway, then run again
	N=1500
	"$KMGEN" -n $N -s 7 -j 2 -o "$T/syn.gpg"
	size=$(wc -c < "$T/syn.gpg")
	# deterministic: the same seed gives the same bytes, whatever the
	# number of threads, and a shorter run is a prefix of a longer one
	"$KMGEN" -n 30 -s 7 -j 3 -o "$T/sample3.gpg"
	check "kmgen: same keys with 1 or 3 threads" cmp -s "$T/sample.gpg" "$T/sample3.gpg"
	check "kmgen: 30 keys are the start of 1500" cmp -s -n "$(wc -c < "$T/sample.gpg")" "$T/sample.gpg" "$T/syn.gpg"
	"$KMGEN" -n 30 -s 8 -o "$T/sample8.gpg"
	check "kmgen: another seed, other keys" sh -c "! cmp -s '$T/sample.gpg' '$T/sample8.gpg'"
	km_newdb clean
	echo "import_batch = 50" >> "$T/keymail.conf"; cp "$T/keymail.conf" "$T/clean.conf"
	KEYMAIL_CONF=$T/clean.conf "$KEYMAIL" import "$T/syn.gpg" 2>"$T/err-clean"
	check_eq "synthetic corpus: clean import exits 0" "$?" 0
	check "synthetic corpus: no key refused" test ! -s "$T/err-clean"
	KEYMAIL_CONF=$T/clean.conf "$KEYMAIL" export > "$T/clean.dump"

	km_newdb killed
	echo "import_batch = 50" >> "$T/keymail.conf"; cp "$T/keymail.conf" "$T/killed.conf"
	DBK=$KM_DB
	mkfifo "$T/fifo"
	KEYMAIL_CONF=$T/killed.conf "$KEYMAIL" import < "$T/fifo" 2>/dev/null &
	kpid=$!
	( head -c $((size / 2)) "$T/syn.gpg"; exec sleep 600 ) > "$T/fifo" &
	fpid=$!
	# wait until some keys are committed (a state, not a time: how far
	# the import got by then depends on the machine, and does not matter:
	# it is killed somewhere in the first half, in or between batches)
	i=0
	while [ "$(count "$DBK")" -eq 0 ] && [ $i -lt 1200 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -9 $kpid 2>/dev/null; wait $kpid 2>/dev/null
	kill $fpid 2>/dev/null; wait $fpid 2>/dev/null
	part=$(count "$DBK")
	check "killed import left part of the keys ($part of $N)" test "$part" -gt 0 -a "$part" -lt $N
	KEYMAIL_CONF=$T/killed.conf "$KEYMAIL" import "$T/syn.gpg" 2>"$T/err-rerun"
	check_eq "re-run after SIGKILL exits 0" "$?" 0
	check_eq "re-run stores every key" "$(count "$DBK")" $N
	KEYMAIL_CONF=$T/killed.conf "$KEYMAIL" export > "$T/killed.dump"
	check "killed + re-run ends byte for byte like one clean run" cmp -s "$T/clean.dump" "$T/killed.dump"
else
	notok "bench/kmgen was not built ($KMGEN)"
fi

# -- a database that cannot be reached: 75, so a script can retry
sed "s|^database = .*|database = host=$T/no-such-dir user=keymail dbname=none|" "$T/db1.conf" > "$T/down.conf"
KEYMAIL_CONF=$T/down.conf "$KEYMAIL" import "$T/good.gpg" 2>/dev/null
check_eq "import with the database down exits 75" "$?" 75
KEYMAIL_CONF=$T/down.conf "$KEYMAIL" export > /dev/null 2>&1
check_eq "export with the database down exits 75" "$?" 75
km_done
