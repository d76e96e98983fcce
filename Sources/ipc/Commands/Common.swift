import ArgumentParser
import IPCKit

/// The flags every command takes: --trace, --json, --verbose.
struct CommonOptions: ParsableArguments {
  @Flag(help: "Print each system call, with its arguments and result, to stderr.")
  var trace = false

  @Flag(help: "Write results as JSON, one object per line (NDJSON).")
  var json = false

  @Flag(help: "Say what happens, step by step, on stderr.")
  var verbose = false

  /// Installs the trace sink; call before any system call.
  func apply() {
    if trace { Trace.install { StandardError.writeLine("trace: " + $0) } }
  }

  func say(_ sentence: @autoclosure () -> String) {
    if verbose { StandardError.writeLine("ipc: " + sentence()) }
  }
}

/// A command that does work: it has common options and a verb for its error lines.
protocol IPCCommand: ParsableCommand {
  /// `pipe`, `pipe info`: what error lines start with after `ipc: `.
  static var verb: String { get }
  var common: CommonOptions { get }
  /// The work, after the common options are applied. Returns the exit code.
  func execute() throws -> Int32
}

extension IPCCommand {
  func run() throws {
    common.apply()
    let code = try execute()
    if code != 0 { throw ExitCode(code) }
  }
}

/// Checks shared by several commands' validate().
enum Check {
  /// `--nonblock` refuses to wait; `--timeout` bounds a wait: together they make no sense.
  static func nonblockOrTimeout(_ nonblock: Bool, _ timeout: Duration?) throws {
    if nonblock && timeout != nil {
      throw ValidationError("--nonblock and --timeout exclude each other")
    }
  }
}

/// Value parsers for `@Option(transform:)`; their errors read as one line.
enum Parse {
  static func size(_ text: String) throws -> ByteCount {
    try usage { try ByteCount(parsing: text) }
  }

  static func duration(_ text: String) throws -> Duration {
    try usage { try Duration.parse(text) }
  }

  static func objectName(_ text: String) throws -> ObjectName {
    try usage { try ObjectName(parsing: text) }
  }

  static func signal(_ text: String) throws -> SignalNumber {
    try usage { try SignalNumber(parsing: text) }
  }

  static func address(_ text: String) throws -> SocketAddress {
    try usage { try SocketAddress(parsing: text) }
  }

  /// --exec's command as an argument vector. Without `shell`: words split at blanks,
  /// with '…', "…" and \\ quoting as in sh and nothing expanded, run directly; a
  /// character only a shell gives meaning to (| ; & < > $ ` * ? and the like) is
  /// refused rather than passed on as a literal. With `shell`: /bin/sh -c COMMAND.
  /// Data from a peer never enters it: commands get that on stdin and in IPC_*.
  static func execArguments(_ command: String, shell: Bool) throws -> [String] {
    if shell { return ["/bin/sh", "-c", command] }
    var words: [String] = []
    var word = ""
    var inWord = false
    var quote: Character?
    var escaped = false
    func refuse(_ why: String) -> ValueError {
      ValueError(
        error: .usage(
          "--exec runs its command without a shell, and \(why)",
          hint: "add --shell to run it with /bin/sh -c"))
    }
    for character in command {
      if escaped {
        word.append(character)
        escaped = false
        continue
      }
      if let open = quote {
        if character == open {
          quote = nil
        } else if character == "\\" && open == "\"" {
          escaped = true
        } else {
          word.append(character)
        }
        continue
      }
      switch character {
      case "\\":
        escaped = true
        inWord = true
      case "'", "\"":
        quote = character
        inWord = true
      case " ", "\t", "\n":
        if inWord { words.append(word) }
        word = ""
        inWord = false
      case "|", "&", ";", "<", ">", "(", ")", "$", "`", "*", "?", "[":
        throw refuse("'\(character)' needs one")
      case "~",
        "#" where !inWord:
        throw refuse("'\(character)' at the start of a word needs one")
      default:
        word.append(character)
        inWord = true
      }
    }
    if quote != nil { throw refuse("a quote is not closed") }
    if escaped { throw refuse("it ends with a backslash") }
    if inWord { words.append(word) }
    guard !words.isEmpty else {
      throw ValueError(error: .usage("--exec is empty", hint: "give a command, e.g. --exec cat"))
    }
    return words
  }

  /// A file path: anything but empty.
  static func path(_ text: String) throws -> String {
    guard !text.isEmpty else {
      throw ValueError(error: .usage("the path is empty", hint: "give a path such as /tmp/jobs"))
    }
    return text
  }

  /// Permission bits in octal: `600`, `0600`, `0o644`.
  static func mode(_ text: String) throws -> UInt32 {
    let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
    guard !digits.isEmpty, digits.count <= 4, let value = UInt32(digits, radix: 8) else {
      throw ValueError(
        error: .usage("'\(text)' is not a mode", hint: "modes are octal, like 600, 0640 or 644"))
    }
    return value
  }

  private static func usage<T>(_ parse: () throws -> T) throws -> T {
    do {
      return try parse()
    } catch let error as IPCError {
      throw ValueError(error: error)
    }
  }
}

/// A bad value, as argument-parser shows it: the problem, then the hint.
struct ValueError: Error, CustomStringConvertible {
  var error: IPCError
  var description: String { error.hint.map { "\(error.message); \($0)" } ?? error.message }
}

extension CommandConfiguration {
  /// The configuration of a verb (a command with no subcommands). It names `ipc` as
  /// its super-command, so that when Entry's fast path parses the verb on its own,
  /// argument-parser skips its probe for --generate-completion-script (two more
  /// commands built by reflection, a fifth of a one-shot command's start-up); that
  /// flag and --help always take the full parse, where the root is `ipc` as usual.
  static func verb(commandName: String, abstract: String, discussion: String = "")
    -> CommandConfiguration
  {
    CommandConfiguration(
      commandName: commandName, _superCommandName: "ipc", abstract: abstract,
      discussion: discussion)
  }
}
