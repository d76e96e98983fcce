import IPCKit
import Testing

@Suite("socket addresses")
struct SocketAddressTests {
  @Test(
    "addresses that parse, and their canonical spelling",
    arguments: [
      ("unix:/tmp/s.sock", "unix:/tmp/s.sock"), ("/tmp/s.sock", "unix:/tmp/s.sock"),
      ("./s.sock", "unix:./s.sock"), ("unix:@name", "unix:@name"),
      ("unixgram:/tmp/d", "unixgram:/tmp/d"), ("unixgram:@d", "unixgram:@d"),
      ("seqpacket:@p", "seqpacket:@p"), ("tcp:example.org:80", "tcp:example.org:80"),
      ("tcp:8080", "tcp:127.0.0.1:8080"), ("localhost:22", "tcp:localhost:22"),
      ("10.0.0.1:0", "tcp:10.0.0.1:0"), ("tcp6:[::1]:443", "tcp6:[::1]:443"),
      ("tcp6:443", "tcp6:[::1]:443"), ("tcp:[::1]:9", "tcp6:[::1]:9"),
      ("udp:9000", "udp:127.0.0.1:9000"), ("udp:0.0.0.0:53", "udp:0.0.0.0:53"),
      ("tcp:65535", "tcp:127.0.0.1:65535"),
    ])
  func good(_ text: String, _ canonical: String) throws {
    #expect(try SocketAddress(parsing: text).description == canonical)
  }

  @Test("the kinds come out right")
  func kinds() throws {
    #expect(try SocketAddress(parsing: "unix:@x") == .abstract("x", .stream))
    #expect(try SocketAddress(parsing: "/run/x") == .unixPath("/run/x", .stream))
    #expect(
      try SocketAddress(parsing: "udp:1.2.3.4:5")
        == .inet(host: "1.2.3.4", port: 5, .udp, ipv6: false))
  }

  @Test("a 107-byte path fits sun_path; 108 does not, and the error says so")
  func pathLimit() throws {
    let fits = "/" + String(repeating: "p", count: 106)
    #expect(try SocketAddress(parsing: fits) == .unixPath(fits, .stream))
    let error = #expect(throws: IPCError.self) { try SocketAddress(parsing: fits + "p") }
    #expect(error?.message == "socket path is 108 bytes; the limit is 107 (sun_path)")
    #expect(error?.hint?.contains("unix:@") == true)
  }

  @Test(
    "addresses that do not parse",
    arguments: [
      ("tcp:host:99999", "0 to 65535"), ("udp:", "port is missing"), ("tcp:", "port is missing"),
      ("unix:", "path is empty"), ("unix:@", "abstract name is empty"), ("8080", "tcp:8080"),
      ("tcp::1:80", "brackets"), ("tcp6:[::1", "missing ']'"), ("tcp6:[::1]80", "']:'"),
      ("tcp:host:-1", "0 to 65535"), ("tcp:host:8a", "0 to 65535"), (":80", "host is empty"),
      ("", "not an address"),
    ])
  func bad(_ text: String, _ reason: String) {
    let error = #expect(throws: IPCError.self) { try SocketAddress(parsing: text) }
    #expect(error?.kind == .usage)
    #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
  }

  @Test("a unix path of 200 bytes is refused with the limit")
  func longPath() {
    let error = #expect(throws: IPCError.self) {
      try SocketAddress(parsing: "unix:/" + String(repeating: "x", count: 199))
    }
    #expect(error?.message.contains("200 bytes") == true)
  }
}
