import Foundation
import Testing

/// `ipc signal` with kill, /bin/kill and itself as senders. Every process a test
/// signals is one it started.
@Suite("ipc signal, end to end")
struct SignalTests {
  static let prelude = """
    trap 'kill $(jobs -p) 2>/dev/null' EXIT
    ready() { for i in $(seq 200); do grep -q ' ready (' "$1" 2>/dev/null && return; sleep 0.02; done; echo "not ready" >&2; }
    trapper() { sed -n 's/^ipc: signal trap: pid \\([0-9]*\\) ready.*/\\1/p' "$1"; }

    """

  static func run(_ script: String, timeout: Double = 30) throws -> Harness.Result {
    try Harness.bash(script, prelude: prelude, timeout: timeout)
  }

  @Test("trap receives from kill, from procps kill -q and from ipc signal send --value")
  func senders() throws {
    let result = try Self.run(
      """
      "$IPC" signal trap USR1 RTMIN+1 --count 3 --json --timeout 10s > got 2> log & pid=$!
      ready log; t=$(trapper log)
      kill -USR1 $t
      if /bin/kill -q 5 -s RTMIN+1 $t 2>/dev/null; then procps=yes; else procps=no; "$IPC" signal send $t RTMIN+1 --value 5; fi
      "$IPC" signal send $t RTMIN+1 --value 42 & sender=$!
      wait $sender; wait $pid; echo "status $?"
      python3 - $$ $sender <<'PY'
      import json, sys
      events = [json.loads(l) for l in open("got")]
      print([e["signal"] for e in events])
      print(events[0]["code"], events[0]["pid"] == int(sys.argv[1]), events[0]["uid"])
      print(events[1]["code"], events[1]["value"])
      print(events[2]["code"], events[2]["value"], events[2]["pid"] == int(sys.argv[2]))
      PY
      """)
    let uid = getuid()
    #expect(
      result.text
        == "status 0\n['SIGUSR1', 'SIGRTMIN+1', 'SIGRTMIN+1']\nSI_USER True \(uid)\nSI_QUEUE 5\nSI_QUEUE 42 True\n"
    )
  }

  @Test(
    "while held: 3 × SIGUSR1 arrive once, 3 × RTMIN arrive three times with their values in order")
  func coalescingAndQueuing() throws {
    let result = try Self.run(
      """
      "$IPC" signal trap USR1 RTMIN --hold 1s --count 4 --timeout 5s > got 2> log & pid=$!
      ready log; t=$(trapper log)
      "$IPC" signal send $t USR1 --repeat 3
      for v in 1 2 3; do "$IPC" signal send $t RTMIN --value $v; done
      wait $pid; echo "status $?"
      cut -d' ' -f1,3,9- got
      """)
    #expect(
      result.text
        == "status 0\nSIGUSR1 SI_USER\nSIGRTMIN SI_QUEUE value 1\nSIGRTMIN SI_QUEUE value 2\nSIGRTMIN SI_QUEUE value 3\n"
    )
  }

  @Test("--timeout ends with 124; --exec runs per signal with IPC_SIG_* set; --pid-file is written")
  func timeoutAndExec() throws {
    let result = try Self.run(
      """
      "$IPC" signal trap USR2 --timeout 200ms; echo "timeout $?"
      "$IPC" signal trap USR2 --count 1 --pid-file pid --shell --exec 'echo "exec $IPC_SIG_NAME $IPC_SIG_CODE $IPC_SIG_VALUE" > ran' 2> log > /dev/null & t=$!
      ready log; "$IPC" signal send --pid-file pid USR2 --value 9; wait $t
      cat ran
      """)
    #expect(result.text == "timeout 124\nexec SIGUSR2 SI_QUEUE 9\n")
  }

  @Test("a signal ignored on entry is reported and then received, not waited for in vain")
  func ignoredOnEntry() throws {
    let result = try Self.run(
      """
      ( trap '' USR1; exec "$IPC" signal trap USR1 --count 1 --timeout 10s ) > got 2> log & t=$!
      ready log; kill -USR1 $(trapper log); wait $t; echo "status $?"
      cut -d' ' -f1 got; grep -c 'was ignored when ipc started' log
      """)
    #expect(result.text == "status 0\nSIGUSR1\n1\n")
  }

  @Test("send guards: -1 and 0 need --force (exit 2, nothing sent); a dead pid is ESRCH")
  func sendGuards() throws {
    let result = try Self.run(
      """
      "$IPC" signal trap USR1 --timeout 1s > got 2> log & t=$!
      ready log
      "$IPC" signal send -1 USR1; echo "minus one $?"
      "$IPC" signal send 0 USR1; echo "zero $?"
      sleep 0 & dead=$!; wait $dead
      "$IPC" signal send $dead USR1; echo "dead $?"
      wait $t; echo "trap $?"; wc -c < got
      """)
    #expect(result.text == "minus one 2\nzero 2\ndead 1\ntrap 124\n0\n")
    #expect(result.stderr.contains("add --force if you mean it"))
    #expect(result.stderr.contains(": no such process (ESRCH)"))
  }

  @Test("list has SIGTERM 15 and the RTMIN number the system reports")
  func list() throws {
    let result = try Self.run(
      """
      "$IPC" signal list | grep -E '^15 +SIGTERM +terminate +Terminated$' | wc -l
      rtmin=$(kill -l RTMIN 2>/dev/null || echo 34)
      "$IPC" signal list --json | grep "\\"name\\":\\"SIGRTMIN\\"" | grep -c "\\"number\\":$rtmin,"
      "$IPC" signal list | grep -c '^9 *SIGKILL'
      """)
    #expect(result.text == "1\n1\n1\n")
  }

  @Test("mask --ignore makes a child immune to SIGUSR1; --block leaves it pending")
  func mask() throws {
    let result = try Self.run(
      """
      "$IPC" signal mask --ignore USR1 -- sh -c 'kill -USR1 $$; echo survived'; echo "status $?"
      sh -c 'kill -USR1 $$; echo survived'; echo "unmasked $?"
      "$IPC" signal mask --block USR1 -- sleep 10 & m=$!
      for i in $(seq 100); do s=$(pgrep -P $m sleep) && break; sleep 0.05; done
      kill -USR1 $s; sleep 0.1
      "$IPC" signal status $s | grep -E '^(pending \\(process\\)|blocked)'
      kill -TERM $s; wait $m; echo "status $?"
      "$IPC" signal mask --ignore USR1 -- sleep 30 & m=$!
      for i in $(seq 100); do pgrep -P $m sleep > /dev/null && break; sleep 0.05; done
      kill -TERM $m; wait $m; echo "ipc killed $?"
      pgrep -P $m sleep || echo "its command went too"
      """)
    #expect(
      result.text
        == "survived\nstatus 0\nunmasked 138\npending (process)  SIGUSR1\nblocked            SIGUSR1\nstatus 143\n"
        + "ipc killed 143\nits command went too\n"
    )
  }
}
