extension Duration {
  private static let units: [(suffix: String, nanoseconds: Double)] = [
    ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ("", 1e9),
  ]

  /// Parses a duration given on the command line: `250ms`, `5s`, `2m`, `1h`, or plain
  /// seconds (`1.5`). Throws a usage error that says what is wrong.
  public static func parse(_ text: String) throws -> Duration {
    let hint = "durations look like 250ms, 5s, 2m or 1.5 (seconds)"
    let number = text.prefix { ($0.isASCII && $0.isNumber) || $0 == "." }
    let suffix = String(text.dropFirst(number.count))
    guard !number.isEmpty, let amount = Double(number), amount.isFinite else {
      throw IPCError.usage(
        "'\(text)' is not a duration: it must start with a number", hint: hint)
    }
    guard let unit = units.first(where: { $0.suffix == suffix }) else {
      throw IPCError.usage("'\(text)' is not a duration: unknown unit '\(suffix)'", hint: hint)
    }
    let nanoseconds = amount * unit.nanoseconds
    guard nanoseconds < 9.2e18 else {
      throw IPCError.usage("'\(text)' is not a duration: too long", hint: hint)
    }
    return .nanoseconds(Int64(nanoseconds.rounded()))
  }

  /// `250ms`, `5s`, `1.5s`: how a duration reads back to the user.
  public var shortDescription: String {
    let ns = nanoseconds
    if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
    if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
    return "\(seconds)s"
  }
}
