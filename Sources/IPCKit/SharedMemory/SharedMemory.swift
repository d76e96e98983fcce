import CIPCShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// A POSIX shared-memory object (shm_open) or a regular file, read and written
/// through mmap. Every access checks the size first (fstat), so that a range past
/// the end is refused with a clear error instead of raising SIGBUS.
public final class SharedMemory {
  /// What is mapped: a shared-memory object by name, or a file by path.
  public enum Target: Sendable, Equatable, CustomStringConvertible {
    case object(ObjectName)
    case file(String)

    public var description: String {
      switch self {
      case .object(let name): return name.path
      case .file(let path): return path
      }
    }
  }

  public let target: Target
  public let descriptor: Int32
  public let writable: Bool

  private init(target: Target, descriptor: Int32, writable: Bool) {
    self.target = target
    self.descriptor = descriptor
    self.writable = writable
  }

  deinit { Descriptors.close(descriptor) }

  var object: String { target.description }

  /// Opens an existing object or file.
  public static func open(_ target: Target, writable: Bool) throws -> SharedMemory {
    let flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC
    let names = writable ? "O_RDWR" : "O_RDONLY"
    do {
      let fd = try openCall(target, flags: flags, names: names, permissions: 0)
      let memory = SharedMemory(target: target, descriptor: fd, writable: writable)
      try requireRegularFile(fd, target)
      return memory
    } catch var error as IPCError where error.errno == .noSuchFileOrDirectory {
      switch target {
      case .object(let name):
        error.detail = "no such shared-memory object"
        error.hint = "create it with 'ipc shm create \(name.path) --size 4K'"
      case .file(let path):
        error.detail = "no such file"
        error.hint = "create it with 'ipc shm create --file \(path) --size 4K'"
      }
      throw error
    }
  }

  /// A --file target must be a regular file (or a link to one): mmap of anything
  /// else fails with a bare ENODEV, or maps a device.
  private static func requireRegularFile(_ fd: Int32, _ target: Target) throws {
    guard case .file(let path) = target else { return }
    let status = try FileStatus.of(descriptor: fd)
    if status.kind != .regular {
      throw IPCError(
        op: "open", object: path, kind: .failed,
        detail: "not a regular file but a \(status.kind.rawValue)",
        hint: "--file maps a regular file; for a POSIX object give its /name instead")
    }
  }

  /// Creates an object or file of `size` bytes (O_CREAT|O_EXCL, then ftruncate). With
  /// `existOK`, an existing one is opened as it is: never truncated.
  public static func create(
    _ target: Target, size: Int, permissions: UInt32 = 0o600, existOK: Bool = false
  ) throws -> (memory: SharedMemory, created: Bool) {
    let result: Int32
    do {
      result = try openCall(
        target, flags: O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
        names: "O_RDWR|O_CREAT|O_EXCL", permissions: permissions)
    } catch let error as IPCError where error.errno == .fileExists {
      if existOK { return (try open(target, writable: true), false) }
      var error = error
      error.detail = "it already exists"
      error.hint = "add --exist-ok to use it as it is (it is never truncated)"
      throw error
    }
    let memory = SharedMemory(target: target, descriptor: result, writable: true)
    try memory.resize(to: size)
    return (memory, true)
  }

  private static func openCall(_ target: Target, flags: Int32, names: String, permissions: UInt32)
    throws -> Int32
  {
    let mode = "0\(String(permissions, radix: 8))"
    switch target {
    case .object(let name):
      return try sys("shm_open", "\(quote(name.path)), \(names), \(mode)", object: name.path) {
        shm_open(name.path, flags, mode_t(permissions))
      }
    case .file(let path):
      return try sys("open", "\(quote(path)), \(names), \(mode)", object: path) {
        Glibc.open(path, flags, mode_t(permissions))
      }
    }
  }

  /// The current size (fstat).
  public func size() throws -> Int { Int(try FileStatus.of(descriptor: descriptor).size) }

  /// Sets the size (ftruncate).
  public func resize(to size: Int) throws {
    let fd = descriptor
    try sys("ftruncate", "\(fd), \(size)", object: object) { ftruncate(fd, off_t(size)) }
  }

  /// Maps `range` of the object (mmap, MAP_SHARED, from the page it starts in) and runs
  /// `body` with exactly those bytes. The range must lie within the object.
  public func withMapping<T>(
    _ range: Range<Int>, writable: Bool, _ body: (UnsafeMutableRawBufferPointer) throws -> T
  ) throws -> T {
    let (bytes, unmap) = try map(range, writable: writable)
    defer { unmap() }
    return try body(bytes)
  }

  /// Maps `range` as `withMapping` does, for as long as the caller needs it: call the
  /// returned `unmap` (munmap) when done.
  public func map(_ range: Range<Int>, writable: Bool) throws -> (
    bytes: UnsafeMutableRawBufferPointer, unmap: () -> Void
  ) {
    let size = try self.size()
    guard range.upperBound <= size else {
      throw IPCError(
        op: "mmap", object: object, kind: .failed,
        detail: size == 0
          ? "the object is empty (size 0): there is nothing to map"
          : "bytes \(range.lowerBound)..<\(range.upperBound) reach past the end (size \(size))",
        hint: size == 0
          ? "give it a size: 'ipc shm create NAME --size 4K --exist-ok' will not, "
            + "but 'ipc shm write NAME --grow' does" : "stay within the size, or write with --grow")
    }
    if range.isEmpty { return (UnsafeMutableRawBufferPointer(start: nil, count: 0), {}) }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = range.lowerBound / page * page
    let length = range.upperBound - start
    let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
    let fd = descriptor
    if writable {
      // Reserve the pages first: on a full tmpfs or disk this fails with ENOSPC here,
      // where a store into a page that cannot be allocated would raise SIGBUS.
      _ = try sys(
        "fallocate", "\(fd), FALLOC_FL_KEEP_SIZE, \(start), \(length)", object: object,
        tolerating: [.notSupported, .noFunction],
        hint: { $0 == .noSpace ? "the file system that holds it is full (see df -h)" : nil }
      ) { ipc_fallocate_keep_size(fd, start, length) }
    }
    // Large mappings are faulted in at once (MAP_POPULATE): one call instead of a page
    // fault per 4 KiB, which for 1 GiB is most of the time spent.
    let flags = MAP_SHARED | (length >= 1 << 20 ? MAP_POPULATE : 0)
    let described = {
      "mmap(NULL, \(length), \(writable ? "PROT_READ|PROT_WRITE" : "PROT_READ"), "
        + "\(flags == MAP_SHARED ? "MAP_SHARED" : "MAP_SHARED|MAP_POPULATE"), \(fd), \(start))"
    }
    let address = mmap(nil, length, protection, flags, fd, off_t(start))
    if address == MAP_FAILED {
      let errno = Errno(rawValue: Glibc.errno)
      Trace.emit("\(described()) = -1 \(IPCError.name(of: errno))")
      throw IPCError(op: "mmap", object: object, errno: errno)
    }
    Trace.emit("\(described()) = \(address!)")
    let bytes = UnsafeMutableRawBufferPointer(
      start: address! + (range.lowerBound - start), count: range.count)
    return (
      bytes,
      {
        munmap(address, length)
        Trace.emit("munmap(\(address!), \(length)) = 0")
      }
    )
  }

  /// Copies `bytes` in at `offset` through a mapping. A write past the end is refused
  /// unless `grow`, which extends the object (never shrinks it).
  public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, grow: Bool) throws {
    let range = try room(for: bytes.count, at: offset, grow: grow)
    try withMapping(range, writable: true) { region in
      try Self.copyGuarded(
        to: region.baseAddress, from: bytes.baseAddress, count: bytes.count, object: object)
    }
  }

  /// The range `count` bytes at `offset` will take, once it is known to fit: past the
  /// end it is refused, or with `grow` the object is extended (never shrunk).
  private func room(for count: Int, at offset: Int, grow: Bool) throws -> Range<Int> {
    let end = offset + count
    let size = try self.size()
    if end > size {
      guard grow else {
        throw IPCError(
          op: "write", object: object, kind: .failed,
          detail:
            "\(count) bytes at offset \(offset) would end at \(end), past the end (size \(size))",
          hint: "nothing was written; add --grow to extend the object")
      }
      try resize(to: end)
    }
    return offset..<end
  }

  /// Reads exactly `count` bytes from `fd` straight into the mapping at `offset` (no
  /// buffer in between), after the same end-of-object check as `write`.
  public func write(from fd: Int32, count: Int, at offset: Int, grow: Bool) throws {
    let range = try room(for: count, at: offset, grow: grow)
    try withMapping(range, writable: true) { region in
      try explainingShrinkage { try read(from: fd, count: count, into: region) }
    }
  }

  private func read(from fd: Int32, count: Int, into region: UnsafeMutableRawBufferPointer) throws {
    var done = 0
    while done < count {
      let got = try Descriptors.read(
        fd, into: UnsafeMutableRawBufferPointer(rebasing: region[done...]), object: "stdin")
      if got == 0 {
        throw IPCError(
          op: "read", object: "stdin", kind: .failed,
          detail: "stdin ended after \(done) of \(count) bytes (the file shrank)")
      }
      done += got
    }
  }

  /// Adds `value` to the 64-bit word at `offset` atomically and returns the new value.
  public func add(_ value: Int64, at offset: Int) throws -> Int64 {
    guard offset % 8 == 0 else {
      throw IPCError.usage(
        "offset \(offset) is not a multiple of 8", hint: "an atomic 64-bit word must be aligned")
    }
    return try withMapping(offset..<(offset + 8), writable: true) { word in
      var result: Int64 = 0
      guard ipc_atomic_add_guarded(word.baseAddress!, value, &result) == 0 else {
        throw Self.shrank(object)
      }
      return result
    }
  }

  /// The bytes of a mapping, copied out; an object that shrinks under the copy (SIGBUS,
  /// caught for its length) is an error, not the end of the process.
  public func copy(_ region: UnsafeRawBufferPointer) throws -> [UInt8] {
    try [UInt8](unsafeUninitializedCapacity: region.count) { buffer, count in
      try Self.copyGuarded(
        to: buffer.baseAddress, from: region.baseAddress, count: region.count, object: object)
      count = region.count
    }
  }

  /// Where a copy through a mapping failed in the kernel (EFAULT, as read(2), write(2)
  /// or vmsplice(2) meet a page that is gone), the same error as a caught SIGBUS.
  public func explainingShrinkage<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as IPCError where error.errno == .badAddress {
      throw Self.shrank(object)
    }
  }

  static func copyGuarded(
    to: UnsafeMutableRawPointer?, from: UnsafeRawPointer?, count: Int, object: String
  ) throws {
    guard count > 0, let to, let from else { return }
    if ipc_copy_guarded(to, from, count) != 0 { throw shrank(object) }
  }

  static func shrank(_ object: String) -> IPCError {
    IPCError(
      op: "mmap", object: object, kind: .failed,
      detail: "the object shrank while it was being used (SIGBUS caught); nothing more was done",
      hint: "another process truncated it; check its size with 'ipc shm info' and try again")
  }

  /// Removes the object's name (shm_unlink) or the file (unlink).
  public static func unlink(_ target: Target) throws {
    switch target {
    case .object(let name):
      do {
        try sys("shm_unlink", quote(name.path), object: name.path) { shm_unlink(name.path) }
      } catch var error as IPCError where error.errno == .noSuchFileOrDirectory {
        error.detail = "no such shared-memory object"
        error.hint = "'ipc shm ls' lists them"
        throw error
      }
    case .file(let path):
      let status = try FileStatus.of(path)
      guard status?.kind == .regular else {
        throw IPCError(
          op: "unlink", object: path, kind: .failed,
          detail: status == nil
            ? "no such file" : "not a regular file but a \(status!.kind.rawValue)")
      }
      try sys("unlink", quote(path), object: path) { Glibc.unlink(path) }
    }
  }

  /// The names in /dev/shm that are shared-memory objects (semaphores' sem.* left out).
  public static func list() throws -> [ObjectName] {
    try directoryNames("/dev/shm").filter { !$0.hasPrefix("sem.") }.compactMap {
      try? ObjectName(parsing: $0)
    }
  }

  /// The names in a directory, sorted ("." and ".." left out).
  static func directoryNames(_ directory: String) throws -> [String] {
    guard let dir = opendir(directory) else {
      throw IPCError(op: "opendir", object: directory, errno: Errno(rawValue: Glibc.errno))
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }
}
