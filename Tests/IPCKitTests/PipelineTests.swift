import Glibc
import IPCKit
import Testing

/// The library against the real kernel: pipes, spawned shells, splice.
@Suite("Pipeline and PipeLimits", .serialized)
struct PipelineTests {
  @Test("the limits match this kernel's")
  func limits() throws {
    let limits = try PipeLimits.current()
    #expect(limits.atomicWrite == 4096)
    #expect(limits.defaultCapacity >= 4096)
    let max = try Descriptors.readSmallFile("/proc/sys/fs/pipe-max-size")
    #expect(limits.maxCapacity == Int(max.filter { !$0.isWhitespace }))
  }

  @Test("a capacity is rounded up to whole pages by the kernel")
  func capacityRounding() throws {
    let ends = try PipeEnds.make(capacity: 100_000)
    defer { ends.close() }
    #expect(try PipeEnds.capacity(of: ends.write) == 131_072)
  }

  @Test("a measured pipeline counts every byte on every link")
  func measured() throws {
    let outcome = try Pipeline(
      stages: ["head -c 1000000 /dev/zero", "cat", "cat > /dev/null"], measured: true
    ).run()
    #expect(outcome.statuses == [.exited(0), .exited(0), .exited(0)])
    #expect(outcome.links.map(\.bytes) == [1_000_000, 1_000_000])
    #expect(outcome.links.map { "\($0.from)>\($0.to)" } == ["1>2", "2>3"])
    #expect(outcome.links.allSatisfy { $0.spliced && !$0.destinationClosed })
    #expect(outcome.exitCode == 0)
  }

  @Test("a reader that leaves early is seen as such, and the writer gets SIGPIPE")
  func readerLeaves() throws {
    let outcome = try Pipeline(stages: ["yes", "head -c 10 > /dev/null"], measured: true).run()
    #expect(outcome.links.first?.destinationClosed == true)
    // dash reports its child's SIGPIPE as 141 rather than dying of it itself.
    #expect(outcome.statuses.map(\.shellCode) == [141, 0])
    #expect(outcome.exitCode == 141)
  }

  @Test("exit statuses follow pipefail")
  func statuses() throws {
    let outcome = try Pipeline(stages: ["exit 2", "kill -USR1 $$", "exit 0"]).run()
    #expect(outcome.statuses == [.exited(2), .signaled(SIGUSR1), .exited(0)])
    #expect(outcome.exitCode == 128 + SIGUSR1)
    #expect(ExitStatus.signaled(9).shellCode == 137)
    #expect(ExitStatus.exited(3).description == "exited 3")
    #expect(ExitStatus.signaled(15).description == "killed by SIGTERM")
  }
}
