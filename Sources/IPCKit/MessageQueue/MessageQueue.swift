import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// A POSIX message queue, opened by name (mq_open). Its descriptor is always
/// non-blocking: every wait goes through `Deadline.wait` on the queue descriptor,
/// so --timeout, --nonblock and Ctrl-C behave the same for send and receive.
public final class MessageQueue {
  public enum Access: Sendable { case read, write, readWrite }

  /// What mq_getattr reports.
  public struct Attributes: Sendable, Equatable {
    public var maxMessages: Int
    public var messageSize: Int
    public var currentMessages: Int
    public var nonblocking: Bool
  }

  /// The system's limits and defaults, from /proc/sys/fs/mqueue.
  public struct Limits: Sendable {
    public var maxMessages: Int
    public var maxMessageSize: Int
    public var defaultMaxMessages: Int
    public var defaultMessageSize: Int
    public var maxQueues: Int

    public static func current() -> Limits {
      func read(_ name: String, _ fallback: Int) -> Int {
        (try? Descriptors.readSmallFile("/proc/sys/fs/mqueue/" + name))
          .flatMap { Int($0.filter { !$0.isWhitespace }) } ?? fallback
      }
      return Limits(
        maxMessages: read("msg_max", 10), maxMessageSize: read("msgsize_max", 8192),
        defaultMaxMessages: read("msg_default", 10),
        defaultMessageSize: read("msgsize_default", 8192),
        maxQueues: read("queues_max", 256))
    }
  }

  /// Priorities run from 0 to MQ_PRIO_MAX - 1 (32767 on Linux).
  public static let priorities: ClosedRange<UInt32> = 0...32767

  public let name: ObjectName
  public let descriptor: mqd_t

  private init(name: ObjectName, descriptor: mqd_t) {
    self.name = name
    self.descriptor = descriptor
  }

  deinit { _ = try? sys("mq_close", "\(descriptor)", object: name.path) { mq_close(descriptor) } }

  /// Opens an existing queue.
  public static func open(_ name: ObjectName, access: Access) throws -> MessageQueue {
    let (flags, names) = accessFlags(access)
    do {
      let fd = try sys(
        "mq_open", "\(quote(name.path)), \(names)|O_NONBLOCK|O_CLOEXEC", object: name.path,
        hint: { hint(for: $0, name: name, creating: false) }
      ) { ipc_mq_open(name.path, flags | O_NONBLOCK | O_CLOEXEC, 0, nil) }
      return MessageQueue(name: name, descriptor: fd)
    } catch var error as IPCError where error.errno == .noSuchFileOrDirectory {
      error.detail = "no such queue"
      throw error
    }
  }

  /// Creates a queue (mq_open with O_CREAT, O_EXCL unless `existOK`). A nil attribute
  /// takes the system default. Returns the queue and whether this call created it.
  public static func create(
    _ name: ObjectName, access: Access = .readWrite, permissions: UInt32 = 0o600,
    maxMessages: Int? = nil, messageSize: Int? = nil, existOK: Bool = false
  ) throws -> (queue: MessageQueue, created: Bool) {
    let (flags, names) = accessFlags(access)
    let limits = Limits.current()
    var attributes = mq_attr()
    attributes.mq_maxmsg = maxMessages ?? limits.defaultMaxMessages
    attributes.mq_msgsize = messageSize ?? limits.defaultMessageSize
    let described =
      "\(quote(name.path)), \(names)|O_CREAT|O_EXCL|O_NONBLOCK|O_CLOEXEC, 0\(String(permissions, radix: 8)), "
      + "{maxmsg=\(attributes.mq_maxmsg), msgsize=\(attributes.mq_msgsize)}"
    let result = try sys(
      "mq_open", described, object: name.path,
      tolerating: [.fileExists, .invalidArgument, .tooManyOpenFiles, .noSpace]
    ) {
      ipc_mq_open(
        name.path, flags | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, mode_t(permissions),
        &attributes)
    }
    switch result {
    case .success(let fd):
      return (MessageQueue(name: name, descriptor: fd), true)
    case .failure(.fileExists) where existOK:
      return (try open(name, access: access), false)
    case .failure(let errno):
      throw createError(errno, name: name, attributes: attributes, limits: limits)
    }
  }

  private static func createError(
    _ errno: Errno, name: ObjectName, attributes: mq_attr, limits: Limits
  ) -> IPCError {
    var error = IPCError(op: "mq_open", object: name.path, errno: errno)
    switch errno {
    case .fileExists:
      error.detail = "a queue of that name already exists"
      error.hint = "add --exist-ok to use it, or remove it with 'ipc mq rm \(name.path)'"
    case .invalidArgument:
      if attributes.mq_maxmsg < 1 || attributes.mq_msgsize < 1 {
        error.detail = "--max-messages and --message-size must be at least 1"
      } else if attributes.mq_maxmsg > limits.maxMessages {
        error.detail =
          "--max-messages \(attributes.mq_maxmsg) is over the limit /proc/sys/fs/mqueue/msg_max (\(limits.maxMessages))"
        error.hint = "ask for at most \(limits.maxMessages), or raise msg_max as root"
      } else if attributes.mq_msgsize > limits.maxMessageSize {
        error.detail =
          "--message-size \(attributes.mq_msgsize) is over the limit /proc/sys/fs/mqueue/msgsize_max (\(limits.maxMessageSize))"
        error.hint = "ask for at most \(limits.maxMessageSize), or raise msgsize_max as root"
      } else {
        error.detail = "the kernel refused these attributes"
      }
    case .tooManyOpenFiles:
      error.detail =
        "the queue's memory would take you over RLIMIT_MSGQUEUE (ulimit -q: \(ipc_rlimit_msgqueue()) bytes), "
        + "or this process has too many descriptors open"
      error.hint = "remove queues you no longer need ('ipc mq ls'), or make this one smaller"
    case .noSpace:
      error.detail =
        "the system has reached /proc/sys/fs/mqueue/queues_max (\(limits.maxQueues)) queues"
      error.hint = "remove queues you no longer need ('ipc mq ls')"
    default:
      error.hint = hint(for: errno, name: name, creating: true)
    }
    return error
  }

  private static func hint(for errno: Errno, name: ObjectName, creating: Bool) -> String? {
    switch errno {
    case .noSuchFileOrDirectory: return "create it with 'ipc mq create \(name.path)'"
    case .permissionDenied:
      return "the queue's mode does not let you do this; see 'ipc mq info \(name.path)'"
    default: return nil
    }
  }

  private static func accessFlags(_ access: Access) -> (Int32, String) {
    switch access {
    case .read: return (O_RDONLY, "O_RDONLY")
    case .write: return (O_WRONLY, "O_WRONLY")
    case .readWrite: return (O_RDWR, "O_RDWR")
    }
  }

  /// mq_getattr.
  public func attributes() throws -> Attributes {
    var attributes = mq_attr()
    try sys("mq_getattr", "\(descriptor)", object: name.path) {
      mq_getattr(descriptor, &attributes)
    }
    return Attributes(
      maxMessages: attributes.mq_maxmsg, messageSize: attributes.mq_msgsize,
      currentMessages: attributes.mq_curmsgs, nonblocking: false)
  }

  /// Sends one message (mq_send). Waits for room until `deadline`, or with
  /// `nonblocking` throws `.wouldBlock` at once if the queue is full.
  public func send(
    _ bytes: UnsafeRawBufferPointer, priority: UInt32, deadline: Deadline, nonblocking: Bool
  ) throws {
    while true {
      let result = try sys(
        "mq_send", "\(descriptor), \(bytes.count) bytes, prio \(priority)", object: name.path,
        tolerating: [.resourceTemporarilyUnavailable, .messageTooLong]
      ) { ipc_mq_send(descriptor, bytes.baseAddress, bytes.count, priority) }
      switch result {
      case .success: return
      case .failure(.messageTooLong):
        let size = (try? attributes().messageSize).map(String.init) ?? "?"
        throw IPCError(
          op: "mq_send", object: name.path, errno: .messageTooLong,
          detail:
            "a message of \(bytes.count) bytes is larger than the queue's message size (\(size))",
          hint:
            "nothing was sent; use --lines or --null to send records, or a queue made with a larger --message-size"
        )
      case .failure:
        if nonblocking {
          throw IPCError(
            op: "mq_send", object: name.path, kind: .wouldBlock,
            detail: "the queue is full (EAGAIN)")
        }
        do {
          _ = try deadline.wait(
            for: [(descriptor, Int16(POLLOUT))], op: "mq_send", object: name.path)
        } catch var error as IPCError where error.kind == .timedOut {
          error.detail = "the queue stayed full until the timeout"
          throw error
        }
      }
    }
  }

  /// Receives the oldest message of the highest priority (mq_receive) into `buffer`,
  /// which must hold the queue's message size. Waits until `deadline`, or with
  /// `nonblocking` throws `.wouldBlock` when the queue is empty.
  public func receive(
    into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline, nonblocking: Bool
  ) throws -> (size: Int, priority: UInt32) {
    while true {
      var priority: UInt32 = 0
      let result = try sys(
        "mq_receive", "\(descriptor), \(buffer.count) bytes, [prio \(priority)]", object: name.path,
        tolerating: [.resourceTemporarilyUnavailable]
      ) { ipc_mq_receive(descriptor, buffer.baseAddress, buffer.count, &priority) }
      switch result {
      case .success(let size): return (size, priority)
      case .failure:
        if nonblocking {
          throw IPCError(
            op: "mq_receive", object: name.path, kind: .wouldBlock,
            detail: "the queue is empty (EAGAIN)")
        }
        do {
          _ = try deadline.wait(
            for: [(descriptor, Int16(POLLIN))], op: "mq_receive", object: name.path)
        } catch var error as IPCError where error.kind == .timedOut {
          error.detail = "no message came before the timeout"
          throw error
        }
      }
    }
  }

  /// Who made an empty queue non-empty, as mq_notify's signal reports it.
  public struct Notification: Sendable {
    public var signal: Int32
    public var fromQueue: Bool
    public var pid: Int32
    public var uid: UInt32
  }

  /// Asks for `signal` when a message arrives on the empty queue (mq_notify with
  /// SIGEV_SIGNAL), then waits for it until `deadline` (sigtimedwait; the signal is
  /// blocked first so that it is received, not acted on). One notification per call:
  /// the kernel drops the registration once it fires.
  /// `registered` runs once the registration stands, so that a caller can say it is ready.
  public func waitForNotification(
    signal: Int32, deadline: Deadline, registered onRegistered: () -> Void = {}
  ) throws -> Notification {
    let name = self.name.path
    let descriptor = self.descriptor
    let signalName = SignalNumber(rawValue: signal).name
    ipc_block_signal(signal)
    let registered = try sys(
      "mq_notify", "\(descriptor), {SIGEV_SIGNAL, \(signalName)}", object: name,
      tolerating: [.resourceBusy]
    ) { ipc_mq_notify_signal(descriptor, signal) }
    if case .failure = registered {
      throw IPCError(
        op: "mq_notify", object: name, errno: .resourceBusy,
        detail: "another process is already registered for notification on this queue",
        hint: "only one process at a time may wait for a queue's notification")
    }
    defer { _ = ipc_mq_notify_cancel(descriptor) }
    onRegistered()
    while true {
      var code: Int32 = 0
      var pid: Int32 = 0
      var uid: UInt32 = 0
      let nanoseconds = deadline.remaining.map { $0.nanoseconds } ?? -1
      let got = ipc_wait_signal(signal, nanoseconds, &code, &pid, &uid)
      if got > 0 {
        Trace.emit("sigtimedwait([\(signalName)]) = \(got), si_code \(code), si_pid \(pid)")
        return Notification(signal: got, fromQueue: code == ipc_si_mesgq(), pid: pid, uid: uid)
      }
      let errno = Errno(rawValue: Glibc.errno)
      Trace.emit("sigtimedwait([\(signalName)]) = -1 \(IPCError.name(of: errno))")
      if let interrupt = Interrupts.pending {
        throw IPCError(op: "sigtimedwait", object: name, kind: .interrupted(signal: interrupt))
      }
      if errno == .resourceTemporarilyUnavailable {
        throw IPCError(
          op: "sigtimedwait", object: name, kind: .timedOut,
          detail: "no message arrived on the empty queue before the timeout")
      }
      if errno != .interrupted { throw IPCError(op: "sigtimedwait", object: name, errno: errno) }
    }
  }

  /// Removes the name (mq_unlink); the queue lives on until the last descriptor closes.
  public static func unlink(_ name: ObjectName) throws {
    do {
      try unlinkName(name)
    } catch var error as IPCError where error.errno == .noSuchFileOrDirectory {
      error.detail = "no such queue"
      throw error
    }
  }

  private static func unlinkName(_ name: ObjectName) throws {
    try sys(
      "mq_unlink", quote(name.path), object: name.path,
      hint: { $0 == .noSuchFileOrDirectory ? "'ipc mq ls' lists the queues there are" : nil }
    ) { mq_unlink(name.path) }
  }

  /// The queue's owner and mode, from its file in an mqueue file system.
  public static func status(_ name: ObjectName) throws -> FileStatus? {
    try withMountedDirectory { try FileStatus.of($0 + name.path) }
  }

  /// Every queue with its owner and mode, read in one pass over an mqueue file system
  /// (one private mount at most, not one per queue).
  public static func list() throws -> [(name: ObjectName, status: FileStatus?)] {
    try withMountedDirectory { directory in
      try names(in: directory).map { ($0, (try? FileStatus.of(directory + $0.path)) ?? nil) }
    }
  }

  /// Where an mqueue file system is mounted (/proc/self/mounts), or nil.
  public static func mountPoint() -> String? {
    guard let mounts = try? Descriptors.readSmallFile("/proc/self/mounts") else { return nil }
    for line in mounts.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields.count > 2 && fields[2] == "mqueue" { return String(fields[1]) }
    }
    return nil
  }

  /// Runs `body` with the path of an mqueue file system: the mounted one, or where
  /// none is, one mounted in a private mount namespace of this process (root only;
  /// the system's mounts are not touched). Otherwise throws with the command to run.
  static func withMountedDirectory<T>(_ body: (String) throws -> T) throws -> T {
    if let directory = mountPoint() { return try body(directory) }
    let scratch = "/tmp/ipc-mqueue-\(getpid())"
    mkdir(scratch, 0o700)
    defer { rmdir(scratch) }
    let mounted = try sys(
      "mount", "\"mqueue\", \(quote(scratch)), \"mqueue\" (private namespace)",
      object: "/dev/mqueue",
      tolerating: [.notPermitted, .permissionDenied]
    ) { ipc_private_mqueue_mount(scratch) }
    guard case .success = mounted else {
      throw IPCError(
        op: "mount", object: "/dev/mqueue", kind: .failed,
        detail: "no mqueue file system is mounted, and only root may mount one",
        hint: "ask root to run: mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue")
    }
    defer { umount2(scratch, Int32(MNT_DETACH)) }
    return try body(scratch)
  }

  private static func names(in directory: String) throws -> [ObjectName] {
    guard let dir = opendir(directory) else {
      throw IPCError(op: "opendir", object: directory, errno: Errno(rawValue: Glibc.errno))
    }
    defer { closedir(dir) }
    var names: [ObjectName] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name == "." || name == ".." { continue }
      if let parsed = try? ObjectName(parsing: name) { names.append(parsed) }
    }
    return names.sorted { $0.path < $1.path }
  }
}
