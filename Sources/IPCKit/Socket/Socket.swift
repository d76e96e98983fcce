import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// A socket address the kernel understands (sockaddr_storage and its length).
public struct ResolvedAddress: @unchecked Sendable {
  var storage = sockaddr_storage()
  var length: socklen_t = 0

  public var family: Int32 { Int32(storage.ss_family) }

  /// Builds the sockaddr for `address`; hosts are looked up with getaddrinfo.
  public init(_ address: SocketAddress) throws {
    switch address {
    case .unixPath(let path, _): self.init(unix: Array(path.utf8), abstract: false)
    case .abstract(let name, _): self.init(unix: Array(name.utf8), abstract: true)
    case .inet(let host, let port, let transport, let ipv6):
      var hints = addrinfo()
      hints.ai_family = ipv6 ? AF_INET6 : (host.contains(":") ? AF_INET6 : AF_INET)
      hints.ai_socktype = Int32(transport == .tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
      hints.ai_flags = AI_NUMERICSERV
      var list: UnsafeMutablePointer<addrinfo>?
      let code = getaddrinfo(host, "\(port)", &hints, &list)
      Trace.emit("getaddrinfo(\(quote(host)), \"\(port)\") = \(code)")
      guard code == 0, let first = list else {
        let why = code == 0 ? "no address" : String(cString: gai_strerror(code))
        throw IPCError(
          op: "getaddrinfo", object: address.description, kind: .failed,
          detail: "cannot resolve host '\(host)': \(why)",
          hint: "use a numeric address like 127.0.0.1")
      }
      defer { freeaddrinfo(list) }
      self.init()
      withUnsafeMutableBytes(of: &storage) { target in
        target.copyMemory(
          from: UnsafeRawBufferPointer(
            start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
      }
      length = first.pointee.ai_addrlen
    }
  }

  init() {}

  private init(unix bytes: [UInt8], abstract: Bool) {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { path in
      let start = abstract ? 1 : 0
      for (index, byte) in bytes.enumerated() { path[start + index] = byte }
    }
    let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
    length = socklen_t(pathOffset + bytes.count + (abstract ? 1 : 1))
    withUnsafeMutableBytes(of: &storage) { target in
      withUnsafeBytes(of: &address) { target.copyMemory(from: $0) }
    }
  }

  /// Runs `body` with the address as a sockaddr pointer and its length.
  func withPointer<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) rethrows -> T {
    try withUnsafeBytes(of: storage) {
      try body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
    }
  }

  private static func string(_ characters: [CChar]) -> String {
    String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// `tcp:127.0.0.1:43521`, `unix:/run/x.sock`, `unix:@name`, in the syntax of conventions.md.
  public func describe(kind: SocketKind) -> String {
    withUnsafeBytes(of: storage) { raw -> String in
      switch family {
      case AF_INET:
        let address = raw.load(as: sockaddr_in.self)
        var text = [CChar](repeating: 0, count: 64)
        var addr = address.sin_addr
        inet_ntop(AF_INET, &addr, &text, 64)
        return "\(kind.inetScheme):\(Self.string(text)):\(UInt16(bigEndian: address.sin_port))"
      case AF_INET6:
        let address = raw.load(as: sockaddr_in6.self)
        var text = [CChar](repeating: 0, count: 64)
        var addr = address.sin6_addr
        inet_ntop(AF_INET6, &addr, &text, 64)
        return
          "\(kind.inetScheme)6:[\(Self.string(text))]:\(UInt16(bigEndian: address.sin6_port))"
      case AF_UNIX:
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let count = Int(length) - pathOffset
        guard count > 0 else { return "\(kind.unixScheme):(unnamed)" }
        let bytes = Array(raw[pathOffset..<(pathOffset + count)])
        if bytes.first == 0 {
          return "\(kind.unixScheme):@" + String(decoding: bytes.dropFirst(), as: UTF8.self)
        }
        return "\(kind.unixScheme):" + String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
      default:
        return "family \(family)"
      }
    }
  }
}

/// Stream, datagram or sequenced-packet.
public enum SocketKind: Sendable {
  case stream, datagram, seqpacket

  init(_ address: SocketAddress) {
    switch address {
    case .unixPath(_, let kind), .abstract(_, let kind):
      switch kind {
      case .stream: self = .stream
      case .datagram: self = .datagram
      case .seqpacket: self = .seqpacket
      }
    case .inet(_, _, let transport, _): self = transport == .tcp ? .stream : .datagram
    }
  }

  var type: Int32 {
    switch self {
    case .stream: return Int32(SOCK_STREAM.rawValue)
    case .datagram: return Int32(SOCK_DGRAM.rawValue)
    case .seqpacket: return Int32(SOCK_SEQPACKET.rawValue)
    }
  }

  var unixScheme: String {
    switch self {
    case .stream: return "unix"
    case .datagram: return "unixgram"
    case .seqpacket: return "seqpacket"
    }
  }

  var inetScheme: String { self == .stream ? "tcp" : "udp" }

  public var keepsBoundaries: Bool { self != .stream }
}

/// The process at the other end of a Unix socket (SO_PEERCRED).
public struct PeerCredentials: Sendable, Equatable {
  public var pid: Int32
  public var uid: UInt32
  public var gid: UInt32
}

/// A socket descriptor, closed when the value goes.
public final class Socket {
  public let fd: Int32
  public let kind: SocketKind
  public let address: SocketAddress
  /// The socket file this process created by binding, removed by `close()`.
  private var ownedPath: (path: String, status: FileStatus)?

  init(fd: Int32, kind: SocketKind, address: SocketAddress) {
    self.fd = fd
    self.kind = kind
    self.address = address
  }

  deinit { close() }

  private var closed = false

  /// Closes the descriptor and removes the socket file this process bound, if it is
  /// still the same file.
  public func close() {
    guard !closed else { return }
    closed = true
    Descriptors.close(fd)
    if let owned = ownedPath, let now = try? FileStatus.of(owned.path),
      now.isSameFile(as: owned.status)
    {
      _ = try? sys("unlink", quote(owned.path), object: owned.path) { unlink(owned.path) }
    }
  }

  static func make(_ address: SocketAddress, family: Int32) throws -> Socket {
    let kind = SocketKind(address)
    let fd = try sys(
      "socket",
      "\(family == AF_UNIX ? "AF_UNIX" : family == AF_INET ? "AF_INET" : "AF_INET6"), \(kind), SOCK_CLOEXEC",
      object: address.description
    ) { socket(family, kind.type | Int32(SOCK_CLOEXEC.rawValue), 0) }
    return Socket(fd: fd, kind: kind, address: address)
  }

  /// Binds to `address` and, for stream and seqpacket, listens. A socket file that is
  /// already there is replaced only if it is a socket nothing answers on (stale);
  /// a live socket or any other kind of file is refused. The file gets `permissions`.
  public static func listen(
    _ address: SocketAddress, permissions: UInt32 = 0o600, backlog: Int32 = 128
  )
    throws -> Socket
  {
    let resolved = try ResolvedAddress(address)
    if case .unixPath(let path, _) = address { try clearStale(path, address: address) }
    let socket = try make(address, family: resolved.family)
    if resolved.family != AF_UNIX {
      var one: Int32 = 1
      setsockopt(socket.fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    }
    let fd = socket.fd
    _ = try resolved.withPointer { pointer, length in
      try sys(
        "bind", "\(fd), \(address)", object: address.description,
        hint: { bindHint($0, address: address) }
      ) {
        bind(fd, pointer, length)
      }
    }
    if case .unixPath(let path, _) = address, let status = try FileStatus.of(path) {
      socket.ownedPath = (path, status)
      try sys("chmod", "\(quote(path)), 0\(String(permissions, radix: 8))", object: path) {
        chmod(path, mode_t(permissions))
      }
    }
    if socket.kind != .datagram {
      try sys("listen", "\(fd), \(backlog)", object: address.description) {
        Glibc.listen(fd, backlog)
      }
    }
    return socket
  }

  private static func bindHint(_ errno: Errno, address: SocketAddress) -> String? {
    switch errno {
    case .addressInUse:
      return "something else is bound there; choose another port or name (port 0 picks a free one)"
    case .permissionDenied:
      if case .unixPath = address {
        return "the directory is not writable for you; choose a path in one that is, or unix:@name"
      }
      return "ports below 1024 need privileges; choose a port of 1024 or more (0 picks a free one)"
    case .addressNotAvailable: return "that host address is not on this machine"
    default: return nil
    }
  }

  private static func clearStale(_ path: String, address: SocketAddress) throws {
    guard let status = try FileStatus.of(path) else { return }
    guard status.kind == .socket else {
      throw IPCError(
        op: "bind", object: path, errno: .fileExists,
        detail: "a \(status.kind.rawValue) is already there; ipc replaces only a stale socket",
        hint: "choose another path")
    }
    // Probe: if something accepts, the socket is live and not ours to take.
    let probe = try? connect(address, deadline: .after(.milliseconds(500)), retry: false)
    if probe != nil {
      throw IPCError(
        op: "bind", object: path, errno: .addressInUse,
        detail: "another process is listening on this socket",
        hint: "choose another path, or stop that process")
    }
    try sys("unlink", "\(quote(path)) (stale socket)", object: path) { unlink(path) }
  }

  /// Waits for a connection until `deadline` (poll) and accepts it (accept4).
  public func accept(deadline: Deadline) throws -> (socket: Socket, peer: String) {
    do {
      _ = try deadline.wait(for: [(fd, Int16(POLLIN))], op: "accept", object: address.description)
    } catch var error as IPCError where error.kind == .timedOut {
      error.detail = "no peer came before the timeout"
      throw error
    }
    var peer = ResolvedAddress()
    peer.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let fd = self.fd
    let connection = try withUnsafeMutableBytes(of: &peer.storage) { raw in
      try sys("accept4", "\(fd), SOCK_CLOEXEC", object: address.description) {
        ipc_accept(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &peer.length)
      }
    }
    return (Socket(fd: connection, kind: kind, address: address), peer.describe(kind: kind))
  }

  /// Connects to `address`, waiting at most until `deadline`. With `retry`, a refused
  /// or missing listener is tried again every 50 ms until the deadline (for CI).
  public static func connect(_ address: SocketAddress, deadline: Deadline, retry: Bool) throws
    -> Socket
  {
    let resolved = try ResolvedAddress(address)
    while true {
      let socket = try make(address, family: resolved.family)
      if socket.kind == .datagram && resolved.family == AF_UNIX {
        try socket.autobind()
      }
      try Descriptors.setNonBlocking(socket.fd)
      let fd = socket.fd
      let started = try resolved.withPointer { pointer, length in
        try sys(
          "connect", "\(fd), \(address)", object: address.description,
          tolerating: [
            .nowInProgress, .connectionRefused, .noSuchFileOrDirectory,
            .resourceTemporarilyUnavailable,
          ]
        ) { Glibc.connect(fd, pointer, length) }
      }
      var failure: Errno?
      switch started {
      case .success: break
      case .failure(.nowInProgress), .failure(.resourceTemporarilyUnavailable):
        do {
          _ = try deadline.wait(
            for: [(fd, Int16(POLLOUT))], op: "connect", object: address.description)
        } catch var error as IPCError where error.kind == .timedOut {
          error.detail = "no connection before the timeout"
          throw error
        }
        var code: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &size)
        if code != 0 { failure = Errno(rawValue: code) }
      case .failure(let errno): failure = errno
      }
      guard let failure else {
        try Descriptors.setNonBlocking(fd, false)
        return socket
      }
      let missing = failure == .connectionRefused || failure == .noSuchFileOrDirectory
      if retry && missing && !deadline.hasPassed {
        socket.close()
        try Deadline.after(.milliseconds(50)).sleep()
        if deadline.hasPassed {
          throw IPCError(
            op: "connect", object: address.description, kind: .timedOut,
            detail: "nothing accepted connections before the timeout")
        }
        continue
      }
      if case .unixPath(let path, _) = address, failure == .connectionRefused,
        let there = try FileStatus.of(path), there.kind != .socket
      {
        throw IPCError(
          op: "connect", object: address.description, errno: failure,
          detail: "a \(there.kind.rawValue) is there, not a socket",
          hint: "check the path: a listener's socket file is made by 'ipc sock listen'")
      }
      throw IPCError(
        op: "connect", object: address.description, errno: failure,
        detail: failure == .connectionRefused
          ? "nothing is listening there"
          : failure == .noSuchFileOrDirectory ? "no socket at that path" : nil,
        hint: missing
          ? "start a listener first ('ipc sock listen \(address)'), or add --wait 5s" : nil)
    }
  }

  /// Binds a Unix datagram client to an automatic abstract address, so that the
  /// peer can reply (bind with only the family: Linux autobind).
  func autobind() throws {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let fd = self.fd
    _ = try withUnsafePointer(to: &address) { pointer in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
        try sys("bind", "\(fd), AF_UNIX (autobind)", object: self.address.description) {
          bind(fd, raw, socklen_t(MemoryLayout<sa_family_t>.size))
        }
      }
    }
  }

  /// The address this socket is bound to (getsockname), as the user would write it.
  public func localAddress() throws -> String {
    var local = ResolvedAddress()
    local.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let fd = self.fd
    _ = try withUnsafeMutableBytes(of: &local.storage) { raw in
      try sys("getsockname", "\(fd)", object: address.description) {
        getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &local.length)
      }
    }
    return local.describe(kind: kind)
  }

  /// Sends small writes at once instead of gathering them (TCP_NODELAY), for
  /// request-reply traffic; a no-op on other sockets.
  public func sendImmediately() throws {
    guard case .inet(_, _, .tcp, _) = address else { return }
    var one: Int32 = 1
    let fd = self.fd
    try sys("setsockopt", "\(fd), IPPROTO_TCP, TCP_NODELAY, 1", object: address.description) {
      setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
  }

  /// The peer's pid, uid and gid (SO_PEERCRED; Unix sockets only).
  public func peerCredentials() throws -> PeerCredentials {
    var credentials = PeerCredentials(pid: 0, uid: 0, gid: 0)
    let fd = self.fd
    try sys("getsockopt", "\(fd), SO_PEERCRED", object: address.description) {
      ipc_peer_credentials(fd, &credentials.pid, &credentials.uid, &credentials.gid)
    }
    return credentials
  }

  /// Receives one datagram or packet (recv), waiting until `deadline`.
  public func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws -> Int
  {
    do {
      _ = try deadline.wait(for: [(fd, Int16(POLLIN))], op: "recv", object: address.description)
    } catch var error as IPCError where error.kind == .timedOut {
      error.detail = "nothing arrived before the timeout"
      throw error
    }
    let fd = self.fd
    return try sys("recv", "\(fd), \(buffer.count) bytes", object: address.description) {
      recv(fd, buffer.baseAddress, buffer.count, 0)
    }
  }

  /// Sends one datagram or packet (send) on a connected socket.
  public func send(_ bytes: UnsafeRawBufferPointer) throws {
    let fd = self.fd
    try sys(
      "send", "\(fd), \(bytes.count) bytes", object: address.description,
      hint: { $0 == .connectionRefused ? "nothing is listening there" : nil }
    ) { Glibc.send(fd, bytes.baseAddress, bytes.count, 0) }
  }

  /// Sends `descriptor` to the peer (sendmsg with SCM_RIGHTS): the peer gets its own
  /// descriptor for the same open file.
  public func sendDescriptor(_ descriptor: Int32) throws {
    let fd = self.fd
    try sys("sendmsg", "\(fd), SCM_RIGHTS [\(descriptor)]", object: address.description) {
      ipc_send_fd(fd, descriptor)
    }
  }

  /// Receives a descriptor sent with SCM_RIGHTS (recvmsg), waiting until `deadline`.
  public func receiveDescriptor(deadline: Deadline) throws -> Int32 {
    do {
      _ = try deadline.wait(for: [(fd, Int16(POLLIN))], op: "recvmsg", object: address.description)
    } catch var error as IPCError where error.kind == .timedOut {
      error.detail = "no descriptor came before the timeout"
      throw error
    }
    var received: Int32 = -1
    let fd = self.fd
    try sys("recvmsg", "\(fd), SCM_RIGHTS", object: address.description) {
      ipc_recv_fd(fd, &received)
    }
    guard received >= 0 else {
      throw IPCError(
        op: "recvmsg", object: address.description, kind: .failed,
        detail: "the peer sent no descriptor",
        hint: "send one with 'ipc sock send-fd \(address) --file PATH'")
    }
    return received
  }

  /// Ends our sending side (shutdown SHUT_WR): the peer reads end of file.
  public func shutdownWrite() {
    let fd = self.fd
    _ = try? sys(
      "shutdown", "\(fd), SHUT_WR", object: address.description, tolerating: [.socketNotConnected]
    ) {
      shutdown(fd, Int32(SHUT_WR))
    }
  }
}
