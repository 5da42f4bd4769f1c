#!/usr/bin/env bash
# Deletes the private development database (DATA_DIR, default .data), after
# making sure no `allyway dev` is using it. The next `make run` starts from
# scratch: a new cluster, migrations, and the demo firms.
set -euo pipefail

data=${DATA_DIR:-.data}
if [[ ! -e "$data" ]]; then
	echo "db-reset: $data does not exist; nothing to reset"
	exit 0
fi

# A running `allyway dev` holds a lock on $data/pg.lock (see internal/pgcluster).
lock="$data/pg.lock"
if [[ -f "$lock" ]] && command -v flock >/dev/null 2>&1 && ! flock -n "$lock" true 2>/dev/null; then
	echo "db-reset: a dev server is using $data (its lock $lock is held); stop it (Ctrl-C) first" >&2
	exit 1
fi

# As root the cluster may have been relocated to $TMPDIR/allyway-pg-<hash>/data
# (when the server's OS user cannot reach $data); look there too.
pgdirs=("$data/pg")
for abs in "$(cd "$data" && pwd -L)/pg" "$(cd "$data" && pwd -P)/pg"; do
	hash=$(printf "%s" "$abs" | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-12)
	for tmp in "${TMPDIR:-/tmp}" /tmp; do
		if [[ -d "$tmp/allyway-pg-$hash" ]]; then pgdirs+=("$tmp/allyway-pg-$hash"); fi
	done
done

for d in "${pgdirs[@]}"; do
	for pidfile in "$d/postmaster.pid" "$d/data/postmaster.pid"; do
		if [[ -f "$pidfile" ]]; then
			pid=$(head -n1 "$pidfile")
			if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
				echo "db-reset: PostgreSQL (pid $pid) is still running on $(dirname "$pidfile"); stop the dev server (Ctrl-C) first" >&2
				exit 1
			fi
		fi
	done
done

for d in "${pgdirs[@]:1}"; do
	echo "db-reset: removing $d"
	rm -rf "$d"
done
echo "db-reset: removing $data"
rm -rf "$data"
echo "db-reset: done; \`make run\` will create a fresh database with the demo firms"
