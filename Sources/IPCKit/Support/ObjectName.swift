/// The name of a POSIX queue, shared-memory object or semaphore: `/name`.
///
/// A bare `name` is taken as `/name`; anything with another slash, `.`, `..`, an
/// empty name, a NUL byte, or more than NAME_MAX (255) bytes is a usage error.
public struct ObjectName: Sendable, Hashable, CustomStringConvertible {
  /// With its leading slash, as the kernel wants it.
  public let path: String

  public static let maxLength = 255

  public init(parsing text: String) throws {
    let hint = "names look like /jobs or jobs: one leading slash, no other"
    let bare = text.hasPrefix("/") ? String(text.dropFirst()) : text
    if bare.isEmpty {
      throw IPCError.usage("'\(text)' is not an object name: it is empty", hint: hint)
    }
    if bare.contains("/") {
      throw IPCError.usage(
        "'\(text)' is not an object name: only the leading '/' is allowed", hint: hint)
    }
    if bare == "." || bare == ".." {
      throw IPCError.usage("'\(text)' is not an object name: '\(bare)' is reserved", hint: hint)
    }
    if bare.utf8.contains(0) {
      throw IPCError.usage("object name contains a NUL byte", hint: hint)
    }
    if bare.utf8.count > Self.maxLength {
      throw IPCError.usage(
        "object name is \(bare.utf8.count) bytes; the limit is \(Self.maxLength) (NAME_MAX)",
        hint: hint)
    }
    path = "/" + bare
  }

  public var description: String { path }
}
