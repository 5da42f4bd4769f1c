#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a PostgreSQL server.
#
#   scripts/with-test-postgres.sh go test ./...
#
# When TEST_DATABASE_URL is already set, the command just runs against that
# server. Otherwise ONE throwaway cluster is started for the whole command
# (instead of one per test binary): initdb into a temporary folder, trust
# auth, no durability (fsync=off), listening on a free port on 127.0.0.1
# only. It is stopped and deleted when the command ends, however it ends
# (normal exit, failure, Ctrl-C, SIGTERM, SIGKILL).
#
# The binaries (initdb, pg_ctl, postgres) are searched in $ALLYWAY_PG_BINDIR,
# on PATH, then in the usual folders, newest version first. As root (which
# PostgreSQL refuses) the server runs as the OS user "postgres", or "nobody".
#
# `scripts/with-test-postgres.sh --print-bindir` prints the folder of the
# binaries it would use, or fails when there are none.
#
# Settings: PG_TEST_MAX_CONNECTIONS (default 200); KEEP_TEST_CLUSTER=1 keeps
# the cluster's folder (data and server.log) after the run, for inspection.
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: $0 COMMAND [ARGS...]   (or $0 --print-bindir)" >&2
	exit 2
fi

if [[ -n "${TEST_DATABASE_URL:-}" && "$1" != --print-bindir ]]; then
	exec "$@"
fi

log() { echo "with-test-postgres: $*" >&2; }

has_server_binaries() {
	local d=$1
	[[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]
}

# find_bindir prints the folder holding initdb, pg_ctl and postgres (the same
# search as internal/pgcluster).
find_bindir() {
	if [[ -n "${ALLYWAY_PG_BINDIR:-}" ]]; then
		if has_server_binaries "$ALLYWAY_PG_BINDIR"; then
			echo "$ALLYWAY_PG_BINDIR"
			return 0
		fi
		log "ALLYWAY_PG_BINDIR=$ALLYWAY_PG_BINDIR does not hold initdb, pg_ctl and postgres"
		return 1
	fi
	local p d glob
	if p=$(command -v initdb 2>/dev/null); then
		# Prefer the real folder over a folder of symlinks
		# (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb).
		d=$(dirname "$(readlink -f "$p" 2>/dev/null || echo "$p")")
		if has_server_binaries "$d"; then echo "$d"; return 0; fi
		d=$(dirname "$p")
		if has_server_binaries "$d"; then echo "$d"; return 0; fi
	fi
	for glob in '/usr/lib/postgresql/*/bin' '/usr/local/pgsql/bin' '/opt/homebrew/opt/postgresql*/bin' \
		'/usr/local/opt/postgresql*/bin' '/usr/pgsql-*/bin' '/Applications/Postgres.app/Contents/Versions/*/bin'; do
		# Newest version first: sort on the first version number in the path.
		while IFS= read -r d; do
			if has_server_binaries "$d"; then echo "$d"; return 0; fi
		done < <(compgen -G "$glob" | sed -E 's/^([^0-9]*)([0-9][0-9.]*)?.*$/\2 &/' | sort -t' ' -k1,1Vr | cut -d' ' -f2-)
	done
	return 1
}

if [[ "$1" == --print-bindir ]]; then
	# Only report where the binaries are (used by .ci/run).
	find_bindir
	exit
fi

if ! bindir=$(find_bindir); then
	cat >&2 <<'EOF'
with-test-postgres: no PostgreSQL server binaries (initdb, pg_ctl, postgres) found
on PATH, in $ALLYWAY_PG_BINDIR or in the usual folders (/usr/lib/postgresql/*/bin,
/usr/local/pgsql/bin, /opt/homebrew/opt/postgresql*/bin, /usr/pgsql-*/bin).

The tests need a PostgreSQL server (15 or newer). Do one of:
  1. Install PostgreSQL, e.g.
       sudo apt-get install postgresql      (Debian/Ubuntu)
       brew install postgresql@16           (macOS)
       sudo dnf install postgresql-server   (Fedora/RHEL)
     or set ALLYWAY_PG_BINDIR to the folder holding initdb and pg_ctl.
  2. Point the tests at a running server (the URL must connect as a superuser):
       export TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
  3. Start the repo's database container and point the tests at it:
       docker compose up -d db
       export TEST_DATABASE_URL='postgres://allyway:allyway@127.0.0.1:5433/postgres?sslmode=disable'
EOF
	exit 1
fi

# As root, the server runs as an unprivileged OS user.
run_as=""
if [[ $(id -u) -eq 0 ]]; then
	if id postgres >/dev/null 2>&1; then run_as=postgres; else run_as=nobody; fi
fi

# as_server_user runs a command as the server's OS user.
as_server_user() {
	if [[ -z "$run_as" ]]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u "$run_as" -- "$@"
	elif command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid="$run_as" --regid="$(id -g "$run_as")" --clear-groups -- "$@"
	else
		# shellcheck disable=SC2016 # expanded by the inner shell
		su -s /bin/sh -c '"$0" "$@"' -- "$run_as" "$@"
	fi
}

# The folder must be reachable by the server user: as root use /tmp
# (world-traversable), not a TMPDIR that may be under /root.
if [[ -n "$run_as" ]]; then tmp_parent=/tmp; else tmp_parent=${TMPDIR:-/tmp}; fi
dir=$(mktemp -d "${tmp_parent%/}/allyway-testpg.XXXXXX")
data="$dir/data"
logfile="$dir/server.log"
started=""

# Until the command runs, a failure or signal here cleans up at once.
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [[ -n "$started" ]]; then
		as_server_user "$bindir/pg_ctl" stop -D "$data" -m immediate -w -t 60 >/dev/null 2>&1 ||
			log "could not stop the test cluster in $data (see $logfile)"
	fi
	if [[ -n "${KEEP_TEST_CLUSTER:-}" ]]; then
		log "kept the test cluster's files in $dir"
	else
		rm -rf "$dir"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [[ -n "$run_as" ]]; then
	chown "$run_as" "$dir"
	chmod 0700 "$dir"
fi

begin=$(date +%s)
initdb_ok=""
out=""
for locale in --locale=C.UTF-8 --no-locale; do
	rm -rf "$data"
	if out=$(cd "$dir" && as_server_user "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-sync "$locale" 2>&1); then
		initdb_ok=1
		break
	fi
	# C.UTF-8 is missing on some systems: fall back to plain C.
	[[ "$out" == *locale* ]] || break
done
if [[ -z "$initdb_ok" ]]; then
	log "initdb failed ($bindir/initdb):"
	echo "$out" >&2
	exit 1
fi

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port=""
for _ in 1 2 3 4 5 6 7 8; do
	p=$((20000 + RANDOM % 40000))
	port_taken "$p" && continue
	opts="-p $p -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=${PG_TEST_MAX_CONNECTIONS:-200}"
	: >"$logfile"
	if [[ -n "$run_as" ]]; then chown "$run_as" "$logfile"; fi
	started=1
	if (cd "$dir" && as_server_user "$bindir/pg_ctl" start -w -t 120 -D "$data" -l "$logfile" -o "$opts") >/dev/null 2>&1; then
		port=$p
		break
	fi
	as_server_user "$bindir/pg_ctl" stop -D "$data" -m immediate -w -t 30 >/dev/null 2>&1 || true
	started=""
	# Another process took the port between our check and the bind: retry.
	if grep -qE 'could not bind|Address already in use' "$logfile"; then
		continue
	fi
	log "starting PostgreSQL ($bindir) on port $p failed; server log:"
	tail -n 40 "$logfile" >&2
	exit 1
done
if [[ -z "$port" ]]; then
	log "could not find a free port for PostgreSQL"
	exit 1
fi

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
version=$("$bindir/postgres" -V | sed -E 's/.*\(PostgreSQL\) ([0-9.]+).*/\1/')
log "PostgreSQL $version test cluster on 127.0.0.1:$port ($dir${run_as:+, OS user $run_as}; ready in $(($(date +%s) - begin))s)"

# The command replaces this script (exec, same pid), so it runs exactly as if
# started directly: in the foreground, with the terminal's signals (Ctrl-C)
# and stdin, and its exit status is ours. A watchdog waits for that pid to
# end, however it ends (exit, Ctrl-C, SIGTERM, even SIGKILL), then stops the
# server and deletes its files. It ignores signals sent to the whole process
# group, and holds none of our output open (so a pipe reading it sees EOF as
# soon as the command ends).
script_pid=$$
(
	trap '' INT TERM HUP QUIT
	while kill -0 "$script_pid" 2>/dev/null; do sleep 1; done
	as_server_user "$bindir/pg_ctl" stop -D "$data" -m immediate -w -t 60
	if [[ -z "${KEEP_TEST_CLUSTER:-}" ]]; then rm -rf "$dir"; fi
) </dev/null >/dev/null 2>&1 &

trap - EXIT INT TERM HUP
exec "$@"
