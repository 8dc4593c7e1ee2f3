# Every file under ../shared/testdata/keys/valid/ whose keys are v4 with an
# RSA, DSA, ECDSA (NIST) or Ed25519 primary is accepted, with exactly the
# fingerprints MANIFEST.tsv lists. GnuPG, not our code, decides which files
# qualify (primary algorithm and curve from its --with-colons listing).
. "$KM_TOP/tests/lib.sh"
if [ ! -f "$SHARED_KEYS/MANIFEST.tsv" ]; then
	n=$(ls "$KM_TOP"/../shared/testdata/keys/valid 2>/dev/null | wc -l)
	echo "NOTE: corpus absent ($SHARED_KEYS): the valid/ corpus test was not run (192 files in the full corpus)"
	km_done; exit 0
fi
km_newdb corpus
km_gpg_init
total=0; matched=0; skipped=0
while IFS="$(printf '\t')" read -r file expect fprs notes; do
	case $file in valid/*) ;; *) continue ;; esac
	[ "$expect" = accept ] || continue
	path=$SHARED_KEYS/$file
	# Classify with gpg: every primary must be v4 RSA(1)/DSA(17)/ECDSA(19 nistp*)/EdDSA(22 ed25519)
	cls=$(gpg --batch --with-colons --show-keys "$path" 2>/dev/null | awk -F: '
		/^pub/ { n++; a=$4; c=$17; if (!(a==1 || a==17 || (a==19 && c ~ /^nistp/) || (a==22 && c=="ed25519"))) bad=1 }
		END { print (n > 0 && !bad) ? "yes" : "no" }')
	if [ "$cls" != yes ]; then skipped=$((skipped + 1)); continue; fi
	total=$((total + 1))
	if [ "$(head -c 1 "$path" | od -An -tu1 | tr -d ' ')" -ge 128 ]; then
		# binary key files travel as a base64 application/pgp-keys attachment
		{ printf 'From: c@example.org\nSubject: ADD\nMIME-Version: 1.0\n'
		  printf 'Content-Type: multipart/mixed; boundary=BB\n\n--BB\nContent-Type: application/pgp-keys\n'
		  printf 'Content-Transfer-Encoding: base64\n\n'; base64 "$path"; printf '\n--BB--\n'; } > "$T/m.eml"
	else
		km_mail "$T/m.eml" ADD "$path"
	fi
	km_filter "$T/m.eml"
	ok_all=1
	for f in $(echo "$fprs" | tr ',; ' '   '); do
		if ! psql "$KM_DB" -Atc "select 1 from keys where fingerprint = decode('$f', 'hex')" | grep -q 1; then
			ok_all=0; echo "MISS: $file: $f not stored ($(grep -m1 'rejected' "$(last_reply)" || true))"
		fi
	done
	if [ $ok_all = 1 ]; then matched=$((matched + 1)); ok; else notok "$file"; fi
done < "$SHARED_KEYS/MANIFEST.tsv"
echo "TALLY: valid/ v4 RSA/DSA/ECDSA/Ed25519 files accepted with the listed fingerprints: $matched/$total ($skipped other files not in this test's scope)"
km_done
