#!/bin/sh
# idle CPU and RSS of `cairn watch` on a generated tree: idle.sh <cli> <tree> <seconds>
set -e
H=$(mktemp -d /dev/shm/cairn-idle.XXXX)
node "$1" init --repo "$H/repo" >/dev/null
XDG_STATE_HOME=$H/state XDG_CONFIG_HOME=$H/config node "$1" --repo "$H/repo" watch "$2" --settle 30s -q &
PID=$!
sleep 5   # watches set
T0=$(awk '{print $14+$15}' /proc/$PID/stat)
sleep "$3"
T1=$(awk '{print $14+$15}' /proc/$PID/stat)
RSS=$(awk '/VmRSS/{print $2}' /proc/$PID/status)
kill $PID; wait $PID || true
echo "idle CPU: $(echo "scale=3; ($T1-$T0)*100/$(getconf CLK_TCK)/$3" | bc)% over $3 s; RSS: $((RSS/1024)) MiB"
rm -rf "$H"
