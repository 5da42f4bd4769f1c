#!/usr/bin/env bash
# Fails when the generated templ code (*_templ.go) is not what `make generate`
# makes from the *.templ sources: someone edited a .templ file and did not
# regenerate, or edited generated code by hand. It compares the files before
# and after generating, so it works in a tree with uncommitted changes too.
#
#   scripts/check-generated.sh make generate
set -euo pipefail

if [[ $# -eq 0 ]]; then set -- make generate; fi

if command -v sha256sum >/dev/null 2>&1; then hash=(sha256sum); else hash=(shasum -a 256); fi

snapshot() {
	find . \( -path './.*' -o -name node_modules -o -path ./bin \) -prune -o -name '*_templ.go' -type f -print |
		LC_ALL=C sort | xargs "${hash[@]}" /dev/null
}

before=$(snapshot)
"$@"
after=$(snapshot)

if [[ "$before" != "$after" ]]; then
	echo "check-generated: generated templ code was out of date; these files changed when regenerating:" >&2
	diff <(echo "$before") <(echo "$after") | awk '/^[<>]/ {print "  " $3}' | sort -u >&2
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git --no-pager diff --stat -- '*_templ.go' >&2 || true
	fi
	echo "check-generated: run \`make generate\` and commit the result" >&2
	exit 1
fi
echo "check-generated: generated templ code is up to date"
