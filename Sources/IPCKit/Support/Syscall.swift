import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// Runs one system call: retries on EINTR unless SIGINT/SIGTERM/SIGHUP arrived
/// (then throws `.interrupted`), traces `name(arguments) = result`, and turns
/// -1/errno into an `IPCError`. Every wrapper in IPCKit goes through here.
@discardableResult
@inline(__always)
func sys<T: FixedWidthInteger>(
  _ name: String, _ arguments: @autoclosure () -> String, object: String? = nil,
  deadline: Deadline = .never, hint: ((Errno) -> String?)? = nil, _ call: () -> T
) throws -> T {
  switch try sys(
    name, arguments(), object: object, deadline: deadline, tolerating: [], hint: hint, call)
  {
  case .success(let value): return value
  case .failure(let errno): throw IPCError(op: name, object: object, errno: errno)
  }
}

/// Like `sys`, but returns the errnos in `tolerated` (EAGAIN, EPIPE…) to the caller
/// instead of throwing them, for loops that treat them as states, not failures.
/// With a `deadline` (armed with `Deadline.interrupting`), EINTR after it has
/// passed throws `.timedOut`.
@inline(__always)
func sys<T: FixedWidthInteger>(
  _ name: String, _ arguments: @autoclosure () -> String, object: String? = nil,
  deadline: Deadline = .never, tolerating tolerated: [Errno],
  hint: ((Errno) -> String?)? = nil, _ call: () -> T
) throws -> Result<T, Errno> {
  while true {
    let result = call()
    if result != -1 {
      Trace.emit("\(name)(\(arguments())) = \(result)")
      return .success(result)
    }
    let errno = Errno(rawValue: Glibc.errno)
    Trace.emit("\(name)(\(arguments())) = -1 \(IPCError.name(of: errno))")
    if errno == .interrupted {
      let signal = ipc_interrupt_pending()
      if signal != 0 {
        throw IPCError(op: name, object: object, kind: .interrupted(signal: signal))
      }
      if deadline.hasPassed {
        throw IPCError(op: name, object: object, kind: .timedOut)
      }
      continue
    }
    if tolerated.contains(errno) { return .failure(errno) }
    throw IPCError(op: name, object: object, errno: errno, hint: hint?(errno))
  }
}

/// Catches SIGINT, SIGTERM and SIGHUP so that blocking calls end with EINTR and the
/// caller unwinds through its clean-ups (sigaction, in the C shim).
public enum Interrupts {
  public static func install() {
    _ = ipc_interrupts_install()
  }

  /// The signal that arrived, or nil.
  public static var pending: Int32? {
    let signal = ipc_interrupt_pending()
    return signal == 0 ? nil : signal
  }

  /// True when the pending signal was sent by a process (kill), not by the terminal.
  public static var pendingFromProcess: Bool { ipc_interrupt_from_user() != 0 }

  /// Throws `.interrupted` for `op` on `object` if SIGINT, SIGTERM or SIGHUP came.
  public static func check(op: String, object: String? = nil) throws {
    if let signal = pending {
      throw IPCError(op: op, object: object, kind: .interrupted(signal: signal))
    }
  }

  /// Forgets the pending signal after the caller has acted on it.
  public static func reset() { ipc_interrupts_reset() }

  /// A descriptor that becomes readable when an interrupt arrives, for poll().
  static var descriptor: Int32 { ipc_interrupt_fd() }
}
