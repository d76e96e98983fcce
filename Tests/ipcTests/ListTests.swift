import Foundation
import Testing

@Suite("ipc ls, end to end")
struct ListTests {
  @Test("ls shows an object of each kind the test made, and none after they are removed")
  func everyKind() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$; key=$(printf '0x6c73%04x' $(( $$ % 65536 )))
      cleanup() {
        "$IPC" mq rm /$n 2>/dev/null; "$IPC" shm rm /$n 2>/dev/null; "$IPC" sem rm /$n 2>/dev/null
        "$IPC" mq rm --sysv --key $key 2>/dev/null; kill $(jobs -p) 2>/dev/null
      }
      trap cleanup EXIT
      "$IPC" mq create /$n && "$IPC" mq send /$n hello
      "$IPC" shm create /$n --size 4K
      "$IPC" sem create /$n --value 3
      "$IPC" mq create --sysv --key $key > /dev/null
      mkfifo fifo
      "$IPC" sock listen unix:$PWD/s.sock 2> log & 
      for i in $(seq 100); do grep -q listening log && break; sleep 0.05; done
      "$IPC" ls --fifo-dir $PWD --mine --json > before
      cleanup; rm fifo; wait
      "$IPC" ls --fifo-dir $PWD --json > after
      python3 - $n $key $PWD <<'PY'
      import json, sys
      n, key, here = sys.argv[1], int(sys.argv[2], 16), sys.argv[3]
      mine = {("mq", "/" + n), ("shm", "/" + n), ("sem", "/" + n), ("sysv-mq", hex(key)), ("fifo", here + "/fifo"), ("socket", here + "/s.sock")}
      def ours(path):
          found = set()
          for o in map(json.loads, open(path)):
              name = o["name"].split(" id ")[0].replace("key ", "")
              if (o["kind"], name) in mine: found.add((o["kind"], name, o["size"], o["mode"]))
          return found
      before, after = ours("before"), ours("after")
      for kind, name, size, mode in sorted(before): print(kind, size, mode)
      print("after:", len(after))
      PY
      """, timeout: 60)
    #expect(
      result.text
        == "fifo 0 open 0644\nmq 1 messages 0600\nsem value 3 0600\nshm 4096 bytes 0600\nsocket listening 0600\nsysv-mq 0 messages 0600\nafter: 0\n"
    )
  }
}
