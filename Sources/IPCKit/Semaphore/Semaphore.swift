import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// A POSIX named semaphore (sem_open). Waits are bounded on the monotonic clock
/// (sem_clockwait) and end with `.interrupted` on SIGINT/SIGTERM.
public final class Semaphore {
  public let name: ObjectName
  let handle: UnsafeMutablePointer<sem_t>

  private init(name: ObjectName, handle: UnsafeMutablePointer<sem_t>) {
    self.name = name
    self.handle = handle
  }

  deinit { sem_close(handle) }

  /// Opens an existing semaphore.
  public static func open(_ name: ObjectName) throws -> Semaphore {
    try call(name, flags: 0, names: "0", permissions: 0, value: 0)
  }

  /// Creates a semaphore with `value` (O_CREAT|O_EXCL, or without O_EXCL when `existOK`:
  /// then an existing one keeps its value). Returns it and whether this call made it.
  public static func create(
    _ name: ObjectName, value: UInt32, permissions: UInt32 = 0o600, existOK: Bool = false
  ) throws -> (semaphore: Semaphore, created: Bool) {
    do {
      return (
        try call(
          name, flags: O_CREAT | O_EXCL, names: "O_CREAT|O_EXCL", permissions: permissions,
          value: value), true
      )
    } catch var error as IPCError where error.errno == .fileExists {
      if existOK { return (try open(name), false) }
      error.detail = "a semaphore of that name already exists"
      error.hint = "add --exist-ok to use it (its value is kept)"
      throw error
    }
  }

  private static func call(
    _ name: ObjectName, flags: Int32, names: String, permissions: UInt32, value: UInt32
  ) throws -> Semaphore {
    var result: UnsafeMutablePointer<sem_t>?
    let failed = ipc_sem_failed()
    let described =
      flags & O_CREAT != 0
      ? "\(quote(name.path)), \(names), 0\(String(permissions, radix: 8)), \(value)"
      : quote(name.path)
    do {
      try sys("sem_open", described, object: name.path) { () -> Int32 in
        result = ipc_sem_open(name.path, flags, mode_t(permissions), value)
        return result == failed ? -1 : 0
      }
    } catch var error as IPCError where error.errno == .noSuchFileOrDirectory {
      error.detail = "no such semaphore"
      error.hint = "create it with 'ipc sem create \(name.path)'"
      throw error
    } catch var error as IPCError where error.errno == .invalidArgument {
      error.detail = "the value \(value) is over SEM_VALUE_MAX (\(Int32.max))"
      throw error
    }
    return Semaphore(name: name, handle: result!)
  }

  /// The current value (sem_getvalue).
  public func value() throws -> Int {
    var value: Int32 = 0
    let handle = self.handle
    try sys("sem_getvalue", "\(name.path), [\(value)]", object: name.path) {
      sem_getvalue(handle, &value)
    }
    return Int(value)
  }

  /// Adds one (sem_post), waking one waiter.
  public func post() throws {
    let handle = self.handle
    try sys("sem_post", name.path, object: name.path) { sem_post(handle) }
  }

  /// Takes one, waiting until `deadline` (sem_clockwait), or with `nonblocking` throws
  /// `.wouldBlock` at once when the value is 0 (sem_trywait).
  public func wait(deadline: Deadline, nonblocking: Bool) throws {
    let handle = self.handle
    if nonblocking {
      let result = try sys(
        "sem_trywait", name.path, object: name.path, tolerating: [.resourceTemporarilyUnavailable]
      ) { sem_trywait(handle) }
      if case .failure = result {
        throw IPCError(
          op: "sem_trywait", object: name.path, kind: .wouldBlock, detail: "the value is 0 (EAGAIN)"
        )
      }
      return
    }
    guard let remaining = deadline.remaining else {
      try sys("sem_wait", name.path, object: name.path) { sem_wait(handle) }
      return
    }
    var left = remaining
    while true {
      let result = try sys(
        "sem_clockwait", "\(name.path), CLOCK_MONOTONIC, +\(left.shortDescription)",
        object: name.path,
        tolerating: [.timedOut]
      ) { ipc_sem_wait_for(handle, left.nanoseconds) }
      if case .success = result { return }
      // sys() retried an EINTR with the full span; recompute what is left.
      left = deadline.remaining ?? .zero
      if left == .zero {
        throw IPCError(
          op: "sem_clockwait", object: name.path, kind: .timedOut,
          detail: "the value stayed 0 until the timeout")
      }
    }
  }

  /// Removes the name (sem_unlink); users that have it open keep it.
  public static func unlink(_ name: ObjectName) throws {
    do {
      try sys("sem_unlink", quote(name.path), object: name.path) { sem_unlink(name.path) }
    } catch var error as IPCError where error.errno == .noSuchFileOrDirectory {
      error.detail = "no such semaphore"
      error.hint = "'ipc sem ls' lists them"
      throw error
    }
  }

  /// The semaphores in /dev/shm (files named sem.NAME).
  public static func list() throws -> [ObjectName] {
    try SharedMemory.directoryNames("/dev/shm").filter { $0.hasPrefix("sem.") }.compactMap {
      try? ObjectName(parsing: String($0.dropFirst(4)))
    }
  }

  /// Owner, mode and times, from /dev/shm/sem.NAME.
  public static func status(_ name: ObjectName) -> FileStatus? {
    try? FileStatus.of("/dev/shm/sem." + name.path.dropFirst())
  }
}
