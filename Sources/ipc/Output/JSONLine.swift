import IPCKit

/// One NDJSON object, its fields in the order they were added.
struct JSONLine: CustomStringConvertible {
  private var fields: [(String, String)] = []

  mutating func add(_ key: String, _ value: String) { fields.append((key, Self.quote(value))) }
  mutating func add(_ key: String, _ value: Int) { fields.append((key, "\(value)")) }
  mutating func add(_ key: String, _ value: Int32) { fields.append((key, "\(value)")) }
  mutating func add(_ key: String, _ value: Bool) { fields.append((key, value ? "true" : "false")) }
  mutating func add(_ key: String, _ value: Double) {
    fields.append((key, value.isFinite ? "\(value)" : "null"))
  }
  mutating func addNull(_ key: String) { fields.append((key, "null")) }

  var description: String {
    "{" + fields.map { "\(Self.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
  }

  /// A JSON string literal (RFC 8259 escapes).
  static func quote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
