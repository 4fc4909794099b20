#!/usr/bin/env bash
# test-deps.sh installs the real components vendorkit's tests use when they
# are missing: redis-server (the shared token store) and chromium (the
# browser login), both Debian packages. `make test` runs it first. The tests
# start their own throwaway instances on free loopback ports and stop them
# (internal/testservice); this script only installs.
#
# Without root or apt-get it prints one line and leaves the tests to skip
# (or, under CI=true, to fail).
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "test-deps: missing ${need[*]} and cannot apt-get them (not root, or no apt); tests that need them skip, or fail under CI=true" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 0
fi

echo "test-deps: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' init scripts from starting a system-wide redis on
# 6379: the tests start their own instances.
policy=/usr/sbin/policy-rc.d
added_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	added_policy=1
fi
cleanup() { [ -n "$added_policy" ] && rm -f "$policy"; }
trap cleanup EXIT

apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
for c in "${need[@]}"; do
	bin=$c
	command -v "$bin" >/dev/null 2>&1 || { echo "test-deps: $c still missing after apt-get" >&2; exit 1; }
done
echo "test-deps: installed ${need[*]}" >&2
