#!/usr/bin/env bash
# The reliability loop of issue 16: runs the app, sessionstore and e2e tests N times in a row
# (default 20) on a copy of one commit, while busy loops keep every core busy, and stops at the
# first failure. A test that passes only on a quiet machine fails here.
#
#   bench/testloop.sh [N] [commit]     # e.g. bench/testloop.sh 20 HEAD
#
# The copy is `git archive` of the commit (what CI tests), with the npm fixtures installed as
# .ci/run installs them; logs go to $LOOP_DIR (default a new temporary directory).
set -euo pipefail
runs=${1:-20}
commit=${2:-HEAD}
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${LOOP_DIR:-$(mktemp -d /tmp/ginshop-loop-XXXXXX)}
rm -rf "$dir/src" # a LOOP_DIR used before must not mix an older tree into this one
mkdir -p "$dir/src"
git -C "$repo" archive "$commit" | tar -x -C "$dir/src"
(cd "$dir/src/interop/express" && npm ci --no-audit --no-fund --silent)
(cd "$dir/src/e2e/axe" && npm ci --no-audit --no-fund --silent)
echo "loop: $(git -C "$repo" rev-parse --short "$commit"), $runs runs, logs in $dir"

busy=()
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null || true' EXIT

cd "$dir/src"
for i in $(seq "$runs"); do
  start=$(date +%s)
  if CI=true go test -count=1 ./app/ ./sessionstore/ ./e2e/ >"$dir/run-$i.log" 2>&1; then
    echo "run $i: pass in $(( $(date +%s) - start )) s"
  else
    echo "run $i: FAIL in $(( $(date +%s) - start )) s (log: $dir/run-$i.log)"
    grep -E -- '^(--- FAIL|FAIL|panic)' "$dir/run-$i.log" | head -20
    exit 1
  fi
done
echo "loop: $runs of $runs runs passed with $(nproc) busy loops beside them"
