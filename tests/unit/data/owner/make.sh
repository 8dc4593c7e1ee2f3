#!/bin/sh
# tests/unit/data/owner/make.sh [DIR] - the keys of tests/unit/publish_test.c,
# made with GnuPG under a faked clock (T0 = 2026-05-28T20:26:40Z and a few
# seconds after), so that they can be made again with any GnuPG 2.2+:
#   o.asc       owner O: Ed25519 primary, Cv25519 subkey, "Owner O <o@owner.example>"
#   t.asc       third party T: Ed25519, "Third T <t@third.example>"
#   o-t.asc     O as T exported it after certifying it (T0+100)
#   o-uid2.asc  O with a second user ID "Owner O Work <work@owner.example>" (T0+200)
#   o-exp.asc   O with a new expiry on its primary user ID (T0+300), without
#               the second user ID
#   o-rev.asc   O with its key revocation (GnuPG's revocation certificate),
#               without the second user ID
# Committed; this script only documents how they were made.
set -eu
D=$(cd "${1:-$(dirname "$0")}" && pwd)
T0=1780000000
G=$(mktemp -d)
GT=$(mktemp -d)
trap 'gpgconf --homedir "$G" --kill all 2>/dev/null; gpgconf --homedir "$GT" --kill all 2>/dev/null; rm -rf "$G" "$GT"' EXIT
g() { gpg --homedir "$G" --batch --yes --pinentry-mode loopback --passphrase '' "$@"; }
gt() { gpg --homedir "$GT" --batch --yes --pinentry-mode loopback --passphrase '' "$@"; }
g --faked-system-time $T0 --quick-gen-key "Owner O <o@owner.example>" ed25519 sign,cert never
O=$(gpg --homedir "$G" --with-colons --fingerprint o@owner.example | awk -F: '/^fpr/ {print $10; exit}')
g --faked-system-time $T0 --quick-add-key "$O" cv25519 encr never
gt --faked-system-time $T0 --quick-gen-key "Third T <t@third.example>" ed25519 sign,cert never
TP=$(gpg --homedir "$GT" --with-colons --fingerprint t@third.example | awk -F: '/^fpr/ {print $10; exit}')
g --armor --export "$O" >"$D/o.asc"
gt --armor --export "$TP" >"$D/t.asc"
gt --import "$D/o.asc"
gt --faked-system-time $((T0 + 100)) --default-key "$TP" --quick-sign-key "$O"
gt --armor --export "$O" >"$D/o-t.asc"
g --faked-system-time $((T0 + 200)) --quick-add-uid "$O" "Owner O Work <work@owner.example>"
g --armor --export "$O" >"$D/o-uid2.asc"
g --faked-system-time $((T0 + 300)) --quick-set-expire "$O" 2y
g --armor --export-filter 'keep-uid=mbox = o@owner.example' --export "$O" >"$D/o-exp.asc"
sed 's/^:-----BEGIN/-----BEGIN/' "$G/openpgp-revocs.d/$O.rev" >"$G/rev.asc"
g --import "$G/rev.asc"
g --armor --export-filter 'keep-uid=mbox = o@owner.example' --export "$O" >"$D/o-rev.asc"
