import ArgumentParser
import IPCKit

/// `ipc shm`: POSIX shared memory and memory-mapped files.
struct SHMCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "shm",
    abstract: "POSIX shared memory and memory-mapped files: create, write, read, watch, add.",
    discussion: """
      Every read and write goes through mmap(2). With --file PATH instead of a
      NAME, the same verbs work on a memory-mapped regular file.

      Examples:
        ipc shm create /board --size 4K
        ipc shm write /board "hello" --offset 100
        ipc shm read /board --offset 100 --length 5
        ipc shm read /board --hex --length 128
        ipc shm watch /board --length 64          (another terminal writes)
        ipc shm add /board --offset 0             (an atomic counter)
        ipc shm rm /board
      """,
    subcommands: [
      SHMCreate.self, SHMWrite.self, SHMRead.self, SHMInfo.self, SHMRemove.self, SHMList.self,
      SHMWatch.self, SHMAdd.self,
    ]
  )
}

/// The object a verb works on: a NAME, or --file PATH.
struct SHMTarget: ParsableArguments {
  @Argument(help: "Object name, e.g. /board (absent with --file).") var name: String?
  @Option(help: ArgumentHelp("Work on a memory-mapped regular file instead.", valueName: "path"))
  var file: String?

  /// The target, and the positional word that is not its name (DATA, with --file).
  func resolve() throws -> SharedMemory.Target {
    if let file { return .file(file) }
    guard let name else {
      throw ValidationError("give an object name, e.g. /board, or --file PATH")
    }
    return .object(try Parse.objectName(name))
  }

  func check(allowsExtraWord: Bool = false) throws {
    if file != nil && name != nil && !allowsExtraWord {
      throw ValidationError("give a NAME or --file PATH, not both")
    }
    _ = try resolve()
  }
}

struct SHMCreate: IPCCommand {
  static let verb = "shm create"
  static let configuration = CommandConfiguration.verb(
    commandName: "create",
    abstract: "Create an object (shm_open + ftruncate), mode 0600 unless told otherwise.",
    discussion: """
      With --exist-ok an existing object is used as it is: never truncated.

      Examples:
        ipc shm create /board --size 4K
        ipc shm create --file /tmp/board.bin --size 1M
      """)

  @OptionGroup var target: SHMTarget
  @Option(help: ArgumentHelp("Its size, e.g. 4K.", valueName: "size"), transform: Parse.size)
  var size: ByteCount
  @Option(
    help: ArgumentHelp("Permissions in octal (umask applies).", valueName: "mode"),
    transform: Parse.mode)
  var mode: UInt32 = 0o600
  @Flag(help: "Succeed if it exists (it is kept as it is).") var existOk = false
  @OptionGroup var common: CommonOptions

  func validate() throws { try target.check() }

  func execute() throws -> Int32 {
    let (memory, created) = try SharedMemory.create(
      try target.resolve(), size: size.value, permissions: mode, existOK: existOk)
    let size = try memory.size()
    common.say((created ? "created" : "found") + " \(memory.target), \(size) bytes")
    return 0
  }
}

struct SHMWrite: IPCCommand {
  static let verb = "shm write"
  static let configuration = CommandConfiguration.verb(
    commandName: "write",
    abstract: "Write DATA, or stdin, at an offset, through a mapping.",
    discussion: """
      The object is never truncated. A write past the end is refused (nothing is
      written) unless --grow, which extends the object to fit.

      Examples:
        ipc shm write /board "hello"
        ipc shm write /board --offset 4096 < block.bin
        ipc shm write /new "x" --create --size 4K
        ipc shm write --file /tmp/board.bin "hello"
      """)

  @OptionGroup var target: SHMTarget
  @Argument(help: "The bytes to write; stdin when absent.") var data: String?
  @Option(
    help: ArgumentHelp("Where to start, e.g. 0 or 4K.", valueName: "offset"), transform: Parse.size)
  var offset: ByteCount = ByteCount(0)
  @Flag(help: "Extend the object if the data reaches past its end.") var grow = false
  @Flag(help: "Create the object first (with --size) if it does not exist.") var create = false
  @Option(help: ArgumentHelp("The size for --create.", valueName: "size"), transform: Parse.size)
  var size: ByteCount?
  @OptionGroup var common: CommonOptions

  /// With --file, a lone positional word is the data.
  var payload: String? { target.file != nil && data == nil ? target.name : data }

  func validate() throws {
    if target.file != nil && target.name != nil && data != nil {
      throw ValidationError("give a NAME or --file PATH, not both")
    }
    _ = try target.resolve()
    if create != (size != nil) { throw ValidationError("--create and --size go together") }
  }

  func execute() throws -> Int32 {
    let where_ = try target.resolve()
    let memory =
      try size.map { try SharedMemory.create(where_, size: $0.value, existOK: true).memory }
      ?? SharedMemory.open(where_, writable: true)
    if payload == nil, let count = Descriptors.remainingBytes(0) {
      // A file on stdin: its length is known, so it goes straight into the mapping.
      try memory.write(from: 0, count: count, at: offset.value, grow: grow)
      common.say("wrote \(count) bytes at offset \(offset.value) of \(memory.target)")
      return 0
    }
    let bytes: [UInt8]
    if let payload {
      bytes = Array(payload.utf8)
    } else {
      let room = grow ? Int.max - 1 : max(0, try memory.size() - offset.value)
      bytes = try Descriptors.readAll(0, limit: room, object: "stdin")
    }
    try bytes.withUnsafeBytes { try memory.write($0, at: offset.value, grow: grow) }
    common.say("wrote \(bytes.count) bytes at offset \(offset.value) of \(memory.target)")
    return 0
  }
}

struct SHMRead: IPCCommand {
  static let verb = "shm read"
  static let configuration = CommandConfiguration.verb(
    commandName: "read",
    abstract: "Copy bytes from a mapping to stdout, or show them as hexdump -C does.",
    discussion: """
      Examples:
        ipc shm read /board > copy.bin
        ipc shm read /board --offset 100 --length 5
        ipc shm read /board --hex --length 256
      """)

  @OptionGroup var target: SHMTarget
  @Option(help: ArgumentHelp("Where to start.", valueName: "offset"), transform: Parse.size)
  var offset: ByteCount = ByteCount(0)
  @Option(
    help: ArgumentHelp("How many bytes (default: to the end).", valueName: "length"),
    transform: Parse.size)
  var length: ByteCount?
  @Flag(help: "Show the bytes as hexdump -C does.") var hex = false
  @OptionGroup var common: CommonOptions

  func validate() throws { try target.check() }

  func execute() throws -> Int32 {
    let memory = try SharedMemory.open(try target.resolve(), writable: false)
    let size = try memory.size()
    if size == 0 {
      throw IPCError(
        op: "read", object: "\(memory.target)", kind: .failed,
        detail: "the object is empty (size 0): there is nothing to read",
        hint: "give it a size with 'ipc shm write \(memory.target) DATA --grow'")
    }
    if offset.value > size {
      throw IPCError(
        op: "read", object: "\(memory.target)", kind: .failed,
        detail: "offset \(offset.value) is past the end (size \(size))")
    }
    let count = length?.value ?? (size - offset.value)
    try memory.withMapping(offset.value..<(offset.value + count), writable: false) { bytes in
      let region = UnsafeRawBufferPointer(bytes)
      if hex {
        let copy = try memory.copy(region)
        var out = StandardOutput()
        for line in copy.withUnsafeBytes({ HexDump.lines($0, startingAt: offset.value) }) {
          try out.writeLine(line)
        }
        try out.flush()
      } else {
        try memory.explainingShrinkage {
          try Descriptors.writeAllSpliced(1, region, object: "stdout")
        }
      }
    }
    return 0
  }
}

struct SHMInfo: IPCCommand {
  static let verb = "shm info"
  static let configuration = CommandConfiguration.verb(
    commandName: "info",
    abstract: "Show an object's size, mode, owner and times.",
    discussion: """
      Examples:
        ipc shm info /board
        ipc shm info /board --json
      """)

  @OptionGroup var target: SHMTarget
  @OptionGroup var common: CommonOptions

  func validate() throws { try target.check() }

  func execute() throws -> Int32 {
    let memory = try SharedMemory.open(try target.resolve(), writable: false)
    let status = try FileStatus.of(descriptor: memory.descriptor)
    var out = StandardOutput()
    try out.writeLine(SHMList.render("\(memory.target)", status, json: common.json, long: true))
    try out.flush()
    return 0
  }
}

struct SHMRemove: IPCCommand {
  static let verb = "shm rm"
  static let configuration = CommandConfiguration.verb(
    commandName: "rm",
    abstract: "Remove an object's name (shm_unlink); mappings in use stay valid.",
    discussion: """
      Examples:
        ipc shm rm /board
        ipc shm rm --file /tmp/board.bin     (regular files only)
      """)

  @OptionGroup var target: SHMTarget
  @OptionGroup var common: CommonOptions

  func validate() throws { try target.check() }

  func execute() throws -> Int32 {
    try SharedMemory.unlink(try target.resolve())
    return 0
  }
}

struct SHMList: IPCCommand {
  static let verb = "shm ls"
  static let configuration = CommandConfiguration.verb(
    commandName: "ls",
    abstract: "List shared-memory objects in /dev/shm (semaphores: 'ipc sem ls').",
    discussion: """
      Examples:
        ipc shm ls
        ipc shm ls --json
      """)

  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    var out = StandardOutput()
    if !common.json { try out.writeLine("NAME                 SIZE        MODE  OWNER") }
    for name in try SharedMemory.list() {
      guard let status = try FileStatus.of("/dev/shm" + name.path) else { continue }
      try out.writeLine(Self.render(name.path, status, json: common.json, long: false))
    }
    try out.flush()
    return 0
  }

  static func render(_ name: String, _ status: FileStatus, json: Bool, long: Bool) -> String {
    if json {
      var line = JSONLine()
      line.add("name", name)
      line.add("size", Int(status.size))
      line.add("mode", status.octalPermissions)
      line.add("uid", Int(status.uid))
      line.add("owner", status.ownerName)
      line.add("modified", status.modified)
      return line.description
    }
    if long {
      return """
        name            \(name)
        size            \(status.size) bytes\(status.size >= 1024 ? " (\(ByteCount(Int(status.size))))" : "")
        mode            \(status.octalPermissions)
        owner           \(status.ownerName) (uid \(status.uid), gid \(status.gid))
        modified        \(status.modified) (epoch seconds)
        """
    }
    return MQList.pad(name, 21) + MQList.pad("\(status.size)", 12)
      + MQList.pad(status.octalPermissions, 6)
      + status.ownerName
  }
}

struct SHMWatch: IPCCommand {
  static let verb = "shm watch"
  static let configuration = CommandConfiguration.verb(
    commandName: "watch",
    abstract: "Print a region each time it changes.",
    discussion: """
      Prints the region at once, then again at each change it sees when it looks
      (every --interval). Text mode prints the bytes up to the first NUL; --hex
      shows them all. --count stops after that many changes; --timeout after
      that long without one (exit 124).

      Examples:
        ipc shm watch /board --length 64
        ipc shm watch /board --offset 0 --length 8 --hex --interval 50ms
      """)

  @OptionGroup var target: SHMTarget
  @Option(
    help: ArgumentHelp("Where the region starts.", valueName: "offset"), transform: Parse.size)
  var offset: ByteCount = ByteCount(0)
  @Option(
    help: ArgumentHelp("Its length (default 64, or to the end).", valueName: "length"),
    transform: Parse.size)
  var length: ByteCount?
  @Option(
    help: ArgumentHelp("How often to look.", valueName: "duration"), transform: Parse.duration)
  var interval: Duration = .milliseconds(100)
  @Option(help: "Stop after this many changes.") var count: Int?
  @Option(
    help: ArgumentHelp("Stop after this long without a change (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Flag(help: "Show the region as hexdump -C does.") var hex = false
  @OptionGroup var common: CommonOptions

  func validate() throws {
    try target.check()
    if let count, count < 1 { throw ValidationError("--count must be 1 or more") }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let memory = try SharedMemory.open(try target.resolve(), writable: false)
    let size = try memory.size()
    let range =
      offset.value..<(offset.value + (length?.value ?? min(64, max(0, size - offset.value))))
    var out = StandardOutput()
    var last: [UInt8]?
    var changes = 0
    var quiet = Deadline.after(timeout)
    while true {
      let now = try memory.withMapping(range, writable: false) {
        try memory.copy(UnsafeRawBufferPointer($0))
      }
      if now != last {
        if last != nil { changes += 1 }
        last = now
        quiet = Deadline.after(timeout)
        if hex {
          try now.withUnsafeBytes {
            for line in HexDump.lines($0, startingAt: range.lowerBound) { try out.writeLine(line) }
          }
        } else {
          try out.writeLine(String(decoding: now.prefix { $0 != 0 }, as: UTF8.self))
        }
        try out.flush()
        if let count, changes >= count { return 0 }
      }
      if quiet.hasPassed {
        throw IPCError(
          op: "watch", object: "\(memory.target)", kind: .timedOut,
          detail: "no change before the timeout")
      }
      try Deadline.after(interval).sleep()
    }
  }
}

struct SHMAdd: IPCCommand {
  static let verb = "shm add"
  static let configuration = CommandConfiguration.verb(
    commandName: "add",
    abstract: "Add to a 64-bit word atomically and print the new value: a shared counter.",
    discussion: """
      The word at --offset (a multiple of 8) is a signed 64-bit integer in this
      machine's byte order; the add is one atomic instruction, so concurrent
      'ipc shm add' processes never lose a count.

      Examples:
        ipc shm create /counter --size 8
        ipc shm add /counter                  (prints 1, then 2, ...)
        ipc shm add /counter --value -1
        ipc shm add /counter --value 0        (just read it)
      """)

  @OptionGroup var target: SHMTarget
  @Option(
    help: ArgumentHelp("The word's offset, a multiple of 8.", valueName: "offset"),
    transform: Parse.size)
  var offset: ByteCount = ByteCount(0)
  @Option(parsing: .unconditional, help: "What to add; may be negative.") var value: Int64 = 1
  @OptionGroup var common: CommonOptions

  func validate() throws {
    try target.check()
    if offset.value % 8 != 0 {
      throw ValidationError("--offset must be a multiple of 8 (an aligned word)")
    }
  }

  func execute() throws -> Int32 {
    let memory = try SharedMemory.open(try target.resolve(), writable: true)
    let result = try memory.add(value, at: offset.value)
    var out = StandardOutput()
    try out.writeLine("\(result)")
    try out.flush()
    return 0
  }
}
