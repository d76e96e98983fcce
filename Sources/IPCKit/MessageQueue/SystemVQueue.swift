import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// A System V message queue (msgget, msgsnd, msgrcv, msgctl), named by a numeric key
/// or found by its id. Its calls cannot be polled and are never restarted after a
/// signal: waits are bounded with `Deadline.interrupting`, and EINTR is handled.
public struct SystemVQueue: Sendable {
  /// How a queue is named on the command line.
  public enum Reference: Sendable, Equatable {
    case key(Int32)
    /// ftok(path, projectID).
    case keyFile(String, projectID: Int32)
    case id(Int32)
  }

  public let id: Int32

  /// The key of `reference` (ftok for a key file); nil for an id.
  public static func key(of reference: Reference) throws -> Int32? {
    switch reference {
    case .key(let key): return key
    case .id: return nil
    case .keyFile(let path, let project):
      return try sys("ftok", "\(quote(path)), \(project)", object: path) { ftok(path, project) }
    }
  }

  /// Finds an existing queue.
  public static func open(_ reference: Reference) throws -> SystemVQueue {
    if case .id(let id) = reference {
      _ = try status(id: id)  // proves it exists
      return SystemVQueue(id: id)
    }
    let key = try key(of: reference)!
    let object = describe(reference)
    do {
      let id = try sys("msgget", "\(hex(key)), 0", object: object) { msgget(key, 0) }
      return SystemVQueue(id: id)
    } catch var error as IPCError where error.errno == .noSuchFileOrDirectory {
      error.detail = "no queue has this key"
      error.hint =
        "create it with 'ipc mq create --sysv --key \(hex(key))'; 'ipc mq ls --sysv' lists them"
      throw error
    }
  }

  /// Creates a queue (msgget with IPC_CREAT, and IPC_EXCL unless `existOK`).
  public static func create(_ reference: Reference, permissions: UInt32, existOK: Bool) throws
    -> SystemVQueue
  {
    guard let key = try key(of: reference) else {
      throw IPCError.usage("create takes --key or --key-file, not --id")
    }
    let flags = IPC_CREAT | (existOK ? 0 : IPC_EXCL) | Int32(permissions)
    do {
      let id = try sys(
        "msgget",
        "\(hex(key)), IPC_CREAT\(existOK ? "" : "|IPC_EXCL")|0\(String(permissions, radix: 8))",
        object: describe(reference)
      ) { msgget(key, flags) }
      return SystemVQueue(id: id)
    } catch var error as IPCError where error.errno == .fileExists {
      error.detail = "a queue with this key already exists"
      error.hint = "add --exist-ok to use it"
      throw error
    }
  }

  /// `key 0x1234`, `key-file /etc/x (project 1)`, `id 5`.
  public static func describe(_ reference: Reference) -> String {
    switch reference {
    case .key(let key): return "key \(hex(key))"
    case .keyFile(let path, let project): return "key-file \(path) (project \(project))"
    case .id(let id): return "id \(id)"
    }
  }

  static func hex(_ key: Int32) -> String { "0x" + String(UInt32(bitPattern: key), radix: 16) }

  var object: String { "id \(id)" }

  /// The largest message this system allows (/proc/sys/kernel/msgmax).
  public static var maxMessageSize: Int {
    (try? Descriptors.readSmallFile("/proc/sys/kernel/msgmax")).flatMap {
      Int($0.filter { !$0.isWhitespace })
    } ?? 8192
  }

  /// Sends one message of `type` (≥ 1). Waits for room until `deadline`, or with
  /// `nonblocking` (IPC_NOWAIT) throws `.wouldBlock` when the queue is full.
  public func send(
    _ bytes: UnsafeRawBufferPointer, type: Int, deadline: Deadline, nonblocking: Bool
  ) throws {
    let message = UnsafeMutableRawBufferPointer.allocate(
      byteCount: MemoryLayout<Int>.size + bytes.count, alignment: MemoryLayout<Int>.alignment)
    defer { message.deallocate() }
    message.storeBytes(of: type, as: Int.self)
    if !bytes.isEmpty {
      UnsafeMutableRawBufferPointer(rebasing: message[MemoryLayout<Int>.size...]).copyMemory(
        from: bytes)
    }
    let id = self.id
    let flags = nonblocking ? IPC_NOWAIT : 0
    let result = try Self.timed("the queue stayed full until the timeout", deadline) {
      try sys(
        "msgsnd",
        "\(id), {type \(type), \(bytes.count) bytes}, \(nonblocking ? "IPC_NOWAIT" : "0")",
        object: object, deadline: deadline,
        tolerating: [.resourceTemporarilyUnavailable, .invalidArgument]
      ) { msgsnd(id, message.baseAddress, bytes.count, flags) }
    }
    switch result {
    case .success: return
    case .failure(.resourceTemporarilyUnavailable):
      throw IPCError(
        op: "msgsnd", object: object, kind: .wouldBlock, detail: "the queue is full (EAGAIN)")
    case .failure(let errno):
      throw IPCError(
        op: "msgsnd", object: object, errno: errno,
        detail: bytes.count > Self.maxMessageSize
          ? "a message of \(bytes.count) bytes is over /proc/sys/kernel/msgmax (\(Self.maxMessageSize))"
          : "the kernel refused the message (type must be 1 or more)")
    }
  }

  /// What `receive` selects, as the kernel defines it: 0 the first message, T > 0 the
  /// first of type T (with `except`, the first not of type T), T < 0 the first of the
  /// lowest type ≤ |T|.
  public struct Selection: Sendable {
    public var type: Int
    public var except: Bool
    public var truncate: Bool
    public init(type: Int = 0, except: Bool = false, truncate: Bool = false) {
      self.type = type
      self.except = except
      self.truncate = truncate
    }
  }

  /// Receives one message into `buffer` (msgrcv). Returns its size and type.
  public func receive(
    into buffer: UnsafeMutableRawBufferPointer, selection: Selection, deadline: Deadline,
    nonblocking: Bool
  ) throws -> (size: Int, type: Int) {
    let message = UnsafeMutableRawBufferPointer.allocate(
      byteCount: MemoryLayout<Int>.size + buffer.count, alignment: MemoryLayout<Int>.alignment)
    defer { message.deallocate() }
    var flags: Int32 = nonblocking ? IPC_NOWAIT : 0
    var names = nonblocking ? ["IPC_NOWAIT"] : []
    if selection.except {
      flags |= ipc_msg_except()
      names.append("MSG_EXCEPT")
    }
    if selection.truncate {
      flags |= ipc_msg_noerror()
      names.append("MSG_NOERROR")
    }
    let id = self.id
    let result = try Self.timed("no message came before the timeout", deadline) {
      try sys(
        "msgrcv",
        "\(id), \(buffer.count) bytes, type \(selection.type), \(names.isEmpty ? "0" : names.joined(separator: "|"))",
        object: object, deadline: deadline, tolerating: [.noMessage, .argListTooLong]
      ) { msgrcv(id, message.baseAddress, buffer.count, selection.type, flags) }
    }
    switch result {
    case .success(let size):
      if size > 0 {
        buffer.copyMemory(
          from: UnsafeRawBufferPointer(
            rebasing: message[MemoryLayout<Int>.size..<(MemoryLayout<Int>.size + size)]))
      }
      return (size, message.load(as: Int.self))
    case .failure(.noMessage):
      throw IPCError(
        op: "msgrcv", object: object, kind: .wouldBlock,
        detail: "no message of that selection (ENOMSG)")
    case .failure(let errno):
      throw IPCError(
        op: "msgrcv", object: object, errno: errno,
        detail: "the message is larger than \(buffer.count) bytes; it stays on the queue",
        hint: "add --truncate to take it cut to size")
    }
  }

  /// Runs a blocking call under `deadline`, saying `detail` if it times out.
  private static func timed<T>(_ detail: String, _ deadline: Deadline, _ body: () throws -> T)
    throws
    -> T
  {
    do {
      return try deadline.interrupting(body)
    } catch var error as IPCError where error.kind == .timedOut {
      error.detail = detail
      throw error
    }
  }

  /// What msgctl(IPC_STAT) says of the queue.
  public struct Status: Sendable {
    public var id: Int32
    public var key: Int32
    public var permissions: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var messages: Int
    public var bytes: Int
    public var maxBytes: Int
    public var lastSendPID: Int32
    public var lastReceivePID: Int32
    public var lastSend: Int
    public var lastReceive: Int
    public var lastChange: Int
  }

  public static func status(id: Int32) throws -> Status {
    var info = msqid_ds()
    do {
      try sys("msgctl", "\(id), IPC_STAT", object: "id \(id)") { msgctl(id, IPC_STAT, &info) }
    } catch var error as IPCError where error.errno == .invalidArgument {
      error.detail = "no queue has this id"
      error.hint = "'ipc mq ls --sysv' lists them"
      throw error
    }
    return Status(
      id: id, key: info.msg_perm.__key, permissions: UInt32(info.msg_perm.mode) & 0o777,
      uid: info.msg_perm.uid, gid: info.msg_perm.gid, messages: Int(info.msg_qnum),
      bytes: Int(info.__msg_cbytes), maxBytes: Int(info.msg_qbytes), lastSendPID: info.msg_lspid,
      lastReceivePID: info.msg_lrpid, lastSend: Int(info.msg_stime),
      lastReceive: Int(info.msg_rtime),
      lastChange: Int(info.msg_ctime))
  }

  public func status() throws -> Status { try Self.status(id: id) }

  /// Removes the queue at once (msgctl IPC_RMID); waiting senders and receivers fail.
  public func remove() throws {
    let id = self.id
    try sys("msgctl", "\(id), IPC_RMID", object: object) { msgctl(id, IPC_RMID, nil) }
  }

  /// The ids of every queue, from /proc/sysvipc/msg.
  public static func list() throws -> [Int32] {
    let table = try Descriptors.readSmallFile("/proc/sysvipc/msg")
    return table.split(separator: "\n").dropFirst().compactMap {
      $0.split(separator: " ").dropFirst().first.flatMap { Int32($0) }
    }
  }
}
