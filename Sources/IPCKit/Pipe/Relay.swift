import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// One measured hop of data: everything read from `source` is written to
/// `destination`, counted and timed.
public final class RelayLink {
  /// Where the data comes from and goes to, for reports: `1` and `2`, `stdin`, `stdout`.
  public let from: String
  public let to: String
  let source: Int32
  let destination: Int32

  public private(set) var bytes = 0
  public private(set) var started: UInt64 = 0
  public private(set) var finished: UInt64 = 0
  /// The reader of `destination` went away before `source` ended (EPIPE).
  public private(set) var destinationClosed = false
  /// Data moved inside the kernel (splice) rather than through a buffer.
  public private(set) var spliced = true
  /// The capacity of the pipe data was written into, when it is one.
  public let capacity: Int?

  var done = false
  var waitingForSpace = false

  /// A link that closes `source` and `destination` when done, unless they are
  /// standard input, output or error.
  public init(from: String, to: String, source: Int32, destination: Int32) {
    self.from = from
    self.to = to
    self.source = source
    self.destination = destination
    capacity = try? PipeEnds.capacity(of: destination)
  }

  var name: String { "\(from) > \(to)" }

  /// How long the link carried data, from the start of the relay to end of file.
  public var duration: Duration { .nanoseconds(Int64(finished &- started)) }

  func finish(destinationClosed closed: Bool = false) {
    done = true
    destinationClosed = closed
    finished = Deadline.now()
    // Closing our write end is what tells the next stage that its input ended.
    for fd in [destination, source] where fd > STDERR_FILENO {
      Descriptors.close(fd)
    }
  }

  fileprivate func count(_ moved: Int) { bytes += moved }
  fileprivate func useBuffer() { spliced = false }
  fileprivate func start(_ time: UInt64) { started = time }
}

/// Moves data along links until each source ends: splice(2) where the kernel allows,
/// read/write otherwise. One link blocks in the kernel; several are multiplexed with
/// poll and non-blocking splices, so no stage can stall another.
public enum Relay {
  static let chunk = 1 << 20

  public static func run(_ links: [RelayLink]) throws {
    // A reader that leaves must show up as EPIPE on its link, not kill the relay.
    ProcessEnvironment.ignoreBrokenPipes()
    let now = Deadline.now()
    links.forEach { $0.start(now) }
    do {
      if links.count == 1 {
        try runBlocking(links[0])
      } else {
        try runMultiplexed(links)
      }
    } catch {
      for link in links where !link.done { link.finish() }
      throw error
    }
  }

  private static func runBlocking(_ link: RelayLink) throws {
    // Larger pipes on our stdin and stdout mean fewer, larger splices and fewer wake-ups
    // (pv does the same); pipes the pipeline made keep their --capacity, and a pipe that
    // may not grow stays as it is.
    for fd in [link.source, link.destination] where fd <= STDOUT_FILENO && Descriptors.isPipe(fd) {
      _ = try? PipeEnds.resize(fd, to: chunk)
    }
    while true {
      let result = try Descriptors.splice(
        from: link.source, to: link.destination, count: chunk, object: link.name,
        tolerating: [.invalidArgument, .brokenPipe])
      switch result {
      case .success(0):
        return link.finish()
      case .success(let moved):
        link.count(moved)
      case .failure(.brokenPipe):
        return link.finish(destinationClosed: true)
      case .failure:
        // EINVAL: neither end is a pipe (a file to a terminal, say): copy through a buffer.
        return try copyThroughBuffer(link)
      }
    }
  }

  private static func copyThroughBuffer(_ link: RelayLink) throws {
    link.useBuffer()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = try Descriptors.read(link.source, into: buffer, object: link.name)
      if count == 0 { return link.finish() }
      do {
        try Descriptors.writeAll(
          link.destination, UnsafeRawBufferPointer(rebasing: buffer[..<count]), object: link.name)
      } catch let error as IPCError where error.errno == .brokenPipe {
        return link.finish(destinationClosed: true)
      }
      link.count(count)
    }
  }

  private static func runMultiplexed(_ links: [RelayLink]) throws {
    while true {
      let active = links.filter { !$0.done }
      if active.isEmpty { return }
      let wanted = active.map { link in
        link.waitingForSpace
          ? (fd: link.destination, events: Int16(POLLOUT))
          : (fd: link.source, events: Int16(POLLIN))
      }
      let ready = try Deadline.never.wait(for: wanted, op: "relay")
      for (link, revents) in zip(active, ready) where revents != 0 {
        let result = try Descriptors.splice(
          from: link.source, to: link.destination, count: chunk, nonblocking: true,
          object: link.name, tolerating: [.resourceTemporarilyUnavailable, .brokenPipe])
        switch result {
        case .success(0):
          link.finish()
        case .success(let moved):
          link.count(moved)
          link.waitingForSpace = false
        case .failure(.brokenPipe):
          link.finish(destinationClosed: true)
        case .failure:
          // EAGAIN: if we waited for data, the destination is full; if for space, the
          // source is empty. Wait for the other one next.
          link.waitingForSpace.toggle()
        }
      }
    }
  }
}
