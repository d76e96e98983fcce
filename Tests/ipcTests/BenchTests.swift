import Foundation
import Testing

@Suite("ipc bench, end to end")
struct BenchTests {
  @Test("bench measures every mechanism against a peer process and leaves no object behind")
  func everyMechanism() throws {
    let result = try Harness.bash(
      """
      "$IPC" bench --count 300 --json > out & p=$!
      wait $p; echo "rc=$?"
      python3 - <<'PY'
      import json
      rows = [json.loads(line) for line in open("out")]
      print(" ".join(r["mechanism"] for r in rows))
      for r in rows:
          ok = (0 < r["rtt_min_us"] <= r["rtt_median_us"] <= r["rtt_p99_us"]
                and r["messages_per_second"] > 0 and r["count"] == 300
                and r["size"] == (4 if r["mechanism"] == "signal" else 64)
                and abs(r["bytes_per_second"] - r["size"] * r["messages_per_second"]) <= r["size"])
          if not ok: print("bad row", r)
      PY
      ls /dev/shm /tmp | grep -c "ipc-bench-$p"
      "$IPC" mq info /ipc-bench-$p-a 2>&1 | grep -c "no such queue"
      awk -v p=$p '$7 == p' /proc/sysvipc/msg | wc -l
      """, timeout: 120)
    #expect(
      result.text == "rc=0\npipe fifo unix tcp mq sysv shm signal\n0\n1\n0\n", "\(result.stderr)")
  }

  @Test("the table has a header and one row per mechanism asked for, in that order")
  func table() throws {
    let result = try Harness.bash(
      """
      "$IPC" bench tcp pipe --count 200 --size 1K | awk '{print $1}'
      """)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.text == "200\nMECHANISM\ntcp\npipe\n")
  }

  @Test("--timeout ends a run too long for it with 124, SIGINT with 130; nothing is left")
  func bounded() throws {
    let result = try Harness.bash(
      """
      set -m
      gone() { for i in $(seq 100); do kill -0 $1 2>/dev/null || return 0; sleep 0.05; done; echo "$1 still there"; }
      for m in pipe shm signal; do
        "$IPC" bench $m --count 10000000 --timeout 1s > /dev/null 2> err & p=$!
        wait $p; echo "$m rc=$? $(wc -l < err) $(grep -c 'did not finish within --timeout' err)"
        ls /dev/shm /tmp | grep "ipc-bench-$p"
      done
      "$IPC" bench mq --count 10000000 --timeout 60s > /dev/null 2> err & p=$!
      for i in $(seq 200); do peer=$(pgrep -P $p) && break; sleep 0.05; done
      sleep 0.2
      kill -INT $p; wait $p; echo "mq rc=$?"
      gone $peer
      "$IPC" mq info /ipc-bench-$p-a 2>&1 | grep -c "no such queue"
      """, timeout: 60)
    #expect(
      result.text
        == "pipe rc=124 2 1\nshm rc=124 2 1\nsignal rc=124 2 1\nmq rc=130\n1\n",
      "\(result.stderr)")
  }
}
