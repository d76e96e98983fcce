#if canImport(Glibc)
  import Glibc
#endif

/// A shell-like pipeline: each stage runs under `/bin/sh -c`, joined by anonymous pipes.
///
/// Unmeasured, stage i writes straight into stage i+1 (one pipe per link). Measured,
/// every link passes through this process (two pipes per link) so that `Relay` can
/// count its bytes; with no stage the relay copies stdin to stdout, with one stage
/// it meters the stage's output.
public struct Pipeline: Sendable {
  public var stages: [String]
  /// F_SETPIPE_SZ for every pipe the pipeline creates.
  public var capacity: Int?
  public var measured: Bool

  public init(stages: [String], capacity: Int? = nil, measured: Bool = false) {
    self.stages = stages
    self.capacity = capacity
    self.measured = measured
  }

  /// What running the pipeline gave.
  public struct Outcome: Sendable {
    public var statuses: [ExitStatus]
    public var links: [LinkReport]
    /// The signal (SIGINT, SIGTERM, SIGHUP) that interrupted the pipeline, if any.
    public var interruptedBy: Int32?

    /// Like `set -o pipefail`: the status of the last stage that failed, else 0; an
    /// interrupted pipeline whose stages all succeeded gives 128+N.
    public var exitCode: Int32 {
      if let failed = statuses.last(where: { $0 != .exited(0) }) { return failed.shellCode }
      if let signal = interruptedBy { return 128 + signal }
      return 0
    }

    /// The relay's last link wrote to our stdout and its reader went away.
    public var stdoutClosed: Bool {
      guard let last = links.last else { return false }
      return last.to == "stdout" && last.destinationClosed
    }
  }

  /// One measured link, after the fact.
  public struct LinkReport: Sendable {
    public var from: String
    public var to: String
    public var bytes: Int
    public var duration: Duration
    public var capacity: Int?
    public var spliced: Bool
    public var destinationClosed: Bool

    public var bytesPerSecond: Double {
      let seconds = duration.seconds
      return seconds > 0 ? Double(bytes) / seconds : 0
    }
  }

  /// Spawns the stages, relays if measured, and waits for every stage.
  ///
  /// Without a terminal on stdin the stages run in a process group of their own, and
  /// SIGINT, SIGTERM or SIGHUP reaching this process is passed on to that whole group,
  /// so the commands the stages' shells started end too. With a terminal the stages
  /// share our group, so that they may read it and Ctrl-C reaches them directly; a
  /// signal sent by another process is then passed on to the stages' shells.
  public func run() throws -> Outcome {
    let ownGroup = !ProcessEnvironment.isTerminal(STDIN_FILENO)
    var children: [ChildProcess] = []
    var links: [RelayLink] = []
    var interruptedBy: Int32?
    do {
      try spawnAll(into: &children, links: &links, ownGroup: ownGroup)
      do {
        try Relay.run(links)
      } catch let error as IPCError {
        guard case .interrupted(let signal) = error.kind else { throw error }
        interruptedBy = signal
        forward(signal, to: children, ownGroup: ownGroup)
      }
    } catch {
      // Spawning failed part-way: end what started, so nothing is left behind.
      for link in links where !link.done { link.finish() }
      for child in children {
        child.signal(SIGTERM)
        _ = try? child.wait()
      }
      throw error
    }
    var statuses: [ExitStatus] = []
    for child in children {
      while true {
        do {
          statuses.append(try child.wait())
          break
        } catch let error as IPCError {
          guard case .interrupted(let signal) = error.kind else { throw error }
          interruptedBy = signal
          forward(signal, to: children, ownGroup: ownGroup)
        }
      }
    }
    return Outcome(
      statuses: statuses,
      links: links.map {
        LinkReport(
          from: $0.from, to: $0.to, bytes: $0.bytes,
          duration: $0.duration, capacity: $0.capacity, spliced: $0.spliced,
          destinationClosed: $0.destinationClosed)
      }, interruptedBy: interruptedBy)
  }

  private func forward(_ signal: Int32, to children: [ChildProcess], ownGroup: Bool) {
    if ownGroup {
      children.first?.signalGroup(signal)
    } else if Interrupts.pendingFromProcess {
      children.forEach { $0.signal(signal) }
    }
    Interrupts.reset()
  }

  private func spawnAll(
    into children: inout [ChildProcess], links: inout [RelayLink], ownGroup: Bool
  ) throws {
    var pipes: [PipeEnds] = []
    defer {
      // The children hold their own copies now; the relay's ends live in `links`.
      for ends in pipes { ends.close() }
    }
    // The descriptor each stage reads from; the relay's inputs are collected per link.
    var input: Int32 = STDIN_FILENO
    if stages.isEmpty {
      links.append(RelayLink(from: "stdin", to: "stdout", source: 0, destination: 1))
      return
    }
    for (index, command) in stages.enumerated() {
      let isLast = index == stages.count - 1
      var output: Int32 = STDOUT_FILENO
      var toRelay: PipeEnds?
      // Measured, a lone stage's output is metered too; otherwise the last stage
      // writes straight to our stdout.
      if !isLast || (measured && stages.count == 1) {
        let ends = try PipeEnds.make(capacity: capacity)
        pipes.append(ends)
        output = ends.write
        if measured { toRelay = ends }
      }
      children.append(
        try ChildProcess.spawn(
          ["/bin/sh", "-c", command],
          redirections: [(input, STDIN_FILENO), (output, STDOUT_FILENO)],
          processGroup: ownGroup ? (children.first?.pid ?? 0) : nil))
      if let toRelay {
        let source = try duplicate(toRelay.read)
        if isLast {
          links.append(
            RelayLink(from: "\(index + 1)", to: "stdout", source: source, destination: 1))
        } else {
          let next = try PipeEnds.make(capacity: capacity)
          pipes.append(next)
          links.append(
            RelayLink(
              from: "\(index + 1)", to: "\(index + 2)", source: source,
              destination: try duplicate(next.write)))
          input = next.read
        }
      } else if !isLast {
        input = pipes.last!.read
      }
    }
  }

  /// A close-on-exec copy of fd that outlives the `PipeEnds` it came from (fcntl F_DUPFD_CLOEXEC).
  private func duplicate(_ fd: Int32) throws -> Int32 {
    try sys("fcntl", "\(fd), F_DUPFD_CLOEXEC, 3") { fcntl(fd, F_DUPFD_CLOEXEC, Int32(3)) }
  }
}
