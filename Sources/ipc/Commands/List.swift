import ArgumentParser
import IPCKit

/// `ipc ls`: every IPC object on the system in one table.
struct ListCommand: IPCCommand {
  static let verb = "ls"
  static let configuration = CommandConfiguration.verb(
    commandName: "ls",
    abstract:
      "List every IPC object: POSIX and System V queues, shared memory, semaphores, sockets, FIFOs.",
    discussion: """
      Like lsipc and ss together. POSIX objects come from /dev/mqueue and
      /dev/shm, System V ones from /proc/sysvipc, listening Unix sockets from
      /proc/net/unix, FIFOs from the directories named with --fifo-dir.
      LAST USE is in seconds since the epoch, where the kernel keeps one.

      Examples:
        ipc ls
        ipc ls --kind mq,sysv-mq --mine
        ipc ls --fifo-dir /tmp --json
      """)

  @Option(help: "Only these kinds, comma-separated: \(Inventory.kinds.joined(separator: ", ")).")
  var kind: String?
  @Flag(help: "Only objects owned by the current user.") var mine = false
  @Option(help: "Also list FIFOs in this directory (repeatable).") var fifoDir: [String] = []
  @OptionGroup var common: CommonOptions

  var kinds: [String] {
    kind.map { $0.split(separator: ",").map(String.init) } ?? Inventory.kinds
  }

  func validate() throws {
    if let bad = kinds.first(where: { !Inventory.kinds.contains($0) }) {
      throw ValidationError(
        "--kind: no kind '\(bad)'; kinds are \(Inventory.kinds.joined(separator: ", "))")
    }
  }

  func execute() throws -> Int32 {
    let me = ProcessEnvironment.userID
    let (all, skipped) = Inventory.list(kinds: Set(kinds), fifoDirectories: fifoDir)
    let objects = mine ? all.filter { $0.uid == me } : all
    for (kind, why) in skipped.sorted(by: { $0.key < $1.key }) {
      StandardError.writeLine("ipc: ls: \(kind) left out: \(why)")
    }
    var out = StandardOutput()
    if !common.json {
      try out.writeLine(
        MQList.pad("KIND", 10) + MQList.pad("NAME", 34) + MQList.pad("OWNER", 10)
          + MQList.pad("MODE", 6)
          + MQList.pad("SIZE", 26) + "LAST USE")
    }
    for object in objects {
      let owner = object.uid.map(FileStatus.userName) ?? "?"
      if common.json {
        var line = JSONLine()
        line.add("kind", object.kind)
        line.add("name", object.name)
        if let uid = object.uid { line.add("uid", Int(uid)) } else { line.addNull("uid") }
        line.add("owner", owner)
        if let mode = object.mode { line.add("mode", mode) } else { line.addNull("mode") }
        line.add("size", object.size)
        if let last = object.lastUse {
          line.add("last_use", last)
        } else {
          line.addNull("last_use")
        }
        try out.writeLine(line.description)
      } else {
        try out.writeLine(
          MQList.pad(object.kind, 10) + MQList.pad(object.name, 34) + MQList.pad(owner, 10)
            + MQList.pad(object.mode ?? "-", 6) + MQList.pad(object.size, 26)
            + (object.lastUse.map(String.init) ?? "-"))
      }
    }
    try out.flush()
    return 0
  }
}
