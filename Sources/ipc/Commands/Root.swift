import ArgumentParser

/// `ipc`: the root command, which only dispatches to the mechanisms.
struct IPC: ParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "ipc",
    abstract: "Exercise Linux inter-process communication by hand.",
    discussion: """
      Each subcommand is one mechanism. Start with 'ipc tour' for a guided walk.

      EXIT STATUS
        0 success; 1 the operation failed; 2 usage error; 3 would block (--nonblock);
        124 --timeout expired; 128+N ended by signal N (141: output closed).
      """,
    version: version,
    subcommands: [
      PipeCommand.self, FIFOCommand.self, MQCommand.self, SHMCommand.self, SemCommand.self,
      SockCommand.self, SignalCommand.self, ListCommand.self, Tour.self, BenchCommand.self,
    ]
  )
}
