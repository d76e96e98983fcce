/// The one place every wrapped system call reports itself for `--trace`.
///
/// The command-line layer installs a sink once, before any work; IPCKit calls
/// `Trace.emit` after each system call. Lines are built only when tracing is on.
public enum Trace {
  // Written once at start-up, before any other thread exists; read-only after.
  nonisolated(unsafe) private static var sink: ((String) -> Void)?

  public static var isOn: Bool { sink != nil }

  /// Sends every trace line to `sink` (nil turns tracing off).
  public static func install(_ newSink: ((String) -> Void)?) {
    sink = newSink
  }

  /// Reports one line, e.g. `pipe2([3, 4], O_CLOEXEC) = 0`.
  @inline(__always)
  public static func emit(_ line: @autoclosure () -> String) {
    if let sink { sink(line()) }
  }
}
