import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// Relays stdin ⇄ a connected socket until both directions end.
///
/// The EOF model: when stdin ends, our sending side is shut down (SHUT_WR) and the
/// peer's data is still read until it closes; with `halfClose` false, the end of stdin
/// ends everything. The socket is non-blocking and each direction keeps its own
/// buffer, so a peer that echoes a large transfer cannot deadlock the relay.
public struct StreamRelay {
  public var socket: Socket
  public var input: Int32 = STDIN_FILENO
  public var output: Int32 = STDOUT_FILENO
  public var halfClose = true
  /// Stop when neither side has moved a byte for this long (`.timedOut`).
  public var idle: Duration?

  public init(socket: Socket, halfClose: Bool = true, idle: Duration? = nil) {
    self.socket = socket
    self.halfClose = halfClose
    self.idle = idle
  }

  /// What crossed, each way.
  public struct Totals: Sendable {
    public var sent = 0
    public var received = 0
  }

  public func run() throws -> Totals {
    let size = 128 << 10
    let outgoing = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    let incoming = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    defer {
      outgoing.deallocate()
      incoming.deallocate()
    }
    try Descriptors.setNonBlocking(socket.fd)
    // Where the kernel allows, bytes go pipe → socket → pipe by splice(2), never through
    // our buffers: stdin when it is a pipe, and the socket into stdout (through a pipe
    // of our own when stdout is a file or /dev/null). EINVAL turns either off.
    var spliceIn = Descriptors.isPipe(input)
    // A larger stdin pipe lets the writer run ahead: fewer, larger splices (as pv does).
    if spliceIn { _ = try? PipeEnds.resize(input, to: 1 << 20) }
    // A regular file on stdin goes to the socket by sendfile(2), as the page cache has it.
    var sendFile = !spliceIn && Descriptors.isRegularFile(input)
    var spliceOut = SpliceOut(output: output)
    defer { spliceOut.close() }
    var totals = Totals()
    var pending = 0..<0  // bytes of `outgoing` not yet sent
    var socketFull = false  // splice/sendfile: the last move found no room in the socket
    var inputOpen = true
    var socketOpen = true
    var shutDown = false
    // The peer went away while we still had stdin to send (EPIPE), or reset the
    // connection: reported once what it sent has been read, so the caller can tell.
    var lost: Errno?
    var deadline = Deadline.after(idle)
    let object = socket.address.description
    while socketOpen || inputOpen || !pending.isEmpty {
      let blocked = !pending.isEmpty || socketFull
      if !inputOpen && !blocked && !shutDown {
        if !halfClose { return totals }
        socket.shutdownWrite()
        shutDown = true
        if !socketOpen { break }
      }
      var wanted: [(fd: Int32, events: Int16)] = []
      if inputOpen && !blocked { wanted.append((input, Int16(POLLIN))) }
      if socketOpen || blocked {
        var events: Int16 = 0
        if socketOpen { events |= Int16(POLLIN) }
        if blocked { events |= Int16(POLLOUT) }
        wanted.append((socket.fd, events))
      }
      let ready: [Int16]
      do {
        ready = try deadline.wait(for: wanted, op: "relay", object: object)
      } catch var error as IPCError where error.kind == .timedOut {
        error.detail = "nothing moved either way before the idle timeout"
        throw error
      }
      var moved = false
      for (entry, revents) in zip(wanted, ready) where revents != 0 {
        if entry.fd == input && entry.events == Int16(POLLIN) && !blocked {
          moved = true
          if spliceIn || sendFile {
            // Keep splicing while both sides are ready (a few rounds, then poll again so
            // that the other direction is not starved).
            splicing: for _ in 0..<8 {
              let tolerated: [Errno] = [
                .resourceTemporarilyUnavailable, .brokenPipe, .connectionReset, .invalidArgument,
              ]
              let result =
                sendFile
                ? try Descriptors.sendfile(
                  from: input, to: socket.fd, count: 1 << 20, object: object, tolerating: tolerated)
                : try Descriptors.splice(
                  from: input, to: socket.fd, count: 1 << 20, nonblocking: true, object: object,
                  tolerating: tolerated)
              switch result {
              case .success(0):
                inputOpen = false
                break splicing
              case .success(let count):
                totals.sent += count
              case .failure(.resourceTemporarilyUnavailable):
                // A full socket, or (a pipe only) an empty stdin: FIONREAD tells which.
                socketFull = sendFile || Descriptors.bytesWaitingOrZero(input) > 0
                break splicing
              case .failure(.invalidArgument):
                spliceIn = false
                sendFile = false
                break splicing
              case .failure(let errno):
                // The peer is gone for good: nothing more can be sent.
                lost = errno
                inputOpen = false
                shutDown = true
                break splicing
              }
            }
            continue
          }
          let count = try Descriptors.read(input, into: outgoing, object: "stdin")
          if count == 0 { inputOpen = false } else { pending = 0..<count }
          continue
        }
        // The socket: first what it has for us, then what we have for it.
        if socketOpen && revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
          moved = true
          var outcome = try spliceOut.move(from: socket.fd, object: object)
          var rounds = 1
          while case .moved(let count) = outcome {
            totals.received += count
            if rounds == 8 { break }
            rounds += 1
            outcome = try spliceOut.move(from: socket.fd, object: object)
          }
          switch outcome {
          case .moved, .nothing: break
          case .ended: socketOpen = false
          case .reset:
            socketOpen = false
            lost = .connectionReset
          case .off:
            let result = try sys(
              "read", "\(socket.fd), \(size) bytes", object: object,
              tolerating: [.resourceTemporarilyUnavailable, .connectionReset]
            ) { read(socket.fd, incoming.baseAddress, size) }
            switch result {
            case .success(0):
              socketOpen = false
            case .failure(.connectionReset):
              socketOpen = false
              lost = .connectionReset
            case .success(let count):
              try Descriptors.writeAll(
                output, UnsafeRawBufferPointer(rebasing: incoming[..<count]), object: "stdout")
              totals.received += count
            case .failure:
              break
            }
          }
        }
        if blocked && revents & Int16(POLLOUT | POLLERR) != 0 {
          moved = true
          if socketFull {
            socketFull = false  // room again: the next round splices from stdin
            continue
          }
          let chunk = UnsafeRawBufferPointer(rebasing: outgoing[pending])
          let result = try sys(
            "write", "\(socket.fd), \(chunk.count) bytes", object: object,
            tolerating: [.resourceTemporarilyUnavailable, .brokenPipe, .connectionReset]
          ) { write(socket.fd, chunk.baseAddress, chunk.count) }
          switch result {
          case .success(let count):
            pending = (pending.lowerBound + count)..<pending.upperBound
            totals.sent += count
          case .failure(let errno) where errno == .brokenPipe || errno == .connectionReset:
            // The peer is gone for good: nothing more can be sent.
            lost = errno
            pending = 0..<0
            inputOpen = false
            shutDown = true
          case .failure:
            break
          }
        }
      }
      if moved { deadline = Deadline.after(idle) }
    }
    if let lost {
      throw IPCError(
        op: lost == .brokenPipe ? "send" : "receive", object: object, errno: lost,
        detail: lost == .brokenPipe
          ? "the peer closed the connection after \(totals.sent) bytes, before stdin ended: "
            + "the rest was not sent"
          : "the peer reset the connection (\(totals.sent) bytes sent, \(totals.received) received)",
        hint: "the other side ended early: see its own messages")
    }
    return totals
  }
}

/// The socket → stdout direction by splice: straight into stdout when it is a pipe,
/// otherwise through a pipe of our own and on to stdout. Off (`.off` from `move`) when
/// the kernel refuses (EINVAL), and then the caller reads and writes.
struct SpliceOut {
  let output: Int32
  private var through: PipeEnds?
  private var on = true

  init(output: Int32) {
    self.output = output
    if !Descriptors.isPipe(output) {
      through = try? PipeEnds.make(capacity: 1 << 20)
      if through == nil { through = try? PipeEnds.make() }
      on = through != nil
    }
  }

  func close() { through?.close() }

  enum Outcome { case moved(Int), ended, reset, nothing, off }

  /// Moves what the socket has (at most a pipe's worth) to stdout: `.ended` at the end
  /// of the stream, `.reset` when the peer reset it, `.nothing` when it had nothing after all,
  /// `.off` when splicing is off.
  mutating func move(from socket: Int32, object: String) throws -> Outcome {
    guard on else { return .off }
    let target = through?.write ?? output
    // Straight into stdout, a failure there (EPIPE: its reader left) is stdout's.
    let result = try Descriptors.splice(
      from: socket, to: target, count: 1 << 20, object: through == nil ? "stdout" : object,
      tolerating: [.resourceTemporarilyUnavailable, .connectionReset, .invalidArgument])
    switch result {
    case .success(0):
      return .ended
    case .failure(.connectionReset):
      return .reset
    case .success(let count):
      if let through { try drain(through.read, count) }
      return .moved(count)
    case .failure(.resourceTemporarilyUnavailable):
      return .nothing
    case .failure:
      on = false
      return .off
    }
  }

  /// Empties our pipe into stdout: splice, or read and write where stdout refuses it.
  private func drain(_ pipe: Int32, _ count: Int) throws {
    var left = count
    while left > 0 {
      let result = try Descriptors.splice(
        from: pipe, to: output, count: left, object: "stdout", tolerating: [.invalidArgument])
      if case .success(let moved) = result {
        left -= moved
        continue
      }
      var buffer = [UInt8](repeating: 0, count: min(left, 64 << 10))
      let got = try buffer.withUnsafeMutableBytes {
        try Descriptors.read(pipe, into: $0, object: "stdout")
      }
      try buffer.withUnsafeBytes {
        try Descriptors.writeAll(
          output, UnsafeRawBufferPointer(rebasing: $0[..<got]), object: "stdout")
      }
      left -= got
    }
  }
}
