import Foundation
import Testing

/// Runs the built `ipc` and real peers in bash, as a user would, with a time limit.
enum Harness {
  /// The `ipc` built next to this test bundle (the test target depends on it).
  static let ipc: String = {
    let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return bundle.deletingLastPathComponent().appendingPathComponent("ipc").path
  }()

  /// Switching users, mounting and unsharing need root; suites enable those tests on it.
  static let isRoot = getuid() == 0

  struct Result {
    var status: Int32
    var stdout: Data
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
    var stderrLines: [Substring] { stderr.split(separator: "\n") }
  }

  /// A fresh directory for one test, removed by the caller's `defer`.
  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ipc-test-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// A script that first runs `prelude` (names and a clean-up trap, say).
  static func bash(_ script: String, prelude: String, timeout: Double = 60) throws -> Result {
    try bash(prelude + "\n" + script, timeout: timeout)
  }

  /// Runs `script` under bash with `$IPC` set to the binary and PATH leading to it.
  /// A script still running after `timeout` seconds is killed and the test fails.
  static func bash(_ script: String, timeout: Double = 60, stdin: Data? = nil) throws -> Result {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Captures live in a hidden folder, so that the script's own directory starts empty.
    let capture = dir.appendingPathComponent(".capture")
    try FileManager.default.createDirectory(at: capture, withIntermediateDirectories: true)
    let out = capture.appendingPathComponent("stdout")
    let err = capture.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    // The test runner's threads block most signals, and a child inherits that mask:
    // start bash with none blocked and SIGPIPE at default, as from a login shell, so
    // kill, Ctrl-C and closed pipes behave as they do for a user.
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = [
      "-c",
      "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
        + "signal.signal(signal.SIGPIPE, signal.SIG_DFL); "
        + "os.execv('/bin/bash', ['bash', '-c', sys.argv[1]])",
      script,
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["IPC"] = ipc
    environment["PATH"] =
      (ipc as NSString).deletingLastPathComponent + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    environment["NO_COLOR"] = "1"
    process.environment = environment
    process.currentDirectoryURL = dir
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    if let stdin {
      let input = capture.appendingPathComponent("stdin")
      try stdin.write(to: input)
      process.standardInput = try FileHandle(forReadingFrom: input)
    } else {
      process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    }
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }
    try process.run()
    if done.wait(timeout: .now() + timeout) == .timedOut {
      kill(-process.processIdentifier, SIGKILL)
      process.terminate()
      done.wait()
      Issue.record("timed out after \(timeout) s: \(script)")
    }
    return Result(
      status: process.terminationStatus,
      stdout: try Data(contentsOf: out),
      stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
  }
}
