import ArgumentParser
import IPCKit

/// `ipc signal`: send, trap with siginfo, list, mask, status.
struct SignalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "signal",
    abstract: "Signals: send (with a value), trap (with siginfo), list, mask, status.",
    discussion: """
      Examples:
        ipc signal trap USR1 RTMIN --count 4        (prints its pid and 'ready')
        ipc signal send 4242 RTMIN+1 --value 7      (sigqueue with a value)
        ipc signal send --pid-file app.pid TERM
        ipc signal list
        ipc signal mask --ignore INT -- long-job
        ipc signal status 4242
      """,
    subcommands: [
      SignalSend.self, SignalTrapCommand.self, SignalList.self, SignalMask.self, SignalStatus.self,
    ]
  )
}

struct SignalSend: IPCCommand {
  static let verb = "signal send"
  static let configuration = CommandConfiguration.verb(
    commandName: "send",
    abstract: "Send a signal: kill(2), or sigqueue(3) with --value.",
    discussion: """
      TARGET is a pid; or --group PGID, or --pid-file PATH. Sending to -1 (every
      process you may signal) or to your own process group (0) needs --force.
      --repeat N sends N copies: standard signals that arrive while blocked
      merge into one; real-time signals queue, each with its value.

      Examples:
        ipc signal send 4242 TERM
        ipc signal send 4242 RTMIN+2 --value 99 --repeat 3
        ipc signal send 4242 RTMIN --value 1 --repeat 100 --increment
        ipc signal send --group 4240 INT
      """)

  @Argument(
    parsing: .allUnrecognized,
    help: "The pid, then the signal; or just the signal with --group/--pid-file.")
  var words: [String] = []
  @Option(help: "Send to every process of this group (kill -PGID).") var group: Int32?
  @Option(help: "Read the pid from this file.") var pidFile: String?
  @Option(parsing: .unconditional, help: "Queue the signal with this int value (sigqueue).")
  var value: Int32?
  @Option(name: .customLong("repeat"), help: "Send this many copies.") var copies: Int = 1
  @Flag(help: "With --value: add one to the value for each copy, to see the order they arrive in.")
  var increment = false
  @Flag(help: "Allow -1 (every process) and 0 (our own group).") var force = false
  @OptionGroup var common: CommonOptions

  /// The pid to hand kill: > 0 a process, -PGID a group, 0 our group, -1 everyone.
  func target() throws -> Int32 {
    if let group { return group == 0 ? 0 : -group }
    if let pidFile {
      let text = try Descriptors.readSmallFile(pidFile).filter { !$0.isWhitespace }
      guard let pid = Int32(text), pid > 0 else {
        throw IPCError(
          op: "read", object: pidFile, kind: .failed, detail: "'\(text.prefix(20))' is not a pid")
      }
      return pid
    }
    guard let pid = Int32(words[0]) else { throw ValidationError("'\(words[0])' is not a pid") }
    return pid
  }

  func validate() throws {
    let wanted = (group != nil || pidFile != nil) ? 1 : 2
    if group != nil && pidFile != nil {
      throw ValidationError("--group and --pid-file exclude each other")
    }
    if words.count != wanted {
      throw ValidationError(
        wanted == 2
          ? "give a pid and a signal, e.g. 4242 TERM"
          : "give just the signal with --group or --pid-file")
    }
    _ = try Parse.signal(words[wanted - 1])
    if pidFile == nil {
      let pid = try target()
      if (pid == -1 || pid == 0) && !force {
        throw ValidationError(
          pid == -1
            ? "-1 means every process you may signal; add --force if you mean it"
            : "0 means your own process group; add --force if you mean it")
      }
      if pid < -1 && group == nil {
        throw ValidationError("to signal a process group use --group \(-pid)")
      }
    }
    if copies < 1 { throw ValidationError("--repeat must be 1 or more") }
    if increment && value == nil { throw ValidationError("--increment goes with --value") }
  }

  func execute() throws -> Int32 {
    let signal = try Parse.signal(words.last!)
    let pid = try target()
    for copy in 0..<copies {
      try Signals.send(
        signal, to: pid, value: value.map { increment ? $0 &+ Int32(truncatingIfNeeded: copy) : $0 }
      )
    }
    common.say("sent \(signal.name) ×\(copies) to \(pid)")
    return 0
  }
}

struct SignalTrapCommand: IPCCommand {
  static let verb = "signal trap"
  static let configuration = CommandConfiguration.verb(
    commandName: "trap",
    abstract: "Receive signals and print each with its siginfo: code, sender pid and uid, value.",
    discussion: """
      The signals are blocked before anything else and read from a signalfd (no
      work in a handler). Once ready, ipc prints 'ipc: signal trap: pid N ready'
      to stderr (and writes N to --pid-file). Each signal is one line on stdout:
      name, number, code (SI_USER from kill, SI_QUEUE from sigqueue, …), sender
      pid and uid, and the value for SI_QUEUE. --hold keeps them blocked a while
      before reading: copies of a standard signal merge into one, real-time
      signals queue with their values. SIGKILL and SIGSTOP cannot be trapped.

      Examples:
        ipc signal trap USR1
        ipc signal trap USR1 RTMIN --hold 2s --count 4
        ipc signal trap TERM HUP --shell --exec 'echo "got $IPC_SIG_NAME from $IPC_SIG_PID"'
      """)

  @Argument(help: "The signals to receive, e.g. USR1 RTMIN+1.", transform: Parse.signal)
  var signals: [SignalNumber] = []
  @Option(help: "Stop after this many signals.") var count: Int?
  @Option(
    help: ArgumentHelp("Stop after this long without a signal (exit 124).", valueName: "duration"),
    transform: Parse.duration)
  var timeout: Duration?
  @Option(
    help: ArgumentHelp(
      "Keep the signals blocked this long before receiving.", valueName: "duration"),
    transform: Parse.duration)
  var hold: Duration?
  @Option(
    help:
      "Run this command for each signal, IPC_SIG_* in its environment (no shell unless --shell).")
  var exec: String?
  @Flag(help: "Run --exec under /bin/sh -c (pipes, $VARIABLES, redirections).") var shell = false
  @Option(help: "Write our pid to this file once ready.") var pidFile: String?
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if let exec { _ = try Parse.execArguments(exec, shell: shell) }
    if shell && exec == nil { throw ValidationError("--shell goes with --exec") }
    if signals.isEmpty { throw ValidationError("name at least one signal, e.g. USR1") }
    if let bad = signals.first(where: \.isUncatchable) {
      throw ValidationError(
        "\(bad.name) cannot be caught, blocked or ignored: the kernel acts on it")
    }
    if let count, count < 1 { throw ValidationError("--count must be 1 or more") }
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let trap = try SignalTrap(signals)
    for signal in trap.wereIgnored {
      StandardError.writeLine(
        "ipc: signal trap: \(signal.name) was ignored when ipc started (inherited SIG_IGN); it is received now"
      )
    }
    if let pidFile {
      try Array("\(ProcessEnvironment.processID)\n".utf8).withUnsafeBytes { bytes in
        try Descriptors.writeFile(pidFile, bytes)
      }
    }
    StandardError.writeLine(
      "ipc: signal trap: pid \(ProcessEnvironment.processID) ready (\(signals.map(\.name).joined(separator: ", ")))"
    )
    if let hold { try Deadline.after(hold).sleep() }
    var out = StandardOutput()
    var seen = 0
    while count.map({ seen < $0 }) ?? true {
      let got = try trap.next(deadline: .after(timeout))
      seen += 1
      try out.writeLine(render(got))
      try out.flush()
      if let exec {
        ProcessEnvironment.setVariable("IPC_SIG_NAME", got.signal.name)
        ProcessEnvironment.setVariable("IPC_SIG_NUMBER", "\(got.signal.rawValue)")
        ProcessEnvironment.setVariable("IPC_SIG_CODE", got.codeName)
        ProcessEnvironment.setVariable("IPC_SIG_PID", "\(got.pid)")
        ProcessEnvironment.setVariable("IPC_SIG_UID", "\(got.uid)")
        ProcessEnvironment.setVariable("IPC_SIG_VALUE", got.hasValue ? "\(got.value)" : "")
        let status = try ChildProcess.spawn(try Parse.execArguments(exec, shell: shell))
          .waitPassingSignals()
        common.say("--exec \(status)")
      }
    }
    return 0
  }

  private func render(_ got: Signals.Received) -> String {
    if common.json {
      var line = JSONLine()
      line.add("signal", got.signal.name)
      line.add("number", got.signal.rawValue)
      line.add("code", got.codeName)
      line.add("pid", got.pid)
      line.add("uid", Int(got.uid))
      if got.hasValue { line.add("value", got.value) } else { line.addNull("value") }
      return line.description
    }
    return
      "\(got.signal.name) (\(got.signal.rawValue)) \(got.codeName) from pid \(got.pid) uid \(got.uid)"
      + (got.hasValue ? " value \(got.value)" : "")
  }
}

struct SignalList: IPCCommand {
  static let verb = "signal list"
  static let configuration = CommandConfiguration.verb(
    commandName: "list",
    abstract: "Every signal of this system: number, name, default action, description.",
    discussion: """
      Examples:
        ipc signal list
        ipc signal list --json
      """)

  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    var out = StandardOutput()
    if !common.json { try out.writeLine("NUM  NAME          ACTION     DESCRIPTION") }
    let realTime = SignalNumber.realTimeRange
    for number in SignalNumber.all {
      let signal = SignalNumber(rawValue: number)
      // 32 and 33 are taken by the C library's threads: it reports no name for them.
      if !signal.isNamed { continue }
      let action = Signals.defaultAction(number)
      if common.json {
        var line = JSONLine()
        line.add("number", number)
        line.add("name", signal.name)
        line.add("action", action)
        line.add("description", signal.summary)
        line.add("realtime", realTime.contains(number))
        try out.writeLine(line.description)
      } else {
        try out.writeLine(
          MQList.pad("\(number)", 5) + MQList.pad(signal.name, 14) + MQList.pad(action, 11)
            + signal.summary)
      }
    }
    try out.flush()
    return 0
  }
}

struct SignalMask: IPCCommand {
  static let verb = "signal mask"
  static let configuration = CommandConfiguration.verb(
    commandName: "mask",
    abstract: "Run a command with signals blocked or ignored (inherited across exec).",
    discussion: """
      A blocked signal waits (pending) until the command unblocks it; an ignored
      one is thrown away. Both survive exec, which is how nohup works (but some
      programs reset their mask on start: dash and bash unblock everything).

      Examples:
        ipc signal mask --ignore HUP -- long-job
        ipc signal mask --block USR1 -- sleep 30 &   then: kill -USR1 <pid of sleep>;
        ipc signal status <pid of sleep>             (USR1 pending, not acted on)
      """)

  @Option(help: "Start the command with this signal blocked (repeatable).", transform: Parse.signal)
  var block: [SignalNumber] = []
  @Option(help: "Start the command with this signal ignored (repeatable).", transform: Parse.signal)
  var ignore: [SignalNumber] = []
  @OptionGroup var common: CommonOptions
  @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
  var command: [String] = []

  func validate() throws {
    if command.isEmpty { throw ValidationError("give the command after --") }
    if block.isEmpty && ignore.isEmpty { throw ValidationError("give --block SIG or --ignore SIG") }
    if let bad = (block + ignore).first(where: \.isUncatchable) {
      throw ValidationError("\(bad.name) cannot be blocked or ignored")
    }
  }

  func execute() throws -> Int32 {
    // So that a kill of ipc is passed on to the command rather than orphaning it.
    Interrupts.install()
    let child = try ChildProcess.spawn(
      command, blocked: block.map(\.rawValue), ignored: ignore.map(\.rawValue))
    return try child.waitPassingSignals().shellCode
  }
}

struct SignalStatus: IPCCommand {
  static let verb = "signal status"
  static let configuration = CommandConfiguration.verb(
    commandName: "status",
    abstract: "A process's pending, blocked, ignored and caught signals, by name.",
    discussion: """
      Read from /proc/PID/status (SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt).

      Examples:
        ipc signal status $$
        ipc signal status 4242 --json
      """)

  @Argument(help: "The process.") var pid: Int32
  @OptionGroup var common: CommonOptions

  func execute() throws -> Int32 {
    let text: String
    do {
      text = try Descriptors.readSmallFile("/proc/\(pid)/status")
    } catch var error as IPCError where error.errno == .noSuchFileOrDirectory {
      error.detail = "no such process"
      error.object = "pid \(pid)"
      throw error
    }
    let fields = [
      ("SigPnd", "pending", "pending"), ("ShdPnd", "pending (process)", "pending_process"),
      ("SigBlk", "blocked", "blocked"), ("SigIgn", "ignored", "ignored"),
      ("SigCgt", "caught", "caught"),
    ]
    var out = StandardOutput()
    var line = JSONLine()
    line.add("pid", pid)
    for (key, label, jsonKey) in fields {
      let mask =
        text.split(separator: "\n").first { $0.hasPrefix(key + ":") }
        .map { String($0.dropFirst(key.count + 1).filter { !$0.isWhitespace }) } ?? "0"
      let names = Signals.decode(mask: mask).map(\.name)
      if common.json {
        line.add(jsonKey, names.joined(separator: ","))
      } else {
        try out.writeLine(
          MQList.pad(label, 19) + (names.isEmpty ? "-" : names.joined(separator: " ")))
      }
    }
    if common.json { try out.writeLine(line.description) }
    try out.flush()
    return 0
  }
}
