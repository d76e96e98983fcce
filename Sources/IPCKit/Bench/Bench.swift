import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// The mechanisms `ipc bench` measures, each between this process and a peer process.
public enum BenchMechanism: String, CaseIterable, Sendable {
  case pipe, fifo, unix, tcp, mq, sysv, shm, signal

  /// How the message travels, for the table.
  public var summary: String {
    switch self {
    case .pipe: return "two pipe(2)s, read/write"
    case .fifo: return "two FIFOs (mkfifo), read/write"
    case .unix: return "Unix stream socket (abstract)"
    case .tcp: return "TCP over loopback"
    case .mq: return "two POSIX queues, mq_send/mq_receive"
    case .sysv: return "one System V queue, two types"
    case .shm: return "shared memory, a slot each way + semaphores"
    case .signal: return "SIGRTMIN by sigqueue, signalfd"
    }
  }
}

/// What one mechanism measured: every round trip (ping-pong of `size` bytes), and the
/// time to pass `count` messages one way and get one acknowledgement back.
public struct BenchResult: Sendable {
  public var mechanism: BenchMechanism
  public var size: Int
  public var count: Int
  /// Round-trip times in nanoseconds, sorted.
  public var roundTrips: [UInt64]
  /// Nanoseconds for the one-way stream of `count` messages.
  public var streamNanoseconds: UInt64

  /// The round trip at quantile `q` (0…1), in microseconds.
  public func roundTrip(quantile q: Double) -> Double {
    guard !roundTrips.isEmpty else { return 0 }
    let index = min(roundTrips.count - 1, Int(Double(roundTrips.count - 1) * q + 0.5))
    return Double(roundTrips[index]) / 1000
  }

  public var messagesPerSecond: Double {
    Double(count) / max(Double(streamNanoseconds) / 1e9, 1e-9)
  }

  /// Payload bytes per second in the one-way stream (a signal carries 4 bytes).
  public var bytesPerSecond: Double { messagesPerSecond * Double(payload) }

  /// The bytes one message really carries.
  public var payload: Int { mechanism == .signal ? 4 : size }
}

/// In-process measurements of the kernel mechanisms themselves: this process and a peer
/// (the same executable, started with `peerArguments`) bounce messages through one
/// mechanism, first as ping-pong (latency), then as a one-way stream (throughput).
public enum Bench {
  /// The objects a run makes, named after this process so that runs never collide.
  struct Names {
    let base: String
    init(pid: pid_t) { base = "ipc-bench-\(pid)" }
    var queueToPeer: ObjectName { try! ObjectName(parsing: "/\(base)-a") }
    var queueFromPeer: ObjectName { try! ObjectName(parsing: "/\(base)-b") }
    var memory: ObjectName { try! ObjectName(parsing: "/\(base)") }
    /// Full and free for the slot to the peer, then for the slot back.
    var semaphores: [ObjectName] {
      ["to-full", "to-free", "from-full", "from-free"].map {
        try! ObjectName(parsing: "/\(base)-\($0)")
      }
    }
    var fifoToPeer: String { "/tmp/\(base)-a" }
    var fifoFromPeer: String { "/tmp/\(base)-b" }
    var unixAddress: String { "unix:@\(base)" }
  }

  /// Measures `mechanism`: starts the peer with `command` + its arguments, runs
  /// `count` round trips and a stream of `count` messages of `size` bytes, removes
  /// every object it made (also on error), and returns the figures. Everything that
  /// waits is bounded by `deadline`; the peer is killed if it is not done by then.
  public static func run(
    _ mechanism: BenchMechanism, size: Int, count: Int, deadline: Deadline, command: [String]
  ) throws -> BenchResult {
    let names = Names(pid: getpid())
    let setup = try Setup.make(mechanism, size: size, names: names, deadline: deadline)
    defer { setup.cleanUp() }
    let ready = try PipeEnds.make()
    var arguments =
      command + [
        "--peer", mechanism.rawValue, "--size", "\(size)", "--count", "\(count)",
      ]
    for object in setup.peerObjects { arguments += ["--object", object] }
    let peer: ChildProcess
    do {
      peer = try ChildProcess.spawn(
        arguments, redirections: setup.peerDescriptors + [(ready.write, 3)])
    } catch {
      ready.close()
      throw error
    }
    Descriptors.close(ready.write)
    setup.peerStarted()
    var finished = false
    defer {
      Descriptors.close(ready.read)
      if !finished {
        peer.signal(SIGKILL)
        _ = try? peer.wait()
      }
    }
    try awaitReady(ready.read, peer: peer, deadline: deadline)
    let channel = try setup.channel(peer: peer.pid, deadline: deadline)
    let result = try deadline.interrupting {
      try measure(channel, mechanism: mechanism, size: size, count: count, deadline: deadline)
    }
    let status = try peer.wait()
    finished = true
    guard status == .exited(0) else {
      throw IPCError(
        op: "bench", object: mechanism.rawValue, kind: .failed,
        detail: "the peer process ended badly (\(status))")
    }
    return result
  }

  /// The peer's side, in the child: opens what `objects` name, says it is ready on
  /// fd 3, echoes `count` messages, then takes `count` more and acknowledges them.
  public static func peer(
    _ mechanism: BenchMechanism, size: Int, count: Int, objects: [String], deadline: Deadline
  ) throws {
    ipc_die_with_parent()
    let channel = try Setup.peerChannel(
      mechanism, size: size, objects: objects, deadline: deadline)
    var one: UInt8 = 1
    try withUnsafeBytes(of: &one) { try Descriptors.writeAll(3, $0, object: "ready pipe") }
    Descriptors.close(3)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
    defer { buffer.deallocate() }
    let message = UnsafeMutableRawBufferPointer(rebasing: buffer[..<size])
    try deadline.interrupting {
      for _ in 0..<count {
        try channel.receive(message)
        try channel.send(UnsafeRawBufferPointer(message))
      }
      for _ in 0..<count { try channel.receive(message) }
      try channel.send(UnsafeRawBufferPointer(rebasing: buffer[..<1]))
    }
  }

  private static func awaitReady(_ fd: Int32, peer: ChildProcess, deadline: Deadline) throws {
    do {
      _ = try deadline.wait(for: [(fd, Int16(POLLIN))], op: "bench", object: "peer")
    } catch var error as IPCError where error.kind == .timedOut {
      error.detail = "the peer was not ready before the timeout"
      throw error
    }
    var byte: UInt8 = 0
    let got = try withUnsafeMutableBytes(of: &byte) {
      try Descriptors.read(fd, into: $0, object: "ready pipe")
    }
    if got == 0 {
      let status = try peer.wait()
      throw IPCError(
        op: "bench", object: "peer", kind: .failed,
        detail: "the peer process ended before it was ready (\(status))")
    }
  }

  private static func measure(
    _ channel: BenchChannel, mechanism: BenchMechanism, size: Int, count: Int,
    deadline: Deadline
  ) throws -> BenchResult {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
    defer { buffer.deallocate() }
    buffer.initializeMemory(as: UInt8.self, repeating: 0x78)
    let message = UnsafeMutableRawBufferPointer(rebasing: buffer[..<size])
    var trips = [UInt64](repeating: 0, count: count)
    for index in 0..<count {
      let start = Deadline.now()
      try channel.send(UnsafeRawBufferPointer(message))
      try channel.receive(message)
      trips[index] = Deadline.now() - start
      if index % 1024 == 0 { try deadline.check(op: "bench", object: mechanism.rawValue) }
    }
    let start = Deadline.now()
    for index in 0..<count {
      try channel.send(UnsafeRawBufferPointer(message))
      if index % 1024 == 0 { try deadline.check(op: "bench", object: mechanism.rawValue) }
    }
    try channel.receive(UnsafeMutableRawBufferPointer(rebasing: buffer[..<1]))
    let stream = Deadline.now() - start
    trips.sort()
    return BenchResult(
      mechanism: mechanism, size: size, count: count, roundTrips: trips, streamNanoseconds: stream)
  }
}

/// One direction pair of a mechanism: send a message, receive one (of the given size).
protocol BenchChannel {
  func send(_ bytes: UnsafeRawBufferPointer) throws
  func receive(_ buffer: UnsafeMutableRawBufferPointer) throws
}

/// A byte stream (pipe, FIFO, socket): a message is `size` bytes, read in full.
final class StreamChannel: BenchChannel {
  let input: Int32
  let output: Int32
  let object: String
  let deadline: Deadline
  private let owned: [AnyObject]

  init(
    input: Int32, output: Int32, object: String, deadline: Deadline,
    keeping owned: [AnyObject] = []
  ) throws {
    self.input = input
    self.output = output
    self.object = object
    self.deadline = deadline
    self.owned = owned
    try Descriptors.setNonBlocking(input, false)
    try Descriptors.setNonBlocking(output, false)
  }

  func send(_ bytes: UnsafeRawBufferPointer) throws {
    try Descriptors.writeAll(output, bytes, object: object, deadline: deadline)
  }

  func receive(_ buffer: UnsafeMutableRawBufferPointer) throws {
    var done = 0
    while done < buffer.count {
      let got = try Descriptors.read(
        input, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), object: object,
        deadline: deadline)
      if got == 0 {
        throw IPCError(
          op: "read", object: object, kind: .failed, detail: "the other side closed it")
      }
      done += got
    }
  }
}

/// Two POSIX queues, one each way.
final class QueueChannel: BenchChannel {
  let outgoing: MessageQueue
  let incoming: MessageQueue
  let deadline: Deadline
  private let scratch: UnsafeMutableRawBufferPointer

  init(outgoing: MessageQueue, incoming: MessageQueue, deadline: Deadline) throws {
    self.outgoing = outgoing
    self.incoming = incoming
    self.deadline = deadline
    scratch = .allocate(byteCount: try incoming.attributes().messageSize, alignment: 16)
  }

  deinit { scratch.deallocate() }

  func send(_ bytes: UnsafeRawBufferPointer) throws {
    try outgoing.send(bytes, priority: 0, deadline: deadline, nonblocking: false)
  }

  func receive(_ buffer: UnsafeMutableRawBufferPointer) throws {
    let (size, _) = try incoming.receive(into: scratch, deadline: deadline, nonblocking: false)
    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[..<min(size, buffer.count)]))
  }
}

/// One System V queue: messages of type 1 go to the peer, type 2 come back.
struct SystemVChannel: BenchChannel {
  let queue: SystemVQueue
  let sendType: Int
  let receiveType: Int
  let deadline: Deadline

  func send(_ bytes: UnsafeRawBufferPointer) throws {
    try queue.send(bytes, type: sendType, deadline: deadline, nonblocking: false)
  }

  func receive(_ buffer: UnsafeMutableRawBufferPointer) throws {
    _ = try queue.receive(
      into: buffer, selection: .init(type: receiveType), deadline: deadline, nonblocking: false)
  }
}

/// A shared region of two slots, one each way, and four semaphores: a sender waits for
/// its slot to be free, copies the message in and posts it full; the receiver waits for
/// the other slot to be full, copies the message out and posts it free.
final class SharedMemoryChannel: BenchChannel {
  struct Slot {
    let bytes: UnsafeMutableRawBufferPointer
    let full: Semaphore
    let free: Semaphore
  }
  let outgoing: Slot
  let incoming: Slot
  let deadline: Deadline
  private let unmap: () -> Void

  /// `semaphores` are the outgoing slot's full and free, then the incoming slot's.
  init(
    memory: SharedMemory, size: Int, outgoingFirst: Bool, semaphores: [Semaphore],
    deadline: Deadline
  ) throws {
    let (region, unmap) = try memory.map(0..<(2 * size), writable: true)
    let first = UnsafeMutableRawBufferPointer(rebasing: region[..<size])
    let second = UnsafeMutableRawBufferPointer(rebasing: region[size...])
    outgoing = Slot(bytes: outgoingFirst ? first : second, full: semaphores[0], free: semaphores[1])
    incoming = Slot(bytes: outgoingFirst ? second : first, full: semaphores[2], free: semaphores[3])
    self.unmap = unmap
    self.deadline = deadline
  }

  deinit { unmap() }

  func send(_ bytes: UnsafeRawBufferPointer) throws {
    try outgoing.free.wait(deadline: deadline, nonblocking: false)
    UnsafeMutableRawBufferPointer(rebasing: outgoing.bytes[..<bytes.count]).copyMemory(from: bytes)
    try outgoing.full.post()
  }

  func receive(_ buffer: UnsafeMutableRawBufferPointer) throws {
    try incoming.full.wait(deadline: deadline, nonblocking: false)
    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: incoming.bytes[..<buffer.count]))
    try incoming.free.post()
  }
}

/// SIGRTMIN with a value, queued to the other process and read from a signalfd.
struct SignalChannel: BenchChannel {
  let trap: SignalTrap
  let peer: pid_t
  let deadline: Deadline

  func send(_ bytes: UnsafeRawBufferPointer) throws {
    try Signals.send(SignalNumber(rawValue: ipc_sigrtmin()), to: peer, value: 1)
  }

  func receive(_ buffer: UnsafeMutableRawBufferPointer) throws {
    _ = try trap.next(deadline: deadline)
  }
}
