import CIPCShims

#if canImport(Glibc)
  import Glibc
#endif

/// What this process makes for one mechanism before the peer starts: the objects the
/// peer opens (`peerObjects`, passed as arguments) or inherits (`peerDescriptors`),
/// how to build this side's channel once the peer is ready, and how to remove it all.
final class Setup {
  var peerObjects: [String] = []
  var peerDescriptors: [(from: Int32, to: Int32)] = []
  private var afterStart: [() -> Void] = []
  private var cleanups: [() -> Void] = []
  private var makeChannel: (pid_t, Deadline) throws -> BenchChannel = { _, _ in
    fatalError("no channel")
  }

  /// Closes this process's copies of the descriptors the peer inherited.
  func peerStarted() {
    afterStart.forEach { $0() }
    afterStart = []
  }

  func channel(peer: pid_t, deadline: Deadline) throws -> BenchChannel {
    try makeChannel(peer, deadline)
  }

  /// Removes every object made, newest first; safe to call after a failure.
  func cleanUp() {
    peerStarted()
    cleanups.reversed().forEach { $0() }
    cleanups = []
  }

  private func onCleanUp(_ body: @escaping () -> Void) { cleanups.append(body) }

  static func make(
    _ mechanism: BenchMechanism, size: Int, names: Bench.Names, deadline: Deadline
  ) throws -> Setup {
    let setup = Setup()
    do {
      try setup.prepare(mechanism, size: size, names: names, deadline: deadline)
    } catch {
      setup.cleanUp()
      throw error
    }
    return setup
  }

  private func prepare(
    _ mechanism: BenchMechanism, size: Int, names: Bench.Names, deadline: Deadline
  ) throws {
    switch mechanism {
    case .pipe:
      let toPeer = try PipeEnds.make()
      afterStart.append { Descriptors.close(toPeer.read) }
      onCleanUp { Descriptors.close(toPeer.write) }
      let fromPeer = try PipeEnds.make()
      afterStart.append { Descriptors.close(fromPeer.write) }
      onCleanUp { Descriptors.close(fromPeer.read) }
      peerDescriptors = [(toPeer.read, 0), (fromPeer.write, 1)]
      let channel = try StreamChannel(
        input: fromPeer.read, output: toPeer.write, object: "pipe", deadline: deadline)
      makeChannel = { _, _ in channel }

    case .fifo:
      let (a, b) = (names.fifoToPeer, names.fifoFromPeer)
      try FIFO.create(a)
      onCleanUp { try? FIFO.remove(a) }
      try FIFO.create(b)
      onCleanUp { try? FIFO.remove(b) }
      // Our own writer on `a` from the start, so the peer never reads an end of file
      // before we write; our reader on `b`, so the peer's open for writing returns.
      let ours = try FIFO.openForReading(a, deadline: deadline, keepOpen: true)
      onCleanUp {
        Descriptors.close(ours.read)
        ours.heldWriter.map(Descriptors.close)
      }
      let incoming = try FIFO.openForReading(b, deadline: deadline, keepOpen: false).read
      onCleanUp { Descriptors.close(incoming) }
      peerObjects = [a, b]
      let channel = try StreamChannel(
        input: incoming, output: ours.heldWriter!, object: "fifo", deadline: deadline)
      makeChannel = { _, _ in channel }

    case .unix, .tcp:
      let address = try SocketAddress(
        parsing: mechanism == .unix ? names.unixAddress : "tcp:127.0.0.1:0")
      let listener = try Socket.listen(address)
      onCleanUp { listener.close() }
      peerObjects = [try listener.localAddress()]
      makeChannel = { [unowned self] _, deadline in
        let (socket, _) = try listener.accept(deadline: deadline)
        self.onCleanUp { socket.close() }
        try socket.sendImmediately()
        return try StreamChannel(
          input: socket.fd, output: socket.fd, object: mechanism.rawValue, deadline: deadline,
          keeping: [socket])
      }

    case .mq:
      let size = max(size, 1)
      let outgoing = try MessageQueue.create(names.queueToPeer, messageSize: size).queue
      onCleanUp { try? MessageQueue.unlink(names.queueToPeer) }
      let incoming = try MessageQueue.create(names.queueFromPeer, messageSize: size).queue
      onCleanUp { try? MessageQueue.unlink(names.queueFromPeer) }
      peerObjects = [names.queueToPeer.path, names.queueFromPeer.path]
      makeChannel = { _, deadline in
        try QueueChannel(outgoing: outgoing, incoming: incoming, deadline: deadline)
      }

    case .sysv:
      let queue = try SystemVQueue.create(.key(IPC_PRIVATE), permissions: 0o600, existOK: false)
      onCleanUp { try? queue.remove() }
      peerObjects = ["\(queue.id)"]
      makeChannel = { _, deadline in
        SystemVChannel(queue: queue, sendType: 1, receiveType: 2, deadline: deadline)
      }

    case .shm:
      let memory = try SharedMemory.create(.object(names.memory), size: 2 * size).memory
      onCleanUp { try? SharedMemory.unlink(.object(names.memory)) }
      var semaphores: [Semaphore] = []
      for (index, name) in names.semaphores.enumerated() {
        // Each slot starts free (value 1) and not full (value 0).
        semaphores.append(try Semaphore.create(name, value: index % 2 == 1 ? 1 : 0).semaphore)
        onCleanUp { try? Semaphore.unlink(name) }
      }
      peerObjects = [names.memory.path] + names.semaphores.map(\.path)
      makeChannel = { _, deadline in
        try SharedMemoryChannel(
          memory: memory, size: size, outgoingFirst: true, semaphores: semaphores,
          deadline: deadline)
      }

    case .signal:
      let trap = try SignalTrap([SignalNumber(rawValue: ipc_sigrtmin())])
      makeChannel = { peer, deadline in SignalChannel(trap: trap, peer: peer, deadline: deadline) }
    }
  }

  /// The peer's side of `mechanism`, from the objects the parent named.
  static func peerChannel(
    _ mechanism: BenchMechanism, size: Int, objects: [String], deadline: Deadline
  ) throws -> BenchChannel {
    func object(_ index: Int) throws -> String {
      guard index < objects.count else {
        throw IPCError.usage("bench --peer \(mechanism.rawValue) needs more --object values")
      }
      return objects[index]
    }
    switch mechanism {
    case .pipe:
      return try StreamChannel(input: 0, output: 1, object: "pipe", deadline: deadline)
    case .fifo:
      let incoming = try FIFO.openForReading(try object(0), deadline: deadline, keepOpen: false)
      let outgoing = try FIFO.openForWriting(try object(1), deadline: deadline, nonblocking: false)
      return try StreamChannel(
        input: incoming.read, output: outgoing, object: "fifo", deadline: deadline)
    case .unix, .tcp:
      let socket = try Socket.connect(
        try SocketAddress(parsing: try object(0)), deadline: deadline, retry: false)
      try socket.sendImmediately()
      return try StreamChannel(
        input: socket.fd, output: socket.fd, object: mechanism.rawValue, deadline: deadline,
        keeping: [socket])
    case .mq:
      let incoming = try MessageQueue.open(try ObjectName(parsing: try object(0)), access: .read)
      let outgoing = try MessageQueue.open(try ObjectName(parsing: try object(1)), access: .write)
      return try QueueChannel(outgoing: outgoing, incoming: incoming, deadline: deadline)
    case .sysv:
      guard let id = Int32(try object(0)) else {
        throw IPCError.usage("bench --peer sysv needs a queue id")
      }
      return SystemVChannel(
        queue: try SystemVQueue.open(.id(id)), sendType: 2, receiveType: 1, deadline: deadline)
    case .shm:
      let memory = try SharedMemory.open(
        .object(try ObjectName(parsing: try object(0))), writable: true)
      let semaphores = try (1...4).map {
        try Semaphore.open(try ObjectName(parsing: try object($0)))
      }
      // The parent's outgoing slot is our incoming one.
      return try SharedMemoryChannel(
        memory: memory, size: size, outgoingFirst: false,
        semaphores: Array(semaphores[2...]) + Array(semaphores[..<2]), deadline: deadline)
    case .signal:
      let trap = try SignalTrap([SignalNumber(rawValue: ipc_sigrtmin())])
      return SignalChannel(trap: trap, peer: getppid(), deadline: deadline)
    }
  }
}
