# Control blocks (owner-control.md 5) made by the GnuPG installed here,
# at test time: tests/unit/data/control/make.sh makes its keys, blocks,
# mails and expected verdicts into a scratch directory (under a faked
# clock, so no case depends on today's date), and the test driver
# build/tests/control-verdict runs the checks of cmd/owner_control.c on
# each mail. The unit test owner_control_test.c runs the same cases on
# the committed copy; this script shows that a newer GnuPG still makes
# blocks we accept, and refuses what it should. Crafted cases (v6 key,
# DSA with a 224-bit q, a subkey without back-signature) need
# python3-cryptography and openssl; without them they are left out with
# a NOTE.
. "$KM_TOP/tests/lib.sh"
DRIVER=$KM_BUILD/tests/control-verdict
[ -x "$DRIVER" ] || { notok "no $DRIVER (make all-tests)"; km_done; exit 1; }
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

out=$T/fixtures
TMPDIR=$T sh "$KM_TOP/tests/unit/data/control/make.sh" "$out" >"$T/make.log" 2>&1
rc=$?
grep '^NOTE' "$T/make.log"
check_eq "make.sh exit status" "$rc" 0
[ -f "$out/cases.tsv" ] || { tail -n 20 "$T/make.log"; km_done; exit 1; }
n=$(wc -l <"$out/cases.tsv")
# Every gpg-made case is there (36 of the 47 need no crafting).
check "at least 36 cases made ($n)" [ "$n" -ge 36 ]

"$DRIVER" "$out/cases.tsv" "$out" >"$T/verdicts.txt" 2>&1
while IFS= read -r line; do
	case $line in
	"ok "*) ok ;;
	"FAIL "*) notok "${line#FAIL }" ;;
	"    "*) echo "$line" ;;
	esac
done <"$T/verdicts.txt"
check_eq "cases judged" "$(grep -c '^\(ok\|FAIL\) ' "$T/verdicts.txt")" "$n"

# One mail by hand, outside the table: the driver on a single case
# with the robot's address spelled differently still accepts it, and
# with another robot address it is refused.
R=$(awk -F'\t' '$1 == "ok-rsa-show" { print $2; exit }' "$out/cases.tsv")
v=$("$DRIVER" "$out/ok-rsa-show.eml" "$out/$R" 1780000000 PGP-Public-Keys@Keys.Example.NET)
case $v in accepted\ SHOW\ *) ok ;; *) notok "robot address case: $v" ;; esac
v=$("$DRIVER" "$out/ok-rsa-show.eml" "$out/$R" 1780000000 keys@elsewhere.example)
check_eq "another robot" "$v" "refused: control block is for another keyserver"
km_done
