import IPCKit

/// Buffered standard output. A closed reader (EPIPE) surfaces as an `IPCError` on
/// object `stdout`, which the entry point turns into a quiet exit 141.
struct StandardOutput {
  private var buffer: [UInt8] = []
  private let limit = 64 << 10

  mutating func write(_ text: String) throws {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= limit { try flush() }
  }

  mutating func writeLine(_ text: String) throws { try write(text + "\n") }

  mutating func flush() throws {
    guard !buffer.isEmpty else { return }
    defer { buffer.removeAll(keepingCapacity: true) }
    try buffer.withUnsafeBytes { try Descriptors.writeAll(1, $0, object: "stdout") }
  }
}

/// Unbuffered standard error, for diagnostics, trace and statistics lines.
enum StandardError {
  static func writeLine(_ text: String) {
    var line = Array(text.utf8)
    line.append(0x0A)
    line.withUnsafeBytes { Descriptors.writeAllUntraced(2, $0) }
  }
}
