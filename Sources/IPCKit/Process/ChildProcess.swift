import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// How a child process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
  case exited(Int32)
  case signaled(Int32)

  /// The status a shell reports: the exit code, or 128+N for signal N.
  public var shellCode: Int32 {
    switch self {
    case .exited(let code): return code
    case .signaled(let signal): return 128 + signal
    }
  }

  public var description: String {
    switch self {
    case .exited(let code): return "exited \(code)"
    case .signaled(let signal): return "killed by \(SignalNumber(rawValue: signal).name)"
    }
  }
}

/// A child started with posix_spawn, and waited for with waitpid.
public struct ChildProcess: Sendable, Hashable {
  public let pid: pid_t

  /// Starts `arguments` (arguments[0] looked up on PATH) with `redirections` applied in
  /// the child as dup2(from, to) (posix_spawn). SIGPIPE and the signal mask are reset to
  /// their defaults in the child, whatever the tool itself does with them. With
  /// `processGroup`, the child joins that group (0: a new group led by the child).
  /// `blocked` signals start blocked in the child; `ignored` ones start ignored
  /// (SIG_IGN survives exec; they are set so in this process first).
  public static func spawn(
    _ arguments: [String], redirections: [(from: Int32, to: Int32)] = [],
    processGroup: pid_t? = nil, blocked: [Int32] = [], ignored: [Int32] = []
  ) throws -> ChildProcess {
    precondition(!arguments.isEmpty)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for (from, to) in redirections where from != to {
      posix_spawn_file_actions_adddup2(&actions, from, to)
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    if !ignored.contains(SIGPIPE) { sigaddset(&defaults, SIGPIPE) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    for signal in ignored { _ = ipc_signal_ignore(signal) }
    var mask = sigset_t()
    sigemptyset(&mask)
    for signal in blocked { sigaddset(&mask, signal) }
    posix_spawnattr_setsigmask(&attributes, &mask)
    var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
    if let processGroup {
      flags |= POSIX_SPAWN_SETPGROUP
      posix_spawnattr_setpgroup(&attributes, processGroup)
    }
    posix_spawnattr_setflags(&attributes, Int16(flags))

    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let dups = redirections.filter { $0.from != $0.to }.map { "dup2(\($0.from), \($0.to))" }
    let described =
      "\"\(arguments[0])\", [\(arguments.map { quote($0) }.joined(separator: ", "))]"
      + (dups.isEmpty ? "" : "; \(dups.joined(separator: ", "))")
      + (processGroup.map { "; setpgid(0, \($0))" } ?? "")
      + (blocked.isEmpty
        ? ""
        : "; sigmask [\(blocked.map { SignalNumber(rawValue: $0).name }.joined(separator: ", "))]")
      + (ignored.isEmpty
        ? ""
        : "; SIG_IGN [\(ignored.map { SignalNumber(rawValue: $0).name }.joined(separator: ", "))]")
    let code = posix_spawnp(&pid, arguments[0], &actions, &attributes, &argv, environ)
    if code != 0 {
      let errno = Errno(rawValue: code)
      Trace.emit("posix_spawnp(\(described)) = \(IPCError.name(of: errno))")
      throw IPCError(
        op: "posix_spawnp", object: arguments[0], errno: errno,
        hint: errno == .noSuchFileOrDirectory ? "is it installed and on PATH?" : nil)
    }
    Trace.emit("posix_spawnp(\(described)) = 0, pid \(pid)")
    return ChildProcess(pid: pid)
  }

  /// Waits for the child to end (waitpid). Throws `.interrupted` if SIGINT/SIGTERM
  /// arrives first; the child is still there to be waited for again.
  public func wait() throws -> ExitStatus {
    // A signal that came before we got here would not interrupt waitpid: say so now.
    try Interrupts.check(op: "waitpid", object: "pid \(pid)")
    var status: Int32 = 0
    let pid = self.pid
    try sys("waitpid", "\(pid), [\(Self.status(status))], 0", object: "pid \(pid)") {
      waitpid(pid, &status, 0)
    }
    return Self.status(status)
  }

  /// Waits for the child to end, passing on SIGINT, SIGTERM and SIGHUP that another
  /// process sends us (a terminal's Ctrl-C reaches the child by itself), so that a
  /// `kill` of ipc never leaves its command running behind it.
  public func waitPassingSignals() throws -> ExitStatus {
    while true {
      do {
        return try wait()
      } catch let error as IPCError {
        guard case .interrupted(let signal) = error.kind else { throw error }
        if Interrupts.pendingFromProcess { self.signal(signal) }
        Interrupts.reset()
      }
    }
  }

  private static func status(_ raw: Int32) -> ExitStatus {
    ipc_wifsignaled(raw) != 0 ? .signaled(ipc_wtermsig(raw)) : .exited(ipc_wexitstatus(raw))
  }

  /// The child's status if it has ended, without waiting (waitpid WNOHANG).
  public func poll() -> ExitStatus? {
    var status: Int32 = 0
    let pid = self.pid
    guard
      let result = try? sys(
        "waitpid", "\(pid), WNOHANG", object: "pid \(pid)", { waitpid(pid, &status, WNOHANG) }),
      result == pid
    else { return nil }
    return Self.status(status)
  }

  /// Sends `signal` to the child (kill); a child that is already gone is not an error.
  public func signal(_ signal: Int32) {
    Self.signal(pid, signal)
  }

  /// Sends `signal` to every process in the child's group (kill with -pgid).
  public func signalGroup(_ signal: Int32) {
    Self.signal(-pid, signal)
  }

  private static func signal(_ pid: pid_t, _ signal: Int32) {
    _ = try? sys(
      "kill", "\(pid), \(SignalNumber(rawValue: signal).name)", tolerating: [.noSuchProcess]
    ) {
      kill(pid, signal)
    }
  }
}

/// `"text"` with quotes and backslashes escaped, for trace lines.
func quote(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    default:
      if scalar.value < 0x20 {
        out += "\\x" + String(scalar.value, radix: 16)
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out + "\""
}
