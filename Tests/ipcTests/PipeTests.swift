import Foundation
import Testing

@Suite("ipc pipe, end to end")
struct PipeTests {
  @Test("a three-stage pipeline prints what bash prints")
  func threeStages() throws {
    let stages = ["printf 'pear\\napple\\nfig\\napple\\n'", "sort -u", "tr a-z A-Z"]
    let quoted = stages.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let ours = try Harness.bash("\"$IPC\" pipe " + quoted.joined(separator: " "))
    let bash = try Harness.bash(stages.joined(separator: " | "))
    #expect(ours.status == 0)
    #expect(ours.stderr == "")
    #expect(ours.text == "APPLE\nFIG\nPEAR\n")
    #expect(ours.stdout == bash.stdout)
  }

  @Test("stdin reaches the first stage and the last stage's output reaches stdout")
  func standardStreams() throws {
    let result = try Harness.bash("\"$IPC\" pipe 'tr a-z A-Z' 'rev'", stdin: Data("abc\n".utf8))
    #expect(result.status == 0)
    #expect(result.text == "CBA\n")
  }

  @Test("the status is the last failing stage's, like set -o pipefail")
  func pipefail() throws {
    let middle = try Harness.bash("\"$IPC\" pipe 'echo x' 'cat >/dev/null; exit 3' 'cat'")
    #expect(middle.status == 3)
    let two = try Harness.bash("\"$IPC\" pipe 'exit 4' 'exit 5' 'true'")
    #expect(two.status == 5)
    let ok = try Harness.bash("\"$IPC\" pipe 'exit 0' 'true'")
    #expect(ok.status == 0)
    let bash = try Harness.bash("set -o pipefail; (echo x) | (cat >/dev/null; exit 3) | cat")
    #expect(middle.status == bash.status)
  }

  @Test("a stage killed by signal N gives 128+N")
  func killedStage() throws {
    let result = try Harness.bash("\"$IPC\" pipe 'echo x' 'kill -KILL $$' 'cat'")
    #expect(result.status == 128 + 9)
    let term = try Harness.bash("\"$IPC\" pipe 'kill -TERM $$'")
    #expect(term.status == 128 + 15)
  }

  @Test("--stats counts exactly the bytes of 50 MiB of random data, which arrive intact")
  func statsCountsBytes() throws {
    let result = try Harness.bash(
      """
      head -c 52428800 /dev/urandom > data
      "$IPC" pipe --stats --json 'cat data' 'cat' 'sha256sum' 2>stats
      sha256sum < data
      cat stats >&2
      """)
    #expect(result.status == 0)
    let sums = result.text.split(separator: "\n").map { $0.prefix(64) }
    #expect(sums.count == 2)
    #expect(sums.first == sums.last)
    let links = try result.stderrLines.map {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
    #expect(links.count == 2)
    #expect(links.map { $0["link"] as? String } == ["1>2", "2>3"])
    for link in links {
      #expect(link["bytes"] as? Int == 52_428_800)
      #expect((link["seconds"] as? Double ?? -1) >= 0)
      #expect(link["splice"] as? Bool == true)
    }
  }

  @Test("--stats with no stage meters stdin to stdout, byte for byte, in text form")
  func statsAsMeter() throws {
    let result = try Harness.bash(
      """
      head -c 3000000 /dev/urandom > data
      "$IPC" pipe --stats < data > copy && cmp data copy && echo same
      """)
    #expect(result.status == 0)
    #expect(result.text == "same\n")
    #expect(result.stderrLines.count == 1)
    #expect(result.stderr.hasPrefix("ipc: link stdin > stdout: 3000000 bytes in "))
  }

  @Test("--stats with one stage meters its output")
  func statsOneStage() throws {
    let result = try Harness.bash("\"$IPC\" pipe --stats 'head -c 12345 /dev/zero' | wc -c")
    #expect(result.status == 0)
    #expect(result.text.trimmingCharacters(in: .whitespacesAndNewlines) == "12345")
    #expect(result.stderr.hasPrefix("ipc: link 1 > stdout: 12345 bytes in "))
  }

  @Test("--capacity sizes the pipes, as the next stage sees with pipe info --fd 0")
  func capacity() throws {
    let result = try Harness.bash(
      "\"$IPC\" pipe --capacity 1M 'echo hi' 'ipc pipe info --json --fd 0'")
    #expect(result.status == 0)
    let info = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
    #expect(info["capacity"] as? Int == 1 << 20)
    #expect(info["fd"] as? Int == 0)
    #expect(info["pipe_buf"] as? Int == 4096)
    let plain = try Harness.bash("\"$IPC\" pipe 'echo hi' 'ipc pipe info --json --fd 0'")
    let info2 = try JSONSerialization.jsonObject(with: plain.stdout) as! [String: Any]
    #expect(info2["capacity"] as? Int == info2["default_capacity"] as? Int)
  }

  @Test("pipe info reports the system's limits")
  func info() throws {
    let result = try Harness.bash("\"$IPC\" pipe info; cat /proc/sys/fs/pipe-max-size")
    #expect(result.status == 0)
    let lines = result.text.split(separator: "\n")
    #expect(lines.first == "PIPE_BUF          4096 bytes (writes up to this size are atomic)")
    let max = lines.last.map(String.init) ?? ""
    #expect(result.text.contains("max capacity      \(max) bytes"))
  }

  @Test("writing into a reader that left ends quietly with 141 or 0")
  func closedReader() throws {
    let meter = try Harness.bash(
      "yes | \"$IPC\" pipe --stats | head -1; echo \"${PIPESTATUS[1]}\" >&2")
    #expect(meter.text == "y\n")
    #expect(["141", "0"].contains(meter.stderrLines.last.map(String.init)))
    // Only the meter's own report, which says the reader left; no error, no trace.
    #expect(meter.stderrLines.count == 2)
    #expect(meter.stderrLines.first?.hasPrefix("ipc: link stdin > stdout: ") == true)
    #expect(meter.stderrLines.first?.hasSuffix("reader closed early)") == true)
    let pipeline = try Harness.bash(
      "\"$IPC\" pipe 'yes' 'cat' | head -1; echo \"${PIPESTATUS[0]}\" >&2")
    #expect(pipeline.text == "y\n")
    #expect(["141", "0"].contains(pipeline.stderrLines.last.map(String.init)))
    #expect(pipeline.stderrLines.count == 1)
  }

  @Test("--trace shows the pipe, the spawns with their dup2s, and the waits")
  func trace() throws {
    let result = try Harness.bash("\"$IPC\" pipe --trace 'echo hi' 'cat'")
    #expect(result.status == 0)
    #expect(result.text == "hi\n")
    let lines = result.stderrLines
    #expect(lines.allSatisfy { $0.hasPrefix("trace: ") })
    #expect(lines.contains { $0.hasPrefix("trace: pipe2([") && $0.hasSuffix("], O_CLOEXEC) = 0") })
    #expect(
      lines.filter { $0.contains("posix_spawnp(\"/bin/sh\"") && $0.contains("dup2(") }.count == 2)
    #expect(lines.filter { $0.contains("waitpid(") && $0.contains("[exited 0]") }.count == 2)
  }

  @Test("SIGTERM sent to ipc pipe reaches its stages, and the status tells")
  func forwardsTermination() throws {
    let result = try Harness.bash(
      """
      "$IPC" pipe 'sleep 30' 'cat' & pid=$!
      for i in $(seq 100); do [ "$(pgrep -P $pid | wc -l)" = 2 ] && break; sleep 0.05; done
      kill -TERM $pid
      wait $pid; echo "status $?"
      pgrep -f 'sleep 30' -P $pid || echo "no stage left"
      """, timeout: 20)
    #expect(result.text == "status 143\nno stage left\n")
  }
}
