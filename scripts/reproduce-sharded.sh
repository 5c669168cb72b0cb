#!/usr/bin/env bash
# Run `phaseflow reproduce` as N shards with GNU parallel, merge them, and (with --check)
# compare the merged report byte for byte with an unsharded run of the same flags.
#
#   scripts/reproduce-sharded.sh N OUT [--check] [-- reproduce flags...]
#
# e.g. scripts/reproduce-sharded.sh 4 out/full -- --full
#      scripts/reproduce-sharded.sh 2 out/ci --check -- --claims C7,C9 --replicas 4
# Shard files go to OUT/shards, the merged report to OUT/merged (OUT/unsharded with
# --check). Uses GNU parallel (Debian: apt-get install parallel; without it the shards run one
# after another, with a warning) and a built binary
# (PHASEFLOW, default target/release/phaseflow). On a cluster, each array task runs
# `phaseflow reproduce FLAGS --shard $i/N --out OUT/shards --quiet`; then
# `phaseflow merge OUT/shards --out OUT/merged` (the README's Slurm example).
set -euo pipefail
n=${1:?usage: reproduce-sharded.sh N OUT [--check] [-- flags]}
out=${2:?usage: reproduce-sharded.sh N OUT [--check] [-- flags]}
shift 2
check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
if [[ ${1:-} == -- ]]; then shift; fi
bin=${PHASEFLOW:-target/release/phaseflow}
rm -rf "$out/shards" "$out/merged" "$out/unsharded"
mkdir -p "$out/shards"
if command -v parallel >/dev/null; then
  parallel --will-cite --halt now,fail=1 -j "${JOBS:-0}" \
    "$bin" reproduce "$@" --shard {}/"$n" --out "$out/shards" --quiet ::: $(seq 0 $((n - 1)))
else
  # Same shards, one after another: the merge and its check do not depend on how they ran.
  echo "warning: GNU parallel is not installed; running the $n shards one after another" >&2
  for i in $(seq 0 $((n - 1))); do
    "$bin" reproduce "$@" --shard "$i/$n" --out "$out/shards" --quiet
  done
fi
set +e
"$bin" merge "$out/shards" --out "$out/merged" --json --quiet > "$out/merged.json"
rc=$?
set -e
echo "merged report: $out/merged (exit $rc)" >&2
if (( check )); then
  set +e
  "$bin" reproduce "$@" --out "$out/unsharded" --json --quiet > "$out/unsharded.json"
  rc_un=$?
  set -e
  cmp "$out/merged.json" "$out/unsharded.json"
  diff -r "$out/merged" "$out/unsharded"
  [[ $rc == "$rc_un" ]] || { echo "exit codes differ: merged $rc, unsharded $rc_un" >&2; exit 1; }
  echo "sharded ($n) and unsharded reports are byte-identical" >&2
fi
exit "$rc"
