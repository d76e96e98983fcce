import Foundation
import Testing

@Suite("the command-line contract")
struct CommandLineTests {
  struct BadInput: CustomStringConvertible, Sendable {
    var arguments: String
    var mentions: String
    var description: String { arguments }
  }

  static let usageErrors: [BadInput] = [
    BadInput(arguments: "pipe --frob 'cat'", mentions: "--frob"),
    BadInput(arguments: "pipe --capacity 1X 'cat'", mentions: "unknown unit 'X'"),
    BadInput(arguments: "pipe --capacity -1 'cat'", mentions: "--capacity"),
    BadInput(arguments: "pipe --capacity 99999999999999999999 'cat'", mentions: "too large"),
    BadInput(arguments: "pipe", mentions: "at least one stage"),
    BadInput(arguments: "pipe 'echo' ' '", mentions: "stage 2 is empty"),
    BadInput(arguments: "pipe info --fd -3", mentions: "--fd"),
    BadInput(arguments: "nosuchthing", mentions: "nosuchthing"),
    BadInput(arguments: "tour --only pipe,bogus", mentions: "bogus"),
    BadInput(arguments: "fifo create f --mode 9", mentions: "mode"),
    BadInput(arguments: "fifo read f --count 0", mentions: "--count"),
    BadInput(arguments: "fifo write f x --lines", mentions: "--lines"),
    BadInput(arguments: "fifo write", mentions: "path"),
    BadInput(arguments: "fifo write f x --timeout soon", mentions: "duration"),
    BadInput(arguments: "fifo write f x --nonblock --timeout 1s", mentions: "exclude"),
    BadInput(arguments: "mq create a/b", mentions: "only the leading '/'"),
    BadInput(arguments: "mq send /x y --priority 40000", mentions: "--priority"),
    BadInput(arguments: "mq send /x y --lines", mentions: "--lines"),
    BadInput(arguments: "mq recv /x --raw --json", mentions: "exclude"),
    BadInput(arguments: "mq create /x --message-size 1Q", mentions: "unknown unit"),
    BadInput(arguments: "mq recv /x --count 0", mentions: "--count"),
    BadInput(arguments: "mq create ''", mentions: "empty"),
    BadInput(arguments: "mq recv /x --type 2", mentions: "--sysv"),
    BadInput(arguments: "mq send --sysv hello", mentions: "one of --key, --key-file, --id"),
    BadInput(arguments: "mq send /x --key 1 y", mentions: "need --sysv"),
    BadInput(arguments: "mq create --sysv --id 3", mentions: "--id names an existing queue"),
    BadInput(arguments: "mq recv --sysv --key 0xZZ", mentions: "not a key"),
    BadInput(arguments: "mq send --sysv --key 1 x --type 0", mentions: "--type"),
    BadInput(arguments: "mq notify /x --signal TERM", mentions: "SIGTERM"),
    BadInput(arguments: "signal send 1 SIGFOO", mentions: "not a signal name"),
    BadInput(arguments: "signal send 1 0", mentions: "1 to 64"),
    BadInput(arguments: "signal send 1 65", mentions: "1 to 64"),
    BadInput(arguments: "signal send -1 TERM", mentions: "--force"),
    BadInput(arguments: "signal trap STOP", mentions: "cannot be caught"),
    BadInput(arguments: "signal mask -- true", mentions: "--block"),
    BadInput(arguments: "sock listen tcp:host:99999", mentions: "0 to 65535"),
    BadInput(arguments: "sock connect udp:", mentions: "port is missing"),
    BadInput(arguments: "sock listen tcp:0 --fork", mentions: "--exec"),
    BadInput(arguments: "sock send-fd unix:@x", mentions: "--fd"),
    BadInput(arguments: "bench nosuch", mentions: "no mechanism 'nosuch'"),
    BadInput(arguments: "bench pipe --count 0", mentions: "--count"),
    BadInput(arguments: "bench pipe --size 0", mentions: "--size"),
    BadInput(arguments: "bench pipe --timeout soon", mentions: "soon"),
    BadInput(arguments: "shm write /x y --create", mentions: "--size"),
    BadInput(arguments: "shm add /x --offset 4", mentions: "multiple of 8"),
    BadInput(arguments: "sem run /x", mentions: "after --"),
    BadInput(arguments: "mq create /\(String(repeating: "n", count: 300))", mentions: "NAME_MAX"),
    BadInput(arguments: "mq create /..", mentions: "reserved"),
    BadInput(arguments: "shm create /a/b --size 4K", mentions: "only the leading '/'"),
    BadInput(arguments: "sem create ''", mentions: "empty"),
    BadInput(arguments: "fifo create ''", mentions: "the path is empty"),
    BadInput(arguments: "shm create /x --size -1", mentions: "--size: '-1' is negative"),
    BadInput(arguments: "shm create /x --size 1180591620717411303424", mentions: "too large"),
    BadInput(arguments: "mq send /x y --timeout -1s", mentions: "--timeout: '-1s' is negative"),
    BadInput(arguments: "sem wait /x --timeout 99999999999999999999s", mentions: "too long"),
    BadInput(arguments: "sem create /x --value -1", mentions: "--value: '-1' is negative"),
    BadInput(
      arguments: "sock listen unix:/tmp/\(String(repeating: "p", count: 200))",
      mentions: "limit is 107"
    ),
    BadInput(arguments: "signal send abc TERM", mentions: "not a pid"),
    BadInput(arguments: "signal send 1 RTMIN+99", mentions: "RTMIN+n"),
    BadInput(arguments: "mq recv /x --nonblock --timeout 1s", mentions: "exclude"),
    BadInput(arguments: "sock listen tcp:0 --exec 'cat | wc'", mentions: "'|' needs one"),
    BadInput(arguments: "signal trap USR1 --exec 'echo $HOME'", mentions: "'$' needs one"),
    BadInput(arguments: "mq notify /x --exec \"echo 'open\"", mentions: "quote is not closed"),
    BadInput(arguments: "sock listen tcp:0 --shell", mentions: "--shell goes with --exec"),
  ]

  @Test(
    "a usage error exits 2 with one line on stderr naming the problem, changing nothing",
    arguments: usageErrors)
  func usageError(_ input: BadInput) throws {
    let result = try Harness.bash("\"$IPC\" \(input.arguments); echo $? >&2; ls")
    #expect(result.stdout.isEmpty)  // ls: nothing was created in the test's directory
    #expect(result.stderrLines.count == 2)
    #expect(result.stderrLines.last == "2")
    let line = result.stderrLines.first.map(String.init) ?? ""
    #expect(line.hasPrefix("ipc"))
    #expect(line.contains(input.mentions))
    #expect(line.contains("--help"))
  }

  @Test("a failed operation exits 1 with the ipc: VERB OBJECT: message (ERRNO) line and a hint")
  func systemError() throws {
    let result = try Harness.bash("\"$IPC\" pipe info --fd 97")
    #expect(result.status == 1)
    #expect(
      result.stderrLines == [
        "ipc: pipe info fd 97: descriptor 97 is not an open pipe (EBADF)",
        "hint: run it as a pipeline stage: ipc pipe 'echo hi' 'ipc pipe info --fd 0'",
      ])
  }

  @Test("a stage that cannot be started is the shell's error, with its status")
  func missingCommand() throws {
    let result = try Harness.bash("\"$IPC\" pipe 'no-such-command-here'")
    #expect(result.status == 127)
    #expect(result.stderr.contains("no-such-command-here"))
  }

  @Test("--version and --help exit 0 on stdout; help shows an example for each verb")
  func helpAndVersion() throws {
    let version = try Harness.bash("\"$IPC\" --version")
    #expect(version.status == 0)
    #expect(version.text.split(separator: ".").count == 3)
    for words in ["--help", "pipe --help", "help pipe", "pipe info --help", "tour --help"] {
      let help = try Harness.bash("\"$IPC\" \(words)")
      #expect(help.status == 0, "\(words)")
      #expect(help.stderr == "", "\(words)")
      #expect(help.text.contains("USAGE: ipc"), "\(words)")
    }
    let pipeHelp = try Harness.bash("\"$IPC\" pipe --help")
    #expect(pipeHelp.text.contains("Examples:"))
    #expect(pipeHelp.text.contains("ipc pipe info"))
  }
}
