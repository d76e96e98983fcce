import Foundation
import Testing

/// The install scripts and the man pages, as a user would meet them.
@Suite("install, man pages, completions")
struct InstallTests {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

  @Test(
    "scripts/install puts a working binary, man pages and completions under a prefix; uninstall takes them away"
  )
  func installAndUninstall() throws {
    let result = try Harness.bash(
      """
      repo=\(Self.repository)
      "$repo/scripts/install" --prefix "$PWD/p" --binary "$IPC" > log
      "$PWD/p/bin/ipc" --version
      MANWIDTH=80 man -l p/share/man/man1/ipc-mq-send.1 2>/dev/null | grep -E '^(NAME|EXAMPLES|EXIT STATUS)$'
      grep -c '_ipc' p/share/bash-completion/completions/ipc > /dev/null && echo bash-ok
      bash -n p/share/bash-completion/completions/ipc && echo bash-parses
      [ -s p/share/zsh/site-functions/_ipc ] && [ -s p/share/fish/vendor_completions.d/ipc.fish ] && echo zsh-fish-ok
      touch p/bin/not-ours
      "$repo/scripts/uninstall" --prefix "$PWD/p" > /dev/null
      find p -type f
      """, timeout: 60)
    #expect(result.status == 0)
    let version = try Harness.bash("\"$IPC\" --version").text
    #expect(
      result.text == version
        + "NAME\nEXAMPLES\nEXIT STATUS\nbash-ok\nbash-parses\nzsh-fish-ok\np/bin/not-ours\n")
  }

  @Test(
    "every command has a man page that names each of its options (scripts/gen-man keeps them in sync)"
  )
  func manPagesInSync() throws {
    let dump = try Harness.bash("\"$IPC\" --experimental-dump-help")
    let root = try JSONSerialization.jsonObject(with: dump.stdout) as! [String: Any]
    var missing: [String] = []
    func visit(_ command: [String: Any], path: [String]) throws {
      let page = "\(Self.repository)/man/" + path.joined(separator: "-") + ".1"
      guard let text = try? String(contentsOfFile: page, encoding: .utf8) else {
        missing.append("no page \(page)")
        return
      }
      // Hidden options (the bench peer's) are internal, not documented.
      for argument in command["arguments"] as? [[String: Any]] ?? []
      where argument["shouldDisplay"] as? Bool != false {
        guard let names = argument["names"] as? [[String: Any]],
          let long = names.first(where: { $0["kind"] as? String == "long" })?["name"] as? String
        else { continue }
        if !text.contains("Fl -\(long)") { missing.append("\(page) lacks --\(long)") }
      }
      // argument-parser's own `help` command documents itself.
      for sub in command["subcommands"] as? [[String: Any]] ?? []
      where sub["commandName"] as? String != "help" {
        try visit(sub, path: path + [sub["commandName"] as? String ?? "?"])
      }
    }
    try visit(root["command"] as! [String: Any], path: ["ipc"])
    #expect(missing == [], "run scripts/gen-man")
  }
}
