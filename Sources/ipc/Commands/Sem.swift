import ArgumentParser
import IPCKit

/// `ipc sem`: POSIX named semaphores.
struct SemCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sem",
    abstract: "POSIX named semaphores: create, wait, post, get, run, rm, ls.",
    discussion: """
      A semaphore is a counter: wait takes one (waiting while it is 0), post
      gives one back. With value 1 it is a lock: 'ipc sem run' holds it around
      a command.

      Examples:
        ipc sem create /lock --value 1
        ipc sem run /lock -- sh -c 'echo critical >> log'
        ipc sem wait /lock --timeout 5s && ipc sem post /lock
        ipc sem get /lock
        ipc sem rm /lock
      """,
    subcommands: [
      SemCreate.self, SemWait.self, SemPost.self, SemGet.self, SemRun.self, SemRemove.self,
      SemList.self,
    ]
  )
}

struct SemCreate: IPCCommand {
  static let verb = "sem create"
  static let configuration = CommandConfiguration.verb(
    commandName: "create",
    abstract: "Create a semaphore (sem_open with O_CREAT), mode 0600 unless told otherwise.",
    discussion: """
      Examples:
        ipc sem create /lock --value 1
        ipc sem create /slots --value 4 --mode 660
      """)

  @Argument(help: "Semaphore name, e.g. /lock.", transform: Parse.objectName) var name: ObjectName
  @Option(help: "The starting value.") var value: UInt32 = 1
  @Option(
    help: ArgumentHelp("Permissions in octal (umask applies).", valueName: "mode"),
    transform: Parse.mode)
  var mode: UInt32 = 0o600
  @Flag(help: "Succeed if it exists (its value is kept).") var existOk = false
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    let (semaphore, created) = try Semaphore.create(
      name, value: value, permissions: mode, existOK: existOk)
    let now = try semaphore.value()
    common.say((created ? "created" : "found") + " \(name), value \(now)")
    return 0
  }
}

struct SemWait: IPCCommand {
  static let verb = "sem wait"
  static let configuration = CommandConfiguration.verb(
    commandName: "wait",
    abstract: "Take one (sem_wait), waiting while the value is 0.",
    discussion: """
      Examples:
        ipc sem wait /lock
        ipc sem wait /lock --timeout 5s     (exit 124 if not had)
        ipc sem wait /lock --nonblock       (exit 3 if not had)
      """)

  @Argument(help: "Semaphore name.", transform: Parse.objectName) var name: ObjectName
  @Option(
    help: ArgumentHelp("Wait at most this long (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Flag(help: "Fail at once if the value is 0 (exit 3).") var nonblock = false
  @OptionGroup var common: CommonOptions

  func validate() throws {
    try Check.nonblockOrTimeout(nonblock, timeout)
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    try Semaphore.open(name).wait(deadline: .after(timeout), nonblocking: nonblock)
    return 0
  }
}

struct SemPost: IPCCommand {
  static let verb = "sem post"
  static let configuration = CommandConfiguration.verb(
    commandName: "post",
    abstract: "Give one back (sem_post), waking a waiter.",
    discussion: """
      Examples:
        ipc sem post /lock
        ipc sem post /slots --count 4
      """)

  @Argument(help: "Semaphore name.", transform: Parse.objectName) var name: ObjectName
  @Option(help: "How many to give.") var count: Int = 1
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if count < 1 { throw ValidationError("--count must be 1 or more") }
  }

  func execute() throws -> Int32 {
    let semaphore = try Semaphore.open(name)
    for _ in 0..<count { try semaphore.post() }
    return 0
  }
}

struct SemGet: IPCCommand {
  static let verb = "sem get"
  static let configuration = CommandConfiguration.verb(
    commandName: "get",
    abstract: "Print the value (sem_getvalue).",
    discussion: """
      Examples:
        ipc sem get /lock
        ipc sem get /lock --json
      """)

  @Argument(help: "Semaphore name.", transform: Parse.objectName) var name: ObjectName
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    let value = try Semaphore.open(name).value()
    var out = StandardOutput()
    try out.writeLine(SemList.render(name, value: value, json: common.json, table: false))
    try out.flush()
    return 0
  }
}

struct SemRun: IPCCommand {
  static let verb = "sem run"
  static let configuration = CommandConfiguration.verb(
    commandName: "run",
    abstract: "Wait, run a command, post: a critical section for shell scripts.",
    discussion: """
      The post happens however the command ends: success, failure, or killed by
      a signal; SIGINT/SIGTERM/SIGHUP sent to ipc are passed on to the command
      first. The exit status is the command's (128+N if killed by signal N).
      Only a SIGKILL of ipc itself can leave the semaphore taken: POSIX
      semaphores have no undo.

      Examples:
        ipc sem run /lock -- sh -c 'n=$(cat count); echo $((n+1)) > count'
        ipc sem run /lock --timeout 10s -- make deploy
      """)

  @Argument(help: "Semaphore name.", transform: Parse.objectName) var name: ObjectName
  @Option(
    help: ArgumentHelp(
      "Wait at most this long for the semaphore (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @OptionGroup var common: CommonOptions
  @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
  var command: [String] = []

  func validate() throws {
    if command.isEmpty { throw ValidationError("give the command after --, e.g. -- make deploy") }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let semaphore = try Semaphore.open(name)
    try semaphore.wait(deadline: .after(timeout), nonblocking: false)
    common.say("took \(name); running \(command[0])")
    defer {
      try? semaphore.post()
      common.say("gave \(name) back")
    }
    return try ChildProcess.spawn(command).waitPassingSignals().shellCode
  }
}

struct SemRemove: IPCCommand {
  static let verb = "sem rm"
  static let configuration = CommandConfiguration.verb(
    commandName: "rm",
    abstract: "Remove a semaphore's name (sem_unlink).",
    discussion: """
      Examples:
        ipc sem rm /lock
      """)

  @Argument(help: "Semaphore name.", transform: Parse.objectName) var name: ObjectName
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    try Semaphore.unlink(name)
    return 0
  }
}

struct SemList: IPCCommand {
  static let verb = "sem ls"
  static let configuration = CommandConfiguration.verb(
    commandName: "ls",
    abstract: "List the named semaphores (/dev/shm/sem.*), with their values.",
    discussion: """
      Examples:
        ipc sem ls
        ipc sem ls --json
      """)

  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    var out = StandardOutput()
    if !common.json { try out.writeLine("NAME                 VALUE  MODE  OWNER") }
    for name in try Semaphore.list() {
      let value = (try? Semaphore.open(name).value()) ?? -1
      try out.writeLine(Self.render(name, value: value, json: common.json, table: true))
    }
    try out.flush()
    return 0
  }

  static func render(_ name: ObjectName, value: Int, json: Bool, table: Bool) -> String {
    let status = Semaphore.status(name)
    if json {
      var line = JSONLine()
      line.add("name", name.path)
      line.add("value", value)
      if let status {
        line.add("mode", status.octalPermissions)
        line.add("owner", status.ownerName)
      }
      return line.description
    }
    guard table else { return "\(value)" }
    return MQList.pad(name.path, 21) + MQList.pad(value < 0 ? "?" : "\(value)", 7)
      + MQList.pad(status?.octalPermissions ?? "?", 6) + (status?.ownerName ?? "?")
  }
}
