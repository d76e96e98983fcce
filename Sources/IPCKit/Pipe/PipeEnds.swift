import CIPCShims

#if canImport(Glibc)
  import Glibc
#endif

/// An anonymous pipe's two descriptors, both close-on-exec (pipe2).
public struct PipeEnds: Sendable {
  public let read: Int32
  public let write: Int32

  /// Creates a pipe (pipe2 with O_CLOEXEC) and, when `capacity` is given, sizes it
  /// (fcntl F_SETPIPE_SZ; the kernel rounds up to a power-of-two number of pages).
  public static func make(capacity: Int? = nil) throws -> PipeEnds {
    var fds: [Int32] = [-1, -1]
    try sys("pipe2", "[\(fds[0]), \(fds[1])], O_CLOEXEC") { ipc_pipe2(&fds, O_CLOEXEC) }
    let ends = PipeEnds(read: fds[0], write: fds[1])
    if let capacity {
      do {
        try resize(ends.write, to: capacity)
      } catch {
        ends.close()
        throw error
      }
    }
    return ends
  }

  public func close() {
    Descriptors.close(read)
    Descriptors.close(write)
  }

  /// Sets the capacity of the pipe behind `fd` (fcntl F_SETPIPE_SZ; the kernel rounds
  /// up to a power-of-two number of pages) and returns what it became.
  @discardableResult
  public static func resize(_ fd: Int32, to capacity: Int) throws -> Int {
    Int(
      try sys(
        "fcntl", "\(fd), F_SETPIPE_SZ, \(capacity)", object: "pipe",
        hint: { errno in
          errno == .notPermitted
            ? "the limit for unprivileged users is /proc/sys/fs/pipe-max-size" : nil
        }
      ) { fcntl(fd, ipc_f_setpipe_sz(), Int32(clamping: capacity)) })
  }

  /// The capacity of the pipe behind `fd`, in bytes (fcntl F_GETPIPE_SZ).
  public static func capacity(of fd: Int32) throws -> Int {
    Int(
      try sys("fcntl", "\(fd), F_GETPIPE_SZ", object: "fd \(fd)") {
        fcntl(fd, ipc_f_getpipe_sz())
      })
  }
}

/// The limits that shape how pipes behave on this system.
public struct PipeLimits: Sendable {
  /// Writes of at most this many bytes are atomic (PIPE_BUF).
  public var atomicWrite: Int
  /// The capacity a new pipe gets.
  public var defaultCapacity: Int
  /// The largest capacity an unprivileged process may set (/proc/sys/fs/pipe-max-size).
  public var maxCapacity: Int?

  /// Reads the limits from a fresh pipe (fpathconf, F_GETPIPE_SZ) and from /proc.
  public static func current() throws -> PipeLimits {
    let ends = try PipeEnds.make()
    defer { ends.close() }
    let atomic = try sys("fpathconf", "\(ends.read), _PC_PIPE_BUF") {
      fpathconf(ends.read, Int32(_PC_PIPE_BUF))
    }
    let capacity = try PipeEnds.capacity(of: ends.write)
    let maximum = try? Descriptors.readSmallFile("/proc/sys/fs/pipe-max-size")
    return PipeLimits(
      atomicWrite: atomic, defaultCapacity: capacity,
      maxCapacity: maximum.flatMap { Int($0.filter { !$0.isWhitespace }) })
  }
}
