# tests/serve-lib.sh - helpers for the keymail serve tests (tests/e2e/6*.sh),
# sourced after tests/lib.sh.
#
# sv_start runs `keymail serve` in the background on the test's
# configuration ($KEYMAIL_CONF, with hkp_listen/lmtp_listen added by the
# test), its log in $T/serve.log, and waits (for a state, not a time:
# the "started" line, with a generous cap) until it is up. HKP listens on
# 127.0.0.1:0, so the kernel picks a free port; the server logs it and
# sv_start reads it into SV_PORT. SV_PID is the master's pid (the wrapper
# execs keymail, so it is keymail's own). Every wait here is for a
# condition, polled, capped at about 60 s.

SV_PID=
SV_PORT=
SV_LOG=$T/serve.log

# sv_conf LINE...: add lines to the configuration
sv_conf() { for l in "$@"; do printf '%s\n' "$l" >> "$KEYMAIL_CONF"; done; }

# sv_wait CMD...: poll until CMD succeeds (600 x 0.1 s at most)
sv_wait() {
	i=0
	until "$@"; do
		i=$((i + 1)); [ $i -gt 600 ] && return 1
		sleep 0.1
	done
}

# sv_log_has PATTERN: the server's log has a line matching PATTERN (grep -E)
sv_log_has() { grep -qE "$1" "$SV_LOG" 2>/dev/null; }
# sv_log_count PATTERN
sv_log_count() { grep -cE "$1" "$SV_LOG" 2>/dev/null; }

sv_start() {
	: > "$SV_LOG"
	km_give "$SV_LOG"
	"$KEYMAIL" serve >>"$SV_LOG" 2>&1 &
	SV_PID=$!
	if ! sv_wait sv_log_has 'serve: started: '; then
		notok "keymail serve did not start"; cat "$SV_LOG"; return 1
	fi
	SV_PORT=$(sed -n 's/.*serve: hkp listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$SV_LOG" | tail -n 1)
	return 0
}

# sv_stop: SIGTERM, wait; sets sv_rc to the exit status
sv_stop() {
	[ -n "$SV_PID" ] || return 0
	kill -TERM "$SV_PID" 2>/dev/null
	wait "$SV_PID"; sv_rc=$?
	SV_PID=
}

# sv_workers KIND: pids of the running workers of KIND (hkp or lmtp),
# children of the master
sv_workers() {
	for p in $(pgrep -P "$SV_PID" 2>/dev/null); do
		echo "$p"
	done
}

# hkp_get PATH: GET http://127.0.0.1:$SV_PORT$PATH; body in $T/body,
# headers in $T/headers; prints the status
hkp_get() {
	curl -s --max-time 60 -o "$T/body" -D "$T/headers" -w '%{http_code}' "http://127.0.0.1:$SV_PORT$1"
}
# hkp_header NAME: a header of the last response (value, CR removed)
hkp_header() { awk -v n="$1" 'BEGIN{IGNORECASE=1} index(tolower($0), tolower(n) ":") == 1 {sub(/^[^:]*: */, ""); sub(/\r$/, ""); print; exit}' "$T/headers"; }

# Stop the server when the test exits, whatever happens.
sv_cleanup() { [ -n "$SV_PID" ] && kill -TERM "$SV_PID" 2>/dev/null; [ -n "$SV_PID" ] && wait "$SV_PID" 2>/dev/null; }
