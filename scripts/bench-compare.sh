#!/usr/bin/env bash
# Every quicflow-bench workload (release build) side by side with the machine's
# limits and with peers, in one run, printing ratios and the issue's targets:
#   - bulk against ngtcp2's own C example (gtlsserver serving a file,
#     gtlsclient --download): the same QUIC library's ceiling;
#   - rtt and rps against aioquic running the same QuicFlow exchange;
#   - loopback UDP datagrams/s (1,200 B) and GnuTLS AES-128-GCM speed.
#   - cluster: three nodes on a throwaway PostgreSQL (scripts/test-postgres.sh).
# Settings: FANOUT_CLIENTS (10000), IDLE_SECONDS (60), RPS_SECONDS (5),
# CLUSTER_DEVICES (1000).
# Raw results: one JSON line each, kept in $BENCH_RESULTS if set.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

bash scripts/ensure-packages.sh libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libsqlite3-dev \
  ngtcp2-client ngtcp2-server python3-venv gcc postgresql
bash scripts/ensure-venv.sh

echo "bench-compare: building release products (the first build takes several minutes)"
for product in quicflow-bench quicflow-agent quicflow-server quicflowctl; do
  swift build -c release --product "$product" >/tmp/bench-build.log 2>&1 || { cat /tmp/bench-build.log >&2; exit 1; }
done
bin=$(swift build -c release --show-bin-path)
# The agent as scripts/install-agent.sh ships it: Swift runtime linked in.
swift build -c release --product quicflow-agent --static-swift-stdlib --scratch-path .build-static >/tmp/bench-build.log 2>&1 \
  || { cat /tmp/bench-build.log >&2; exit 1; }
export QUICFLOW_AGENT_BIN
QUICFLOW_AGENT_BIN="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/quicflow-agent"

work=$(mktemp -d "${TMPDIR:-/tmp}/quicflow-bench.XXXXXX")
chmod 755 "$work"
trap 'pkill -P $$ gtlsserver 2>/dev/null || true; bash scripts/test-postgres.sh stop "$work/pg" || true; rm -rf "$work"' EXIT
results=${BENCH_RESULTS:-$work/results.jsonl}
: >"$results"
record() { grep '^{' | tee -a "$results"; }

"$bin/quicflowctl" certs init --dir "$work/pki" --dns localhost --ip 127.0.0.1 >/dev/null

echo "== machine limits"
cc -O2 -o "$work/limits" scripts/bench/limits.c -lgnutls -lpthread
"$work/limits" udp | record
"$work/limits" aes | record

echo "== quicflow-bench"
"$bin/quicflow-bench" rtt | record
"$bin/quicflow-bench" rps --seconds "${RPS_SECONDS:-5}" | record
"$bin/quicflow-bench" bulk | record
"$bin/quicflow-bench" handshakes | record
"$bin/quicflow-bench" fanout --clients "${FANOUT_CLIENTS:-10000}" | record
"$bin/quicflow-bench" outbox | record
"$bin/quicflow-bench" idle --seconds "${IDLE_SECONDS:-60}" | record

echo "== cluster: three nodes on one PostgreSQL (a throwaway server, durable settings as deployed)"
database=$(bash scripts/test-postgres.sh start "$work/pg" durable)
"$bin/quicflow-bench" cluster --database "$database" --devices "${CLUSTER_DEVICES:-1000}" | record

echo "== ngtcp2's C example (gtlsserver/gtlsclient), 256 MiB download"
mkdir -p "$work/htdocs" "$work/download"
head -c $((256 << 20)) /dev/zero >"$work/htdocs/blob"
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
gtlsserver -q -d "$work/htdocs" 127.0.0.1 "$port" "$work/pki/server.key" "$work/pki/server.crt" >/dev/null 2>&1 &
gtls_pid=$!
# gtlsserver says nothing when it is ready: wait until its UDP socket is bound.
for _ in $(seq 100); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.05; done
start=$(date +%s.%N)
gtlsclient -q --exit-on-all-streams-close --download "$work/download" 127.0.0.1 "$port" "https://127.0.0.1:$port/blob" >/dev/null 2>&1
end=$(date +%s.%N)
kill "$gtls_pid" 2>/dev/null || true
size=$(stat -c %s "$work/download/blob")
python3 -c "print('{\"workload\": \"gtls_bulk\", \"mib\": %d, \"mb_per_s\": %.2f}' % ($size >> 20, $size / ($end - $start) / 1e6))" | record

echo "== aioquic running the QuicFlow exchange"
.venv/bin/python scripts/bench/aioquic_peer.py "$work/pki/server.crt" "$work/pki/server.key" "$work/pki/ca.crt" rtt 20000 | record
.venv/bin/python scripts/bench/aioquic_peer.py "$work/pki/server.crt" "$work/pki/server.key" "$work/pki/ca.crt" rps 4 32 "${RPS_SECONDS:-5}" | record

echo
python3 - "$results" <<'PY'
import json, sys
r = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        d = json.loads(line); r[d["workload"]] = d
def g(w, k): return r.get(w, {}).get(k)
rows = []
def row(name, value, unit, target=None, ok=None, compare=None):
    rows.append((name, "-" if value is None else ("%.2f" % value if isinstance(value, float) else str(value)), unit,
                 target or "", "" if ok is None else ("met" if ok else "MISSED"), compare or ""))
def ratio(a, b): return None if not a or not b else a / b
rtt50, rtt99 = g("rtt", "p50_us"), g("rtt", "p99_us")
row("rtt p50", rtt50, "µs", "≤ 60", rtt50 is not None and rtt50 <= 60, "aioquic %s µs" % g("aioquic_rtt", "p50_us"))
row("rtt p99", rtt99, "µs", "≤ 200", rtt99 is not None and rtt99 <= 200, "aioquic %s µs" % g("aioquic_rtt", "p99_us"))
row("rtt p99.9", g("rtt", "p999_us"), "µs")
row("rtt rate", g("rtt", "msgs_per_s"), "msg/s", None, None, "x%.2f of aioquic" % (ratio(g("rtt", "msgs_per_s"), g("aioquic_rtt", "msgs_per_s")) or 0))
rps = g("rps", "msgs_per_s")
row("rps (4 conn x 32)", rps, "msg/s", "≥ 60,000", rps is not None and rps >= 60000, "x%.2f of aioquic (%s)" % (ratio(rps, g("aioquic_rps", "msgs_per_s")) or 0, g("aioquic_rps", "msgs_per_s")))
row("rps p50 / p99", "%s / %s" % (g("rps", "p50_us"), g("rps", "p99_us")), "µs")
bulk, gtls = g("bulk", "mb_per_s"), g("gtls_bulk", "mb_per_s")
row("bulk 1 MiB msgs", bulk, "MB/s", "≥ gtlsclient", bulk is not None and gtls is not None and bulk >= gtls, "x%.2f of gtlsclient (%s MB/s)" % (ratio(bulk, gtls) or 0, gtls))
row("fanout clients", g("fanout", "clients"), "")
kib = g("fanout", "rss_kib_per_conn")
row("server RSS / conn", kib, "KiB", "≤ 40", kib is not None and kib <= 40)
bms = g("fanout", "broadcast_ms_max")
row("broadcast to all", bms, "ms", "≤ 1000", bms is not None and bms <= 1000, "p50 %s ms" % g("fanout", "broadcast_ms_p50"))
hs = g("handshakes", "per_s")
row("handshakes", hs, "/s", "≥ 2,000", hs is not None and hs >= 2000)
enq = g("outbox_enqueue", "batched_rows_per_s")
row("outbox enqueue (group commit)", enq, "rows/s", "≥ 10,000", enq is not None and enq >= 10000, "single-row durable %s/s" % g("outbox_enqueue", "single_rows_per_s"))
send = g("agent_send", "p50_ms")
row("quicflow-agent send", send, "ms/call", "≤ 20", send is not None and send <= 20)
rep = g("outbox_replay", "msgs_per_s")
row("outbox replay", rep, "msg/s", "≥ 5,000", rep is not None and rep >= 5000)
rss = g("idle", "agent_rss_mib")
row("agent idle RSS", rss, "MiB", "≤ 20", rss is not None and rss <= 20)
cpu = g("idle", "agent_cpu_percent")
row("agent idle CPU", cpu, "%", "≤ 0.5", cpu is not None and cpu <= 0.5)
same, cross = g("cluster", "same_node_p50_us"), g("cluster", "cross_node_p50_us")
over = g("cluster", "cross_overhead_p50_us")
row("cluster cross-node p50 / p99", "%s / %s" % (cross, g("cluster", "cross_node_p99_us")), "µs", "≤ same + 2,000 at p50", over is not None and over <= 2000, "same node %s / %s µs" % (same, g("cluster", "same_node_p99_us")))
cmsg = g("cluster", "cross_msg_per_s")
row("cluster cross-node msg/s", cmsg, "msg/s", "≥ 3,000", cmsg is not None and cmsg >= 3000)
h1, h2 = g("cluster", "cross_msg_per_s_first_half"), g("cluster", "cross_msg_per_s_second_half")
steady = ratio(h2, h1)
row("cluster cross-node rate, 2nd half / 1st", None if steady is None else round(steady, 2), "", "≥ 0.8 (no per-message cost that grows)", steady is not None and steady >= 0.8, "%s then %s msg/s" % (h1, h2))
stm = g("cluster", "pg_statements_per_cross_msg")
row("cluster PG statements / msg", stm, "", "≤ 3", stm is not None and stm <= 3)
qd = g("cluster", "queued_delivery_per_s")
row("cluster queued delivery", qd, "msg/s", "≥ 5,000", qd is not None and qd >= 5000, "queueing through the API %s msg/s" % g("cluster", "queue_per_s"))
rh = g("cluster", "rehome_s")
row("cluster re-home after kill -9", rh, "s", "≤ 10 for 1,000", rh is not None and rh <= 10, "%s devices" % g("cluster", "rehome_devices"))
udp = g("limit_udp", "received_per_s")
row("limit: loopback UDP 1200 B", udp, "dgram/s", None, None, "%.1f MB/s; bulk uses x%.2f of it" % (g("limit_udp", "received_mb_per_s") or 0, ratio(bulk, g("limit_udp", "received_mb_per_s")) or 0))
row("limit: AES-128-GCM", g("limit_aes128gcm", "mb_per_s_1200B"), "MB/s", None, None, "16 KiB records: %s MB/s" % g("limit_aes128gcm", "mb_per_s_16KiB"))
widths = [max(len(str(x[i])) for x in rows + [("figure", "value", "unit", "target", "", "compared")]) for i in range(6)]
header = ("figure", "value", "unit", "target", "", "compared")
for line in [header] + rows:
    print("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(line)).rstrip())
PY
