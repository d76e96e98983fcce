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
    var totals = Totals()
    var pending = 0..<0  // bytes of `outgoing` not yet sent
    var inputOpen = true
    var socketOpen = true
    var shutDown = false
    var deadline = Deadline.after(idle)
    let object = socket.address.description
    while socketOpen || inputOpen || !pending.isEmpty {
      if !inputOpen && pending.isEmpty && !shutDown {
        if !halfClose { return totals }
        socket.shutdownWrite()
        shutDown = true
        if !socketOpen { break }
      }
      var wanted: [(fd: Int32, events: Int16)] = []
      if inputOpen && pending.isEmpty { wanted.append((input, Int16(POLLIN))) }
      if socketOpen || !pending.isEmpty {
        var events: Int16 = 0
        if socketOpen { events |= Int16(POLLIN) }
        if !pending.isEmpty { events |= Int16(POLLOUT) }
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
        if entry.fd == input && entry.events == Int16(POLLIN) && pending.isEmpty {
          let count = try Descriptors.read(input, into: outgoing, object: "stdin")
          if count == 0 { inputOpen = false } else { pending = 0..<count }
          moved = true
          continue
        }
        // The socket: first what it has for us, then what we have for it.
        if socketOpen && revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
          let result = try sys(
            "read", "\(socket.fd), \(size) bytes", object: object,
            tolerating: [.resourceTemporarilyUnavailable, .connectionReset]
          ) { read(socket.fd, incoming.baseAddress, size) }
          switch result {
          case .success(0), .failure(.connectionReset):
            socketOpen = false
          case .success(let count):
            try Descriptors.writeAll(
              output, UnsafeRawBufferPointer(rebasing: incoming[..<count]), object: "stdout")
            totals.received += count
          case .failure:
            break
          }
          moved = true
        }
        if !pending.isEmpty && revents & Int16(POLLOUT | POLLERR) != 0 {
          let chunk = UnsafeRawBufferPointer(rebasing: outgoing[pending])
          let result = try sys(
            "write", "\(socket.fd), \(chunk.count) bytes", object: object,
            tolerating: [.resourceTemporarilyUnavailable, .brokenPipe, .connectionReset]
          ) { write(socket.fd, chunk.baseAddress, chunk.count) }
          switch result {
          case .success(let count):
            pending = (pending.lowerBound + count)..<pending.upperBound
            totals.sent += count
          case .failure(.brokenPipe), .failure(.connectionReset):
            // The peer is gone for good: nothing more can be sent.
            pending = 0..<0
            inputOpen = false
            shutDown = true
          case .failure:
            break
          }
          moved = true
        }
      }
      if moved { deadline = Deadline.after(idle) }
    }
    return totals
  }
}
