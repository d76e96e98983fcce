import IPCKit
import Testing

@Suite("value parsers")
struct ValueParserTests {
  @Test(
    "sizes that parse",
    arguments: [
      ("0", 0), ("512", 512), ("4K", 4096), ("4k", 4096), ("4KiB", 4096), ("4KB", 4096),
      ("1M", 1 << 20), ("1MiB", 1 << 20), ("2G", 2 << 30), ("1T", 1 << 40), ("10B", 10),
    ])
  func goodSize(_ text: String, _ value: Int) throws {
    #expect(try ByteCount(parsing: text).value == value)
  }

  @Test(
    "sizes that do not parse, with the reason",
    arguments: [
      ("", "start with a number"), ("-1", "start with a number"), ("1X", "unknown unit 'X'"),
      ("K", "start with a number"), ("1.5M", "unknown unit '.5M'"), ("4 K", "unknown unit ' K'"),
      ("99999999999999999999", "too large"), ("9000000000T", "too large"),
    ])
  func badSize(_ text: String, _ reason: String) {
    let error = #expect(throws: IPCError.self) { try ByteCount(parsing: text) }
    #expect(error?.kind == .usage)
    #expect(error?.exitCode == 2)
    #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    #expect(error?.hint != nil)
  }

  @Test("a size reads back in its largest exact unit")
  func sizeDescription() throws {
    #expect(ByteCount(65536).description == "64K")
    #expect(ByteCount(1 << 20).description == "1M")
    #expect(ByteCount(4097).description == "4097")
    #expect(ByteCount(0).description == "0")
    #expect(ByteCount.human(1536 * 1024) == "1.5 MiB")
    #expect(ByteCount.human(100) == "100 B")
  }

  @Test(
    "durations that parse",
    arguments: [
      ("250ms", 250_000_000), ("5s", 5_000_000_000), ("2m", 120_000_000_000),
      ("1.5", 1_500_000_000), ("0", 0), ("10us", 10_000), ("7ns", 7), ("1h", 3_600_000_000_000),
    ])
  func goodDuration(_ text: String, _ nanoseconds: Int64) throws {
    #expect(try Duration.parse(text).nanoseconds == nanoseconds)
  }

  @Test(
    "durations that do not parse",
    arguments: ["", "-1", "5x", "ms", "1.2.3", "1e3", "inf", "nan", "99999999999h", "5 s"])
  func badDuration(_ text: String) {
    let error = #expect(throws: IPCError.self) { try Duration.parse(text) }
    #expect(error?.kind == .usage)
    #expect(error?.message.contains("'\(text)' is not a duration") == true)
  }

  @Test(
    "object names that parse",
    arguments: [("/jobs", "/jobs"), ("jobs", "/jobs"), ("/a.b-c_d", "/a.b-c_d")])
  func goodName(_ text: String, _ path: String) throws {
    #expect(try ObjectName(parsing: text).path == path)
  }

  @Test("the longest object name is NAME_MAX bytes")
  func nameLimit() throws {
    let longest = String(repeating: "n", count: 255)
    #expect(try ObjectName(parsing: longest).path == "/" + longest)
    #expect(throws: IPCError.self) { try ObjectName(parsing: longest + "n") }
  }

  @Test(
    "object names that do not parse",
    arguments: [
      ("", "empty"), ("/", "empty"), ("a/b", "leading '/'"), ("/a/b", "leading '/'"),
      ("//a", "leading '/'"), ("..", "reserved"), ("/.", "reserved"), ("../x", "leading '/'"),
      ("a\u{0}b", "NUL"), (String(repeating: "x", count: 300), "limit is 255"),
    ])
  func badName(_ text: String, _ reason: String) {
    let error = #expect(throws: IPCError.self) { try ObjectName(parsing: text) }
    #expect(error?.kind == .usage)
    #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
  }

  @Test(
    "signals by name and number",
    arguments: [
      ("TERM", 15), ("SIGTERM", 15), ("sigterm", 15), ("15", 15), ("KILL", 9), ("USR1", 10),
      ("HUP", 1), ("CHLD", 17), ("CLD", 17), ("IOT", 6), ("SIGRTMIN", 34), ("RTMIN", 34),
      ("RTMIN+2", 36), ("RTMAX", 64), ("RTMAX-1", 63), ("64", 64),
    ])
  func goodSignal(_ text: String, _ number: Int32) throws {
    #expect(try SignalNumber(parsing: text).rawValue == number)
  }

  @Test(
    "signals that do not exist",
    arguments: [
      "SIGFOO", "0", "65", "-1", "", "RTMIN+31", "RTMAX-31", "RTMIN-1", "RTMAX+1", "RTMIN+x", "SIG",
    ])
  func badSignal(_ text: String) {
    let error = #expect(throws: IPCError.self) { try SignalNumber(parsing: text) }
    #expect(error?.kind == .usage)
    #expect(error?.hint?.contains("ipc signal list") == true)
  }

  @Test("signal names read back in the usual form")
  func signalNames() {
    #expect(SignalNumber(rawValue: 15).name == "SIGTERM")
    #expect(SignalNumber(rawValue: 34).name == "SIGRTMIN")
    #expect(SignalNumber(rawValue: 36).name == "SIGRTMIN+2")
    #expect(SignalNumber(rawValue: 64).name == "SIGRTMAX")
    #expect(SignalNumber(rawValue: 15).summary == "Terminated")
  }
}
