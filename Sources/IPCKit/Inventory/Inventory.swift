/// Every IPC object on the system, POSIX and System V together: what `ipc ls` shows.
public struct IPCObject: Sendable, Equatable {
  /// `mq`, `shm`, `sem`, `sysv-mq`, `sysv-shm`, `sysv-sem`, `socket`, `fifo`.
  public var kind: String
  /// A name, path, `@abstract`, or `key 0x… id N`.
  public var name: String
  public var uid: UInt32?
  /// Octal permissions, e.g. `0600`.
  public var mode: String?
  /// Bytes, messages or value, with its unit: `3 messages`, `4096 bytes`, `value 1`.
  public var size: String
  /// Last use, in seconds since the epoch, where the kernel keeps one.
  public var lastUse: Int?
}

public enum Inventory {
  public static let kinds = [
    "mq", "shm", "sem", "sysv-mq", "sysv-shm", "sysv-sem", "socket", "fifo",
  ]

  /// The objects of the `kinds` asked for. A kind that cannot be read here (POSIX
  /// queues without an mqueue mount, for one) is reported in `skipped`, not fatal.
  public static func list(kinds: Set<String>, fifoDirectories: [String]) -> (
    objects: [IPCObject], skipped: [String: String]
  ) {
    var objects: [IPCObject] = []
    var skipped: [String: String] = [:]
    func collect(_ kind: String, _ body: () throws -> [IPCObject]) {
      guard kinds.contains(kind) else { return }
      do {
        objects += try body()
      } catch let error as IPCError {
        skipped[kind] = error.message + (error.hint.map { " (\($0))" } ?? "")
      } catch {
        skipped[kind] = "\(error)"
      }
    }
    collect("mq") {
      try MessageQueue.list().map { name, status in
        let attributes = try? MessageQueue.open(name, access: .read).attributes()
        return IPCObject(
          kind: "mq", name: name.path, uid: status?.uid, mode: status?.octalPermissions,
          size: attributes.map { "\($0.currentMessages) messages" } ?? "?",
          lastUse: status?.modified)
      }
    }
    collect("shm") {
      try SharedMemory.list().compactMap { name in
        guard let status = try FileStatus.of("/dev/shm" + name.path) else { return nil }
        return IPCObject(
          kind: "shm", name: name.path, uid: status.uid, mode: status.octalPermissions,
          size: "\(status.size) bytes", lastUse: status.modified)
      }
    }
    collect("sem") {
      try Semaphore.list().map { name in
        let status = Semaphore.status(name)
        let value = try? Semaphore.open(name).value()
        return IPCObject(
          kind: "sem", name: name.path, uid: status?.uid, mode: status?.octalPermissions,
          size: value.map { "value \($0)" } ?? "?", lastUse: status?.modified)
      }
    }
    collect("sysv-mq") {
      try table("/proc/sysvipc/msg").map { row in
        sysv(
          "sysv-mq", row, id: "msqid", size: "\(row["qnum"] ?? "?") messages",
          time: ["stime", "rtime"])
      }
    }
    collect("sysv-shm") {
      try table("/proc/sysvipc/shm").map { row in
        sysv(
          "sysv-shm", row, id: "shmid",
          size: "\(row["size"] ?? "?") bytes, \(row["nattch"] ?? "?") attached",
          time: ["atime", "dtime"])
      }
    }
    collect("sysv-sem") {
      try table("/proc/sysvipc/sem").map { row in
        sysv(
          "sysv-sem", row, id: "semid", size: "\(row["nsems"] ?? "?") semaphores", time: ["otime"])
      }
    }
    collect("socket") { try listeningSockets() }
    collect("fifo") {
      try fifoDirectories.flatMap { directory in
        try SharedMemory.directoryNames(directory).compactMap { name -> IPCObject? in
          let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
          guard let status = try FileStatus.of(path), status.kind == .fifo else { return nil }
          return IPCObject(
            kind: "fifo", name: path, uid: status.uid, mode: status.octalPermissions,
            size: "\(Opener.of(status).count) open", lastUse: status.modified)
        }
      }
    }
    return (objects, skipped)
  }

  /// The rows of a /proc table whose first line names the columns.
  static func table(_ path: String) throws -> [[String: String]] {
    let lines = try Descriptors.readSmallFile(path).split(separator: "\n")
    guard let header = lines.first?.split(separator: " ").map(String.init) else { return [] }
    return lines.dropFirst().map { line in
      Dictionary(
        zip(header, line.split(separator: " ").map(String.init)),
        uniquingKeysWith: { first, _ in first })
    }
  }

  private static func sysv(
    _ kind: String, _ row: [String: String], id: String, size: String, time: [String]
  ) -> IPCObject {
    let key =
      Int32(row["key"] ?? "0").map { "0x" + String(UInt32(bitPattern: $0), radix: 16) } ?? "?"
    let permissions = Int(row["perms"] ?? "", radix: 8).map { String($0 & 0o777, radix: 8) }
    return IPCObject(
      kind: kind, name: "key \(key) id \(row[id] ?? "?")", uid: row["uid"].flatMap { UInt32($0) },
      mode: permissions.map { "0" + $0 }, size: size,
      lastUse: time.compactMap { row[$0].flatMap { Int($0) } }.max().flatMap { $0 > 0 ? $0 : nil })
  }

  /// Listening Unix sockets (the SO_ACCEPTCON flag in /proc/net/unix).
  static func listeningSockets() throws -> [IPCObject] {
    let lines = try Descriptors.readSmallFile("/proc/net/unix").split(separator: "\n").dropFirst()
    return lines.compactMap { line in
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 8, let flags = Int(fields[3], radix: 16), flags & 0x10000 != 0 else {
        return nil
      }
      let path = fields[7...].joined(separator: " ")
      let status = path.hasPrefix("/") ? (try? FileStatus.of(path)) ?? nil : nil
      return IPCObject(
        kind: "socket", name: path, uid: status?.uid, mode: status?.octalPermissions,
        size: "listening", lastUse: status?.modified)
    }
  }
}
