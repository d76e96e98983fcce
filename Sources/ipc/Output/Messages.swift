import IPCKit

/// How received messages are framed on stdout.
enum Framing {
  /// One message per line (a newline added).
  case text
  /// The bytes exactly, nothing between messages.
  case raw
  /// Each message followed by a NUL byte.
  case null
  /// One JSON object per message: priority, size, data or data_base64.
  case json
}

/// Writes each message to stdout at once (no buffering), so that a failed write is
/// known before the next message is taken: the caller can put that one back. One
/// scratch buffer serves every message: no allocation per message.
final class MessageWriter {
  let framing: Framing
  let showPriority: Bool
  /// What the number beside each message is: `priority` (POSIX) or `type` (System V).
  let label: String
  private var out: [UInt8] = []

  init(framing: Framing, showPriority: Bool, label: String = "priority") {
    self.framing = framing
    self.showPriority = showPriority
    self.label = label
    out.reserveCapacity(64 << 10)
  }

  func write(_ bytes: UnsafeRawBufferPointer, priority: Int) throws {
    out.removeAll(keepingCapacity: true)
    switch framing {
    case .json:
      var line = JSONLine()
      line.add(label, priority)
      line.add("size", bytes.count)
      if let text = String(validating: bytes, as: UTF8.self) {
        line.add("data", text)
      } else {
        line.add("data_base64", Base64.encode(bytes))
      }
      out = Array((line.description + "\n").utf8)
    case .text, .raw, .null:
      if showPriority { out += Array("\(priority)\t".utf8) }
      out += bytes
      if framing == .text { out.append(0x0A) }
      if framing == .null { out.append(0) }
    }
    try out.withUnsafeBytes { try Descriptors.writeAll(1, $0, object: "stdout") }
  }
}

/// RFC 4648 base64, for binary messages in JSON.
enum Base64 {
  private static let alphabet = Array(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index + 3 <= bytes.count {
      let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
      out += [
        alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)],
        alphabet[Int(n & 63)],
      ]
      index += 3
    }
    let rest = bytes.count - index
    if rest > 0 {
      let n = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
      out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
      out +=
        rest == 2
        ? [alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
    }
    return String(decoding: out, as: UTF8.self)
  }
}
