import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// The one error type of IPCKit: what was being done, to which object, why, and a hint.
///
/// The command-line layer renders it as `ipc: VERB OBJECT: message (ERRNO)` plus an
/// optional `hint:` line, and maps `kind` to the documented exit code.
public struct IPCError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// A system call failed with this errno.
    case system(Errno)
    /// Bad input: a value, a name or a combination of options (exit 2).
    case usage
    /// `--nonblock` and the operation would have had to wait (exit 3).
    case wouldBlock
    /// `--timeout` expired (exit 124).
    case timedOut
    /// SIGINT, SIGTERM or SIGHUP arrived while waiting (exit 128+N).
    case interrupted(signal: Int32)
    /// A failure that is not a system call's, e.g. a short message or a bad reply.
    case failed
  }

  /// The system call or step that failed, e.g. `mq_open`.
  public var op: String
  /// The object it was done to, e.g. `/jobs`; nil when there is none.
  public var object: String?
  public var kind: Kind
  /// What went wrong, in words; when nil, the errno's description is used.
  public var detail: String?
  /// What the user could do about it.
  public var hint: String?

  public init(
    op: String, object: String? = nil, kind: Kind, detail: String? = nil, hint: String? = nil
  ) {
    self.op = op
    self.object = object
    self.kind = kind
    self.detail = detail
    self.hint = hint
  }

  public init(
    op: String, object: String? = nil, errno: Errno, detail: String? = nil, hint: String? = nil
  ) {
    self.init(op: op, object: object, kind: .system(errno), detail: detail, hint: hint)
  }

  /// A usage error: exit 2, nothing was changed.
  public static func usage(_ detail: String, object: String? = nil, hint: String? = nil) -> IPCError
  {
    IPCError(op: "parse", object: object, kind: .usage, detail: detail, hint: hint)
  }

  public var errno: Errno? {
    if case .system(let errno) = kind { return errno }
    return nil
  }

  /// The exit code conventions.md gives this error.
  public var exitCode: Int32 {
    switch kind {
    case .system, .failed: return 1
    case .usage: return 2
    case .wouldBlock: return 3
    case .timedOut: return 124
    case .interrupted(let signal): return 128 + signal
    }
  }

  /// The words after `OBJECT:` in the rendered line, without the errno name.
  public var message: String {
    if let detail { return detail }
    switch kind {
    case .system(let errno): return "\(op): \(Self.describe(errno))"
    case .usage: return "invalid input"
    case .wouldBlock: return "\(op) would block"
    case .timedOut: return "\(op) timed out"
    case .interrupted(let signal): return "interrupted by \(SignalNumber(rawValue: signal).name)"
    case .failed: return "\(op) failed"
    }
  }

  /// The `(ENOENT)` part of the rendered line, or nil.
  public var errnoName: String? {
    guard let errno else { return nil }
    return Self.name(of: errno)
  }

  public var description: String {
    var line = object.map { "\($0): \(message)" } ?? message
    if let errnoName { line += " (\(errnoName))" }
    return line
  }

  /// `ENOENT` for `.noSuchFileOrDirectory`.
  public static func name(of errno: Errno) -> String {
    guard let name = ipc_errno_name(errno.rawValue) else { return "errno \(errno.rawValue)" }
    return String(cString: name)
  }

  /// `no such file or directory`: the C library's text with a lower-case first letter.
  public static func describe(_ errno: Errno) -> String {
    guard let text = strerror(errno.rawValue) else { return "errno \(errno.rawValue)" }
    var words = String(cString: text)
    if let first = words.first, first.isUppercase, words.dropFirst().first?.isLowercase ?? true {
      words = first.lowercased() + words.dropFirst()
    }
    return words
  }
}
