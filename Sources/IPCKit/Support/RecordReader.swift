/// Splits what a descriptor delivers into records ended by `separator` (a newline
/// for `--lines`, NUL for `--null`), reading as it goes, so that input of any length
/// is handled in constant memory.
public struct RecordReader {
  public let fd: Int32
  public let separator: UInt8
  private var buffer: [UInt8] = []
  private var start = 0
  private var ended = false

  public init(fd: Int32, separator: UInt8) {
    self.fd = fd
    self.separator = separator
  }

  /// The next record without its separator, and whether the separator was there (the
  /// last record of the input may lack it); nil at the end of the input.
  public mutating func next() throws -> (record: ArraySlice<UInt8>, terminated: Bool)? {
    while true {
      if let end = buffer[start...].firstIndex(of: separator) {
        defer { start = end + 1 }
        return (buffer[start..<end], true)
      }
      if ended {
        guard start < buffer.count else { return nil }
        defer { start = buffer.count }
        return (buffer[start...], false)
      }
      if start > 0 {
        buffer.removeFirst(start)
        start = 0
      }
      let old = buffer.count
      buffer += repeatElement(0, count: 64 << 10)
      let count = try buffer.withUnsafeMutableBytes {
        try Descriptors.read(
          fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[old...]), object: "stdin")
      }
      buffer.removeLast((64 << 10) - count)
      if count == 0 { ended = true }
    }
  }
}

extension Descriptors {
  /// Reads fd to its end, or until more than `limit` bytes have come (then the result
  /// holds limit + 1 bytes, which says "too long" without reading everything).
  public static func readAll(_ fd: Int32, limit: Int, object: String) throws -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while bytes.count <= limit {
      let count = try chunk.withUnsafeMutableBytes {
        try read(
          fd,
          into: UnsafeMutableRawBufferPointer(
            rebasing: $0[..<min($0.count, limit + 1 - bytes.count)]), object: object)
      }
      if count == 0 { break }
      bytes += chunk[..<count]
    }
    return bytes
  }
}
