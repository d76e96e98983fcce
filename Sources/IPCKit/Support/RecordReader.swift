#if canImport(Glibc)
  import Glibc
#endif

/// Splits what a descriptor delivers into records ended by `separator` (a newline
/// for `--lines`, NUL for `--null`), reading 256 KiB at a time, so that input of any
/// length is handled in constant memory (a buffer grows only for a record longer
/// than it) with no allocation or copy per record.
public final class RecordReader {
  public let fd: Int32
  public let separator: UInt8
  private var storage: UnsafeMutableRawPointer
  private var capacity: Int
  private var start = 0  // first byte not yet returned
  private var scanned = 0  // bytes from `start` known to hold no separator
  private var end = 0  // one past the last byte read
  private var ended = false

  public init(fd: Int32, separator: UInt8, capacity: Int = 256 << 10) {
    self.fd = fd
    self.separator = separator
    self.capacity = max(capacity, 1)
    storage = .allocate(byteCount: self.capacity, alignment: 16)
  }

  deinit { storage.deallocate() }

  /// The next record and whether the separator ended it (the last record of the
  /// input may lack it); nil at the end of the input. With `includingSeparator`
  /// the record keeps its separator. The bytes stay valid until the next call.
  public func next(includingSeparator: Bool = false) throws -> (
    record: UnsafeRawBufferPointer, terminated: Bool
  )? {
    while true {
      let from = storage + start + scanned
      if let found = memchr(from, Int32(separator), end - start - scanned) {
        let length = UnsafeMutableRawPointer(found) - (storage + start)
        defer {
          start += length + 1
          scanned = 0
        }
        return (
          UnsafeRawBufferPointer(
            start: storage + start, count: length + (includingSeparator ? 1 : 0)),
          true
        )
      }
      scanned = end - start
      if ended {
        guard start < end else { return nil }
        defer {
          start = end
          scanned = 0
        }
        return (UnsafeRawBufferPointer(start: storage + start, count: end - start), false)
      }
      if start > 0 {
        memmove(storage, storage + start, end - start)
        end -= start
        start = 0
      }
      if end == capacity {
        let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
        larger.copyMemory(from: storage, byteCount: end)
        storage.deallocate()
        storage = larger
        capacity *= 2
      }
      let count = try Descriptors.read(
        fd, into: UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end),
        object: "stdin")
      if count == 0 { ended = true }
      end += count
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
