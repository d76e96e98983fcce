import ArgumentParser
import IPCKit

/// The entry point: parse, run, and turn every failure into one line and an exit code
/// from conventions.md. Nothing reaches the user as a Swift stack trace.
@main
enum Entry {
  static func main() {
    ProcessEnvironment.ignoreBrokenPipes()
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments == ["--version"] {
      // What argument-parser would print, without building the command tree first.
      var out = StandardOutput()
      do {
        try out.writeLine(IPC.version)
        try out.flush()
      } catch {
        finish(error, verb: "ipc", arguments: arguments)
      }
      ProcessEnvironment.exit(0)
    }
    var command: ParsableCommand
    do {
      command = try leafFastPath(arguments) ?? IPC.parseAsRoot(arguments)
    } catch {
      finish(error, verb: verb(for: arguments), arguments: arguments)
    }
    do {
      try command.run()
      ProcessEnvironment.exit(0)
    } catch {
      let verb = (type(of: command) as? any IPCCommand.Type)?.verb ?? verb(for: arguments)
      finish(error, verb: verb, arguments: arguments)
    }
  }

  /// Parses a plain invocation of one verb (`ipc mq send /q hi`) with that verb's type
  /// alone: argument-parser then reflects one command, not the whole tree, which is
  /// most of a one-shot command's start-up. Help, version, completion and dump
  /// requests, and anything that is not a known verb, go the whole way (nil here).
  static func leafFastPath(_ arguments: [String]) throws -> ParsableCommand? {
    var commands: [ParsableCommand.Type] = IPC.configuration.subcommands
    var index = 0
    var leaf: ParsableCommand.Type?
    while index < arguments.count,
      let match = commands.first(where: { $0._commandName == arguments[index] })
    {
      index += 1
      if match.configuration.subcommands.isEmpty {
        leaf = match
        break
      }
      commands = match.configuration.subcommands
    }
    guard let leaf else { return nil }
    let rest = Array(arguments[index...])
    let special = ["-h", "--help", "--version", "--experimental-dump-help"]
    if rest.contains(where: { special.contains($0) || $0.hasPrefix("--generate-completion") }) {
      return nil
    }
    do {
      return try leaf.parse(rest)
    } catch {
      return nil  // let the full parse produce the error, with the whole command path
    }
  }

  /// Renders `error` and exits with its code.
  static func finish(_ error: Error, verb: String, arguments: [String]) -> Never {
    switch error {
    case let exit as ExitCode:
      ProcessEnvironment.exit(exit.rawValue)
    case let error as IPCError:
      if error.errno == .brokenPipe && error.object == "stdout" {
        ProcessEnvironment.exit(128 + 13)  // like any Unix filter whose reader left
      }
      if case .interrupted = error.kind { ProcessEnvironment.exit(error.exitCode) }
      StandardError.writeLine(render(error, verb: verb))
      if let hint = error.hint ?? defaultHint(error) { StandardError.writeLine("hint: " + hint) }
      ProcessEnvironment.exit(error.exitCode)
    case let error as ValueError:
      usage(error.description, verb: verb)
    default:
      let code = IPC.exitCode(for: error)
      if code == .success {
        // --help, --version, or a command group given without a verb.
        var out = StandardOutput()
        try? out.writeLine(IPC.fullMessage(for: error))
        try? out.flush()
        ProcessEnvironment.exit(0)
      }
      usage(
        negativeValue(IPC.message(for: error), arguments) ?? IPC.message(for: error), verb: verb)
    }
  }

  /// argument-parser reads `--size -1` as an option with no value ("Missing value for
  /// '--size <size>'"); say what is really wrong: the value is negative.
  static func negativeValue(_ message: String, _ arguments: [String]) -> String? {
    guard message.hasPrefix("Missing value for '--"),
      let option = message.dropFirst("Missing value for '".count).split(separator: " ").first
        .map({ String($0.prefix { $0 != "'" }) }),
      let index = arguments.firstIndex(of: option), index + 1 < arguments.count
    else { return nil }
    let value = arguments[index + 1]
    guard value.count > 1, value.first == "-", value.dropFirst().first!.isNumber else { return nil }
    return "\(option): '\(value)' is negative; give 0 or more"
  }

  /// A hint for errors that mean the same whatever the object, where the library
  /// gave none.
  static func defaultHint(_ error: IPCError) -> String? {
    switch error.errno {
    case .permissionDenied?, .notPermitted?:
      return "it belongs to another user or its mode forbids this: 'ipc ls' shows owners "
        + "and modes; run as its owner, or ask them to widen the mode"
    case .tooManyOpenFiles?:
      return "this process has too many files open (ulimit -n)"
    default:
      return nil
    }
  }

  /// `ipc: VERB OBJECT: message (ERRNO)`.
  static func render(_ error: IPCError, verb: String) -> String {
    var line = "ipc: \(verb)"
    if let object = error.object { line += " \(object)" }
    line += ": \(error.message)"
    if let name = error.errnoName { line += " (\(name))" }
    return line
  }

  /// A usage error: one line naming the problem and where help is, then exit 2.
  static func usage(_ message: String, verb: String) -> Never {
    var text = message.split(separator: "\n").map { $0.drop { $0 == " " } }.joined(separator: " ")
    // argument-parser says "The value 'x' is invalid for '--opt <v>': why"; say "--opt: why".
    let prefix = "The value '"
    if text.hasPrefix(prefix), let invalid = text.firstRange(of: "' is invalid for '") {
      let rest = text[invalid.upperBound...]
      let option = rest.prefix { $0 != " " && $0 != "'" }
      if let colon = rest.firstRange(of: "': ") {
        text = "\(option): \(rest[colon.upperBound...])"
      }
    }
    if let first = text.first, first.isUppercase, text.dropFirst().first?.isLowercase ?? false {
      text = first.lowercased() + text.dropFirst()
    }
    if text.hasSuffix(".") { text.removeLast() }
    let command = verb == "ipc" ? "ipc" : "ipc \(verb)"
    StandardError.writeLine("\(command): \(text) (see '\(command) --help')")
    ProcessEnvironment.exit(2)
  }

  /// The subcommand path named by the leading words of `arguments`, e.g. `pipe info`.
  static func verb(for arguments: [String]) -> String {
    var path: [String] = []
    var commands: [ParsableCommand.Type] = IPC.configuration.subcommands
    for word in arguments {
      guard let match = commands.first(where: { $0._commandName == word }) else { break }
      path.append(word)
      commands = match.configuration.subcommands
    }
    return path.isEmpty ? "ipc" : path.joined(separator: " ")
  }
}
