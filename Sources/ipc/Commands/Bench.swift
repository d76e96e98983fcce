import ArgumentParser
import IPCKit

/// `ipc bench`: latency and throughput of each mechanism, measured between this process
/// and a peer process, in one comparative table.
struct BenchCommand: IPCCommand {
  static let verb = "bench"
  static let configuration = CommandConfiguration.verb(
    commandName: "bench",
    abstract: "Measure the latency and throughput of each mechanism, side by side.",
    discussion: """
      For each mechanism, ipc starts a peer process (itself) and bounces --count
      messages of --size bytes off it (ping-pong: the round trip, as min, median
      and 99th percentile), then sends --count more one way and waits for one
      acknowledgement (throughput). Every object made is removed afterwards,
      also when the run fails or is interrupted.

      Mechanisms: \(BenchMechanism.allCases.map(\.rawValue).joined(separator: ", ")).
      A signal carries 4 bytes (its value) whatever --size says; System V
      messages are limited to /proc/sys/kernel/msgmax, POSIX ones to msgsize_max.

      Examples:
        ipc bench
        ipc bench pipe unix tcp --size 4K --count 20000
        ipc bench mq sysv --json
      """)

  @Argument(help: "Mechanisms to measure (default: all).") var mechanisms: [String] = []
  @Option(
    help: ArgumentHelp("Bytes per message (default: 64).", valueName: "size"), transform: Parse.size
  )
  var size = ByteCount(64)
  @Option(help: "Messages per measurement.") var count = 10_000
  @Option(
    help: ArgumentHelp(
      "Give up on a mechanism after this long (default: 60s; exit 124).",
      valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration = .seconds(60)
  @Option(help: .hidden) var peer: String?
  @Option(help: .hidden) var object: [String] = []
  @OptionGroup var common: CommonOptions

  var selected: [BenchMechanism] {
    mechanisms.isEmpty ? BenchMechanism.allCases : mechanisms.compactMap(BenchMechanism.init)
  }

  func validate() throws {
    let known = BenchMechanism.allCases.map(\.rawValue)
    if let bad = (mechanisms + (peer.map { [$0] } ?? [])).first(where: { !known.contains($0) }) {
      throw ValidationError(
        "no mechanism '\(bad)'; mechanisms are \(known.joined(separator: ", "))")
    }
    if count < 1 || count > 10_000_000 { throw ValidationError("--count must be 1 to 10000000") }
    if size.value < 1 || size.value > 1 << 24 { throw ValidationError("--size must be 1 to 16M") }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    if let peer, let mechanism = BenchMechanism(rawValue: peer) {
      try Bench.peer(
        mechanism, size: size.value, count: count, objects: object,
        deadline: Deadline.after(timeout))
      return 0
    }
    var out = StandardOutput()
    if !common.json {
      try out.writeLine(
        "\(count) messages of \(size.value) bytes each way; round trip in microseconds")
      try out.writeLine(
        MQList.pad("MECHANISM", 10) + MQList.pad("RTT MIN", 9) + MQList.pad("MEDIAN", 9)
          + MQList.pad("P99", 9) + MQList.pad("MSGS/S", 11) + MQList.pad("MB/S", 9) + "HOW")
      try out.flush()
    }
    for mechanism in selected {
      common.say("measuring \(mechanism.rawValue): \(mechanism.summary)")
      let result: BenchResult
      do {
        result = try Bench.run(
          mechanism, size: size.value, count: count, deadline: Deadline.after(timeout),
          command: ["/proc/self/exe", "bench"] + (common.trace ? ["--trace"] : []))
      } catch var error as IPCError where error.kind == .timedOut {
        error.object = mechanism.rawValue
        error.detail = "the measurement did not finish within --timeout"
        error.hint = "use a smaller --count, or a longer --timeout"
        throw error
      }
      if common.json {
        var line = JSONLine()
        line.add("mechanism", mechanism.rawValue)
        line.add("size", result.payload)
        line.add("count", count)
        line.add("rtt_min_us", result.roundTrip(quantile: 0))
        line.add("rtt_median_us", result.roundTrip(quantile: 0.5))
        line.add("rtt_p99_us", result.roundTrip(quantile: 0.99))
        line.add("messages_per_second", result.messagesPerSecond.rounded())
        line.add("bytes_per_second", result.bytesPerSecond.rounded())
        try out.writeLine(line.description)
      } else {
        try out.writeLine(
          MQList.pad(mechanism.rawValue, 10)
            + MQList.pad(fixed(result.roundTrip(quantile: 0), digits: 1), 9)
            + MQList.pad(fixed(result.roundTrip(quantile: 0.5), digits: 1), 9)
            + MQList.pad(fixed(result.roundTrip(quantile: 0.99), digits: 1), 9)
            + MQList.pad(fixed(result.messagesPerSecond, digits: 0), 11)
            + MQList.pad(fixed(result.bytesPerSecond / 1e6, digits: 1), 9) + mechanism.summary)
      }
      try out.flush()
    }
    return 0
  }
}
