import ArgumentParser
import IPCKit

/// `ipc fifo`: named pipes, with every blocking point under control.
struct FIFOCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fifo",
    abstract: "Named pipes (mkfifo): create, write, read, inspect, remove.",
    discussion: """
      Opening a FIFO blocks until the other side opens it too; every wait here is
      bounded by --timeout (exit 124) and Ctrl-C ends it cleanly.

      Examples:
        ipc fifo create /tmp/jobs
        ipc fifo read /tmp/jobs --keep-open --timeout 30s     (terminal 1)
        ipc fifo write /tmp/jobs "build 42"                   (terminal 2)
        seq 100 | ipc fifo write /tmp/jobs --lines
        ipc fifo info /tmp/jobs
        ipc fifo rm /tmp/jobs
      """,
    subcommands: [
      FIFOCreate.self, FIFOWrite.self, FIFORead.self, FIFOInfo.self, FIFORemove.self,
    ]
  )
}

/// The --create, --mode pair shared by the verbs that may make the FIFO.
struct FIFOCreation: ParsableArguments {
  @Flag(help: "Create the FIFO first if it does not exist.")
  var create = false

  @Option(
    help: ArgumentHelp(
      "Permissions of a FIFO we create, in octal (umask applies).", valueName: "mode"),
    transform: Parse.mode)
  var mode: UInt32 = 0o600

  /// Creates the FIFO if asked; returns its identity when this process made it.
  func apply(_ path: String) throws -> FileStatus? {
    guard create, try FIFO.create(path, permissions: mode, existOK: true) else { return nil }
    return try FileStatus.of(path)
  }
}

struct FIFOCreate: IPCCommand {
  static let verb = "fifo create"
  static let configuration = CommandConfiguration.verb(
    commandName: "create",
    abstract: "Create a FIFO (mkfifo), mode 0600 unless told otherwise.",
    discussion: """
      An existing FIFO is an error unless --exist-ok; an existing file of any
      other kind is always an error.

      Examples:
        ipc fifo create /tmp/jobs
        ipc fifo create /tmp/shared --mode 660 --exist-ok
      """)

  @Argument(help: "Where to create the FIFO.", transform: Parse.path) var path: String
  @Option(
    help: ArgumentHelp("Permissions in octal (umask applies).", valueName: "mode"),
    transform: Parse.mode)
  var mode: UInt32 = 0o600
  @Flag(help: "Succeed if a FIFO is already there.") var existOk = false
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    let created = try FIFO.create(path, permissions: mode, existOK: existOk)
    common.say(created ? "created FIFO \(path)" : "FIFO \(path) was already there")
    return 0
  }
}

struct FIFOWrite: IPCCommand {
  static let verb = "fifo write"
  static let configuration = CommandConfiguration.verb(
    commandName: "write",
    abstract: "Write DATA (or stdin) into a FIFO, waiting for a reader.",
    discussion: """
      DATA arguments are joined by spaces and end with a newline, in one write.
      Without DATA, stdin is copied. With --lines each line of stdin is one
      write(2): lines up to PIPE_BUF (4096) bytes never interleave with other
      writers' lines.

      If the reader closes the FIFO before all is written, ipc says so and exits
      1 (not 141: the FIFO, not our stdout, was closed).

      Examples:
        ipc fifo write /tmp/jobs "build 42"
        ipc fifo write /tmp/jobs --timeout 5s < report.txt
        seq 1000 | ipc fifo write /tmp/jobs --lines --create
      """)

  @Argument(help: "The FIFO.", transform: Parse.path) var path: String
  @Argument(help: "Words to write, joined by spaces, with a newline.") var data: [String] = []
  @Flag(help: "One write(2) per line of stdin (atomic up to PIPE_BUF).") var lines = false
  @Option(
    help: ArgumentHelp(
      "Give up after this long without a reader or room (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Flag(help: "Fail at once if no reader has the FIFO open (exit 3).") var nonblock = false
  @OptionGroup var creation: FIFOCreation
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if lines && !data.isEmpty { throw ValidationError("--lines reads stdin; give no DATA with it") }
    try Check.nonblockOrTimeout(nonblock, timeout)
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let created = try creation.apply(path)
    let fd: Int32
    do {
      fd = try FIFO.openForWriting(path, deadline: .after(timeout), nonblocking: nonblock)
    } catch {
      // Nothing was written: leave nothing behind that we made.
      if let created { try? FIFO.remove(path, expected: created) }
      throw error
    }
    defer { Descriptors.close(fd) }
    common.say("a reader has \(path) open")
    let writer = FIFOWriter(fd: fd, path: path, idle: timeout)
    if !data.isEmpty {
      let text = Array((data.joined(separator: " ") + "\n").utf8)
      try text.withUnsafeBytes { try writer.write($0) }
      return 0
    }
    if !lines {
      let bytes = try writer.copy(from: 0, object: "stdin")
      common.say("wrote \(bytes) bytes to \(path)")
      return 0
    }
    let atomic = 4096
    var warned = false
    let records = RecordReader(fd: 0, separator: 0x0A)
    while let (line, _) = try records.next(includingSeparator: true) {
      if line.count > atomic && !warned {
        warned = true
        StandardError.writeLine(
          "ipc: fifo write \(path): a line of \(line.count) bytes is over PIPE_BUF (\(atomic)); "
            + "it may interleave with other writers")
      }
      try writer.write(line)
    }
    return 0
  }
}

struct FIFORead: IPCCommand {
  static let verb = "fifo read"
  static let configuration = CommandConfiguration.verb(
    commandName: "read",
    abstract: "Copy what arrives on a FIFO to stdout until the last writer closes.",
    discussion: """
      --timeout bounds the wait for the first writer and every silence after.
      --keep-open holds a write end itself, so that writers may come and go
      without an end of file (as FIFO servers do); it then runs until --count,
      --timeout or Ctrl-C. --count N stops after N lines and takes nothing more
      off the FIFO: the rest stays for the next reader.

      Examples:
        ipc fifo read /tmp/jobs
        ipc fifo read /tmp/jobs --keep-open --count 3 --timeout 1m
        ipc fifo read /tmp/jobs --create --remove-on-exit > log
      """)

  @Argument(help: "The FIFO.", transform: Parse.path) var path: String
  @Option(help: "Stop after this many lines.") var count: Int?
  @Flag(help: "Survive successive writers: no end of file when one closes.") var keepOpen = false
  @Option(
    help: ArgumentHelp(
      "Give up after this long without a writer or data (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Flag(help: "Remove the FIFO on exit, if this command created it (--create).") var removeOnExit =
    false
  @OptionGroup var creation: FIFOCreation
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if let count, count < 1 { throw ValidationError("--count must be 1 or more") }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let created = try creation.apply(path)
    if removeOnExit && created == nil {
      StandardError.writeLine(
        "ipc: fifo read \(path): it will not be removed on exit: this command did not create it")
    }
    defer {
      if removeOnExit, let created { try? FIFO.remove(path, expected: created) }
    }
    let (fd, heldWriter) = try FIFO.openForReading(
      path, deadline: .after(timeout), keepOpen: keepOpen)
    defer {
      Descriptors.close(fd)
      if let heldWriter { Descriptors.close(heldWriter) }
    }
    var reader = FIFOReader(fd: fd, path: path, idle: timeout)
    do {
      if let count {
        let got = try reader.copyLines(count) { try Descriptors.writeAll(1, $0, object: "stdout") }
        common.say("read \(got) of \(count) lines")
      } else {
        let bytes = try reader.copyAll(into: 1)
        common.say("read \(bytes) bytes; the last writer closed \(path)")
      }
    } catch let error as IPCError where reader.delivered == 0 && !removeOnExit {
      // Nothing came before the timeout or Ctrl-C: a FIFO we made has served no one.
      if let created { try? FIFO.remove(path, expected: created) }
      throw error
    }
    return 0
  }
}

struct FIFOInfo: IPCCommand {
  static let verb = "fifo info"
  static let configuration = CommandConfiguration.verb(
    commandName: "info",
    abstract: "Show a FIFO's kind, mode, owner, who has it open and the bytes waiting.",
    discussion: """
      The bytes waiting are read with FIONREAD only when a reader already has
      the FIFO open, so that looking never wakes a writer blocked in open.

      Examples:
        ipc fifo info /tmp/jobs
        ipc fifo info /tmp/jobs --json
      """)

  @Argument(help: "The FIFO.", transform: Parse.path) var path: String
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    let status = try FIFO.requireFIFO(path, op: "stat")
    let all = Opener.of(status)
    // Descriptors we only inherited are left out of the list, not out of the reckoning.
    let openers = all.filter { $0.pid != ProcessEnvironment.processID }
    var waiting: Int?
    if all.isEmpty {
      waiting = 0  // with nobody holding it, the kernel keeps no buffer
    } else if all.contains(where: \.reads) {
      waiting = try? FIFO.bytesWaiting(path)
    }
    var out = StandardOutput()
    if common.json {
      var line = JSONLine()
      line.add("path", path)
      line.add("kind", status.kind.rawValue)
      line.add("mode", status.octalPermissions)
      line.add("uid", Int(status.uid))
      line.add("owner", status.ownerName)
      line.add("readers", openers.filter(\.reads).count)
      line.add("writers", openers.filter(\.writes).count)
      if let waiting { line.add("bytes_waiting", waiting) } else { line.addNull("bytes_waiting") }
      try out.writeLine(line.description)
    } else {
      try out.writeLine("path            \(path)")
      try out.writeLine("kind            fifo")
      try out.writeLine("mode            \(status.octalPermissions)")
      try out.writeLine(
        "owner           \(status.ownerName) (uid \(status.uid), gid \(status.gid))")
      try out.writeLine(
        "bytes waiting   "
          + (waiting.map(String.init)
            ?? "unknown (no reader has it open; looking would wake a writer)"))
      if openers.isEmpty { try out.writeLine("open by         nobody") }
      for opener in openers {
        let access = opener.reads && opener.writes ? "read+write" : opener.reads ? "read" : "write"
        try out.writeLine(
          "open by         pid \(opener.pid) (\(opener.command)), fd \(opener.fd), \(access)")
      }
    }
    try out.flush()
    return 0
  }
}

struct FIFORemove: IPCCommand {
  static let verb = "fifo rm"
  static let configuration = CommandConfiguration.verb(
    commandName: "rm",
    abstract: "Remove a FIFO; any other kind of file is refused.",
    discussion: """
      Examples:
        ipc fifo rm /tmp/jobs
      """)

  @Argument(help: "The FIFO.", transform: Parse.path) var path: String
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    try FIFO.remove(path)
    common.say("removed FIFO \(path)")
    return 0
  }
}
