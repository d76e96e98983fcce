import Foundation
import Testing

/// `ipc mq` against real POSIX queues, with python3's posix_ipc as a peer written
/// elsewhere. Every script uses queue names of its own and removes them on exit.
@Suite("ipc mq, end to end")
struct MQTests {
  /// A script prefix: `$Q` and `$Q2` are unique queue names, removed however it ends.
  static let prelude = """
    Q=/ipc-test-$$-a; Q2=/ipc-test-$$-b
    trap '"$IPC" mq rm $Q 2>/dev/null; "$IPC" mq rm $Q2 2>/dev/null' EXIT

    """

  static func run(_ script: String, timeout: Double = 60) throws -> Harness.Result {
    try Harness.bash(script, prelude: prelude, timeout: timeout)
  }

  @Test("highest priority first, first in first out within a priority")
  func priorities() throws {
    let result = try Self.run(
      """
      "$IPC" mq create $Q
      for m in a:1 b:5 c:1 d:9 e:5 f:0; do "$IPC" mq send $Q "${m%:*}" --priority "${m#*:}"; done
      "$IPC" mq recv $Q --count 6 --show-priority
      """)
    #expect(result.status == 0)
    #expect(result.text == "9\td\n5\tb\n5\te\n1\ta\n1\tc\n0\tf\n")
  }

  @Test("each framing mode carries binary data unchanged")
  func framing() throws {
    let result = try Self.run(
      """
      "$IPC" mq create $Q --message-size 4K
      head -c 4096 /dev/urandom > blob
      "$IPC" mq send $Q < blob && "$IPC" mq recv $Q --raw > got && cmp blob got && echo raw-same
      printf 'one\\0two\\0\\n3\\0' | "$IPC" mq send $Q --null
      "$IPC" mq recv $Q --count 3 --null | od -An -c | tr -s ' '
      "$IPC" mq send $Q < blob && "$IPC" mq recv $Q --json > json
      python3 -c 'import json,base64,sys; m=json.load(open("json")); sys.stdout.buffer.write(base64.b64decode(m["data_base64"]))' | cmp - blob && echo json-same
      "$IPC" mq send $Q "plain text" --priority 3 && "$IPC" mq recv $Q --json
      """)
    #expect(result.status == 0)
    let lines = result.text.split(separator: "\n")
    #expect(lines.first == "raw-same")
    #expect(lines.dropFirst().first == " o n e \\0 t w o \\0 \\n 3 \\0")
    #expect(lines.contains("json-same"))
    #expect(lines.last == #"{"priority":3,"size":10,"data":"plain text"}"#)
  }

  @Test("stdin larger than the message size is refused and nothing is sent")
  func oversize() throws {
    let result = try Self.run(
      """
      "$IPC" mq create $Q --message-size 100
      head -c 101 /dev/zero | "$IPC" mq send $Q; echo "status $?"
      head -c 100 /dev/zero | "$IPC" mq send $Q; echo "status $?"
      "$IPC" mq info $Q --json
      """)
    let lines = result.text.split(separator: "\n")
    #expect(lines.prefix(2) == ["status 1", "status 0"])
    #expect(lines.last?.contains(#""messages":1"#) == true)
    #expect(result.stderrLines.count == 2)
    #expect(
      result.stderrLines.first?.hasSuffix(
        ": stdin has more than the queue's message size (100 bytes); nothing was sent (EMSGSIZE)")
        == true)
  }

  @Test("full and empty queues: --timeout gives 124, --nonblock gives 3")
  func blocking() throws {
    let result = try Self.run(
      """
      "$IPC" mq create $Q --max-messages 2
      "$IPC" mq recv $Q --timeout 200ms; echo "empty timeout $?"
      "$IPC" mq recv $Q --nonblock; echo "empty nonblock $?"
      "$IPC" mq send $Q 1 && "$IPC" mq send $Q 2
      "$IPC" mq send $Q 3 --timeout 200ms; echo "full timeout $?"
      "$IPC" mq send $Q 3 --nonblock; echo "full nonblock $?"
      "$IPC" mq recv $Q --count 2
      """, timeout: 20)
    #expect(
      result.text
        == "empty timeout 124\nempty nonblock 3\nfull timeout 124\nfull nonblock 3\n1\n2\n")
  }

  @Test("--follow receives messages sent later")
  func follow() throws {
    let result = try Self.run(
      """
      "$IPC" mq create $Q
      "$IPC" mq recv $Q --follow --count 3 --timeout 10s > got & reader=$!
      for m in first second third; do sleep 0.1; "$IPC" mq send $Q $m; done
      wait $reader; echo "status $?"; cat got
      """, timeout: 30)
    #expect(result.text == "status 0\nfirst\nsecond\nthird\n")
  }

  @Test("4 producers × 4 consumers, 10 000 messages: none lost, none twice")
  func manyToMany() throws {
    let result = try Self.run(
      """
      "$IPC" mq create $Q
      for c in 1 2 3 4; do "$IPC" mq recv $Q --follow --timeout 2s > got.$c & done
      for p in 1 2 3 4; do seq -f "p$p-%g" 1 2500 | "$IPC" mq send $Q --lines --timeout 20s & done
      wait
      cat got.* | sort | uniq -d | wc -l
      cat got.* | wc -l
      for p in 1 2 3 4; do seq -f "p$p-%g" 1 2500; done | sort > want
      cat got.* | sort | cmp - want && echo all-there
      """, timeout: 90)
    #expect(result.text == "0\n10000\nall-there\n")
  }

  @Test("interop both ways with python3's posix_ipc")
  func interop() throws {
    let result = try Self.run(
      """
      python3 -c 'import posix_ipc' 2>/dev/null || { echo "posix_ipc missing"; exit 0; }
      python3 - $Q <<'PY'
      import posix_ipc, sys
      q = posix_ipc.MessageQueue(sys.argv[1], posix_ipc.O_CREX, mode=0o600, max_messages=5, max_message_size=256)
      q.send(b"from python, low", priority=1)
      q.send(b"from python, high", priority=7)
      PY
      "$IPC" mq recv $Q --count 2 --show-priority
      "$IPC" mq send $Q "from ipc" --priority 4
      python3 -c 'import posix_ipc,sys; m,p = posix_ipc.MessageQueue(sys.argv[1]).receive(1); print(p, m.decode())' $Q
      """)
    #expect(result.status == 0)
    #expect(result.text == "7\tfrom python, high\n1\tfrom python, low\n4 from ipc\n")
  }

  @Test("a message whose output fails goes back on the queue, and ipc says so")
  func putBack() throws {
    let result = try Self.run(
      """
      "$IPC" mq create $Q
      "$IPC" mq send $Q "keep me" --priority 3
      { sleep 0.5; "$IPC" mq recv $Q; echo "status $?" >&2; } | true
      "$IPC" mq recv $Q --show-priority --nonblock
      """, timeout: 20)
    #expect(result.text == "3\tkeep me\n")
    #expect(
      result.stderr.contains(
        "output closed; the message (7 bytes, priority 3) was put back on the queue"))
    #expect(result.stderrLines.last == "status 141")
  }

  @Test("ls lists a queue until it is removed; info and rm name missing queues")
  func listAndRemove() throws {
    let result = try Self.run(
      """
      "$IPC" mq create $Q --mode 640
      "$IPC" mq send $Q x
      "$IPC" mq ls --json | grep "\\"$Q\\""
      "$IPC" mq rm $Q
      "$IPC" mq ls | grep -c -- "$Q "
      "$IPC" mq info $Q; echo "info $?"
      """)
    let lines = result.text.split(separator: "\n")
    #expect(
      lines.first?.contains(#""messages":1,"max_messages":10,"message_size":8192,"mode":"0640""#)
        == true)
    #expect(lines.dropFirst().first == "0")
    #expect(lines.last == "info 1")
    #expect(result.stderr.contains(": no such queue (ENOENT)"))
  }
}

@Suite("ipc mq --sysv and notify, end to end")
struct SystemVAndNotifyTests {
  @Test("System V type selection: 0, +T, -T, --except, as the kernel defines them")
  func typeSelection() throws {
    let result = try MQTests.run(
      """
      K=$(printf '0x6970%04x' $(( $$ % 65536 )))
      trap '"$IPC" mq rm --sysv --key $K 2>/dev/null' EXIT
      "$IPC" mq create --sysv --key $K > id
      for m in t3:3 t1a:1 t2:2 t1b:1 t5:5; do "$IPC" mq send --sysv --key $K "${m%:*}" --type "${m#*:}"; done
      "$IPC" mq recv --sysv --key $K --show-priority
      "$IPC" mq recv --sysv --key $K --type 1 --show-priority
      "$IPC" mq recv --sysv --key $K --type -2 --show-priority
      "$IPC" mq recv --sysv --key $K --type 2 --except --show-priority
      "$IPC" mq recv --sysv --key $K --type -1 --nonblock; echo "none below 2: $?"
      "$IPC" mq info --sysv --id "$(cat id)" --json
      """)
    let lines = result.text.split(separator: "\n")
    #expect(lines.prefix(5) == ["3\tt3", "1\tt1a", "1\tt1b", "5\tt5", "none below 2: 3"])
    let info = try JSONSerialization.jsonObject(with: Data(lines[5].utf8)) as! [String: Any]
    #expect(info["messages"] as? Int == 1)
    #expect(info["bytes"] as? Int == 2)
    #expect(info["mode"] as? String == "0600")
    #expect((info["last_receive_pid"] as? Int ?? 0) > 0)
  }

  @Test("System V interop both ways with python3's sysv_ipc; rm by id")
  func systemVInterop() throws {
    let result = try MQTests.run(
      """
      python3 -c 'import sysv_ipc' 2>/dev/null || { echo "sysv_ipc missing"; exit 0; }
      K=$(printf '0x6971%04x' $(( $$ % 65536 )))
      trap '"$IPC" mq rm --sysv --key $K 2>/dev/null' EXIT
      python3 -c 'import sysv_ipc,sys; q=sysv_ipc.MessageQueue(int(sys.argv[1],16), sysv_ipc.IPC_CREX, 0o600); q.send(b"from python", type=7)' $K
      "$IPC" mq recv --sysv --key $K --json
      "$IPC" mq send --sysv --key $K "from ipc" --type 4
      python3 -c 'import sysv_ipc,sys; m,t=sysv_ipc.MessageQueue(int(sys.argv[1],16)).receive(); print(t, m.decode())' $K
      id=$("$IPC" mq ls --sysv --json | python3 -c 'import json,sys; print([q["id"] for q in map(json.loads, sys.stdin) if q["key"]==sys.argv[1]][0])' $K)
      "$IPC" mq rm --sysv --id $id && "$IPC" mq info --sysv --key $K; echo "after rm: $?"
      """)
    #expect(
      result.text == #"{"type":7,"size":11,"data":"from python"}"# + "\n4 from ipc\nafter rm: 1\n")
  }

  @Test("notify reports a message arriving on the empty queue, and --exec runs for it")
  func notify() throws {
    let result = try MQTests.run(
      """
      "$IPC" mq create $Q
      "$IPC" mq notify $Q --json --verbose --timeout 10s --shell --exec 'echo "exec: $IPC_MQ_NAME" >&2' > note 2> log &
      pid=$!
      for i in $(seq 200); do grep -q registered log && break; sleep 0.05; done
      "$IPC" mq send $Q hello & sender=$!
      wait $pid; echo "status $?"
      cat log >&2
      python3 -c 'import json,sys; n=json.load(open("note")); print(n["code"], n["pid"]==int(sys.argv[1]))' $sender
      "$IPC" mq recv $Q
      "$IPC" mq notify $Q --timeout 200ms; echo "timeout $?"
      """, timeout: 30)
    #expect(result.text == "status 0\nSI_MESGQ True\nhello\ntimeout 124\n")
    #expect(result.stderr.contains("exec: /ipc-test-"))
  }
}
