#!/usr/bin/env bash
# Runs every Fuzz* target of the given packages (default ./...) for FUZZTIME
# each (default 30s), one after the other; stops at the first failure (the
# failing input is saved under the package's testdata/fuzz/ by go test).
#
#   scripts/fuzz.sh                    # all packages
#   FUZZTIME=5m scripts/fuzz.sh ./internal/auth/
set -euo pipefail

fuzztime=${FUZZTIME:-30s}
if [[ $# -eq 0 ]]; then set -- ./...; fi

# go test -list prints each package's matching names, then its "ok <pkg>"
# line; pair them up.
targets=()
names=()
while IFS= read -r line; do
	case "$line" in
	Fuzz*) names+=("$line") ;;
	ok*)
		pkg=$(awk '{print $2}' <<<"$line")
		for n in ${names[@]+"${names[@]}"}; do targets+=("$pkg $n"); done
		names=()
		;;
	esac
done < <(go test -list '^Fuzz' "$@")

if [[ ${#targets[@]} -eq 0 ]]; then
	echo "fuzz: no Fuzz* targets in $*"
	exit 0
fi

echo "fuzz: ${#targets[@]} target(s), $fuzztime each"
for t in "${targets[@]}"; do
	pkg=${t% *}
	name=${t#* }
	echo "== $name ($pkg)"
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg"
done
