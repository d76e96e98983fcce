import Glibc
import IPCKit
import SystemPackage
import Testing

@Suite("errors, writes, deadlines")
struct SupportTests {
  @Test("each kind of error has the exit code of conventions.md")
  func exitCodes() {
    #expect(IPCError(op: "mq_open", errno: .noSuchFileOrDirectory).exitCode == 1)
    #expect(IPCError(op: "x", kind: .failed).exitCode == 1)
    #expect(IPCError.usage("bad").exitCode == 2)
    #expect(IPCError(op: "mq_receive", kind: .wouldBlock).exitCode == 3)
    #expect(IPCError(op: "mq_receive", kind: .timedOut).exitCode == 124)
    #expect(IPCError(op: "poll", kind: .interrupted(signal: SIGINT)).exitCode == 130)
  }

  @Test("an error names its object, what went wrong and the errno")
  func rendering() {
    let error = IPCError(op: "mq_open", object: "/jobs", errno: .noSuchFileOrDirectory)
    #expect(error.errnoName == "ENOENT")
    #expect(error.message == "mq_open: no such file or directory")
    #expect(error.description == "/jobs: mq_open: no such file or directory (ENOENT)")
    let custom = IPCError(
      op: "mq_open", object: "/jobs", errno: .noSuchFileOrDirectory, detail: "no such queue",
      hint: "create it with 'ipc mq create /jobs'")
    #expect(custom.description == "/jobs: no such queue (ENOENT)")
    #expect(IPCError.name(of: .brokenPipe) == "EPIPE")
    #expect(IPCError.name(of: .resourceTemporarilyUnavailable) == "EAGAIN")
    #expect(
      IPCError(op: "poll", kind: .interrupted(signal: SIGTERM)).message == "interrupted by SIGTERM")
  }

  @Test("writeAll finishes a write that the kernel takes a few bytes at a time")
  func shortWrites() throws {
    let data = Array(0..<100).map(UInt8.init)
    var received: [UInt8] = []
    var calls = 0
    try data.withUnsafeBytes { bytes in
      try Descriptors.writeAll(bytes) { chunk in
        calls += 1
        let take = min(7, chunk.count)
        received += chunk.prefix(take)
        return take
      }
    }
    #expect(received == data)
    #expect(calls == 15)
  }

  @Test("writeAll passes a failing write's error on")
  func failingWrite() {
    #expect(throws: IPCError.self) {
      try [UInt8](repeating: 1, count: 10).withUnsafeBytes { bytes in
        try Descriptors.writeAll(bytes) { _ in throw IPCError(op: "write", errno: .noSpace) }
      }
    }
  }

  @Test("a deadline on a silent pipe times out within its bound")
  func deadlineTimesOut() throws {
    let ends = try PipeEnds.make()
    defer { ends.close() }
    let started = ContinuousClock.now
    let error = #expect(throws: IPCError.self) {
      _ = try Deadline.after(.milliseconds(150)).wait(
        for: [(ends.read, Int16(POLLIN))], op: "read", object: "pipe")
    }
    let elapsed = ContinuousClock.now - started
    #expect(error?.kind == .timedOut)
    #expect(error?.exitCode == 124)
    #expect(elapsed >= .milliseconds(150))
    #expect(elapsed < .seconds(5))
  }

  @Test("a deadline returns as soon as data is there")
  func deadlineReady() throws {
    let ends = try PipeEnds.make()
    defer { ends.close() }
    try [UInt8]([1]).withUnsafeBytes { try Descriptors.writeAll(ends.write, $0) }
    let revents = try Deadline.after(.seconds(5)).wait(
      for: [(ends.read, Int16(POLLIN))], op: "read")
    #expect(revents[0] & Int16(POLLIN) != 0)
    #expect(Deadline.never.remaining == nil)
    #expect(Deadline.after(.zero).hasPassed)
  }

  @Test("the trace sees each system call with its result")
  func tracing() throws {
    final class Lines: @unchecked Sendable { var all: [String] = [] }
    let lines = Lines()
    Trace.install { lines.all.append($0) }
    defer { Trace.install(nil) }
    let ends = try PipeEnds.make(capacity: 1 << 20)
    ends.close()
    #expect(lines.all.first?.hasPrefix("pipe2([") == true)
    #expect(lines.all.first?.hasSuffix("], O_CLOEXEC) = 0") == true)
    #expect(lines.all.contains("fcntl(\(ends.write), F_SETPIPE_SZ, 1048576) = 1048576"))
    #expect(lines.all.contains("close(\(ends.read)) = 0"))
  }
}
