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
    subcommands: [MQCreate.self, MQSend.self, MQRecv.self, MQInfo.self, MQRemove.self, MQList.self]
  )
}

struct MQCreate: IPCCommand {
  static let verb = "mq create"
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Create a queue (mq_open with O_CREAT), mode 0600 unless told otherwise.",
    discussion: """
      Either attribute may be given alone; the other takes the system default
      (/proc/sys/fs/mqueue/msg_default, msgsize_default).

      Examples:
        ipc mq create /jobs
        ipc mq create /jobs --message-size 64K --max-messages 4 --mode 660
      """)

  @Argument(help: "Queue name, e.g. /jobs.", transform: Parse.objectName) var name: ObjectName
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
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
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
  static let configuration = CommandConfiguration(
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

  @Argument(help: "Queue name.", transform: Parse.objectName) var name: ObjectName
  @Argument(help: "The message; stdin when absent.") var data: String?
  @Option(help: "Priority, 0 to 32767; higher is received first.") var priority: UInt32 = 0
  @Flag(help: "Each line of stdin is a message.") var lines = false
  @Flag(help: "Each NUL-terminated record of stdin is a message.") var null = false
  @Option(
    help: ArgumentHelp(
      "Wait at most this long for room in a full queue (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Flag(help: "Fail at once if the queue is full (exit 3).") var nonblock = false
  @Flag(help: "Create the queue (system defaults, mode 0600) if it does not exist.") var create =
    false
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if !MessageQueue.priorities.contains(priority) {
      throw ValidationError("--priority must be from 0 to 32767")
    }
    if lines && null { throw ValidationError("--lines and --null exclude each other") }
    if (lines || null) && data != nil {
      throw ValidationError("--lines and --null read stdin; give no DATA")
    }
    if nonblock && timeout != nil {
      throw ValidationError("--nonblock and --timeout exclude each other")
    }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let queue =
      create
      ? try MessageQueue.create(name, access: .write, existOK: true).queue
      : try MessageQueue.open(name, access: .write)
    let send = { (bytes: UnsafeRawBufferPointer) in
      try queue.send(bytes, priority: priority, deadline: .after(timeout), nonblocking: nonblock)
    }
    if let data {
      try Array(data.utf8).withUnsafeBytes(send)
      return 0
    }
    let size = try queue.attributes().messageSize
    if !lines && !null {
      let input = try Descriptors.readAll(0, limit: size, object: "stdin")
      if input.count > size {
        throw IPCError(
          op: "mq_send", object: name.path, errno: .messageTooLong,
          detail: "stdin has more than the queue's message size (\(size) bytes); nothing was sent",
          hint: "send records with --lines or --null, or use a queue with a larger --message-size")
      }
      try input.withUnsafeBytes(send)
      return 0
    }
    var records = RecordReader(fd: 0, separator: lines ? 0x0A : 0)
    var sent = 0
    while let (record, _) = try records.next() {
      if record.count > size {
        throw IPCError(
          op: "mq_send", object: name.path, errno: .messageTooLong,
          detail:
            "record \(sent + 1) has \(record.count) bytes, over the queue's message size (\(size)); "
            + "\(sent) sent before it")
      }
      try record.withUnsafeBytes(send)
      sent += 1
    }
    common.say("sent \(sent) messages to \(name)")
    return 0
  }
}

struct MQRecv: IPCCommand {
  static let verb = "mq recv"
  static let configuration = CommandConfiguration(
    commandName: "recv",
    abstract: "Receive messages, highest priority first.",
    discussion: """
      Takes one message unless --count or --follow says otherwise, and never more
      than asked. Each message is written out before the next is taken; if stdout
      fails (a closed pipe), the message is put back on the queue with its
      priority (behind others of that priority) and ipc says so (exit 141).
      --timeout bounds the wait for each message. --follow --nonblock drains the
      queue and exits 0 when it is empty.

      Examples:
        ipc mq recv /jobs
        ipc mq recv /jobs --count 10 --timeout 5s --show-priority
        ipc mq recv /jobs --follow --json
        ipc mq recv /jobs --raw > message.bin
      """)

  @Argument(help: "Queue name.", transform: Parse.objectName) var name: ObjectName
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
  @Flag(help: "Start each message with its priority and a tab.") var showPriority = false
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if let count, count < 1 { throw ValidationError("--count must be 1 or more") }
    if [raw, null, common.json].filter({ $0 }).count > 1 {
      throw ValidationError("--raw, --null and --json exclude each other")
    }
    if nonblock && timeout != nil {
      throw ValidationError("--nonblock and --timeout exclude each other")
    }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    // Read and write, so that a message stdout could not take can go back.
    let queue: MessageQueue
    var canPutBack = true
    do {
      queue = try MessageQueue.open(name, access: .readWrite)
    } catch let error as IPCError where error.errno == .permissionDenied {
      queue = try MessageQueue.open(name, access: .read)
      canPutBack = false
    }
    let size = try queue.attributes().messageSize
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    defer { buffer.deallocate() }
    let writer = MessageWriter(
      framing: common.json ? .json : raw ? .raw : null ? .null : .text, showPriority: showPriority)
    let wanted = count ?? (follow ? Int.max : 1)
    var received = 0
    while received < wanted {
      let message: (size: Int, priority: UInt32)
      do {
        message = try queue.receive(into: buffer, deadline: .after(timeout), nonblocking: nonblock)
      } catch let error as IPCError where error.kind == .wouldBlock && follow && count == nil {
        break  // --follow --nonblock: the queue is drained
      }
      let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<message.size])
      do {
        try writer.write(bytes, priority: message.priority)
      } catch let error as IPCError {
        guard canPutBack else {
          StandardError.writeLine(
            "ipc: mq recv \(name): output failed and the queue is read-only for you: "
              + "a message of \(message.size) bytes (priority \(message.priority)) was lost")
          throw error
        }
        try queue.send(bytes, priority: message.priority, deadline: .never, nonblocking: true)
        StandardError.writeLine(
          "ipc: mq recv \(name): output closed; the message (\(message.size) bytes, priority "
            + "\(message.priority)) was put back on the queue")
        throw error
      }
      received += 1
    }
    common.say("received \(received) messages from \(name)")
    return 0
  }
}

struct MQInfo: IPCCommand {
  static let verb = "mq info"
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show a queue's size limits, the messages waiting, its mode and owner.",
    discussion: """
      Examples:
        ipc mq info /jobs
        ipc mq info /jobs --json
      """)

  @Argument(help: "Queue name.", transform: Parse.objectName) var name: ObjectName
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    let queue = try MessageQueue.open(name, access: .read)
    let attributes = try queue.attributes()
    let status = try? MessageQueue.status(name)
    var out = StandardOutput()
    try out.writeLine(MQList.render(name, attributes, status ?? nil, json: common.json, long: true))
    try out.flush()
    return 0
  }
}

struct MQRemove: IPCCommand {
  static let verb = "mq rm"
  static let configuration = CommandConfiguration(
    commandName: "rm",
    abstract: "Remove a queue's name (mq_unlink); it goes when its last user closes it.",
    discussion: """
      Examples:
        ipc mq rm /jobs
      """)

  @Argument(help: "Queue name.", transform: Parse.objectName) var name: ObjectName
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    try MessageQueue.unlink(name)
    common.say("removed \(name)")
    return 0
  }
}

struct MQList: IPCCommand {
  static let verb = "mq ls"
  static let configuration = CommandConfiguration(
    commandName: "ls",
    abstract: "List the queues, with their messages, limits, mode and owner.",
    discussion: """
      Reads the mqueue file system. Where none is mounted, root's ipc mounts one
      in a private mount namespace of its own (the system is not changed);
      others are told how to mount it.

      Examples:
        ipc mq ls
        ipc mq ls --json
      """)

  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    var out = StandardOutput()
    let names = try MessageQueue.list()
    if !common.json {
      try out.writeLine("NAME                 MESSAGES  MAX   MSGSIZE  MODE  OWNER")
    }
    for name in names {
      let attributes = try? MessageQueue.open(name, access: .read).attributes()
      let status = try? MessageQueue.status(name)
      try out.writeLine(
        Self.render(name, attributes, status ?? nil, json: common.json, long: false))
    }
    try out.flush()
    return 0
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
    func pad(_ text: String, _ width: Int) -> String {
      text + String(repeating: " ", count: Swift.max(1, width - text.count))
    }
    return pad(name.path, 21) + pad(messages, 10) + pad(max, 6) + pad(size, 9) + pad(mode, 6)
      + owner
  }
}
