#!/usr/bin/env bash
# Export the 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits",
# CC BY 4.0, as shipped inside the scikit-learn wheel) to fixtures/data/digits.csv
# with its SHA-256 in fixtures/data/digits.csv.sha256.
#
# Run once; the Rust code only reads the committed file and verifies the checksum.
# A throwaway venv keeps the system Python untouched; it is deleted afterwards.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/fixtures/data"
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet scikit-learn
mkdir -p "$out"
"$venv/bin/python" - "$out/digits.csv" <<'PY'
import sys
from sklearn.datasets import load_digits
d = load_digits()
with open(sys.argv[1], "w") as f:
    # Header: label then the 64 pixels (row-major 8x8, integer intensities 0..16).
    f.write("label," + ",".join(f"p{i}" for i in range(64)) + "\n")
    for x, y in zip(d.data, d.target):
        f.write(str(int(y)) + "," + ",".join(str(int(v)) for v in x) + "\n")
PY
(cd "$out" && sha256sum digits.csv > digits.csv.sha256)
echo "wrote $out/digits.csv ($(wc -l < "$out/digits.csv") lines) and digits.csv.sha256"
