#!/usr/bin/env bash
# Catch-up benchmark: 4 validators produce N blocks quickly, then a full node starts from
# genesis and we time how long it takes to reach the height the others had when it started.
# Prints blocks, seconds, blocks/s and the time 100,000 blocks would take at that rate.
#   scripts/bench-catchup.sh [N]      (default 10000; binary: $GRIDLEDGER or target/release)
set -euo pipefail
N=${1:-10000}
B=${GRIDLEDGER:-target/release/gridledger}
BASE=${BASE:-35000}
DIR=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"' EXIT
"$B" testnet init --validators 4 --full-nodes 1 --dir "$DIR/tn" --base-port "$BASE" \
  --block-time-ms 5 --empty-block-ms 5 >/dev/null
height() { curl -sf "http://127.0.0.1:$1/api/v1/status" | sed -E 's/.*"height":([0-9]+).*/\1/' || echo 0; }
for i in 0 1 2 3; do
  RUST_LOG=warn "$B" node --config "$DIR/tn/node$i.json" 2>"$DIR/node$i.log" &
done
echo "producing $N blocks with 4 validators (5 ms block time)..."
t0=$(date +%s)
while [ "$(height "$BASE")" -lt "$N" ]; do sleep 2; done
echo "  produced $(height "$BASE") blocks in $(( $(date +%s) - t0 )) s"
target=$(height "$BASE")
start=$(date +%s.%N)
RUST_LOG=warn "$B" node --config "$DIR/tn/full0.json" 2>"$DIR/full0.log" &
while [ "$(height $((BASE + 4)))" -lt "$target" ]; do sleep 0.5; done
end=$(date +%s.%N)
rss=$(ps -o rss= -p "$(pgrep -f "$DIR/tn/full0.json" | head -1)" | tr -d ' ')
awk -v n="$target" -v s="$start" -v e="$end" -v rss="$rss" 'BEGIN {
  t = e - s; r = n / t;
  printf "full node caught up %d blocks in %.1f s: %.0f blocks/s; 100,000 blocks at this rate: %.0f s (%.1f min); RSS %d MiB\n", n, t, r, 100000 / r, 100000 / r / 60, rss / 1024 }'
