import Foundation
import Testing

/// Safe by default: private modes, loopback, nothing of anyone else's touched, no
/// shell unless asked, the --allow-uid door shut to others.
@Suite("security: safe by default")
struct SecurityTests {
  @Test("objects are made 0600 whatever the umask; --mode gives more, and the umask applies to it")
  func modes() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$; key=$(printf '0x6d6f%04x' $(( $$ % 65536 )))
      trap 'for k in mq shm sem; do "$IPC" $k rm /$n-a; "$IPC" $k rm /$n-b; done
            "$IPC" mq rm --sysv --key $key; kill $(jobs -p) 2>/dev/null' EXIT
      mode() { stat -c %a "$1"; }
      umask 000
      "$IPC" mq create /$n-a; "$IPC" shm create /$n-a --size 4K; "$IPC" sem create /$n-a
      "$IPC" fifo create f-a; "$IPC" mq create --sysv --key $key > /dev/null
      "$IPC" sock listen unix:$PWD/a.sock --timeout 30s < /dev/null 2> log &
      for i in $(seq 200); do grep -q listening log && break; sleep 0.02; done
      echo "umask 000: shm $(mode /dev/shm/$n-a) sem $(mode /dev/shm/sem.$n-a) fifo $(mode f-a) socket $(mode a.sock)" \\
        "mq $("$IPC" mq info /$n-a --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["mode"])')" \\
        "sysv $(awk -v k=$((key)) '$1 == k {print $3}' /proc/sysvipc/msg)"
      umask 027
      "$IPC" shm create /$n-b --size 4K --mode 666; "$IPC" sem create /$n-b --mode 666
      "$IPC" fifo create f-b --mode 666
      echo "umask 027, --mode 666: shm $(mode /dev/shm/$n-b) sem $(mode /dev/shm/sem.$n-b) fifo $(mode f-b)"
      """)
    #expect(
      result.text
        == "umask 000: shm 600 sem 600 fifo 600 socket 600 mq 0600 sysv 600\n"
        + "umask 027, --mode 666: shm 640 sem 640 fifo 640\n", "\(result.stderr)")
  }

  @Test("a listener binds to loopback unless an address says otherwise")
  func loopback() throws {
    let result = try Harness.bash(
      """
      trap 'kill $(jobs -p) 2>/dev/null' EXIT
      "$IPC" sock listen tcp:0 --timeout 30s < /dev/null 2> a &
      "$IPC" sock listen udp:0 --timeout 30s < /dev/null 2> b &
      "$IPC" sock listen tcp:0.0.0.0:0 --timeout 30s < /dev/null 2> c &
      for f in a b c; do for i in $(seq 200); do grep -q listening $f && break; sleep 0.02; done; done
      for f in a b c; do sed -n 's/^listening on \\([a-z]*\\):\\(.*\\):[0-9]*$/\\1 \\2/p' $f; done
      port=$(sed -n 's/^listening on tcp:127.0.0.1://p' a)
      # The kernel agrees: the socket is bound to 127.0.0.1 (0100007F), not to every address.
      awk -v p=$(printf '%04X' $port) '$4 == "0A" && $2 ~ ":"p"$" {print $2}' /proc/net/tcp | cut -d: -f1
      """)
    #expect(
      result.text == "tcp 127.0.0.1\nudp 127.0.0.1\ntcp 0.0.0.0\n0100007F\n", "\(result.stderr)")
  }

  @Test("nothing ipc did not make is removed or overwritten: links, files and a swapped socket")
  func notOurs() throws {
    let result = try Harness.bash(
      """
      set -m
      printf precious > target; ln -s target link; printf file > plain
      "$IPC" sock listen unix:$PWD/link --timeout 2s < /dev/null 2> err; echo "listen on a symlink: $?"
      "$IPC" fifo create plain 2> err; echo "fifo create on a file: $?"
      "$IPC" fifo read plain --create --timeout 1s 2> err; echo "fifo read --create on a file: $?"
      "$IPC" fifo rm link 2> err; echo "fifo rm of a symlink: $?"
      "$IPC" shm create --file plain --size 4K 2> err; echo "shm create over a file: $?"
      # A listener removes its socket file on exit only if it is still the one it made.
      "$IPC" sock listen unix:$PWD/s.sock --timeout 30s < /dev/null 2> log & p=$!
      for i in $(seq 200); do grep -q listening log && break; sleep 0.02; done
      mv s.sock moved.sock; printf mine > s.sock
      kill -INT $p; wait $p; echo "listener: $?"
      echo "$(cat target) $(readlink link) $(cat plain) $(cat s.sock)"
      """)
    #expect(
      result.text
        == "listen on a symlink: 1\nfifo create on a file: 1\nfifo read --create on a file: 1\n"
        + "fifo rm of a symlink: 1\nshm create over a file: 1\nlistener: 130\n"
        + "precious target file mine\n", "\(result.stderr)")
  }

  @Test("--exec gets peer data on stdin only: shell syntax from a peer is data, never run")
  func execWithoutShell() throws {
    let result = try Harness.bash(
      """
      trap 'kill $(jobs -p) 2>/dev/null' EXIT
      "$IPC" sock listen unix:$PWD/s.sock --fork --exec 'tr a-z A-Z' 2> log &
      for i in $(seq 200); do grep -q listening log && break; sleep 0.02; done
      printf '$(touch pwned1); `touch pwned2`; touch pwned3\\n' | "$IPC" sock connect unix:$PWD/s.sock
      "$IPC" sock listen unix:$PWD/t.sock --exec 'cat; touch x' 2> err; echo "shell syntax without --shell: $?"
      ls pwned* x 2>/dev/null | wc -l
      """)
    #expect(
      result.text
        == "$(TOUCH PWNED1); `TOUCH PWNED2`; TOUCH PWNED3\nshell syntax without --shell: 2\n0\n",
      "\(result.stderr)")
  }

  @Test(
    "--allow-uid: a peer of another user (setpriv) is refused, the allowed one served",
    .enabled(if: Harness.isRoot, "switching users needs root"))
  func allowUid() throws {
    let result = try Harness.bash(
      """
      trap 'kill $(jobs -p) 2>/dev/null' EXIT
      "$IPC" sock listen unix:@ipc-test-$$ --keep-open --allow-uid 0 --exec 'echo served' 2> log &
      for i in $(seq 200); do grep -q listening log && break; sleep 0.02; done
      echo "nobody: [$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$IPC" sock connect unix:@ipc-test-$$ < /dev/null)]"
      echo "root: [$("$IPC" sock connect unix:@ipc-test-$$ < /dev/null)]"
      grep -c "refused.*uid 65534" log
      """)
    #expect(result.text == "nobody: []\nroot: [served]\n1\n", "\(result.stderr)")
  }
}
