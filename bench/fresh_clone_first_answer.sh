#!/usr/bin/env bash
# A newcomer's first minute, timed: `git clone` of this checkout into a temp folder, `make serve`
# (which creates .venv and installs what serving needs), then curl on /_sandbox/health until it
# answers. Prints the seconds from before the clone and the venv's size; removes the folder.
#   bash bench/fresh_clone_first_answer.sh [REPO]      (default: this checkout)
set -u
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
dir=$(mktemp -d)
trap 'pkill -f "$dir/repo/.venv/bin/python"; rm -rf "$dir"' EXIT
cd "$dir"
start=$(date +%s.%N)
git clone -q "$src" repo && cd repo
make serve ARGS="--port 0" > serve.log 2>&1 &
url=
for _ in $(seq 1 1200); do    # 60 s at most
  url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' serve.log | head -1)
  if [ -n "$url" ] && curl -sf -o /dev/null "$url/_sandbox/health"; then break; fi
  sleep 0.05
done
end=$(date +%s.%N)
printf 'fresh clone to first answer: %.1f s (%s); serve venv %s\n' "$(echo "$end - $start" | bc)" "$url" "$(du -sh .venv | cut -f1)"
