/// A socket address in the syntax of conventions.md, for listen and connect alike.
///
/// | form | meaning |
/// | --- | --- |
/// | `unix:PATH` or any PATH with a `/` | Unix-domain stream socket at PATH |
/// | `unix:@NAME` | Linux abstract namespace (no file) |
/// | `unixgram:…`, `seqpacket:…` | Unix datagram / sequenced-packet |
/// | `tcp:HOST:PORT`, `tcp:PORT`, `HOST:PORT` | TCP; a bare port means 127.0.0.1 |
/// | `tcp6:[::1]:PORT` | TCP over IPv6 |
/// | `udp:HOST:PORT`, `udp:PORT` | UDP |
public enum SocketAddress: Sendable, Hashable, CustomStringConvertible {
  public enum UnixKind: String, Sendable { case stream = "unix", datagram = "unixgram", seqpacket }
  public enum Transport: String, Sendable { case tcp, udp }

  case unixPath(String, UnixKind)
  case abstract(String, UnixKind)
  /// `ipv6` says the host is an IPv6 literal (written in brackets).
  case inet(host: String, port: UInt16, Transport, ipv6: Bool)

  /// sun_path holds 108 bytes, one of which is the terminating NUL.
  public static let maxUnixPathLength = 107

  private static let hint =
    "addresses look like unix:/tmp/s.sock, unix:@name, tcp:127.0.0.1:8080, tcp:8080, udp:9000"

  public init(parsing text: String) throws {
    let (scheme, rest) = Self.splitScheme(text)
    switch scheme {
    case .some(let scheme) where scheme.hasPrefix("unix") || scheme == "seqpacket":
      self = try Self.parseUnix(rest, kind: UnixKind(rawValue: scheme)!, text: text)
    case .some(let scheme):
      let transport: Transport = scheme.hasPrefix("tcp") ? .tcp : .udp
      self = try Self.parseInet(rest, transport, forceIPv6: scheme.hasSuffix("6"), text: text)
    case nil where text.contains("/"):
      self = try Self.parseUnix(text, kind: .stream, text: text)
    case nil where text.contains(":"):
      self = try Self.parseInet(text, .tcp, forceIPv6: false, text: text)
    default:
      let extra = UInt16(text) != nil ? " (for a TCP port write tcp:\(text))" : ""
      throw IPCError.usage("'\(text)' is not an address\(extra)", hint: Self.hint)
    }
  }

  private static let schemes = [
    "unix", "unixgram", "seqpacket", "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6",
  ]

  /// `("tcp", "host:80")` for `tcp:host:80`; a nil scheme for `HOST:PORT` or a path.
  private static func splitScheme(_ text: String) -> (String?, String) {
    guard let colon = text.firstIndex(of: ":"), schemes.contains(String(text[..<colon])) else {
      return (nil, text)
    }
    return (String(text[..<colon]), String(text[text.index(after: colon)...]))
  }

  private static func parseUnix(_ rest: String, kind: UnixKind, text: String) throws
    -> SocketAddress
  {
    let isAbstract = rest.hasPrefix("@")
    let body = isAbstract ? String(rest.dropFirst()) : rest
    if body.isEmpty {
      throw IPCError.usage(
        "'\(text)' is not an address: the \(isAbstract ? "abstract name" : "path") is empty",
        hint: Self.hint)
    }
    if body.utf8.contains(0) {
      throw IPCError.usage("'\(text)' is not an address: it contains a NUL byte", hint: Self.hint)
    }
    let length = body.utf8.count
    if length > maxUnixPathLength {
      throw IPCError.usage(
        "\(isAbstract ? "abstract name" : "socket path") is \(length) bytes; "
          + "the limit is \(maxUnixPathLength) (sun_path)",
        hint: isAbstract
          ? "choose a shorter name" : "use a shorter path or an abstract name such as unix:@name")
    }
    return isAbstract ? .abstract(body, kind) : .unixPath(body, kind)
  }

  private static func parseInet(
    _ rest: String, _ transport: Transport, forceIPv6: Bool, text: String
  ) throws -> SocketAddress {
    var host: String
    var portText: Substring
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else {
        throw IPCError.usage("'\(text)' is not an address: missing ']'", hint: Self.hint)
      }
      host = String(rest[rest.index(after: rest.startIndex)..<close])
      let after = rest[rest.index(after: close)...]
      guard after.hasPrefix(":") else {
        throw IPCError.usage(
          "'\(text)' is not an address: a port must follow ']:'", hint: Self.hint)
      }
      portText = after.dropFirst()
      guard !host.isEmpty else {
        throw IPCError.usage("'\(text)' is not an address: the host is empty", hint: Self.hint)
      }
    } else if let colon = rest.lastIndex(of: ":") {
      host = String(rest[..<colon])
      portText = rest[rest.index(after: colon)...]
      if host.contains(":") {
        throw IPCError.usage(
          "'\(text)' is not an address: write an IPv6 host in brackets, e.g. tcp6:[::1]:80",
          hint: Self.hint)
      }
      if host.isEmpty {
        throw IPCError.usage("'\(text)' is not an address: the host is empty", hint: Self.hint)
      }
    } else {
      host = ""
      portText = Substring(rest)
    }
    if portText.isEmpty {
      throw IPCError.usage("'\(text)' is not an address: the port is missing", hint: Self.hint)
    }
    guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText) else {
      throw IPCError.usage(
        "'\(text)' is not an address: port '\(portText)' is not a number from 0 to 65535",
        hint: Self.hint)
    }
    let ipv6 = forceIPv6 || host.contains(":")
    if host.isEmpty { host = ipv6 ? "::1" : "127.0.0.1" }
    return .inet(host: host, port: port, transport, ipv6: ipv6)
  }

  /// The canonical spelling: `unix:/run/x.sock`, `unix:@name`, `tcp:127.0.0.1:80`, `tcp6:[::1]:80`.
  public var description: String {
    switch self {
    case .unixPath(let path, let kind): return "\(kind.rawValue):\(path)"
    case .abstract(let name, let kind): return "\(kind.rawValue):@\(name)"
    case .inet(let host, let port, let transport, let ipv6):
      return ipv6
        ? "\(transport.rawValue)6:[\(host)]:\(port)" : "\(transport.rawValue):\(host):\(port)"
    }
  }
}
