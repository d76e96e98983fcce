import ArgumentParser
import IPCKit

/// `ipc tour`: a guided, self-cleaning walk through every mechanism that is built.
struct Tour: IPCCommand {
  static let verb = "tour"
  static let configuration = CommandConfiguration.verb(
    commandName: "tour",
    abstract: "A guided walk through each IPC mechanism, with the commands to try by hand.",
    discussion: """
      Each step says what it shows, prints the command you would type, runs it (this
      same ipc binary), and shows what it printed. Objects the tour makes have unique
      names and are removed at the end, even after Ctrl-C.

      Examples:
        ipc tour
        ipc tour --only pipe --pause
      """
  )

  @Option(
    help: ArgumentHelp(
      "Only these mechanisms, comma-separated (\(Self.mechanisms.joined(separator: ", "))).",
      valueName: "list"))
  var only: String?

  @Flag(help: "Wait for Enter before each step (for a classroom).")
  var pause = false

  @Flag(help: "No colour, even on a terminal (NO_COLOR in the environment does the same).")
  var noColor = false

  @OptionGroup var common: CommonOptions

  static let mechanisms = ["pipe", "fifo", "mq", "shm", "sem", "sock", "signal"]

  func validate() throws {
    for name in selected where !Self.mechanisms.contains(name) {
      throw ValidationError(
        "--only: no mechanism '\(name)'; the tour has \(Self.mechanisms.joined(separator: ", "))")
    }
  }

  private var selected: [String] {
    only.map { $0.split(separator: ",").map(String.init) } ?? Self.mechanisms
  }

  func execute() throws -> Int32 {
    Interrupts.install()
    let executable = ProcessEnvironment.executablePath
    // Stages run by the tour call `ipc` by name: make it this very binary.
    if let slash = executable.lastIndex(of: "/") {
      let directory = String(executable[..<slash])
      ProcessEnvironment.setVariable(
        "PATH", directory + ":" + (ProcessEnvironment.variable("PATH") ?? "/usr/bin:/bin"))
    }
    let style = Style(
      enabled: !noColor && ProcessEnvironment.variable("NO_COLOR") == nil
        && ProcessEnvironment.isTerminal(1))
    var out = StandardOutput()
    let steps = TourStep.all.filter { selected.contains($0.mechanism) }
    // Unique names for the objects the tour makes; removed at the end, even after Ctrl-C.
    let tmp = ProcessEnvironment.variable("TMPDIR") ?? "/tmp"
    let pid = ProcessEnvironment.processID
    let key = "0x1bc" + String(UInt32(pid) & 0xFFFF, radix: 16)
    let names = [
      "{fifo}": "\(tmp)/ipc-tour-\(pid).fifo", "{mq}": "/ipc-tour-\(pid)", "{key}": key,
      "{shm}": "/ipc-tour-\(pid)-shm", "{sem}": "/ipc-tour-\(pid)-sem",
      "{sock}": "unix:@ipc-tour-\(pid)", "{log}": "\(tmp)/ipc-tour-\(pid).log",
    ]
    defer {
      if let fifo = names["{fifo}"], (try? FileStatus.of(fifo))??.kind == .fifo {
        try? FIFO.remove(fifo)
      }
      if let queue = names["{mq}"].flatMap({ try? ObjectName(parsing: $0) }) {
        try? MessageQueue.unlink(queue)
      }
      if let shm = names["{shm}"].flatMap({ try? ObjectName(parsing: $0) }) {
        try? SharedMemory.unlink(.object(shm))
      }
      if let sem = names["{sem}"].flatMap({ try? ObjectName(parsing: $0) }) {
        try? Semaphore.unlink(sem)
      }
      if let queue = try? SystemVQueue.open(
        .key(Int32(bitPattern: UInt32(key.dropFirst(2), radix: 16)!)))
      {
        try? queue.remove()
      }
    }
    var surprises = 0
    for (index, step) in steps.enumerated() {
      try out.writeLine("")
      try out.writeLine(style.bold("[\(index + 1)/\(steps.count)] \(step.title)"))
      for line in step.explanation.split(separator: "\n") { try out.writeLine("  " + line) }
      let command = step.command(names)
      for line in command.display { try out.writeLine(style.dim("  $ " + line)) }
      try out.flush()
      if pause { try waitForEnter(&out) }
      let (status, output) = try runCapturing(
        command.script.map { ["/bin/sh", "-c", $0] } ?? [executable] + step.arguments)
      for line in output.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        try out.writeLine("  │ " + line)
      }
      let note = status == .exited(step.expectedStatus) ? "" : "  (expected \(step.expectedStatus))"
      if !note.isEmpty { surprises += 1 }
      try out.writeLine(style.dim("  → \(status)") + note)
      try out.flush()
    }
    try out.writeLine("")
    try out.writeLine(
      surprises == 0
        ? "Tour done: \(steps.count) steps, each as expected. Try the commands above by hand."
        : "Tour done: \(surprises) of \(steps.count) steps did not end as expected.")
    try out.flush()
    return surprises == 0 ? 0 : 1
  }

  /// Runs `arguments` with stdout and stderr into one pipe, returning its status and text.
  private func runCapturing(_ arguments: [String]) throws -> (ExitStatus, String) {
    let ends = try PipeEnds.make()
    let child: ChildProcess
    do {
      child = try ChildProcess.spawn(arguments, redirections: [(ends.write, 1), (ends.write, 2)])
    } catch {
      ends.close()
      throw error
    }
    Descriptors.close(ends.write)
    defer { Descriptors.close(ends.read) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16 << 10)
    while true {
      let count = try chunk.withUnsafeMutableBytes { try Descriptors.read(ends.read, into: $0) }
      if count == 0 { break }
      bytes += chunk[..<count]
    }
    return (try child.wait(), String(decoding: bytes, as: UTF8.self))
  }

  private func waitForEnter(_ out: inout StandardOutput) throws {
    try out.write("  (Enter to run) ")
    try out.flush()
    var byte: UInt8 = 0
    while try withUnsafeMutableBytes(of: &byte, { try Descriptors.read(0, into: $0) }) == 1
      && byte != 0x0A
    {}
  }
}

/// One step of the tour: what it shows and the ipc arguments (or the short shell
/// script, for two sides at once) that show it.
struct TourStep {
  var mechanism: String
  var title: String
  var explanation: String
  var arguments: [String] = []
  var script: String? = nil
  var expectedStatus: Int32 = 0

  /// The lines to show and the script to run, with `{fifo}` and the like filled in.
  func command(_ names: [String: String]) -> (display: [String], script: String?) {
    guard var script else {
      return ([(["ipc"] + arguments).map(shellQuote).joined(separator: " ")], nil)
    }
    for (placeholder, name) in names { script = script.replacing(placeholder, with: name) }
    return (script.split(separator: "\n").map(String.init), script)
  }

  static let all: [TourStep] = [
    TourStep(
      mechanism: "pipe", title: "Pipes: the limits",
      explanation: """
        A pipe is a kernel buffer with a read end and a write end. Writes of up to
        PIPE_BUF bytes are never interleaved with other writers' data.
        """,
      arguments: ["pipe", "info"]),
    TourStep(
      mechanism: "pipe", title: "Pipes: a three-stage pipeline",
      explanation: """
        ipc runs each stage under /bin/sh -c and joins them with pipe2(), as a shell does.
        """,
      arguments: ["pipe", "printf 'pear\\napple\\nfig\\n'", "sort", "tr a-z A-Z"]),
    TourStep(
      mechanism: "pipe", title: "Pipes: watch the system calls",
      explanation: """
        --trace shows the pipe created, each child spawned with its dup2() onto
        stdin/stdout, and the parent waiting for each child.
        """,
      arguments: ["pipe", "--trace", "echo hello", "wc -c"]),
    TourStep(
      mechanism: "pipe", title: "Pipes: measure the flow",
      explanation: """
        --stats puts ipc on the link: it moves the data with splice() (no copy through
        user space) and reports bytes, time and throughput.
        """,
      arguments: ["pipe", "--stats", "head -c 64M /dev/zero", "wc -c"]),
    TourStep(
      mechanism: "pipe", title: "Pipes: a bigger buffer",
      explanation: """
        --capacity resizes every pipe (F_SETPIPE_SZ); the second stage looks at the
        pipe on its own stdin.
        """,
      arguments: ["pipe", "--capacity", "1M", "echo hi", "ipc pipe info --fd 0"]),
    TourStep(
      mechanism: "pipe", title: "Pipes: which stage failed",
      explanation: """
        Like bash's 'set -o pipefail', the status is the last failing stage's: here 3.
        """,
      arguments: ["pipe", "echo data", "cat > /dev/null; exit 3", "cat"], expectedStatus: 3),
    TourStep(
      mechanism: "fifo", title: "FIFOs: a pipe with a name",
      explanation: """
        mkfifo() puts a pipe in the file system; unrelated processes open it by path.
        """,
      script: "ipc fifo create {fifo}\nipc fifo info {fifo}"),
    TourStep(
      mechanism: "fifo", title: "FIFOs: each side waits for the other",
      explanation: """
        open() of a FIFO blocks until the other end is opened too. The reader starts
        first and waits; the writer's open lets both go on.
        """,
      script: """
        ipc fifo read {fifo} --timeout 5s &
        ipc fifo write {fifo} "hello through a FIFO" --timeout 5s
        wait
        """),
    TourStep(
      mechanism: "fifo", title: "FIFOs: a wait that cannot hang a script",
      explanation: """
        With no reader, a writer would wait for ever; --timeout bounds it (exit 124),
        --nonblock fails at once (exit 3).
        """,
      arguments: [], script: "ipc fifo write {fifo} late --timeout 300ms", expectedStatus: 124),
    TourStep(
      mechanism: "fifo", title: "FIFOs: remove it",
      explanation: "ipc fifo rm removes FIFOs only: a regular file at that path is refused.",
      script: "ipc fifo rm {fifo}"),
    TourStep(
      mechanism: "mq", title: "Message queues: whole messages, with priorities",
      explanation: """
        A POSIX queue keeps message boundaries. Three messages go in with priorities
        1, 9 and 5; they come out highest first.
        """,
      script: """
        ipc mq create {mq} --max-messages 4 --message-size 256
        ipc mq send {mq} "routine" --priority 1
        ipc mq send {mq} "urgent" --priority 9
        ipc mq send {mq} "normal" --priority 5
        ipc mq info {mq}
        ipc mq recv {mq} --count 3 --show-priority
        """),
    TourStep(
      mechanism: "mq", title: "Message queues: a full queue and an empty one",
      explanation: """
        Sending to a full queue or receiving from an empty one waits; --timeout
        bounds the wait (124), --nonblock refuses to wait (3).
        """,
      script: "ipc mq recv {mq} --timeout 300ms", expectedStatus: 124),
    TourStep(
      mechanism: "mq", title: "Message queues: System V, by type",
      explanation: """
        A System V queue is named by a number (a key); each message has a type, and
        a receiver picks by type: --type 2 takes the first of type 2, --type -2 the
        lowest type up to 2.
        """,
      script: """
        ipc mq create --sysv --key {key} > /dev/null
        ipc mq send --sysv --key {key} "order" --type 2
        ipc mq send --sysv --key {key} "alarm" --type 1
        ipc mq recv --sysv --key {key} --type 2 --show-priority
        ipc mq recv --sysv --key {key} --type -2 --show-priority
        ipc mq rm --sysv --key {key}
        """),
    TourStep(
      mechanism: "mq", title: "Message queues: the system calls",
      explanation: "--trace shows mq_open, mq_send and mq_receive with their arguments.",
      script: """
        ipc mq send {mq} "traced" --trace
        ipc mq recv {mq} --trace
        ipc mq rm {mq}
        """),
    TourStep(
      mechanism: "shm", title: "Shared memory: bytes two processes both see",
      explanation: """
        shm_open gives a name to memory; each process maps it with mmap and reads or
        writes it directly. No copy through the kernel, and no boundaries either.
        """,
      script: """
        ipc shm create {shm} --size 4K
        ipc shm write {shm} "hello from one process" --offset 16
        ipc shm read {shm} --hex --length 64
        """),
    TourStep(
      mechanism: "shm", title: "Shared memory: a counter with no lock",
      explanation: """
        Four processes add to one 64-bit word at once; each add is one atomic
        instruction, so none is lost: 4 × 25 = 100.
        """,
      script: """
        for p in 1 2 3 4; do (for i in $(seq 25); do ipc shm add {shm} --offset 0 >/dev/null; done) & done; wait
        ipc shm add {shm} --offset 0 --value 0
        ipc shm rm {shm}
        """),
    TourStep(
      mechanism: "sem", title: "Semaphores: a lock around a command",
      explanation: """
        A semaphore of value 1 is a lock. 'ipc sem run' waits for it, runs the
        command, and gives it back even if the command fails.
        """,
      script: """
        ipc sem create {sem} --value 1
        ipc sem run {sem} -- sh -c 'echo "inside; value is now $(ipc sem get {sem})"'
        ipc sem get {sem}
        ipc sem wait {sem} --nonblock && ipc sem wait {sem} --nonblock
        """, expectedStatus: 3),
    TourStep(
      mechanism: "sem", title: "Semaphores: remove it",
      explanation: "The name goes; processes that have it open keep it until they close it.",
      script: "ipc sem rm {sem}"),
    TourStep(
      mechanism: "sock", title: "Sockets: a server and a client",
      explanation: """
        A listener says the address it has, then serves each connection with a
        command (here: tr, to shout back). An abstract Unix name needs no file;
        --peer-cred asks the kernel who is at the other end.
        """,
      script: """
        ipc sock listen {sock} --fork --exec 'tr a-z A-Z' &
        ipc sock wait {sock} --timeout 5s
        echo "hello over a socket" | ipc sock connect {sock}
        echo "who are you?" | ipc sock connect {sock} --peer-cred
        kill $!; wait
        """),
    TourStep(
      mechanism: "sock", title: "Sockets: the end of input is not the end",
      explanation: """
        When stdin ends, the client shuts down only its sending side (SHUT_WR);
        the server sees end of file, counts what came, and its answer still
        arrives.
        """,
      script: """
        ipc sock listen {sock}-2 --exec 'wc -l' 2> /dev/null &
        seq 1000 | ipc sock connect {sock}-2 --wait 5s
        wait
        """),
    TourStep(
      mechanism: "signal", title: "Signals: who sent it, and with what value",
      explanation: """
        A trap blocks the signals and reads them from a signalfd, with their
        siginfo: kill sends SI_USER, sigqueue sends SI_QUEUE with a value.
        """,
      script: """
        ipc signal trap USR1 RTMIN --count 2 --timeout 5s 2> {log} &
        until grep -q ready {log} 2>/dev/null; do sleep 0.05; done
        kill -USR1 $!
        ipc signal send $! RTMIN --value 42
        wait; rm -f {log}
        """),
    TourStep(
      mechanism: "signal", title: "Signals: standard ones merge, real-time ones queue",
      explanation: """
        While the trap holds them blocked, 3 × SIGUSR1 become one pending signal;
        3 × SIGRTMIN stay three, in order, each with its value.
        """,
      script: """
        ipc signal trap USR1 RTMIN --hold 1s --count 4 --timeout 5s 2> {log} &
        until grep -q ready {log} 2>/dev/null; do sleep 0.05; done
        ipc signal send $! USR1 --repeat 3
        for v in 1 2 3; do ipc signal send $! RTMIN --value $v; done
        wait; rm -f {log}
        """),
  ]
}

/// ANSI bold and dim, or plain text.
struct Style {
  var enabled: Bool
  func bold(_ text: String) -> String { enabled ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
  func dim(_ text: String) -> String { enabled ? "\u{1B}[2m\(text)\u{1B}[0m" : text }
}

/// `word` as a POSIX shell reads it back: bare when safe, else in single quotes.
func shellQuote(_ word: String) -> String {
  let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0) }
  if safe && !word.isEmpty { return word }
  return "'"
    + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''")
    + "'"
}
