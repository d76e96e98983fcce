import CIPCShims

/// A signal given by name or number: `TERM`, `SIGTERM`, `15`, `RTMIN+2`, `RTMAX-1`.
public struct SignalNumber: Sendable, Hashable, CustomStringConvertible {
  public let rawValue: Int32

  public init(rawValue: Int32) { self.rawValue = rawValue }

  /// The first and last real-time signals of this system (SIGRTMIN, SIGRTMAX).
  public static var realTimeRange: ClosedRange<Int32> { ipc_sigrtmin()...ipc_sigrtmax() }

  /// Every valid signal number, 1 through SIGRTMAX.
  public static var all: ClosedRange<Int32> { 1...ipc_sigrtmax() }

  private static let aliases = ["IOT": "ABRT", "CLD": "CHLD", "POLL": "IO"]

  public init(parsing text: String) throws {
    let hint = "signals look like TERM, SIGUSR1, 15 or RTMIN+2; 'ipc signal list' shows them"
    let upper = text.uppercased()
    let range = Self.all
    if let number = Int32(text) {
      guard range.contains(number) else {
        throw IPCError.usage(
          "'\(text)' is not a signal: numbers run from 1 to \(range.upperBound)", hint: hint)
      }
      rawValue = number
      return
    }
    var name = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
    name = Self.aliases[name] ?? name
    if let realTime = try Self.parseRealTime(name, text: text, hint: hint) {
      rawValue = realTime
      return
    }
    guard let number = (1..<Self.realTimeRange.lowerBound).first(where: { Self.abbrev($0) == name })
    else {
      throw IPCError.usage("'\(text)' is not a signal name", hint: hint)
    }
    rawValue = number
  }

  private static func parseRealTime(_ name: String, text: String, hint: String) throws -> Int32? {
    let rt = realTimeRange
    let base: Int32
    let sign: Int32
    let rest: Substring
    if name.hasPrefix("RTMIN") {
      (base, sign, rest) = (rt.lowerBound, 1, name.dropFirst(5))
    } else if name.hasPrefix("RTMAX") {
      (base, sign, rest) = (rt.upperBound, -1, name.dropFirst(5))
    } else {
      return nil
    }
    if rest.isEmpty { return base }
    let expected: Character = sign > 0 ? "+" : "-"
    guard rest.first == expected, let offset = Int32(rest.dropFirst()), offset >= 0,
      rt.contains(base + sign * offset)
    else {
      throw IPCError.usage(
        "'\(text)' is not a signal: use RTMIN+n or RTMAX-n with n from 0 to \(rt.count - 1)",
        hint: hint)
    }
    return base + sign * offset
  }

  private static func abbrev(_ signal: Int32) -> String? {
    ipc_signal_abbrev(signal).map { String(cString: $0) }
  }

  /// SIGKILL and SIGSTOP: the kernel acts on them; they cannot be caught, blocked or ignored.
  public var isUncatchable: Bool { rawValue == 9 || rawValue == 19 }

  /// Whether the C library has a name for it (32 and 33 are its threads' own).
  public var isNamed: Bool { Self.realTimeRange.contains(rawValue) || Self.abbrev(rawValue) != nil }

  /// `SIGTERM`, `SIGRTMIN+2`.
  public var name: String {
    let rt = Self.realTimeRange
    if rawValue == rt.lowerBound { return "SIGRTMIN" }
    if rawValue == rt.upperBound { return "SIGRTMAX" }
    if rt.contains(rawValue) { return "SIGRTMIN+\(rawValue - rt.lowerBound)" }
    return Self.abbrev(rawValue).map { "SIG" + $0 } ?? "signal \(rawValue)"
  }

  /// The C library's description: `Terminated`, `Real-time signal 2`.
  public var summary: String {
    let rt = Self.realTimeRange
    if rt.contains(rawValue) { return "Real-time signal \(rawValue - rt.lowerBound)" }
    return ipc_signal_description(rawValue).map { String(cString: $0) }
      ?? "Unknown signal \(rawValue)"
  }

  public var description: String { name }
}
