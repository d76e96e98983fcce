/// A size given on the command line: `512`, `4K`, `4KiB`, `1M`, `2G` (powers of 1024).
public struct ByteCount: Sendable, Equatable, Comparable, CustomStringConvertible {
  public var value: Int

  public init(_ value: Int) { self.value = value }

  private static let units: [(suffixes: [String], shift: Int)] = [
    (["", "B"], 0), (["K", "KB", "KIB"], 10), (["M", "MB", "MIB"], 20),
    (["G", "GB", "GIB"], 30), (["T", "TB", "TIB"], 40),
  ]

  /// Parses `text`, or throws a usage error that says what is wrong with it.
  public init(parsing text: String) throws {
    let hint = "sizes look like 512, 4K, 64KiB, 1M or 2G (powers of 1024)"
    let digits = text.prefix { $0.isASCII && $0.isNumber }
    let suffix = text.dropFirst(digits.count).uppercased()
    guard !digits.isEmpty else {
      throw IPCError.usage("'\(text)' is not a size: it must start with a number", hint: hint)
    }
    guard let unit = Self.units.first(where: { $0.suffixes.contains(suffix) }) else {
      throw IPCError.usage("'\(text)' is not a size: unknown unit '\(suffix)'", hint: hint)
    }
    guard let number = Int(digits), number <= (Int.max >> unit.shift) else {
      throw IPCError.usage("'\(text)' is not a size: too large", hint: hint)
    }
    value = number << unit.shift
  }

  public static func < (lhs: ByteCount, rhs: ByteCount) -> Bool { lhs.value < rhs.value }

  /// The exact value in the largest unit that divides it: `64K`, `1M`, `4097`.
  public var description: String {
    for unit in Self.units.reversed() where unit.shift > 0 {
      if value != 0 && value % (1 << unit.shift) == 0 {
        return "\(value >> unit.shift)\(unit.suffixes[0])"
      }
    }
    return "\(value)"
  }

  /// A human figure with one decimal: `1.5 MiB`, `512 B`.
  public static func human(_ bytes: Double) -> String {
    let names = ["B", "KiB", "MiB", "GiB", "TiB"]
    var amount = bytes
    var index = 0
    while amount >= 1024 && index < names.count - 1 {
      amount /= 1024
      index += 1
    }
    return index == 0 ? "\(Int(amount)) B" : "\(fixed(amount, digits: 1)) \(names[index])"
  }
}

/// `value` with exactly `digits` decimals, rounded (no Foundation formatters).
public func fixed(_ value: Double, digits: Int) -> String {
  guard value.isFinite else { return "\(value)" }
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let scaled = (abs(value) * scale).rounded()
  let whole = Int(scaled / scale)
  let sign = value < 0 && scaled != 0 ? "-" : ""
  guard digits > 0 else { return sign + "\(whole)" }
  let fraction = String(Int(scaled - Double(whole) * scale))
  return sign + "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
}
