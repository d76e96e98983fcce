#if canImport(Glibc)
  import Glibc
#endif

/// What lstat(2) says of a path: its kind, permissions, owner and identity.
public struct FileStatus: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case fifo, regular = "regular file", directory, socket, symlink = "symbolic link"
    case characterDevice = "character device", blockDevice = "block device", other
  }

  public var kind: Kind
  /// The permission bits, e.g. 0o600.
  public var permissions: UInt32
  public var uid: UInt32
  public var gid: UInt32
  public var device: UInt64
  public var inode: UInt64
  public var size: Int64
  public var modified: Int

  /// lstat(path); nil when nothing is there (ENOENT).
  public static func of(_ path: String) throws -> FileStatus? {
    var info = stat()
    let result = try sys(
      "lstat", "\(quote(path))", object: path, tolerating: [.noSuchFileOrDirectory]
    ) { lstat(path, &info) }
    if case .failure = result { return nil }
    return FileStatus(info)
  }

  /// fstat(fd).
  public static func of(descriptor fd: Int32) throws -> FileStatus {
    var info = stat()
    try sys("fstat", "\(fd)", object: "fd \(fd)") { fstat(fd, &info) }
    return FileStatus(info)
  }

  init(_ info: stat) {
    let format = info.st_mode & S_IFMT
    switch format {
    case S_IFIFO: kind = .fifo
    case S_IFREG: kind = .regular
    case S_IFDIR: kind = .directory
    case S_IFSOCK: kind = .socket
    case S_IFLNK: kind = .symlink
    case S_IFCHR: kind = .characterDevice
    case S_IFBLK: kind = .blockDevice
    default: kind = .other
    }
    permissions = info.st_mode & 0o7777
    uid = info.st_uid
    gid = info.st_gid
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    size = Int64(info.st_size)
    modified = Int(info.st_mtim.tv_sec)
  }

  /// Same file: same device and inode.
  public func isSameFile(as other: FileStatus) -> Bool {
    device == other.device && inode == other.inode
  }

  /// `0600`.
  public var octalPermissions: String {
    let digits = String(permissions, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }

  /// The user name of the owner (getpwuid), or the number.
  public var ownerName: String { Self.userName(uid) }

  /// The user name for `uid` (getpwuid), or the number.
  public static func userName(_ uid: UInt32) -> String {
    guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "\(uid)" }
    return String(cString: name)
  }
}

/// Processes that have a file open, found through /proc/PID/fd and fdinfo.
public struct Opener: Sendable, Equatable {
  public var pid: Int32
  public var fd: Int32
  public var command: String
  public var reads: Bool
  public var writes: Bool

  /// Every descriptor, in every process we may look at (this one included), open on `file`.
  public static func of(_ file: FileStatus) -> [Opener] {
    var found: [Opener] = []
    guard let proc = opendir("/proc") else { return [] }
    defer { closedir(proc) }
    while let entry = readdir(proc) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard let pid = Int32(name) else { continue }
      guard let fds = opendir("/proc/\(pid)/fd") else { continue }
      defer { closedir(fds) }
      while let fdEntry = readdir(fds) {
        let fdName = withUnsafeBytes(of: fdEntry.pointee.d_name) {
          String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard let fd = Int32(fdName) else { continue }
        var info = stat()
        guard stat("/proc/\(pid)/fd/\(fd)", &info) == 0,
          FileStatus(info).isSameFile(as: file)
        else { continue }
        let flags =
          (try? Descriptors.readSmallFile("/proc/\(pid)/fdinfo/\(fd)"))
          .flatMap { text in
            text.split(separator: "\n").first { $0.hasPrefix("flags:") }
              .flatMap { Int($0.dropFirst(6).filter { !$0.isWhitespace }, radix: 8) }
          } ?? 0
        let access = flags & Int(O_ACCMODE)
        let command =
          (try? Descriptors.readSmallFile("/proc/\(pid)/comm"))?.filter { $0 != "\n" } ?? "?"
        found.append(
          Opener(
            pid: pid, fd: fd, command: command, reads: access != Int(O_WRONLY),
            writes: access != Int(O_RDONLY)))
      }
    }
    return found
  }
}
