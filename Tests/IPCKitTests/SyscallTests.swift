import Glibc
import Testing

@testable import IPCKit

/// What `sys` does with EINTR, provoked by a fake call (a real storm is in the
/// end-to-end FaultTests): retried until it succeeds, or a timeout once the deadline
/// has passed. Never a failure that the caller sees as an error of its own.
@Suite("system calls interrupted by signals")
struct SyscallTests {
  @Test("a call that fails with EINTR 1000 times is made again until its result comes through")
  func retried() throws {
    var calls = 0
    let result = try sys("fake", "") { () -> Int32 in
      calls += 1
      if calls <= 1000 {
        Glibc.errno = EINTR
        return -1
      }
      return 42
    }
    #expect(result == 42)
    #expect(calls == 1001)
  }

  @Test("EINTR once the deadline has passed ends the call as a timeout (exit 124)")
  func timedOut() throws {
    var calls = 0
    #expect(throws: IPCError.self) {
      try sys("fake", "", deadline: .after(.zero)) { () -> Int32 in
        calls += 1
        Glibc.errno = EINTR
        return -1
      }
    }
    do {
      _ = try sys("fake", "", deadline: .after(.zero)) { () -> Int32 in
        Glibc.errno = EINTR
        return -1
      }
    } catch let error as IPCError {
      #expect(error.kind == .timedOut)
      #expect(error.exitCode == 124)
    }
    #expect(calls == 1)
  }

  @Test("an errno the caller tolerates comes back as a value, others as an error with the op")
  func tolerated() throws {
    let result = try sys("fake", "", tolerating: [.resourceTemporarilyUnavailable]) { () -> Int32 in
      Glibc.errno = EAGAIN
      return -1
    }
    #expect(result == .failure(.resourceTemporarilyUnavailable))
    do {
      _ = try sys("fake", "", object: "thing") { () -> Int32 in
        Glibc.errno = EACCES
        return -1
      }
      Issue.record("no error thrown")
    } catch let error as IPCError {
      #expect(error.errno == .permissionDenied)
      #expect(error.op == "fake")
      #expect(error.object == "thing")
    }
  }
}
