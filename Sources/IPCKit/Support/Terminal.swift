#if canImport(Glibc)
  import Glibc
#endif

/// What the process was started with: its terminal, environment and own executable.
public enum ProcessEnvironment {
  /// True when fd is a terminal (isatty).
  public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

  /// The value of an environment variable (getenv).
  public static func variable(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
  }

  /// The real user id (getuid).
  public static var userID: UInt32 { getuid() }

  /// This process's id (getpid).
  public static var processID: Int32 { getpid() }

  /// Sets an environment variable for this process and the children it starts (setenv).
  public static func setVariable(_ name: String, _ value: String) {
    setenv(name, value, 1)
  }

  /// The path of the running executable, for re-running ourselves (/proc/self/exe).
  public static var executablePath: String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return CommandLine.arguments[0] }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Ignores SIGPIPE, so that writing to a closed pipe fails with EPIPE and the tool can
  /// end quietly with 141 instead of dying half-way; children get it back at default.
  public static func ignoreBrokenPipes() {
    signal(SIGPIPE, SIG_IGN)
  }

  /// Ends the process at once with `code` (_exit: nothing is flushed).
  public static func exit(_ code: Int32) -> Never { _exit(code) }
}
