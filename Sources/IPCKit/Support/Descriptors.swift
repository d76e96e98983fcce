import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// Plain descriptor operations, traced: read, write, close, fcntl flags.
public enum Descriptors {
  /// read(2) once; 0 means end of file. A blocking read interrupted by a
  /// `Deadline.interrupting` timer after `deadline` throws `.timedOut`.
  public static func read(
    _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, object: String? = nil,
    deadline: Deadline = .never
  ) throws -> Int {
    try sys("read", "\(fd), \(buffer.count) bytes", object: object, deadline: deadline) {
      Glibc.read(fd, buffer.baseAddress, buffer.count)
    }
  }

  /// write(2) until every byte is written, however short each write is; `deadline`
  /// as for `read`.
  public static func writeAll(
    _ fd: Int32, _ bytes: UnsafeRawBufferPointer, object: String? = nil,
    deadline: Deadline = .never
  ) throws {
    try writeAll(bytes) { chunk in
      try sys("write", "\(fd), \(chunk.count) bytes", object: object, deadline: deadline) {
        Glibc.write(fd, chunk.baseAddress, chunk.count)
      }
    }
  }

  /// Like `writeAll`, but when fd is a pipe the pages of `bytes` are handed to it
  /// (vmsplice(2)) instead of copied, so the reader takes them straight from memory
  /// such as a shared mapping. Falls back to write(2) for anything else.
  public static func writeAllSpliced(
    _ fd: Int32, _ bytes: UnsafeRawBufferPointer, object: String? = nil
  ) throws {
    guard isPipe(fd), !bytes.isEmpty else { return try writeAll(fd, bytes, object: object) }
    try writeAll(bytes) { chunk in
      try sys("vmsplice", "\(fd), \(chunk.count) bytes", object: object) {
        ipc_vmsplice(fd, chunk.baseAddress, min(chunk.count, 1 << 20))
      }
    }
  }

  /// splice(2) of up to `count` bytes from `source` to `destination`, one of which must
  /// be a pipe (SPLICE_F_MOVE; with `nonblocking`, SPLICE_F_NONBLOCK too). The errnos in
  /// `tolerated` come back as failures for the caller's loop.
  public static func splice(
    from source: Int32, to destination: Int32, count: Int, nonblocking: Bool = false,
    object: String? = nil, tolerating tolerated: [Errno] = []
  ) throws -> Result<Int, Errno> {
    let flags = ipc_splice_f_move() | (nonblocking ? ipc_splice_f_nonblock() : 0)
    return try sys(
      "splice",
      "\(source), NULL, \(destination), NULL, \(count), SPLICE_F_MOVE\(nonblocking ? "|SPLICE_F_NONBLOCK" : "")",
      object: object, tolerating: tolerated
    ) { ipc_splice(source, destination, count, flags) }
  }

  /// sendfile(2) of up to `count` bytes from `source` (a regular file, from its offset)
  /// to `destination` (a socket, say): copied inside the kernel.
  public static func sendfile(
    from source: Int32, to destination: Int32, count: Int, object: String? = nil,
    tolerating tolerated: [Errno] = []
  ) throws -> Result<Int, Errno> {
    try sys(
      "sendfile", "\(destination), \(source), NULL, \(count)", object: object,
      tolerating: tolerated
    ) { ipc_sendfile(destination, source, count) }
  }

  /// True when fd is a regular file (fstat).
  public static func isRegularFile(_ fd: Int32) -> Bool {
    (try? FileStatus.of(descriptor: fd))?.kind == .regular
  }

  /// The bytes waiting in a pipe or socket (FIONREAD), 0 if it cannot tell.
  public static func bytesWaitingOrZero(_ fd: Int32) -> Int {
    (try? bytesWaiting(fd)) ?? 0
  }

  /// True when fd is a pipe or FIFO (fstat).
  public static func isPipe(_ fd: Int32) -> Bool {
    (try? FileStatus.of(descriptor: fd))?.kind == .fifo
  }

  /// write(2) until every byte is written, without tracing: for the trace and
  /// diagnostics themselves. Errors are dropped, as there is nowhere left to report them.
  public static func writeAllUntraced(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
    _ = try? writeAll(bytes) { chunk in
      while true {
        let written = Glibc.write(fd, chunk.baseAddress, chunk.count)
        if written >= 0 { return written }
        if Glibc.errno != EINTR { throw Errno(rawValue: Glibc.errno) }
      }
    }
  }

  /// The short-write loop on its own, so that tests can hand it a writer that
  /// writes a little at a time.
  public static func writeAll(
    _ bytes: UnsafeRawBufferPointer, using write: (UnsafeRawBufferPointer) throws -> Int
  ) throws {
    var rest = bytes
    while !rest.isEmpty {
      let written = try write(rest)
      precondition(written > 0 && written <= rest.count, "write returned \(written)")
      rest = UnsafeRawBufferPointer(rebasing: rest[written...])
    }
  }

  /// close(2); errors are traced but not thrown, as there is nothing left to do.
  public static func close(_ fd: Int32) {
    _ = try? sys("close", "\(fd)", tolerating: [.badFileDescriptor, .ioError]) { Glibc.close(fd) }
  }

  /// Sets or clears O_NONBLOCK on fd's open file description.
  public static func setNonBlocking(_ fd: Int32, _ on: Bool = true) throws {
    let flags = try sys("fcntl", "\(fd), F_GETFL") { fcntl(fd, F_GETFL) }
    let wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
    if wanted != flags {
      try sys("fcntl", "\(fd), F_SETFL, \(on ? "O_NONBLOCK" : "0")") { fcntl(fd, F_SETFL, wanted) }
    }
  }

  /// The bytes waiting to be read on a pipe, FIFO or socket (ioctl FIONREAD).
  public static func bytesWaiting(_ fd: Int32, object: String? = nil) throws -> Int {
    var count: Int32 = 0
    try sys("ioctl", "\(fd), FIONREAD, [\(count)]", object: object) { ipc_fionread(fd, &count) }
    return Int(count)
  }

  /// For a regular file, the bytes from the current position to the end (fstat,
  /// lseek); nil for pipes, terminals and sockets, whose length is not known ahead.
  public static func remainingBytes(_ fd: Int32) -> Int? {
    guard let status = try? FileStatus.of(descriptor: fd), status.kind == .regular else {
      return nil
    }
    let position = lseek(fd, 0, SEEK_CUR)
    guard position >= 0 else { return nil }
    return max(0, Int(status.size) - Int(position))
  }

  /// What a descriptor refers to and how it is open: its /proc/self/fd link, the
  /// access mode and the file offset (from /proc/self/fdinfo).
  public struct Description: Sendable {
    public var target: String
    public var readable: Bool
    public var writable: Bool
    public var offset: Int
  }

  public static func describe(_ fd: Int32) throws -> Description {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
    let target =
      count > 0
      ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    let flags = try sys("fcntl", "\(fd), F_GETFL", object: "fd \(fd)") { fcntl(fd, F_GETFL) }
    let access = flags & O_ACCMODE
    let info = (try? readSmallFile("/proc/self/fdinfo/\(fd)")) ?? ""
    let offset =
      info.split(separator: "\n").first { $0.hasPrefix("pos:") }
      .flatMap { Int($0.dropFirst(4).filter { !$0.isWhitespace }) } ?? 0
    return Description(
      target: target, readable: access != O_WRONLY, writable: access != O_RDONLY, offset: offset)
  }

  /// Opens `path` for reading (open O_RDONLY|O_CLOEXEC).
  public static func openForReading(_ path: String) throws -> Int32 {
    try sys("open", "\(quote(path)), O_RDONLY|O_CLOEXEC", object: path) {
      open(path, O_RDONLY | O_CLOEXEC)
    }
  }

  /// Writes `bytes` to `path`, created 0600 or truncated (open O_CREAT|O_TRUNC).
  public static func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer) throws {
    let fd = try sys(
      "open", "\(quote(path)), O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0600", object: path
    ) {
      open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    }
    defer { close(fd) }
    try writeAll(fd, bytes, object: path)
  }

  /// Reads a small file whole, such as one under /proc/sys.
  public static func readSmallFile(_ path: String) throws -> String {
    let fd = try sys("open", "\"\(path)\", O_RDONLY|O_CLOEXEC", object: path) {
      open(path, O_RDONLY | O_CLOEXEC)
    }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = try chunk.withUnsafeMutableBytes { try read(fd, into: $0, object: path) }
      if count == 0 { break }
      bytes += chunk[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
