import ArgumentParser
import IPCKit

/// `ipc sock`: Unix, abstract, TCP and UDP sockets.
struct SockCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sock",
    abstract: "Sockets: listen, connect and wait on Unix (path, abstract), TCP and UDP.",
    discussion: """
      Addresses: unix:PATH (or any PATH with a /), unix:@NAME (abstract),
      unixgram:…, seqpacket:…, tcp:HOST:PORT, tcp:PORT (127.0.0.1), HOST:PORT,
      tcp6:[::1]:PORT, udp:HOST:PORT, udp:PORT. Port 0 picks a free port.

      A stream relays stdin ⇄ socket until both directions end: when stdin ends,
      ipc shuts down its sending side (SHUT_WR) and reads on until the peer closes.

      Examples:
        ipc sock listen tcp:0                       (prints the port it got)
        ipc sock connect tcp:8080 < request.txt
        ipc sock listen unix:/tmp/echo.sock --fork --exec cat
        ipc sock connect unix:@demo --send "hello" --peer-cred
        ipc sock wait tcp:8080 --timeout 10s
      """,
    subcommands: [
      SockListen.self, SockConnect.self, SockWait.self, SockSendFD.self, SockReceiveFD.self,
    ]
  )
}

/// How the peer behind a Unix socket is shown (--peer-cred), on stderr.
struct PeerReport {
  var json: Bool

  func show(_ peer: String, _ credentials: PeerCredentials?) {
    if json {
      var line = JSONLine()
      line.add("event", "peer")
      line.add("address", peer)
      if let credentials {
        line.add("pid", credentials.pid)
        line.add("uid", Int(credentials.uid))
        line.add("gid", Int(credentials.gid))
      }
      StandardError.writeLine(line.description)
    } else if let credentials {
      StandardError.writeLine(
        "ipc: peer \(peer): pid \(credentials.pid), uid \(credentials.uid), gid \(credentials.gid)")
    } else {
      StandardError.writeLine("ipc: peer \(peer)")
    }
  }
}

/// The relay options streams share.
struct RelayOptions: ParsableArguments {
  @Flag(help: "When stdin ends, close at once instead of shutting down only our side.")
  var noHalfClose = false
  @Option(
    help: ArgumentHelp(
      "End when nothing moves either way for this long (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var idleTimeout: Duration?
  @Option(help: "Datagrams: how many to receive before ending.") var count: Int?

  func relay(_ socket: Socket) throws {
    _ = try StreamRelay(socket: socket, halfClose: !noHalfClose, idle: idleTimeout).run()
  }

  /// Datagrams and packets in, one per line (or --raw), until --count or the idle timeout.
  func receiveMessages(_ socket: Socket, raw: Bool) throws {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    defer { buffer.deallocate() }
    var received = 0
    while count.map({ received < $0 }) ?? true {
      let size = try socket.receive(into: buffer, deadline: .after(idleTimeout))
      var message = Array(UnsafeRawBufferPointer(rebasing: buffer[..<size]))
      if !raw { message.append(0x0A) }
      try message.withUnsafeBytes { try Descriptors.writeAll(1, $0, object: "stdout") }
      received += 1
    }
  }
}

struct SockListen: IPCCommand {
  static let verb = "sock listen"
  static let configuration = CommandConfiguration.verb(
    commandName: "listen",
    abstract: "Listen on an address; relay stdin ⇄ the first peer, or serve many.",
    discussion: """
      Prints 'listening on ADDRESS' to stderr once ready (the real address: port
      0 becomes the port chosen). A socket file that is already there is
      replaced only if nothing answers on it; any other kind of file is refused.
      The socket file gets --mode (0600) and is removed on exit, Ctrl-C included.

      --keep-open serves peers one after another; --fork with --exec serves them
      at once, a command per connection (at most --max-clients). --exec gives
      each connection to CMD on its stdin and stdout, run directly (words, with
      quotes as in sh, nothing expanded; --shell runs it under /bin/sh -c), with
      IPC_PEER_ADDR and, for Unix sockets, IPC_PEER_PID, IPC_PEER_UID and
      IPC_PEER_GID set. Datagram kinds (udp, unixgram) print each datagram.

      Examples:
        ipc sock listen tcp:0
        ipc sock listen unix:/tmp/s.sock --keep-open > log
        ipc sock listen tcp:7000 --fork --exec cat
        ipc sock listen unix:@svc --peer-cred --allow-uid 1000
        ipc sock listen udp:9000 --count 3
      """)

  @Argument(help: "Where to listen.", transform: Parse.address) var address: SocketAddress
  @Flag(help: "Serve peers one after another.") var keepOpen = false
  @Flag(help: "Serve peers at once, a --exec command each.") var fork = false
  @Option(help: "With --fork: at most this many at once.") var maxClients: Int = 64
  @Option(help: "Give each connection to this command (no shell unless --shell).") var exec: String?
  @Flag(help: "Run --exec under /bin/sh -c (pipes, $VARIABLES, redirections).") var shell = false
  @Option(
    help: ArgumentHelp("The socket file's permissions, in octal.", valueName: "mode"),
    transform: Parse.mode)
  var mode: UInt32 = 0o600
  @Flag(help: "Unix: show each peer's pid, uid and gid (SO_PEERCRED) on stderr.") var peerCred =
    false
  @Option(help: "Unix: accept only peers running as this uid.") var allowUid: UInt32?
  @Option(
    help: ArgumentHelp(
      "Give up if no peer comes within this long (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Flag(help: "Datagrams: write them exactly, nothing between them.") var raw = false
  @OptionGroup var relay: RelayOptions
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if let exec { _ = try Parse.execArguments(exec, shell: shell) }
    if shell && exec == nil { throw ValidationError("--shell goes with --exec") }
    if fork && exec == nil {
      throw ValidationError("--fork needs --exec: each peer gets its own command")
    }
    if maxClients < 1 { throw ValidationError("--max-clients must be 1 or more") }
    let unix: Bool
    switch address {
    case .unixPath, .abstract: unix = true
    case .inet: unix = false
    }
    if (peerCred || allowUid != nil) && !unix {
      throw ValidationError("--peer-cred and --allow-uid work on Unix sockets only")
    }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let listener = try Socket.listen(address, permissions: mode)
    defer { listener.close() }
    StandardError.writeLine("listening on \(try listener.localAddress())")
    if listener.kind == .datagram {
      try relay.receiveMessages(listener, raw: raw)
      return 0
    }
    var children: [ChildProcess] = []
    var lastStatus: Int32 = 0
    do {
      repeat {
        children.removeAll { $0.poll() != nil }
        if fork && children.count >= maxClients { _ = try children.removeFirst().wait() }
        let (connection, peer) = try listener.accept(deadline: .after(timeout))
        let credentials = listener.address.isUnix ? try? connection.peerCredentials() : nil
        if let allowUid, credentials?.uid != allowUid {
          StandardError.writeLine(
            "ipc: sock listen \(address): refused a peer running as uid \(credentials.map { "\($0.uid)" } ?? "?") "
              + "(--allow-uid \(allowUid))")
          connection.close()
          continue
        }
        if peerCred { PeerReport(json: common.json).show(peer, credentials) }
        common.say("accepted \(peer)")
        guard let exec else {
          do {
            try relay.relay(connection)
          } catch let error as IPCError where keepOpen && error.errno != nil {
            // One peer that left early does not end a server that keeps serving.
            StandardError.writeLine("ipc: sock listen \(peer): \(error)")
            lastStatus = 1
          }
          connection.close()
          if keepOpen { continue }
          break
        }
        ProcessEnvironment.setVariable("IPC_PEER_ADDR", peer)
        if let credentials {
          ProcessEnvironment.setVariable("IPC_PEER_PID", "\(credentials.pid)")
          ProcessEnvironment.setVariable("IPC_PEER_UID", "\(credentials.uid)")
          ProcessEnvironment.setVariable("IPC_PEER_GID", "\(credentials.gid)")
        }
        let child = try ChildProcess.spawn(
          try Parse.execArguments(exec, shell: shell),
          redirections: [(connection.fd, 0), (connection.fd, 1)])
        connection.close()
        if fork {
          children.append(child)
        } else {
          lastStatus = try child.waitPassingSignals().shellCode
        }
      } while keepOpen || fork
    } catch let error as IPCError {
      // Ctrl-C or TERM: the commands serving peers end too, then the socket file goes.
      if case .interrupted(let signal) = error.kind {
        for child in children {
          child.signal(signal)
          _ = try? child.wait()
        }
      }
      throw error
    }
    for child in children { _ = try? child.wait() }
    return lastStatus
  }
}

struct SockConnect: IPCCommand {
  static let verb = "sock connect"
  static let configuration = CommandConfiguration.verb(
    commandName: "connect",
    abstract: "Connect to an address and relay stdin ⇄ socket.",
    discussion: """
      --wait retries while nothing listens yet (for CI scripts that start a
      server and a client together); --timeout bounds each attempt. --send DATA
      sends DATA instead of stdin, then half-closes and prints the reply.
      Datagram kinds send each line of stdin (or DATA) as one datagram, from an
      automatic address, then print --count replies.

      Examples:
        ipc sock connect tcp:8080 < request.txt > reply.txt
        ipc sock connect unix:/tmp/echo.sock --send "ping"
        ipc sock connect unix:@svc --wait 5s --peer-cred
        ipc sock connect udp:9000 --send "hello"
      """)

  @Argument(help: "Where to connect.", transform: Parse.address) var address: SocketAddress
  @Option(help: "Send this instead of stdin, then half-close.") var send: String?
  @Option(
    help: ArgumentHelp("Give up on connecting after this long (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Option(
    help: ArgumentHelp("Retry while nothing listens, for up to this long.", valueName: "duration"),
    transform: Parse.duration)
  var wait: Duration?
  @Flag(help: "Unix: show the peer's pid, uid and gid (SO_PEERCRED) on stderr.") var peerCred =
    false
  @Flag(help: "Datagrams: write replies exactly, nothing between them.") var raw = false
  @OptionGroup var relay: RelayOptions
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if peerCred && !address.isUnix {
      throw ValidationError("--peer-cred works on Unix sockets only")
    }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let socket = try Socket.connect(address, deadline: .after(wait ?? timeout), retry: wait != nil)
    defer { socket.close() }
    common.say("connected to \(address)")
    if peerCred {
      PeerReport(json: common.json).show(address.description, try socket.peerCredentials())
    }
    if socket.kind == .datagram {
      let lines = send.map { [Array($0.utf8)[...]] } ?? []
      if send == nil {
        let records = RecordReader(fd: 0, separator: 0x0A)
        while let (record, _) = try records.next() { try socket.send(record) }
      }
      for line in lines { try line.withUnsafeBytes(socket.send) }
      if relay.count != nil { try relay.receiveMessages(socket, raw: raw) }
      return 0
    }
    if let send {
      var relayed = StreamRelay(
        socket: socket, halfClose: !relay.noHalfClose, idle: relay.idleTimeout)
      let input = try PipeEnds.make()
      defer { Descriptors.close(input.read) }
      try Array(send.utf8).withUnsafeBytes { try Descriptors.writeAll(input.write, $0) }
      Descriptors.close(input.write)
      relayed.input = input.read
      _ = try relayed.run()
      return 0
    }
    try relay.relay(socket)
    return 0
  }
}

struct SockWait: IPCCommand {
  static let verb = "sock wait"
  static let configuration = CommandConfiguration.verb(
    commandName: "wait",
    abstract: "Exit 0 as soon as something accepts connections at ADDRESS; 124 at the timeout.",
    discussion: """
      It finds out by connecting (and closing at once), as nc -z does: a server
      that serves a single connection will have served it. For such a server,
      use 'ipc sock connect --wait' instead.

      Examples:
        ipc sock wait tcp:8080 --timeout 10s && run-tests
        ipc sock wait unix:/run/app.sock --timeout 30s
      """)

  @Argument(help: "Where to wait for a listener.", transform: Parse.address) var address:
    SocketAddress
  @Option(
    help: ArgumentHelp("How long to wait (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    Interrupts.install()
    let socket = try Socket.connect(address, deadline: .after(timeout), retry: true)
    socket.close()
    return 0
  }
}

struct SockSendFD: IPCCommand {
  static let verb = "sock send-fd"
  static let configuration = CommandConfiguration.verb(
    commandName: "send-fd",
    abstract: "Pass an open descriptor to a process over a Unix socket (SCM_RIGHTS).",
    discussion: """
      The receiver gets its own descriptor for the same open file: same offset,
      same access, even if it could not open the path itself.

      Examples:
        ipc sock send-fd unix:@fd-demo --file /etc/hostname
        ipc sock send-fd unix:@fd-demo --fd 3 3< data.bin
        ipc sock send-fd unix:/tmp/fd.sock --fd 0 < input.txt --wait 5s
      """)

  @Argument(
    help: "A Unix stream socket where 'ipc sock recv-fd' listens.", transform: Parse.address)
  var address: SocketAddress
  @Option(help: "Send this open descriptor of ours.") var fd: Int32?
  @Option(help: "Open this file for reading and send that.") var file: String?
  @Option(
    help: ArgumentHelp("Retry while nothing listens, for up to this long.", valueName: "duration"),
    transform: Parse.duration)
  var wait: Duration?
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if (fd == nil) == (file == nil) { throw ValidationError("give one of --fd N or --file PATH") }
    guard address.isUnix, !address.description.hasPrefix("unixgram") else {
      throw ValidationError(
        "descriptors travel over Unix stream sockets only (unix:PATH or unix:@NAME)")
    }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let descriptor = try file.map(Descriptors.openForReading) ?? fd!
    defer { if file != nil { Descriptors.close(descriptor) } }
    let socket = try Socket.connect(
      address, deadline: .after(wait ?? .seconds(5)), retry: wait != nil)
    defer { socket.close() }
    try socket.sendDescriptor(descriptor)
    let target = try Descriptors.describe(descriptor).target
    common.say("sent descriptor \(descriptor) (\(target))")
    return 0
  }
}

struct SockReceiveFD: IPCCommand {
  static let verb = "sock recv-fd"
  static let configuration = CommandConfiguration.verb(
    commandName: "recv-fd",
    abstract:
      "Listen on a Unix socket for one descriptor (SCM_RIGHTS); show it or run a command on it.",
    discussion: """
      Without a command, prints what the descriptor is: its target, access and
      offset. With -- CMD…, runs CMD with the descriptor as its stdin (when it
      is readable) or its stdout (when write-only), and exits with CMD's status.

      Examples:
        ipc sock recv-fd unix:@fd-demo
        ipc sock recv-fd unix:@fd-demo -- cat
        ipc sock recv-fd unix:/tmp/fd.sock --timeout 10s -- wc -c
      """)

  @Argument(help: "Where to listen (a Unix stream socket).", transform: Parse.address)
  var address: SocketAddress
  @Option(
    help: ArgumentHelp(
      "Give up if nothing comes within this long (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @OptionGroup var common: CommonOptions
  @Argument(parsing: .postTerminator, help: "A command to run on the descriptor, after --.")
  var command: [String] = []

  func validate() throws {
    guard address.isUnix, !address.description.hasPrefix("unixgram") else {
      throw ValidationError(
        "descriptors travel over Unix stream sockets only (unix:PATH or unix:@NAME)")
    }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let listener = try Socket.listen(address)
    defer { listener.close() }
    StandardError.writeLine("listening on \(try listener.localAddress())")
    let deadline = Deadline.after(timeout)
    let (connection, _) = try listener.accept(deadline: deadline)
    defer { connection.close() }
    let received = try connection.receiveDescriptor(deadline: deadline)
    defer { Descriptors.close(received) }
    let info = try Descriptors.describe(received)
    guard !command.isEmpty else {
      var out = StandardOutput()
      if common.json {
        var line = JSONLine()
        line.add("fd", received)
        line.add("target", info.target)
        line.add("readable", info.readable)
        line.add("writable", info.writable)
        line.add("offset", info.offset)
        try out.writeLine(line.description)
      } else {
        let access =
          info.readable && info.writable ? "read+write" : info.readable ? "read" : "write"
        try out.writeLine(
          "received fd \(received): \(info.target), \(access), offset \(info.offset)")
      }
      try out.flush()
      return 0
    }
    let redirect: (Int32, Int32) = info.readable ? (received, 0) : (received, 1)
    return try ChildProcess.spawn(command, redirections: [redirect]).waitPassingSignals().shellCode
  }
}

extension SocketAddress {
  var isUnix: Bool {
    switch self {
    case .unixPath, .abstract: return true
    case .inet: return false
    }
  }
}
