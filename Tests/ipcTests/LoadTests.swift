import Foundation
import Testing

/// Many peers at once, many messages: every one arrives once, whole, and nothing leaks.
/// Serialized: each case loads both cores on its own.
@Suite("load: every message once, nothing leaked", .serialized)
struct LoadTests {
  @Test(
    "sock listen --fork: 100 concurrent then 1000 sequential clients, every reply right, no fd leak"
  )
  func manyClients() throws {
    let result = try Harness.bash(
      """
      trap 'kill $p 2>/dev/null' EXIT
      "$IPC" sock listen unix:$PWD/s.sock --fork --max-clients 128 --exec 'tr a-z A-Z' 2> log & p=$!
      for i in $(seq 200); do grep -q listening log && break; sleep 0.02; done
      before=$(ls /proc/$p/fd | wc -l)
      for i in $(seq 100); do
        ( echo "client $i" | socat -t 10 - UNIX-CONNECT:$PWD/s.sock > out.$i ) &
      done
      wait $(jobs -p | grep -v "^$p$")
      ok=0; for i in $(seq 100); do [ "$(cat out.$i)" = "CLIENT $i" ] && ok=$((ok+1)); done
      echo "concurrent $ok"
      ok=0; for i in $(seq 1000); do
        [ "$(echo "seq $i" | "$IPC" sock connect unix:$PWD/s.sock)" = "SEQ $i" ] && ok=$((ok+1))
      done
      echo "sequential $ok"
      # Children are reaped as they end; wait for the last before counting descriptors.
      for i in $(seq 100); do [ -z "$(pgrep -P $p)" ] && break; sleep 0.05; done
      after=$(ls /proc/$p/fd | wc -l)
      echo "fds $before $after"
      """, timeout: 300)
    let lines = result.text.split(separator: "\n")
    #expect(lines.prefix(2) == ["concurrent 100", "sequential 1000"], "\(result.stderr)")
    let fds = lines.last?.split(separator: " ") ?? []
    #expect(fds.count == 3 && fds[1] == fds[2], "descriptors before and after: \(fds)")
  }

  @Test("mq: 8 producers × 8 consumers × 10 000 messages, none lost, none twice")
  func queueLoad() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$
      trap '"$IPC" mq rm /$n' EXIT
      "$IPC" mq create /$n
      for c in $(seq 8); do
        "$IPC" mq recv /$n --count 10000 --timeout 60s > got.$c 2> err.$c &
      done
      for p in $(seq 8); do
        seq -f "p$p-%05g" 10000 | "$IPC" mq send /$n --lines --timeout 60s &
      done
      wait
      cat got.* | sort > all
      for p in $(seq 8); do seq -f "p$p-%05g" 10000; done | sort > want
      echo "received $(wc -l < all), distinct $(sort -u all | wc -l)"
      cmp -s all want && echo "exactly the messages sent"
      """, timeout: 300)
    #expect(
      result.text == "received 80000, distinct 80000\nexactly the messages sent\n",
      "\(result.stderr)")
  }

  @Test("fifo: 8 writers × 10 000 lines with --lines, no torn line, each writer's in order")
  func fifoLoad() throws {
    let result = try Harness.bash(
      """
      mkfifo f
      "$IPC" fifo read f --keep-open --count 80000 --timeout 60s > got &
      for w in $(seq 8); do
        seq -f "writer $w line %05g of a line long enough to matter ........................" 10000 \\
          | "$IPC" fifo write f --lines --timeout 60s &
      done
      wait
      echo "lines $(wc -l < got)"
      for w in $(seq 8); do
        grep "^writer $w line" got | cmp -s - <(seq -f "writer $w line %05g of a line long enough to matter ........................" 10000) \\
          && echo "writer $w intact"
      done | wc -l
      """, timeout: 300)
    #expect(result.text == "lines 80000\n8\n", "\(result.stderr)")
  }

  @Test("signal trap: 10 000 queued real-time signals, each value seen once, in order")
  func signalLoad() throws {
    let result = try Harness.bash(
      """
      "$IPC" signal trap RTMIN --count 10000 --hold 0.5s --timeout 60s --json > got 2> log & t=$!
      for i in $(seq 200); do grep -q ready log && break; sleep 0.02; done
      "$IPC" signal send $t RTMIN --value 1 --repeat 10000 --increment
      wait $t; echo "trap $?"
      python3 -c '
      import json
      values = [json.loads(l)["value"] for l in open("got")]
      print(len(values), values == list(range(1, 10001)))'
      """, timeout: 120)
    #expect(result.text == "trap 0\n10000 True\n", "\(result.stderr)")
  }
}
