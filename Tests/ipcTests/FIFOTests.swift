import Foundation
import Testing

/// `ipc fifo` against real FIFOs, with mkfifo, cat, echo and bash on the other side.
/// Each script runs in a fresh directory of its own, removed afterwards.
@Suite("ipc fifo, end to end")
struct FIFOTests {
  @Test("create makes a FIFO with mode 0600, honours the umask, and refuses other files")
  func create() throws {
    let result = try Harness.bash(
      """
      "$IPC" fifo create f && stat -c '%F %a' f
      (umask 077; "$IPC" fifo create g --mode 666) && stat -c '%a' g
      "$IPC" fifo create f; echo "again $?"
      "$IPC" fifo create f --exist-ok; echo "exist-ok $?"
      echo precious > file
      "$IPC" fifo create file --exist-ok; echo "file $?"; cat file
      """)
    #expect(result.text == "fifo 600\n600\nagain 1\nexist-ok 0\nfile 1\nprecious\n")
    #expect(result.stderr.contains("ipc: fifo create f: a FIFO is already there (EEXIST)"))
    #expect(
      result.stderr.contains("ipc: fifo create file: a regular file is already there (EEXIST)"))
  }

  @Test("write reaches cat on a FIFO made by mkfifo")
  func writeToCat() throws {
    let result = try Harness.bash(
      """
      mkfifo f
      cat f > out & "$IPC" fifo write f hello "big world" --timeout 10s; wait
      cat out
      """)
    #expect(result.status == 0)
    #expect(result.text == "hello big world\n")
  }

  @Test("read gets what echo writes, then ends when the writer closes")
  func readFromEcho() throws {
    let result = try Harness.bash(
      """
      mkfifo f
      "$IPC" fifo read f --timeout 10s > out & reader=$!
      echo "from echo" > f
      wait $reader; echo "status $?"; cat out
      """)
    #expect(result.text == "status 0\nfrom echo\n")
  }

  @Test("a wait for the other side ends with 124 at the timeout, not a hang")
  func openTimeouts() throws {
    let result = try Harness.bash(
      """
      mkfifo f
      start=$(date +%s%N)
      "$IPC" fifo read f --timeout 200ms; echo "read $?"
      "$IPC" fifo write f late --timeout 200ms; echo "write $?"
      echo "ms $(( ($(date +%s%N) - start) / 1000000 ))"
      """, timeout: 20)
    let lines = result.text.split(separator: "\n")
    #expect(lines.prefix(2) == ["read 124", "write 124"])
    let elapsed = Int(lines.last?.dropFirst(3) ?? "") ?? -1
    #expect(elapsed >= 400 && elapsed < 3000, "took \(elapsed) ms")
    #expect(
      result.stderr.contains("ipc: fifo read f: no writer and no data came before the timeout"))
    #expect(result.stderr.contains("ipc: fifo write f: no reader came before the timeout"))
  }

  @Test("--nonblock without a reader fails at once with 3 (ENXIO)")
  func nonblock() throws {
    let result = try Harness.bash("mkfifo f; \"$IPC\" fifo write f x --nonblock")
    #expect(result.status == 3)
    #expect(result.stderrLines.first == "ipc: fifo write f: no reader has the FIFO open (ENXIO)")
  }

  @Test("--keep-open receives three successive writers without an end of file")
  func keepOpen() throws {
    let result = try Harness.bash(
      """
      mkfifo f
      "$IPC" fifo read f --keep-open --count 3 --timeout 10s > out & reader=$!
      for w in 1 2 3; do "$IPC" fifo write f "writer $w" --timeout 10s || echo "write $w failed"; done
      wait $reader; echo "status $?"; cat out
      """, timeout: 30)
    #expect(result.text == "status 0\nwriter 1\nwriter 2\nwriter 3\n")
  }

  @Test("--count takes exactly N lines off the FIFO; the rest stays for the next reader")
  func countLeavesTheRest() throws {
    let result = try Harness.bash(
      """
      mkfifo f
      exec 3<>f          # hold both ends, so the data outlives each reader
      printf 'one\\ntwo\\nthree\\nfour\\nfive' >&3
      "$IPC" fifo read f --count 2 --timeout 5s; echo "[first $?]"
      printf '\\n' >&3
      "$IPC" fifo read f --count 3 --timeout 5s; echo "[second $?]"
      """, timeout: 20)
    #expect(result.text == "one\ntwo\n[first 0]\nthree\nfour\nfive\n[second 0]\n")
  }

  @Test("10 MiB of random bytes go through unchanged")
  func binary() throws {
    let result = try Harness.bash(
      """
      head -c 10485760 /dev/urandom > data
      "$IPC" fifo create f
      "$IPC" fifo read f --timeout 20s > copy & reader=$!
      "$IPC" fifo write f --timeout 20s < data; echo "write $?"
      wait $reader; echo "read $?"
      cmp data copy && echo same
      """, timeout: 60)
    #expect(result.text == "write 0\nread 0\nsame\n")
  }

  @Test("8 writers × 1000 lines with --lines: every line intact, each writer's in order")
  func atomicLines() throws {
    let result = try Harness.bash(
      """
      "$IPC" fifo create f
      "$IPC" fifo read f --keep-open --count 8000 --timeout 30s > out & reader=$!
      for w in 1 2 3 4 5 6 7 8; do
        for i in $(seq -w 1 1000); do printf 'writer-%s line-%s %0200d\\n' $w $i 0; done > in.$w
      done
      for w in 1 2 3 4 5 6 7 8; do "$IPC" fifo write f --lines --timeout 30s < in.$w & done
      wait
      wc -l < out
      grep -cvE '^writer-[1-8] line-[0-9]{4} 0{200}$' out
      for w in 1 2 3 4 5 6 7 8; do grep "^writer-$w " out | cmp - in.$w || echo "writer $w differs"; done
      """, timeout: 90)
    #expect(result.text == "8000\n0\n")
  }

  @Test("a reader that leaves mid-stream ends the writer with 1 and a clear line")
  func readerLeaves() throws {
    let result = try Harness.bash(
      """
      mkfifo f
      head -c 1000 f > /dev/null & 
      head -c 50000000 /dev/zero | "$IPC" fifo write f --timeout 10s; echo "status $?"
      wait
      """, timeout: 30)
    #expect(result.text == "status 1\n")
    #expect(
      result.stderrLines.first
        == "ipc: fifo write f: the reader closed the FIFO before all was written (EPIPE)")
    #expect(result.stderrLines.count == 2)
    #expect(result.stderrLines.last?.hasPrefix("hint: ") == true)
  }

  @Test("Ctrl-C while waiting in open exits 130 and removes the FIFO it created")
  func interruptedOpen() throws {
    let result = try Harness.bash(
      """
      set -m   # job control: background jobs keep SIGINT
      "$IPC" fifo write f --create hello & pid=$!
      for i in $(seq 100); do [ -p f ] && break; sleep 0.05; done
      [ -p f ] && echo "made"
      sleep 0.2
      kill -INT $pid; wait $pid; echo "status $?"
      [ -e f ] && echo "left behind" || echo "removed"
      mkfifo g
      "$IPC" fifo read g --create --remove-on-exit & pid=$!
      sleep 0.3; kill -TERM $pid; wait $pid; echo "status $?"
      [ -p g ] && echo "kept what it did not create"
      """, timeout: 30)
    #expect(
      result.text == "made\nstatus 130\nremoved\nstatus 143\nkept what it did not create\n")
  }

  @Test("rm removes a FIFO and refuses a regular file or a missing one")
  func remove() throws {
    let result = try Harness.bash(
      """
      mkfifo f; echo data > file
      "$IPC" fifo rm f; echo "fifo $?"; [ -e f ] || echo gone
      "$IPC" fifo rm file; echo "file $?"; cat file
      "$IPC" fifo rm missing; echo "missing $?"
      """)
    #expect(result.text == "fifo 0\ngone\nfile 1\ndata\nmissing 1\n")
    #expect(result.stderrLines.contains("ipc: fifo rm file: not a FIFO but a regular file"))
    #expect(result.stderrLines.contains("ipc: fifo rm missing: no such FIFO (ENOENT)"))
  }

  @Test("info shows the kind, mode, openers and the bytes waiting")
  func info() throws {
    let result = try Harness.bash(
      """
      "$IPC" fifo create f --mode 640
      "$IPC" fifo info f --json
      exec 3<>f; printf 'abc' >&3
      "$IPC" fifo info f --json
      "$IPC" fifo info f
      "$IPC" fifo info f | grep 'bytes waiting'   # bash holds fd 3 and ipc inherits it
      """)
    #expect(result.status == 0)
    let lines = result.text.split(separator: "\n")
    let idle = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
    #expect(idle["kind"] as? String == "fifo")
    #expect(idle["mode"] as? String == "0640")
    #expect(idle["bytes_waiting"] as? Int == 0)
    #expect(idle["readers"] as? Int == 0)
    let busy = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
    #expect(busy["bytes_waiting"] as? Int == 3)
    #expect(busy["readers"] as? Int == 1)
    #expect(busy["writers"] as? Int == 1)
    #expect(result.text.contains("open by         pid "))
    #expect(result.text.contains("(bash), fd 3, read+write"))
    #expect(lines.last == "bytes waiting   3")
  }
}
