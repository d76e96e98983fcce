import ArgumentParser
import IPCKit

/// `ipc pipe`: anonymous pipes between commands, measured if asked.
struct PipeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pipe",
    abstract: "Connect commands with anonymous pipes and measure the flow.",
    discussion: """
      'ipc pipe STAGE…' is short for 'ipc pipe run STAGE…'. Its options:
        --stats           relay each link through ipc; report bytes, time, rate
        --capacity SIZE   size every pipe (F_SETPIPE_SZ), e.g. 1M
        --trace, --json, --verbose
      See 'ipc pipe run --help' for all of it.

      Examples:
        ipc pipe 'printf "b\\na\\n"' 'sort' 'tr a-z A-Z'
        ipc pipe --stats 'head -c 100M /dev/urandom' 'sha256sum'
        some-command | ipc pipe --stats > out      (a meter, like pv)
        ipc pipe info
      """,
    subcommands: [PipeRun.self, PipeInfo.self],
    defaultSubcommand: PipeRun.self
  )
}

/// `ipc pipe [run] CMD…`: a pipeline, like the shell's, with pipefail status.
struct PipeRun: IPCCommand {
  static let verb = "pipe"
  static let configuration = CommandConfiguration.verb(
    commandName: "run",
    abstract: "Run commands connected by pipes (the default verb).",
    discussion: """
      Each STAGE runs under /bin/sh -c; stage 1's stdin is ipc's stdin and
      the last stage's stdout is ipc's stdout. The exit status is that of the
      last stage that failed, 128+N for a stage killed by signal N (like
      bash's 'set -o pipefail').

      With --stats, ipc sits on every link between stages, relays the data
      (splice, so it is not copied through user space) and prints, per link,
      the bytes, the time and the throughput to stderr. With no stage it
      copies stdin to stdout; with one stage it meters that stage's output.

      A stage whose command is 'info' must be written with a space: ' info'.

      Examples:
        ipc pipe 'seq 1000' 'grep 7' 'wc -l'
        ipc pipe --stats --capacity 1M 'head -c 1G /dev/zero' 'cat > /dev/null'
        ipc pipe --trace 'echo hi' 'cat'
      """
  )

  @Flag(help: "Relay every link through ipc and report bytes, time and throughput on stderr.")
  var stats = false

  @Option(
    help: ArgumentHelp("Size every pipe to SIZE (F_SETPIPE_SZ), e.g. 1M.", valueName: "size"),
    transform: Parse.size)
  var capacity: ByteCount?

  @OptionGroup var common: CommonOptions

  @Argument(help: "Shell commands, one per stage.")
  var stages: [String] = []

  func validate() throws {
    if stages.isEmpty && !stats {
      throw ValidationError("give at least one stage, or --stats to meter stdin to stdout")
    }
    if let index = stages.firstIndex(where: { $0.allSatisfy(\.isWhitespace) }) {
      throw ValidationError("stage \(index + 1) is empty")
    }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let pipeline = Pipeline(stages: stages, capacity: capacity?.value, measured: stats)
    let outcome = try pipeline.run()
    for (index, status) in outcome.statuses.enumerated() {
      common.say("stage \(index + 1) (\(stages[index])) \(status)")
    }
    if stats { report(outcome.links) }
    if outcome.stdoutClosed && outcome.exitCode == 0 { return 128 + 13 }
    return outcome.exitCode
  }

  private func report(_ links: [Pipeline.LinkReport]) {
    for link in links {
      if common.json {
        var line = JSONLine()
        line.add("link", "\(link.from)>\(link.to)")
        line.add("from", link.from)
        line.add("to", link.to)
        line.add("bytes", link.bytes)
        line.add("seconds", link.duration.seconds)
        line.add("bytes_per_second", link.bytesPerSecond.rounded())
        if let capacity = link.capacity {
          line.add("capacity", capacity)
        } else {
          line.addNull("capacity")
        }
        line.add("splice", link.spliced)
        line.add("reader_closed", link.destinationClosed)
        StandardError.writeLine(line.description)
      } else {
        var notes = [link.spliced ? "splice" : "read/write"]
        if let capacity = link.capacity { notes.append("capacity \(ByteCount(capacity))") }
        if link.destinationClosed { notes.append("reader closed early") }
        StandardError.writeLine(
          "ipc: link \(link.from) > \(link.to): \(link.bytes) bytes in "
            + "\(fixed(link.duration.seconds, digits: 3)) s, "
            + "\(ByteCount.human(link.bytesPerSecond))/s (\(notes.joined(separator: ", ")))")
      }
    }
  }
}

/// `ipc pipe info`: the limits that shape pipes here, and optionally one pipe's state.
struct PipeInfo: IPCCommand {
  static let verb = "pipe info"
  static let configuration = CommandConfiguration.verb(
    commandName: "info",
    abstract: "Show PIPE_BUF, the default and maximum capacity, or one pipe's state.",
    discussion: """
      Examples:
        ipc pipe info
        ipc pipe --capacity 1M 'echo hi' 'ipc pipe info --fd 0'
      """
  )

  @Option(help: "Also show the capacity and waiting bytes of the pipe open on descriptor N.")
  var fd: Int32?

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if let fd, fd < 0 { throw ValidationError("--fd must be 0 or more") }
  }

  func execute() throws -> Int32 {
    let limits = try PipeLimits.current()
    var pipe: (capacity: Int, waiting: Int)?
    if let fd {
      do {
        pipe = (try PipeEnds.capacity(of: fd), try Descriptors.bytesWaiting(fd, object: "fd \(fd)"))
      } catch var error as IPCError {
        if error.errno == .badFileDescriptor {
          error.detail = "descriptor \(fd) is not an open pipe"
          error.hint = "run it as a pipeline stage: ipc pipe 'echo hi' 'ipc pipe info --fd 0'"
        }
        throw error
      }
    }
    var out = StandardOutput()
    if common.json {
      var line = JSONLine()
      line.add("pipe_buf", limits.atomicWrite)
      line.add("default_capacity", limits.defaultCapacity)
      if let max = limits.maxCapacity {
        line.add("max_capacity", max)
      } else {
        line.addNull("max_capacity")
      }
      if let fd, let pipe {
        line.add("fd", fd)
        line.add("capacity", pipe.capacity)
        line.add("bytes_waiting", pipe.waiting)
      }
      try out.writeLine(line.description)
    } else {
      try out.writeLine(
        "PIPE_BUF          \(limits.atomicWrite) bytes (writes up to this size are atomic)")
      try out.writeLine(
        "default capacity  \(limits.defaultCapacity) bytes (\(ByteCount(limits.defaultCapacity)))")
      if let max = limits.maxCapacity {
        try out.writeLine(
          "max capacity      \(max) bytes (\(ByteCount(max)), /proc/sys/fs/pipe-max-size)")
      }
      if let fd, let pipe {
        try out.writeLine(
          "fd \(fd) capacity     \(pipe.capacity) bytes (\(ByteCount(pipe.capacity)))")
        try out.writeLine("fd \(fd) waiting      \(pipe.waiting) bytes")
      }
    }
    try out.flush()
    return 0
  }
}
