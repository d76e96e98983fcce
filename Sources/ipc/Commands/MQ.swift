import ArgumentParser
import IPCKit

/// `ipc mq`: POSIX message queues.
struct MQCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mq",
    abstract: "POSIX message queues: create, send, recv, info, rm, ls.",
    discussion: """
      A queue holds whole messages, each with a priority; a receiver always gets
      the oldest message of the highest priority. Names look like /jobs (a bare
      'jobs' means /jobs).

      Examples:
        ipc mq create /jobs --max-messages 10 --message-size 1K
        ipc mq send /jobs "build 42" --priority 5
        seq 100 | ipc mq send /jobs --lines
        ipc mq recv /jobs --count 3 --show-priority
        ipc mq recv /jobs --follow --json --timeout 30s
        ipc mq info /jobs
        ipc mq ls
        ipc mq rm /jobs
      """,
    subcommands: [
      MQCreate.self, MQSend.self, MQRecv.self, MQInfo.self, MQRemove.self, MQList.self,
      MQNotify.self,
    ]
  )
}

/// `--sysv` and the ways to name a System V queue, shared by every verb.
struct SysVOptions: ParsableArguments {
  @Flag(help: "Use a System V queue (msgget) instead of a POSIX one.") var sysv = false
  @Option(
    help: ArgumentHelp("System V key, e.g. 0x1234 or 4660; 0 is IPC_PRIVATE.", valueName: "key"),
    transform: SysVOptions.parseKey)
  var key: Int32?
  @Option(help: ArgumentHelp("Make the key with ftok(PATH, --proj-id).", valueName: "path"))
  var keyFile: String?
  @Option(help: "Project id for --key-file (1 to 255).") var projId: Int32 = 1
  @Option(help: "An existing System V queue's id (msqid).") var id: Int32?

  static func parseKey(_ text: String) throws -> Int32 {
    let value =
      text.lowercased().hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
    guard let value else {
      throw ValueError(
        error: .usage("'\(text)' is not a key", hint: "keys look like 0x1234 or 4660"))
    }
    return Int32(bitPattern: value)
  }

  /// Checks that exactly one way to name the queue was given, for either kind.
  func check(name: ObjectName?, allowsID: Bool = true) throws {
    let given = [key != nil, keyFile != nil, id != nil].filter { $0 }.count
    if !sysv {
      if given > 0 { throw ValidationError("--key, --key-file and --id need --sysv") }
      if name == nil { throw ValidationError("give a queue name, e.g. /jobs") }
      return
    }
    if name != nil {
      throw ValidationError("a System V queue has no name: use --key, --key-file or --id")
    }
    if given != 1 { throw ValidationError("with --sysv give one of --key, --key-file, --id") }
    if id != nil && !allowsID {
      throw ValidationError("--id names an existing queue; use --key or --key-file")
    }
    if !(1...255).contains(projId) { throw ValidationError("--proj-id must be from 1 to 255") }
  }

  var reference: SystemVQueue.Reference {
    if let key { return .key(key) }
    if let keyFile { return .keyFile(keyFile, projectID: projId) }
    return .id(id ?? -1)
  }
}

struct MQCreate: IPCCommand {
  static let verb = "mq create"
  static let configuration = CommandConfiguration.verb(
    commandName: "create",
    abstract: "Create a queue (mq_open with O_CREAT), mode 0600 unless told otherwise.",
    discussion: """
      Either attribute may be given alone; the other takes the system default
      (/proc/sys/fs/mqueue/msg_default, msgsize_default).

      Examples:
        ipc mq create /jobs
        ipc mq create /jobs --message-size 64K --max-messages 4 --mode 660
      """)

  @Argument(help: "Queue name, e.g. /jobs.", transform: Parse.objectName) var name: ObjectName?
  @Option(help: "How many messages the queue holds (mq_maxmsg).") var maxMessages: Int?
  @Option(
    help: ArgumentHelp("The largest message, e.g. 8K (mq_msgsize).", valueName: "size"),
    transform: Parse.size)
  var messageSize: ByteCount?
  @Option(
    help: ArgumentHelp("Permissions in octal (umask applies).", valueName: "mode"),
    transform: Parse.mode)
  var mode: UInt32 = 0o600
  @Flag(help: "Succeed if the queue already exists (its attributes are kept).") var existOk = false
  @OptionGroup var systemV: SysVOptions
  @OptionGroup var common: CommonOptions

  func validate() throws {
    try systemV.check(name: name, allowsID: false)
    if systemV.sysv && (maxMessages != nil || messageSize != nil) {
      throw ValidationError("--max-messages and --message-size are for POSIX queues")
    }
  }

  func execute() throws -> Int32 {
    guard let name else {
      // System V: print the id, the only handle an IPC_PRIVATE queue has.
      let queue = try SystemVQueue.create(systemV.reference, permissions: mode, existOK: existOk)
      var out = StandardOutput()
      try out.writeLine("\(queue.id)")
      try out.flush()
      return 0
    }
    let (queue, created) = try MessageQueue.create(
      name, permissions: mode, maxMessages: maxMessages, messageSize: messageSize?.value,
      existOK: existOk)
    let attributes = try queue.attributes()
    common.say(
      (created ? "created" : "found") + " \(name): \(attributes.maxMessages) messages of up to "
        + "\(attributes.messageSize) bytes")
    return 0
  }
}

struct MQSend: IPCCommand {
  static let verb = "mq send"
  static let configuration = CommandConfiguration.verb(
    commandName: "send",
    abstract: "Send DATA, or stdin, as a message.",
    discussion: """
      Without DATA, the whole of stdin is one message; if it is larger than the
      queue's message size it is refused and nothing is sent (never split).
      --lines sends each line (without its newline) as a message, --null each
      NUL-terminated record, in one process.

      Examples:
        ipc mq send /jobs "build 42" --priority 5
        ipc mq send /jobs < report.bin
        seq 1000 | ipc mq send /jobs --lines --timeout 10s
      """)

  @Argument(help: "Queue name (with --sysv there is none: the first word is the message).")
  var name: String?
  @Argument(help: "The message; stdin when absent.") var message: String?
  @Option(help: "Priority, 0 to 32767; higher is received first.") var priority: UInt32 = 0
  @Option(help: "System V message type, 1 or more.") var type: Int?
  @Flag(help: "Each line of stdin is a message.") var lines = false
  @Flag(help: "Each NUL-terminated record of stdin is a message.") var null = false
  @Option(
    help: ArgumentHelp(
      "Wait at most this long for room in a full queue (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Flag(help: "Fail at once if the queue is full (exit 3).") var nonblock = false
  @Flag(help: "Create the queue (system defaults, mode 0600) if it does not exist.")
  var create = false
  @OptionGroup var systemV: SysVOptions
  @OptionGroup var common: CommonOptions

  /// The POSIX queue's name; nil with --sysv.
  var queueName: ObjectName? {
    get throws { systemV.sysv ? nil : try name.map(Parse.objectName) }
  }

  /// The message given on the command line, if any.
  var data: String? { systemV.sysv ? name : message }

  func validate() throws {
    if systemV.sysv && message != nil {
      throw ValidationError("with --sysv give the message as one argument (quote it)")
    }
    try systemV.check(name: try queueName, allowsID: !create)
    if let type, !systemV.sysv || type < 1 {
      throw ValidationError("--type is for --sysv, and 1 or more")
    }
    if systemV.sysv && priority != 0 {
      throw ValidationError("--priority is for POSIX queues; use --type")
    }
    if !MessageQueue.priorities.contains(priority) {
      throw ValidationError("--priority must be from 0 to 32767")
    }
    if lines && null { throw ValidationError("--lines and --null exclude each other") }
    if (lines || null) && data != nil {
      throw ValidationError("--lines and --null read stdin; give no DATA")
    }
    try Check.nonblockOrTimeout(nonblock, timeout)
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let send: (UnsafeRawBufferPointer) throws -> Void
    let size: Int
    let object: String
    if let name = try queueName {
      let queue =
        create
        ? try MessageQueue.create(name, access: .write, existOK: true).queue
        : try MessageQueue.open(name, access: .write)
      send = {
        try queue.send($0, priority: priority, deadline: .after(timeout), nonblocking: nonblock)
      }
      size = try queue.attributes().messageSize
      object = name.path
    } else {
      let queue =
        create
        ? try SystemVQueue.create(systemV.reference, permissions: 0o600, existOK: true)
        : try SystemVQueue.open(systemV.reference)
      send = {
        try queue.send($0, type: type ?? 1, deadline: .after(timeout), nonblocking: nonblock)
      }
      size = SystemVQueue.maxMessageSize
      object = SystemVQueue.describe(systemV.reference)
    }
    if let data {
      try Array(data.utf8).withUnsafeBytes(send)
      return 0
    }
    if !lines && !null {
      let input = try Descriptors.readAll(0, limit: size, object: "stdin")
      if input.count > size {
        throw IPCError(
          op: "mq_send", object: object, errno: .messageTooLong,
          detail: "stdin has more than the queue's message size (\(size) bytes); nothing was sent",
          hint: "send records with --lines or --null, or use a queue with a larger --message-size")
      }
      try input.withUnsafeBytes(send)
      return 0
    }
    let records = RecordReader(fd: 0, separator: lines ? 0x0A : 0)
    var sent = 0
    while let (record, _) = try records.next() {
      if record.count > size {
        throw IPCError(
          op: "mq_send", object: object, errno: .messageTooLong,
          detail:
            "record \(sent + 1) has \(record.count) bytes, over the queue's message size (\(size)); "
            + "\(sent) sent before it")
      }
      try send(record)
      sent += 1
    }
    common.say("sent \(sent) messages to \(object)")
    return 0
  }
}

struct MQRecv: IPCCommand {
  static let verb = "mq recv"
  static let configuration = CommandConfiguration.verb(
    commandName: "recv",
    abstract: "Receive messages, highest priority first (System V: by type).",
    discussion: """
      Takes one message unless --count or --follow says otherwise, and never more
      than asked. Each message is written out before the next is taken; if stdout
      fails (a closed pipe), the message is put back on the queue with its
      priority or type (behind others of that kind) and ipc says so (exit 141).
      --timeout bounds the wait for each message. --follow --nonblock drains the
      queue and exits 0 when it is empty.

      System V selection (--type T): 0 takes the first message; T > 0 the first
      of type T (with --except, the first of any other type); T < 0 the first of
      the lowest type up to |T|. --truncate takes a message too long for the
      buffer cut to size (MSG_NOERROR) instead of failing.

      Examples:
        ipc mq recv /jobs
        ipc mq recv /jobs --count 10 --timeout 5s --show-priority
        ipc mq recv /jobs --follow --json
        ipc mq recv --sysv --key 0x1234 --type -5 --show-priority
      """)

  @Argument(help: "Queue name.", transform: Parse.objectName) var name: ObjectName?
  @Option(help: "Receive this many messages.") var count: Int?
  @Flag(help: "Keep receiving (poll on the queue; no busy loop).") var follow = false
  @Option(
    help: ArgumentHelp(
      "Wait at most this long for each message (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Flag(help: "Fail at once if the queue is empty (exit 3).") var nonblock = false
  @Flag(help: "Write the bytes exactly, nothing between messages.") var raw = false
  @Flag(help: "End each message with a NUL byte instead of a newline.") var null = false
  @Flag(help: "Start each message with its priority (System V: type) and a tab.")
  var showPriority = false
  @Option(
    parsing: .unconditional, help: "System V: which type to take (see above); may be negative.")
  var type: Int = 0
  @Flag(help: "System V: take the first message not of --type (MSG_EXCEPT).") var except = false
  @Flag(help: "System V: cut a message too long for the buffer (MSG_NOERROR).") var truncate = false
  @OptionGroup var systemV: SysVOptions
  @OptionGroup var common: CommonOptions

  func validate() throws {
    try systemV.check(name: name)
    if let count, count < 1 { throw ValidationError("--count must be 1 or more") }
    if [raw, null, common.json].filter({ $0 }).count > 1 {
      throw ValidationError("--raw, --null and --json exclude each other")
    }
    try Check.nonblockOrTimeout(nonblock, timeout)
    if !systemV.sysv && (type != 0 || except || truncate) {
      throw ValidationError("--type, --except and --truncate are for --sysv queues")
    }
    if except && type <= 0 { throw ValidationError("--except needs --type T with T > 0") }
  }

  /// One queue's receive and put-back, POSIX or System V.
  struct Endpoint {
    var object: String
    var size: Int
    var receive: (UnsafeMutableRawBufferPointer) throws -> (size: Int, number: Int)
    var putBack: ((UnsafeRawBufferPointer, Int) throws -> Void)?
  }

  func endpoint() throws -> Endpoint {
    let deadline = { Deadline.after(timeout) }
    if let name {
      // Read and write, so that a message stdout could not take can go back.
      var queue: MessageQueue
      var writable = true
      do {
        queue = try MessageQueue.open(name, access: .readWrite)
      } catch let error as IPCError where error.errno == .permissionDenied {
        queue = try MessageQueue.open(name, access: .read)
        writable = false
      }
      return Endpoint(
        object: name.path, size: try queue.attributes().messageSize,
        receive: {
          let got = try queue.receive(into: $0, deadline: deadline(), nonblocking: nonblock)
          return (got.size, Int(got.priority))
        },
        putBack: writable
          ? { try queue.send($0, priority: UInt32($1), deadline: .never, nonblocking: true) } : nil)
    }
    let queue = try SystemVQueue.open(systemV.reference)
    let selection = SystemVQueue.Selection(type: type, except: except, truncate: truncate)
    return Endpoint(
      object: SystemVQueue.describe(systemV.reference), size: SystemVQueue.maxMessageSize,
      receive: {
        let got = try queue.receive(
          into: $0, selection: selection, deadline: deadline(), nonblocking: nonblock)
        return (got.size, got.type)
      },
      putBack: { try queue.send($0, type: $1, deadline: .never, nonblocking: true) })
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let queue = try endpoint()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: queue.size, alignment: 16)
    defer { buffer.deallocate() }
    let writer = MessageWriter(
      framing: common.json ? .json : raw ? .raw : null ? .null : .text, showPriority: showPriority,
      label: systemV.sysv ? "type" : "priority")
    let wanted = count ?? (follow ? Int.max : 1)
    var received = 0
    while received < wanted {
      let message: (size: Int, number: Int)
      do {
        message = try queue.receive(buffer)
      } catch let error as IPCError where error.kind == .wouldBlock && follow && count == nil {
        break  // --follow --nonblock: the queue is drained
      }
      let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<message.size])
      do {
        try writer.write(bytes, priority: message.number)
      } catch let error as IPCError {
        let what = "\(message.size) bytes, \(writer.label) \(message.number)"
        guard let putBack = queue.putBack else {
          StandardError.writeLine(
            "ipc: mq recv \(queue.object): output failed and the queue is read-only for you: "
              + "a message (\(what)) was lost")
          throw error
        }
        try putBack(bytes, message.number)
        StandardError.writeLine(
          "ipc: mq recv \(queue.object): output closed; the message (\(what)) was put back on the queue"
        )
        throw error
      }
      received += 1
    }
    common.say("received \(received) messages from \(queue.object)")
    return 0
  }
}

struct MQInfo: IPCCommand {
  static let verb = "mq info"
  static let configuration = CommandConfiguration.verb(
    commandName: "info",
    abstract: "Show a queue's limits, the messages waiting, its mode and owner.",
    discussion: """
      Examples:
        ipc mq info /jobs
        ipc mq info /jobs --json
        ipc mq info --sysv --key 0x1234
      """)

  @Argument(help: "Queue name.", transform: Parse.objectName) var name: ObjectName?
  @OptionGroup var systemV: SysVOptions
  @OptionGroup var common: CommonOptions

  func validate() throws { try systemV.check(name: name) }

  func execute() throws -> Int32 {
    var out = StandardOutput()
    if let name {
      let queue = try MessageQueue.open(name, access: .read)
      let attributes = try queue.attributes()
      let status = try? MessageQueue.status(name)
      try out.writeLine(
        MQList.render(name, attributes, status ?? nil, json: common.json, long: true))
    } else {
      let status = try SystemVQueue.open(systemV.reference).status()
      try out.writeLine(MQList.render(status, json: common.json, long: true))
    }
    try out.flush()
    return 0
  }
}

struct MQRemove: IPCCommand {
  static let verb = "mq rm"
  static let configuration = CommandConfiguration.verb(
    commandName: "rm",
    abstract: "Remove a queue (POSIX: its name, System V: the queue at once).",
    discussion: """
      A POSIX queue lives on until its last user closes it; a System V queue is
      gone at once, and processes waiting on it fail (EIDRM).

      Examples:
        ipc mq rm /jobs
        ipc mq rm --sysv --id 3
      """)

  @Argument(help: "Queue name.", transform: Parse.objectName) var name: ObjectName?
  @OptionGroup var systemV: SysVOptions
  @OptionGroup var common: CommonOptions

  func validate() throws { try systemV.check(name: name) }

  func execute() throws -> Int32 {
    if let name {
      try MessageQueue.unlink(name)
    } else {
      try SystemVQueue.open(systemV.reference).remove()
    }
    common.say("removed \(name?.path ?? SystemVQueue.describe(systemV.reference))")
    return 0
  }
}

struct MQNotify: IPCCommand {
  static let verb = "mq notify"
  static let configuration = CommandConfiguration.verb(
    commandName: "notify",
    abstract: "Wait until a message arrives on the empty queue (mq_notify), and say who sent it.",
    discussion: """
      The kernel signals one registered process when a message arrives on an
      empty queue, unless some process is blocked receiving. The message stays
      on the queue: notify only tells. Prints one line per notification; with
      --exec, runs CMD each time (directly; under /bin/sh -c with --shell), with IPC_MQ_NAME,
      IPC_MQ_PID and IPC_MQ_UID set. --verbose says on stderr when the
      registration stands, so a script can send only then.

      Examples:
        ipc mq notify /jobs --timeout 1m
        ipc mq notify /jobs --count 0 --shell --exec 'ipc mq recv "$IPC_MQ_NAME"'
      """)

  @Argument(help: "Queue name.", transform: Parse.objectName) var name: ObjectName
  @Option(
    help: "The signal the kernel sends (it is blocked and received, not acted on).",
    transform: Parse.signal)
  var signal: SignalNumber = SignalNumber(rawValue: 10)
  @Option(help: "Run this command for each notification (no shell unless --shell).")
  var exec: String?
  @Flag(help: "Run --exec under /bin/sh -c (pipes, $VARIABLES, redirections).") var shell = false
  @Option(help: "How many notifications to wait for; 0 for no end.") var count: Int = 1
  @Option(
    help: ArgumentHelp("Give up after this long without one (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if let exec { _ = try Parse.execArguments(exec, shell: shell) }
    if shell && exec == nil { throw ValidationError("--shell goes with --exec") }
    if count < 0 { throw ValidationError("--count must be 0 (no end) or more") }
    if [9, 19].contains(signal.rawValue) || [2, 15, 1].contains(signal.rawValue) {
      throw ValidationError("--signal \(signal.name) cannot be used: it would end ipc itself")
    }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let queue = try MessageQueue.open(name, access: .read)
    var out = StandardOutput()
    var seen = 0
    while count == 0 || seen < count {
      let waiting = try queue.attributes().currentMessages
      if waiting > 0 && seen == 0 {
        StandardError.writeLine(
          "ipc: mq notify \(name): the queue holds \(waiting) messages; a notification comes only "
            + "when one arrives on an empty queue")
      }
      let note = try queue.waitForNotification(signal: signal.rawValue, deadline: .after(timeout)) {
        common.say("\(name): registered; waiting for a message on the empty queue")
      }
      seen += 1
      if common.json {
        var line = JSONLine()
        line.add("name", name.path)
        line.add("signal", signal.name)
        line.add("code", note.fromQueue ? "SI_MESGQ" : "other")
        line.add("pid", note.pid)
        line.add("uid", Int(note.uid))
        try out.writeLine(line.description)
      } else {
        try out.writeLine(
          "\(name): a message arrived on the empty queue (\(signal.name), sent by pid \(note.pid), uid \(note.uid))"
        )
      }
      try out.flush()
      if let exec {
        ProcessEnvironment.setVariable("IPC_MQ_NAME", name.path)
        ProcessEnvironment.setVariable("IPC_MQ_PID", "\(note.pid)")
        ProcessEnvironment.setVariable("IPC_MQ_UID", "\(note.uid)")
        let status = try ChildProcess.spawn(try Parse.execArguments(exec, shell: shell))
          .waitPassingSignals()
        common.say("--exec \(status)")
      }
    }
    return 0
  }
}

struct MQList: IPCCommand {
  static let verb = "mq ls"
  static let configuration = CommandConfiguration.verb(
    commandName: "ls",
    abstract: "List the queues, with their messages, limits, mode and owner.",
    discussion: """
      POSIX queues are read from the mqueue file system. Where none is mounted,
      root's ipc mounts one in a private mount namespace of its own (the system
      is not changed); others are told how to mount it. System V queues come
      from /proc/sysvipc/msg.

      Examples:
        ipc mq ls
        ipc mq ls --sysv --json
      """)

  @Flag(help: "List System V queues instead.") var sysv = false
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    var out = StandardOutput()
    if sysv {
      if !common.json {
        try out.writeLine("KEY         ID      MESSAGES  BYTES     MAXBYTES  MODE  OWNER")
      }
      for id in try SystemVQueue.list() {
        guard let status = try? SystemVQueue.status(id: id) else { continue }
        try out.writeLine(Self.render(status, json: common.json, long: false))
      }
    } else {
      let queues = try MessageQueue.list()
      if !common.json {
        try out.writeLine("NAME                 MESSAGES  MAX   MSGSIZE  MODE  OWNER")
      }
      for (name, status) in queues {
        let attributes = try? MessageQueue.open(name, access: .read).attributes()
        try out.writeLine(Self.render(name, attributes, status, json: common.json, long: false))
      }
    }
    try out.flush()
    return 0
  }

  static func pad(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: Swift.max(1, width - text.count))
  }

  /// A System V queue as a table row, a block of lines (`long`), or a JSON object.
  static func render(_ status: SystemVQueue.Status, json: Bool, long: Bool) -> String {
    let key = "0x" + String(UInt32(bitPattern: status.key), radix: 16)
    let owner = FileStatus.userName(status.uid)
    let mode = String(status.permissions, radix: 8)
    if json {
      var line = JSONLine()
      line.add("key", key)
      line.add("id", status.id)
      line.add("messages", status.messages)
      line.add("bytes", status.bytes)
      line.add("max_bytes", status.maxBytes)
      line.add("mode", "0" + mode)
      line.add("uid", Int(status.uid))
      line.add("owner", owner)
      line.add("last_send_pid", status.lastSendPID)
      line.add("last_receive_pid", status.lastReceivePID)
      line.add("last_send", status.lastSend)
      line.add("last_receive", status.lastReceive)
      line.add("last_change", status.lastChange)
      return line.description
    }
    if long {
      return """
        key             \(key)
        id              \(status.id)
        messages        \(status.messages) waiting, \(status.bytes) bytes of at most \(status.maxBytes) (msg_qbytes)
        mode            0\(mode)
        owner           \(owner) (uid \(status.uid), gid \(status.gid))
        last send       pid \(status.lastSendPID), at \(status.lastSend) (epoch seconds)
        last receive    pid \(status.lastReceivePID), at \(status.lastReceive)
        last change     \(status.lastChange)
        """
    }
    return pad(key, 12) + pad("\(status.id)", 8) + pad("\(status.messages)", 10)
      + pad("\(status.bytes)", 10) + pad("\(status.maxBytes)", 10) + pad("0" + mode, 6) + owner
  }

  /// One queue as a table row, a block of lines (`long`), or a JSON object.
  static func render(
    _ name: ObjectName, _ attributes: MessageQueue.Attributes?, _ status: FileStatus?, json: Bool,
    long: Bool
  ) -> String {
    if json {
      var line = JSONLine()
      line.add("name", name.path)
      if let attributes {
        line.add("messages", attributes.currentMessages)
        line.add("max_messages", attributes.maxMessages)
        line.add("message_size", attributes.messageSize)
      }
      if let status {
        line.add("mode", status.octalPermissions)
        line.add("uid", Int(status.uid))
        line.add("owner", status.ownerName)
      }
      return line.description
    }
    let messages = attributes.map { String($0.currentMessages) } ?? "?"
    let max = attributes.map { String($0.maxMessages) } ?? "?"
    let size = attributes.map { String($0.messageSize) } ?? "?"
    let mode = status?.octalPermissions ?? "?"
    let owner = status?.ownerName ?? "?"
    if long {
      return """
        name            \(name)
        messages        \(messages) waiting, at most \(max)
        message size    \(size) bytes at most
        mode            \(mode)
        owner           \(owner)
        """
    }
    return pad(name.path, 21) + pad(messages, 10) + pad(max, 6) + pad(size, 9) + pad(mode, 6)
      + owner
  }
}
