#!/usr/bin/env bash
# test-deps.sh installs the real components vendorkit's tests use when they
# are missing: redis-server (the shared token store) and chromium (the
# browser login), both Debian packages. `make test` runs it first. The tests
# start their own throwaway instances on free loopback ports and stop them
# (internal/testservice); this script only installs.
#
# A component counts as present when the tests would find it: redis-server
# when $VENDORKIT_TEST_REDIS_SERVER is set or redis-server is on PATH;
# chromium when $VENDORKIT_TEST_CHROMIUM is set or chromium,
# chromium-browser or google-chrome is on PATH.
#
# Without root or apt-get it prints one line and leaves the tests to skip
# (or, under CI=true, to fail).
#
# Conditions are if statements, never `test && cmd`: a false test leaves
# status 1, and the EXIT trap's last status becomes the script's.
set -euo pipefail

# on_path reports whether any of its arguments is a command on PATH.
on_path() {
	local c
	for c in "$@"; do
		if command -v "$c" >/dev/null 2>&1; then
			return 0
		fi
	done
	return 1
}

need=()
if [ -z "${VENDORKIT_TEST_REDIS_SERVER:-}" ] && ! on_path redis-server; then
	need+=(redis-server)
fi
if [ -z "${VENDORKIT_TEST_CHROMIUM:-}" ] && ! on_path chromium chromium-browser google-chrome; then
	need+=(chromium)
fi
if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "test-deps: missing ${need[*]} and cannot apt-get them (not root, or no apt); tests that need them skip, or fail under CI=true" >&2
	if [ "${CI:-}" = true ]; then
		exit 1
	fi
	exit 0
fi

echo "test-deps: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' init scripts from starting a system-wide redis on
# 6379: the tests start their own instances. (internal/testservice's test
# points VENDORKIT_TEST_DEPS_POLICY at a file of its own.)
policy=${VENDORKIT_TEST_DEPS_POLICY:-/usr/sbin/policy-rc.d}
added_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	added_policy=1
fi
cleanup() {
	if [ -n "$added_policy" ]; then
		rm -f "$policy"
	fi
}
trap cleanup EXIT

apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Each package installs the command of its name.
for c in "${need[@]}"; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "test-deps: $c still missing after apt-get" >&2
		exit 1
	fi
done
echo "test-deps: installed ${need[*]}" >&2
