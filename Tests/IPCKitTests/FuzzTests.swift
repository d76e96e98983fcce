import IPCKit
import Testing

/// Random strings into every value parser: each either parses or throws a usage
/// error; none crashes. A fixed seed keeps any failure reproducible.
@Suite("value parsers under random input")
struct FuzzTests {
  struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static let alphabet = Array("0123456789kKmMgGtTiIbBsSuUhH.:/@[]+-_ xyzRTMINAXSIGunixtcpd\u{0}é")

  @Test("20 000 random strings: parsed or a clean usage error")
  func random() {
    var generator = SplitMix(state: 2026)
    for _ in 0..<20_000 {
      let length = Int.random(in: 0...24, using: &generator)
      let text = String((0..<length).map { _ in Self.alphabet.randomElement(using: &generator)! })
      for parse in [
        { _ = try ByteCount(parsing: text) }, { _ = try Duration.parse(text) },
        { _ = try ObjectName(parsing: text) }, { _ = try SignalNumber(parsing: text) },
        { _ = try SocketAddress(parsing: text) },
      ] as [() throws -> Void] {
        do {
          try parse()
        } catch let error as IPCError {
          #expect(error.kind == .usage, "\(text)")
          #expect(!error.message.isEmpty)
        } catch {
          Issue.record("\(text): unexpected \(error)")
        }
      }
    }
  }
}
