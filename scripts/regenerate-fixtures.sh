#!/usr/bin/env bash
# Regenerate every fixture under fixtures/theory/ through the CLI (STYLE §20–21).
#
#   scripts/regenerate-fixtures.sh && git diff fixtures/
#
# Each file is `phaseflow theory … --json` verbatim (sorted keys, schema version, full
# config, crate version, generator). Writes are atomic: the output goes to a temporary file
# in the same folder, then `mv` renames it into place, so an interrupted run never leaves a
# half-written fixture. A review copy `<file>.new` written by a failing test is removed.
# tests/theory_fixtures.rs lists the same cases; add a case in both places.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=fixtures/theory
mkdir -p "$OUT"
cargo build --release --quiet
tmp=""
trap '[ -n "$tmp" ] && rm -f "$tmp"' EXIT

gen() {
    local name=$1
    shift
    tmp=$(mktemp "$OUT/.$name.XXXXXX")
    cargo run --release --quiet -- theory "$@" --json >"$tmp"
    chmod 644 "$tmp"
    mv "$tmp" "$OUT/$name.json"
    tmp=""
    rm -f "$OUT/$name.json.new"
    echo "wrote $OUT/$name.json"
}

# Every flag the document records is stated (the ridges too: their shared default is 0.01).
# The paper's default configuration (SPEC §5.4): dilated, p = 0.8, σ² = 1, κ = 2; n → ∞.
gen 'theory__paper_dilated@d5000_K80' --path linear --endpoint end --schedule dilated --kappa 2 --p 0.8 --sigma2 1 --d 5000 --steps 80 --no-finite-n --lambda-u 0 --lambda-w 0
# The undilated baseline at the same point.
gen 'theory__paper_linear@d5000_K80' --path linear --endpoint end --schedule linear --kappa 2 --p 0.8 --sigma2 1 --d 5000 --steps 80 --no-finite-n --lambda-u 0 --lambda-w 0
# The SPEC §5.3 numerical-check configuration, both noise conventions, with finite n (the
# fixed convention is the averaged engine's).
gen 'theory__spec53_fresh@d4000_K40_n32' --path linear --endpoint end --schedule dilated --kappa 2.5 --p 0.7 --sigma2 0.6 --d 4000 --steps 40 --n 32 --lambda-u 1 --lambda-w 0 --noise fresh
gen 'theory__spec53_fixed@d4000_K40_n32' --path linear --endpoint end --schedule dilated --kappa 2.5 --p 0.7 --sigma2 0.6 --d 4000 --steps 40 --n 32 --lambda-u 1 --lambda-w 0 --engine averaged --noise fixed
# Small d, p < 1/2, large σ², large ε = κ/√d = 0.375: finite-d corrections are large.
gen 'theory__small_d_dilated@d64_K16' --path linear --endpoint end --schedule dilated --kappa 3 --p 0.3 --sigma2 2 --d 64 --steps 16 --n 128 --lambda-u 0.01 --lambda-w 0.01

# The quick tier of the paper's claims (issue 7): one file per claim, measured with the
# master seed 0. tests/claims_quick.rs reproduces them exactly.
rm -f fixtures/claims/*.new
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; [ -n "$tmp" ] && rm -f "$tmp"' EXIT
cargo run --release --quiet -- reproduce --quiet --out "$scratch/report" --fixtures fixtures/claims >/dev/null || true
echo "wrote fixtures/claims/ (claims quick tier)"
