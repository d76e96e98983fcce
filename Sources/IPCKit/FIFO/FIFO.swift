import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// Named pipes: create, open with every wait bounded, read, write, remove.
public enum FIFO {
  /// Creates a FIFO at `path` (mkfifo) with `permissions` (the umask applies).
  /// Returns false when a FIFO is already there and `existOK`; any other file there
  /// is an error, whatever `existOK` says.
  @discardableResult
  public static func create(_ path: String, permissions: UInt32 = 0o600, existOK: Bool = false)
    throws -> Bool
  {
    let result = try sys(
      "mkfifo", "\(quote(path)), 0\(String(permissions, radix: 8))", object: path,
      tolerating: [.fileExists],
      hint: { errno in
        errno == .noSuchFileOrDirectory ? "the directory it would go in does not exist" : nil
      }
    ) { mkfifo(path, mode_t(permissions)) }
    if case .success = result { return true }
    let existing = try FileStatus.of(path)
    guard let existing, existing.kind == .fifo else {
      throw IPCError(
        op: "mkfifo", object: path, errno: .fileExists,
        detail: "a \(existing?.kind.rawValue ?? "file") is already there",
        hint: "choose another path; ipc never replaces a file that is not a FIFO")
    }
    guard existOK else {
      throw IPCError(
        op: "mkfifo", object: path, errno: .fileExists, detail: "a FIFO is already there",
        hint: "add --exist-ok to use it")
    }
    return false
  }

  /// Checks that `path` is a FIFO before it is opened, so that a regular file or a
  /// device is never written to or read by mistake.
  public static func requireFIFO(_ path: String, op: String) throws -> FileStatus {
    guard let status = try FileStatus.of(path) else {
      throw IPCError(
        op: op, object: path, errno: .noSuchFileOrDirectory, detail: "no such FIFO",
        hint: op == "unlink" ? nil : "create it with 'ipc fifo create \(path)', or add --create")
    }
    guard status.kind == .fifo else {
      throw IPCError(
        op: op, object: path, kind: .failed, detail: "not a FIFO but a \(status.kind.rawValue)",
        hint: "ipc fifo works on named pipes only (see 'ipc fifo create')")
    }
    return status
  }

  /// Opens `path` for writing: waits for a reader until `deadline` (open blocks until
  /// one comes; a timer interrupts it), or with `nonblocking` fails at once (ENXIO,
  /// `.wouldBlock`). The descriptor returned is non-blocking, for bounded writes.
  public static func openForWriting(_ path: String, deadline: Deadline, nonblocking: Bool)
    throws -> Int32
  {
    _ = try requireFIFO(path, op: "open")
    if nonblocking {
      let result = try sys(
        "open", "\(quote(path)), O_WRONLY|O_NONBLOCK|O_CLOEXEC", object: path,
        tolerating: [.noSuchAddressOrDevice]
      ) { open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC) }
      switch result {
      case .success(let fd): return fd
      case .failure:
        throw IPCError(
          op: "open", object: path, kind: .wouldBlock,
          detail: "no reader has the FIFO open (ENXIO)",
          hint: "start a reader first, e.g. 'ipc fifo read \(path)', or drop --nonblock to wait")
      }
    }
    let fd = try waitingOpen(path, O_WRONLY, "O_WRONLY", deadline: deadline, waitingFor: "reader")
    try Descriptors.setNonBlocking(fd)
    return fd
  }

  /// Opens `path` for reading without blocking (O_NONBLOCK), then waits until a writer
  /// has come (poll), or until `deadline`. With `keepOpen`, also holds a write end of
  /// its own, so that writers may come and go without an end of file.
  public static func openForReading(_ path: String, deadline: Deadline, keepOpen: Bool) throws
    -> (read: Int32, heldWriter: Int32?)
  {
    _ = try requireFIFO(path, op: "open")
    let fd = try sys("open", "\(quote(path)), O_RDONLY|O_NONBLOCK|O_CLOEXEC", object: path) {
      open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    }
    var writer: Int32?
    if keepOpen {
      do {
        writer = try sys("open", "\(quote(path)), O_WRONLY|O_NONBLOCK|O_CLOEXEC", object: path) {
          open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        }
      } catch {
        Descriptors.close(fd)
        throw error
      }
    }
    return (fd, writer)
  }

  /// A blocking open(2) of a FIFO, interrupted at `deadline` by a timer.
  private static func waitingOpen(
    _ path: String, _ flags: Int32, _ flagNames: String, deadline: Deadline, waitingFor: String
  ) throws -> Int32 {
    do {
      return try deadline.interrupting {
        try sys("open", "\(quote(path)), \(flagNames)|O_CLOEXEC", object: path, deadline: deadline)
        {
          open(path, flags | O_CLOEXEC)
        }
      }
    } catch var error as IPCError where error.kind == .timedOut {
      error.detail = "no \(waitingFor) came before the timeout"
      throw error
    }
  }

  /// Removes the FIFO at `path` (unlink), refusing any other kind of file. With
  /// `expected`, removes it only if it is still that very file.
  public static func remove(_ path: String, expected: FileStatus? = nil) throws {
    let status = try requireFIFO(path, op: "unlink")
    if let expected, !status.isSameFile(as: expected) {
      throw IPCError(
        op: "unlink", object: path, kind: .failed,
        detail: "not removed: another FIFO has taken its place")
    }
    try sys("unlink", quote(path), object: path) { unlink(path) }
  }

  /// The bytes waiting in the FIFO (FIONREAD), read through a descriptor of our own
  /// opened without blocking; call it only while a reader has the FIFO open.
  public static func bytesWaiting(_ path: String) throws -> Int {
    let fd = try sys("open", "\(quote(path)), O_RDONLY|O_NONBLOCK|O_CLOEXEC", object: path) {
      open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    }
    defer { Descriptors.close(fd) }
    return try Descriptors.bytesWaiting(fd, object: path)
  }

  /// Waits until `fd` can be read or written (`events`), or `deadline` passes.
  static func wait(_ fd: Int32, _ events: Int32, deadline: Deadline, object: String, op: String)
    throws
  {
    _ = try deadline.wait(for: [(fd, Int16(events))], op: op, object: object)
  }
}

/// Writes to a FIFO with every wait bounded: `idle` limits how long the FIFO may stay
/// full (a reader that stopped reading); each call of `write` is one write(2) when it
/// fits in PIPE_BUF, so it cannot interleave with other writers'.
public struct FIFOWriter {
  public let fd: Int32
  public let path: String
  public var idle: Duration?

  public init(fd: Int32, path: String, idle: Duration?) {
    self.fd = fd
    self.path = path
    self.idle = idle
  }

  /// Waits until the FIFO has room, at most until `deadline`.
  private func waitForRoom(until deadline: Deadline) throws {
    do {
      try FIFO.wait(fd, POLLOUT, deadline: deadline, object: path, op: "write")
    } catch var error as IPCError where error.kind == .timedOut {
      error.detail = "the FIFO stayed full: no reader took data before the timeout"
      throw error
    }
  }

  /// EPIPE, said plainly.
  private var readerGone: IPCError {
    IPCError(
      op: "write", object: path, errno: .brokenPipe,
      detail: "the reader closed the FIFO before all was written",
      hint: "a reader that stops early (like head) ends the writer this way")
  }

  /// Writes all of `bytes`. Throws EPIPE (reader gone) with a clear detail, and
  /// `.timedOut` when the FIFO stays full for longer than `idle`.
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    var rest = bytes
    var deadline = Deadline.after(idle)
    while !rest.isEmpty {
      let result = try sys(
        "write", "\(fd), \(rest.count) bytes", object: path,
        tolerating: [.resourceTemporarilyUnavailable, .brokenPipe]
      ) { Glibc.write(fd, rest.baseAddress, rest.count) }
      switch result {
      case .success(let written):
        rest = UnsafeRawBufferPointer(rebasing: rest[written...])
        deadline = Deadline.after(idle)
      case .failure(.brokenPipe):
        throw readerGone
      case .failure:
        try waitForRoom(until: deadline)
      }
    }
  }
}

extension FIFOWriter {
  /// Moves everything `source` delivers into the FIFO, by splice(2) where the kernel
  /// allows (no copy through our memory), else through a buffer. Returns the bytes.
  public func copy(from source: Int32, object: String) throws -> Int {
    var total = 0
    var deadline = Deadline.after(idle)
    let sourceIsPipe = Descriptors.isPipe(source)
    while true {
      let result = try Descriptors.splice(
        from: source, to: fd, count: 1 << 20, nonblocking: true, object: path,
        tolerating: [.resourceTemporarilyUnavailable, .brokenPipe, .invalidArgument])
      switch result {
      case .success(0):
        return total
      case .success(let moved):
        total += moved
        deadline = Deadline.after(idle)
      case .failure(.resourceTemporarilyUnavailable):
        // Either the FIFO is full (wait for room, at most `idle`) or a pipe on stdin
        // is empty (wait for its writer, as a read would).
        if sourceIsPipe && Descriptors.bytesWaitingOrZero(source) == 0 {
          _ = try Deadline.never.wait(for: [(source, Int16(POLLIN))], op: "read", object: object)
          continue
        }
        try waitForRoom(until: deadline)
      case .failure(.brokenPipe):
        throw readerGone
      case .failure:
        // EINVAL: stdin cannot be spliced (a terminal, say): copy through a buffer.
        return total + (try copyThroughBuffer(from: source, object: object))
      }
    }
  }

  private func copyThroughBuffer(from source: Int32, object: String) throws -> Int {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
    defer { buffer.deallocate() }
    var total = 0
    while true {
      let count = try Descriptors.read(source, into: buffer, object: object)
      if count == 0 { return total }
      try write(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
      total += count
    }
  }
}

/// Reads from a FIFO opened by `FIFO.openForReading`: waits (poll) for data with an idle
/// bound, and can stop after a number of lines without taking one byte more off the
/// FIFO than it passes on.
public struct FIFOReader {
  public let fd: Int32
  public let path: String
  public var idle: Duration?
  /// Bytes passed on so far (also when a copy ends with an error).
  public private(set) var delivered = 0

  public init(fd: Int32, path: String, idle: Duration?) {
    self.fd = fd
    self.path = path
    self.idle = idle
  }

  /// Waits for data or end of file, at most `idle`.
  private func waitReadable() throws {
    do {
      try FIFO.wait(fd, POLLIN, deadline: .after(idle), object: path, op: "read")
    } catch var error as IPCError where error.kind == .timedOut {
      error.detail = "no writer and no data came before the timeout"
      throw error
    }
  }

  /// Moves everything to `output` until the last writer closes, by splice(2) where
  /// the kernel allows, else through a buffer. Returns the bytes.
  public mutating func copyAll(into output: Int32) throws -> Int {
    while true {
      try waitReadable()
      let result = try Descriptors.splice(
        from: fd, to: output, count: 1 << 20, object: "stdout",
        tolerating: [.resourceTemporarilyUnavailable, .invalidArgument])
      switch result {
      case .success(0): return delivered
      case .success(let moved): delivered += moved
      case .failure(.resourceTemporarilyUnavailable):
        // Data is waiting, so stdout is full: wait for room there (as a write would).
        if Descriptors.bytesWaitingOrZero(fd) > 0 {
          _ = try Deadline.never.wait(
            for: [(output, Int16(POLLOUT))], op: "write", object: "stdout")
        }
      case .failure:
        // EINVAL: stdout takes no splice (a terminal, say): copy through a buffer.
        return try copyAll { try Descriptors.writeAll(output, $0, object: "stdout") }
      }
    }
  }

  /// Passes everything to `deliver` until the last writer closes. Returns the bytes.
  public mutating func copyAll(_ deliver: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      try waitReadable()
      let result = try sys(
        "read", "\(fd), \(buffer.count) bytes", object: path,
        tolerating: [.resourceTemporarilyUnavailable]
      ) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
      guard case .success(let count) = result else { continue }
      if count == 0 { return delivered }
      try deliver(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
      delivered += count
    }
  }

  /// Passes on exactly `lines` lines (or fewer, if the writers end first). The data is
  /// first copied out of the FIFO without taking it (tee into a pipe of our own); it is
  /// taken off the FIFO only once `deliver` has it, so nothing is lost if that fails.
  /// Returns the number of lines passed on.
  public mutating func copyLines(
    _ lines: Int, _ deliver: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> Int {
    let peek = try PipeEnds.make()
    defer { peek.close() }
    let size = try PipeEnds.capacity(of: peek.write)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    defer { buffer.deallocate() }
    var remaining = lines
    while remaining > 0 {
      try waitReadable()
      let teed = try sys(
        "tee", "\(fd), \(peek.write), \(size), SPLICE_F_NONBLOCK", object: path,
        tolerating: [.resourceTemporarilyUnavailable]
      ) { ipc_tee(fd, peek.write, size, ipc_splice_f_nonblock()) }
      guard case .success(let available) = teed else { continue }
      if available == 0 { break }  // every writer has closed
      var have = 0
      while have < available {
        have += try Descriptors.read(
          peek.read, into: UnsafeMutableRawBufferPointer(rebasing: buffer[have..<available]))
      }
      // Up to and including the newline that completes the last line wanted; a line
      // still unfinished is passed on as far as it goes, and counted when it ends.
      var take = available
      for (index, byte) in buffer[..<available].enumerated() where byte == 0x0A {
        remaining -= 1
        if remaining == 0 {
          take = index + 1
          break
        }
      }
      try deliver(UnsafeRawBufferPointer(rebasing: buffer[..<take]))
      delivered += take
      var taken = 0
      while taken < take {
        taken += try Descriptors.read(
          fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[taken..<take]), object: path)
      }
    }
    return lines - remaining
  }
}
