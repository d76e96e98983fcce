import CIPCShims

#if canImport(Glibc)
  import Glibc
#endif

/// A point on the monotonic clock by which a blocking operation must be done.
///
/// Every blocking call in IPCKit waits through `Deadline.wait`, which polls with the
/// time left and also wakes on SIGINT/SIGTERM, so `--timeout` means the same everywhere.
public struct Deadline: Sendable, Equatable {
  /// Nanoseconds on CLOCK_MONOTONIC; nil means wait for ever.
  let end: UInt64?

  public static let never = Deadline(end: nil)

  /// The deadline `timeout` from now; nil means none.
  public static func after(_ timeout: Duration?) -> Deadline {
    guard let timeout else { return .never }
    return Deadline(end: now() &+ UInt64(clamping: timeout.nanoseconds))
  }

  static func now() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
  }

  /// Time left, or nil for no deadline; zero once passed.
  public var remaining: Duration? {
    guard let end else { return nil }
    let now = Deadline.now()
    return now >= end ? .zero : .nanoseconds(Int64(clamping: end - now))
  }

  public var hasPassed: Bool { remaining == .zero }

  /// Throws `.timedOut` (or `.interrupted`) once the deadline has passed (or SIGINT,
  /// SIGTERM or SIGHUP came), for loops that do not otherwise wait.
  public func check(op: String, object: String? = nil) throws {
    try Interrupts.check(op: op, object: object)
    if hasPassed { throw IPCError(op: op, object: object, kind: .timedOut) }
  }

  /// poll()'s timeout: milliseconds left rounded up, -1 for none.
  var pollMilliseconds: Int32 {
    guard let remaining else { return -1 }
    return Int32(clamping: (remaining.nanoseconds + 999_999) / 1_000_000)
  }

  /// Waits until one of `fds` is ready for `events`, the deadline passes, or an
  /// interrupt arrives (poll). Returns each descriptor's revents.
  ///
  /// - Throws: `.timedOut` (for `op` on `object`) when the deadline passes,
  ///   `.interrupted` on SIGINT/SIGTERM/SIGHUP.
  public func wait(
    for fds: [(fd: Int32, events: Int16)], op: String, object: String? = nil
  ) throws -> [Int16] {
    var set = fds.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
    let interruptFD = Interrupts.descriptor
    if interruptFD >= 0 { set.append(pollfd(fd: interruptFD, events: Int16(POLLIN), revents: 0)) }
    while true {
      try Interrupts.check(op: op, object: object)
      let timeout = pollMilliseconds
      let count = set.count
      let ready = try sys(
        "poll", "\(describe(set.prefix(fds.count))), \(timeout) ms", object: object
      ) { poll(&set, nfds_t(count), timeout) }
      if interruptFD >= 0, set[fds.count].revents != 0, let signal = Interrupts.pending {
        throw IPCError(op: op, object: object, kind: .interrupted(signal: signal))
      }
      if ready > 0 { return set.prefix(fds.count).map(\.revents) }
      if hasPassed {
        throw IPCError(op: op, object: object, kind: .timedOut)
      }
    }
  }

  /// Sleeps until the deadline (poll with no descriptor), waking early only to throw
  /// `.interrupted` on SIGINT/SIGTERM/SIGHUP.
  public func sleep() throws {
    do {
      _ = try wait(for: [], op: "sleep")
    } catch let error as IPCError where error.kind == .timedOut {
      return
    }
  }

  /// Runs `body`, a call that blocks in the kernel and cannot be polled (opening a
  /// FIFO), with a timer that interrupts it at the deadline (setitimer, SIGALRM).
  /// Pass the deadline to `sys` inside so that the interruption becomes `.timedOut`.
  public func interrupting<T>(_ body: () throws -> T) throws -> T {
    guard let remaining else { return try body() }
    ipc_alarm_arm(remaining.nanoseconds)
    defer { ipc_alarm_disarm() }
    return try body()
  }

  private func describe(_ set: ArraySlice<pollfd>) -> String {
    let items = set.map { entry -> String in
      var events: [String] = []
      if entry.events & Int16(POLLIN) != 0 { events.append("POLLIN") }
      if entry.events & Int16(POLLOUT) != 0 { events.append("POLLOUT") }
      return "{fd=\(entry.fd), \(events.joined(separator: "|"))}"
    }
    return "[\(items.joined(separator: ", "))]"
  }
}

extension Duration {
  /// The whole duration in nanoseconds, clamped to Int64.
  public var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return seconds < 0 ? .min : .max }
    return product.addingReportingOverflow(attoseconds / 1_000_000_000).overflow
      ? .max : product + attoseconds / 1_000_000_000
  }

  /// Seconds as a Double, for rates and reports.
  public var seconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}
