#!/usr/bin/env bash
# A side-by-side baseline of cairn, restic and borg on the same folders: first backup,
# no-op backup (nothing changed), restore of the latest snapshot, repository size and
# peak RSS. One run per tool and phase, tools alternating; compare ratios within one run.
# The full harness (repetitions, medians, generated corpora) is apps/bench (issue 3).
#   usage: benchmarks/peers-baseline.sh [corpus folders…]   (default: /usr/share /usr/include)
# Needs: restic, borgbackup (apt-get install restic borgbackup), a built cairn (pnpm build).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=("$@")
[ $# -gt 0 ] || corpus=(/usr/share /usr/include)
work=$(mktemp -d /tmp/cairn-peers-XXXXXX)
trap 'rm -rf "$work"' EXIT
export RESTIC_PASSWORD=bench BORG_PASSPHRASE='' BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
cairn=(node "$here/apps/cli/dist/main.js" --repo "$work/cairn")

# run NAME PHASE command…: prints "NAME PHASE seconds peak-RSS-KiB"
run() {
  local name=$1 phase=$2; shift 2
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$@" > /dev/null 2> "$work/err" || { echo "$name $phase failed:"; cat "$work/err"; exit 1; }
  end=$(date +%s.%N)
  printf '%s %s %.2f %s\n' "$name" "$phase" "$(echo "$end - $start" | bc)" "$(tail -1 "$work/rss")"
}

du -sb "${corpus[@]}" | awk '{s+=$1} END {printf "corpus: %.0f MB\n", s/1e6}'
find "${corpus[@]}" -type f | wc -l | awk '{print "files: " $1}'
"${cairn[@]}" init > /dev/null
restic init -r "$work/restic" > /dev/null 2>&1
borg init -e none "$work/borg" > /dev/null 2>&1

run cairn first "${cairn[@]}" backup -q "${corpus[@]}"
run restic first restic -r "$work/restic" --compression auto backup -q "${corpus[@]}"
run borg first borg create --compression zstd,3 "$work/borg::first" "${corpus[@]}"
run cairn noop "${cairn[@]}" backup -q "${corpus[@]}"
run restic noop restic -r "$work/restic" --compression auto backup -q "${corpus[@]}"
run borg noop borg create --compression zstd,3 "$work/borg::noop" "${corpus[@]}"
run cairn restore "${cairn[@]}" restore latest --target "$work/out-cairn"
run restic restore restic -r "$work/restic" restore latest --target "$work/out-restic"
mkdir -p "$work/out-borg" && (cd "$work/out-borg" && run borg restore borg extract "$work/borg::noop")
for tool in cairn restic borg; do
  printf '%s size %s\n' "$tool" "$(du -sb "$work/$tool" | cut -f1)"
done
