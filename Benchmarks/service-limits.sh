#!/usr/bin/env bash
# What the listeners' limits cost (issue 15): requests/s that wrk gets from a release
# `tamga node --dev` on a cheap service route (POST /csc/v2/info: the middleware, the
# per-network rate limit and the connection guard, no HSM work) and a public one
# (GET /checkpoint), for each binary given, in turns, in one run.
#
#   Benchmarks/service-limits.sh BEFORE_TAMGA AFTER_TAMGA [rounds] [seconds]
#
# The node after runs with `requestsPerMinute` at its maximum (the limits are checked on every
# request but never reached, so the figure is their cost, not 429s), then once with the
# defaults, where wrk's one address is over its limit within a second (the figure is the 429
# path). Needs wrk (apt-get install wrk).
set -euo pipefail
before=$1 after=$2 rounds=${3:-2} seconds=${4:-10}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
EOF
echo '{"requestsPerMinute": 100000000}' > "$work/unlimited.json"
echo '{}' > "$work/defaults.json"

run() { # label binary config
  local label=$1 binary=$2 config=$3 data="$work/data-$RANDOM"
  "$binary" node --dev --data "$data" --public 127.0.0.1:19080 --service 127.0.0.1:19081 \
    ${config:+--config "$config"} --log-level error > "$work/node.log" 2>&1 &
  local node=$!
  for _ in $(seq 1 100); do curl -fsS http://127.0.0.1:19080/health > /dev/null 2>&1 && break; sleep 0.1; done
  local service public
  service=$(wrk -t1 -c32 -d"${seconds}s" -s "$work/post.lua" http://127.0.0.1:19081/csc/v2/info | awk '/Requests\/sec/ {print $2}')
  public=$(wrk -t1 -c32 -d"${seconds}s" http://127.0.0.1:19080/checkpoint | awk '/Requests\/sec/ {print $2}')
  kill "$node"; wait "$node" 2>/dev/null || true
  printf '%-34s service POST /csc/v2/info %10s req/s   public GET /checkpoint %10s req/s\n' "$label" "$service" "$public"
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), wrk -t1 -c32 -d${seconds}s"
for round in $(seq 1 "$rounds"); do
  run "round $round before (no limits)" "$before" ""
  run "round $round after (limits, not reached)" "$after" "$work/unlimited.json"
done
run "after, defaults (429 past the burst)" "$after" "$work/defaults.json"
