import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// Sending, receiving and describing signals.
public enum Signals {
  /// Sends `signal` to `pid` (kill), or with a `value` queues it (sigqueue). A pid of 0
  /// or below names a process group, -1 every process: callers guard those.
  public static func send(_ signal: SignalNumber, to pid: pid_t, value: Int32? = nil) throws {
    let target = pid > 0 ? "pid \(pid)" : pid == -1 ? "every process (-1)" : "group \(-pid)"
    let hint: (Errno) -> String? = { errno in
      switch errno {
      case .noSuchProcess: return "it has ended, or the number is wrong ('ps -p \(pid)')"
      case .notPermitted: return "it belongs to another user: run as that user, or as root"
      default: return nil
      }
    }
    do {
      if let value {
        try sys("sigqueue", "\(pid), \(signal.name), {int \(value)}", object: target, hint: hint) {
          ipc_sigqueue(pid, signal.rawValue, value)
        }
      } else {
        try sys("kill", "\(pid), \(signal.name)", object: target, hint: hint) {
          kill(pid, signal.rawValue)
        }
      }
    } catch var error as IPCError where error.errno == .noSuchProcess {
      error.detail = "no such process"
      throw error
    }
  }

  /// The default action signal(7) gives each standard signal.
  public static func defaultAction(_ signal: Int32) -> String {
    switch signal {
    case SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS:
      return "core"
    case SIGCHLD, SIGURG, SIGWINCH: return "ignore"
    case SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: return "stop"
    case SIGCONT: return "continue"
    default: return "terminate"
    }
  }

  /// `SI_USER`, `SI_QUEUE`, `CLD_EXITED`… for a siginfo code.
  public static func codeName(signal: Int32, code: Int32) -> String {
    ipc_si_code_name(signal, code).map { String(cString: $0) } ?? "code \(code)"
  }

  /// One received signal, as siginfo describes it.
  public struct Received: Sendable {
    public var signal: SignalNumber
    public var code: Int32
    public var pid: Int32
    public var uid: UInt32
    public var value: Int32

    public var codeName: String { Signals.codeName(signal: signal.rawValue, code: code) }
    /// sigqueue's value means something only for SI_QUEUE (and timers, mq).
    public var hasValue: Bool { codeName == "SI_QUEUE" }
  }

  /// Signals in a /proc/PID/status mask such as `SigBlk: 0000000000010000`.
  public static func decode(mask: String) -> [SignalNumber] {
    guard let bits = UInt64(mask, radix: 16) else { return [] }
    return (1...64).filter { bits & (1 << UInt64($0 - 1)) != 0 }.map {
      SignalNumber(rawValue: Int32($0))
    }
  }
}

/// Receives signals synchronously: they are blocked at once and read from a signalfd,
/// so nothing runs in an asynchronous handler and none is lost while we work.
public final class SignalTrap {
  public let signals: [SignalNumber]
  let fd: Int32
  /// The signals that were ignored (SIG_IGN) when we started; they are received now.
  public let wereIgnored: [SignalNumber]

  /// Blocks `signals` and opens a signalfd for them. Ignored ones are set back to
  /// default (still blocked, so nothing happens) and reported in `wereIgnored`.
  public init(_ signals: [SignalNumber]) throws {
    self.signals = signals
    let numbers = signals.map(\.rawValue)
    let names = signals.map(\.name).joined(separator: ", ")
    fd = try sys("signalfd", "-1, [\(names)], SFD_CLOEXEC|SFD_NONBLOCK") {
      ipc_signalfd_for(numbers, Int32(numbers.count))
    }
    wereIgnored = signals.filter { ipc_signal_is_ignored($0.rawValue) != 0 }
    for signal in wereIgnored { _ = ipc_signal_set_default(signal.rawValue) }
  }

  deinit { Descriptors.close(fd) }

  /// The next signal, waiting until `deadline` (poll on the signalfd).
  public func next(deadline: Deadline) throws -> Signals.Received {
    // Read first: with signals queued, one read(2) per signal and no poll.
    var first = true
    while true {
      try Interrupts.check(op: "signalfd", object: "pid \(getpid())")
      if !first {
        do {
          _ = try deadline.wait(
            for: [(fd, Int16(POLLIN))], op: "signalfd", object: "pid \(getpid())")
        } catch var error as IPCError where error.kind == .timedOut {
          error.detail = "no signal came before the timeout"
          throw error
        }
      }
      first = false
      var signo: Int32 = 0
      var code: Int32 = 0
      var pid: Int32 = 0
      var uid: UInt32 = 0
      var value: Int32 = 0
      let fd = self.fd
      let result = try sys(
        "read", "\(fd), signalfd_siginfo", object: "signalfd",
        tolerating: [.resourceTemporarilyUnavailable]
      ) { ipc_read_siginfo(fd, &signo, &code, &pid, &uid, &value) }
      if case .success = result {
        return Signals.Received(
          signal: SignalNumber(rawValue: signo), code: code, pid: pid, uid: uid, value: value)
      }
    }
  }
}
