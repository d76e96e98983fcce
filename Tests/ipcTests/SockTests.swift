import Foundation
import Testing

/// `ipc sock` with socat and nc as real peers. Loopback and Unix sockets only; each
/// script works in a directory of its own and its listeners end with it.
@Suite("ipc sock, end to end")
struct SockTests {
  /// Shell helpers: `port FILE` reads the port from a 'listening on' line once it is there.
  static let prelude = """
    trap 'kill $(jobs -p) 2>/dev/null' EXIT
    ready() { for i in $(seq 200); do grep -q '^listening on' "$1" 2>/dev/null && return; sleep 0.02; done; echo "no listener" >&2; }
    port() { ready "$1"; sed -n 's/^listening on [a-z]*:127.0.0.1://p' "$1"; }

    """

  static func run(_ script: String, timeout: Double = 60) throws -> Harness.Result {
    try Harness.bash(script, prelude: prelude, timeout: timeout)
  }

  @Test(
    "100 MiB of random bytes each way against socat, over unix, abstract and tcp",
    arguments: ["unix", "abstract", "tcp"])
  func bulkWithSocat(_ kind: String) throws {
    let result = try Self.run(
      """
      head -c 104857600 /dev/urandom > data; sha256sum < data > want
      case \(kind) in
        unix) ours=unix:$PWD/s.sock; theirs=UNIX-CONNECT:$PWD/s.sock ;;
        abstract) ours=unix:@ipc-test-$$; theirs=ABSTRACT-CONNECT:ipc-test-$$ ;;
        tcp) ours=tcp:0 ;;
      esac
      # ipc listens and receives; socat sends.
      "$IPC" sock listen $ours < /dev/null 2> log1 | sha256sum > got1 &
      if [ \(kind) = tcp ]; then theirs=TCP:127.0.0.1:$(port log1); else ready log1; fi
      socat -u FILE:data $theirs; wait
      # socat listens and receives; ipc sends.
      case \(kind) in
        unix) rm -f s.sock; listen=UNIX-LISTEN:$PWD/s.sock; target=unix:$PWD/s.sock ;;
        abstract) listen=ABSTRACT-LISTEN:ipc-test2-$$; target=unix:@ipc-test2-$$ ;;
        tcp) listen=TCP-LISTEN:0,bind=127.0.0.1; target= ;;
      esac
      if [ \(kind) = tcp ]; then
        p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        listen=TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr; target=tcp:$p
      fi
      socat -u $listen - | sha256sum > got2 &
      "$IPC" sock connect $target --wait 10s < data; wait
      cmp want got1 && cmp want got2 && echo both-same
      """, timeout: 120)
    #expect(result.text == "both-same\n")
  }

  @Test(
    "bytes arrive whole whatever stdin and stdout are: pipe or file in, pipe, file or /dev/null out"
  )
  func everyEndKind() throws {
    let result = try Self.run(
      """
      head -c 20M /dev/urandom > data
      n=0
      for out in file pipe null; do for in in pipe file; do
        n=$((n+1)); rm -f s.sock
        case $out in
          file) "$IPC" sock listen unix:$PWD/s.sock < /dev/null > got.$n 2> log & ;;
          pipe) "$IPC" sock listen unix:$PWD/s.sock < /dev/null 2> log | cat > got.$n & ;;
          null) "$IPC" sock listen unix:$PWD/s.sock < /dev/null > /dev/null 2> log & ;;
        esac
        ready log
        if [ $in = pipe ]; then cat data | "$IPC" sock connect unix:$PWD/s.sock; else "$IPC" sock connect unix:$PWD/s.sock < data; fi
        wait
        if [ $out = null ]; then echo "$out $in $?"; else cmp -s data got.$n && echo "$out $in same"; fi
      done; done
      """)
    #expect(
      result.text
        == "file pipe same\nfile file same\npipe pipe same\npipe file same\nnull pipe 0\nnull file 0\n",
      "\(result.stderr)")
  }

  @Test("half-close: the client's stdin ends, and the server's reply still arrives")
  func halfClose() throws {
    let result = try Self.run(
      """
      head -c 3000000 /dev/urandom > data
      "$IPC" sock listen tcp:0 --exec 'sha256sum' 2> log &
      "$IPC" sock connect tcp:$(port log) < data > reply
      sha256sum < data | cmp - reply && echo reply-arrived
      # the same against nc as the server
      p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      nc -l 127.0.0.1 $p > received &
      "$IPC" sock connect tcp:$p --wait 10s --send "to nc"; wait
      cat received
      """, timeout: 60)
    #expect(result.text == "reply-arrived\nto nc")
  }

  @Test("--keep-open serves 100 clients one after another")
  func keepOpen() throws {
    let result = try Self.run(
      """
      "$IPC" sock listen unix:$PWD/s.sock --keep-open < /dev/null > log 2> err &
      ready err
      for i in $(seq 100); do "$IPC" sock connect unix:$PWD/s.sock --send "client $i
      " || echo "client $i failed"; done
      for i in $(seq 100); do [ "$(wc -l < log)" -ge 100 ] && break; sleep 0.05; done
      sort -t' ' -k2 -n log | uniq | wc -l; head -1 log; tail -1 log
      """, timeout: 120)
    #expect(result.text == "100\nclient 1\nclient 100\n")
  }

  @Test("--fork --exec serves 20 concurrent clients, each echoed correctly")
  func forkEcho() throws {
    let result = try Self.run(
      """
      "$IPC" sock listen tcp:0 --fork --exec cat 2> log &
      p=$(port log)
      for i in $(seq 20); do
        ( head -c 100000 /dev/urandom > in.$i
          socat -t 5 - TCP:127.0.0.1:$p < in.$i > out.$i ) &
      done
      wait $(jobs -p | tail -20) 2>/dev/null; sleep 0.2
      ok=0; for i in $(seq 20); do cmp -s in.$i out.$i && ok=$((ok+1)); done; echo "$ok echoed"
      """, timeout: 120)
    #expect(result.text == "20 echoed\n")
  }

  @Test("socket files: a stale one is replaced, a live one and a regular file are refused")
  func socketFiles() throws {
    let result = try Self.run(
      """
      python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' $PWD/stale.sock
      [ -S stale.sock ] && echo "stale file made"
      "$IPC" sock listen unix:$PWD/stale.sock --timeout 300ms 2> log; echo "stale: $?"
      grep -c '^listening on' log
      socat UNIX-LISTEN:$PWD/live.sock,fork - < /dev/null > /dev/null & sleep 0.3
      "$IPC" sock listen unix:$PWD/live.sock; echo "live: $?"
      [ -S live.sock ] && echo "live file kept"
      echo keep > file.sock
      "$IPC" sock listen unix:$PWD/file.sock; echo "file: $?"; cat file.sock
      "$IPC" sock listen unix:/$(printf 'x%.0s' $(seq 120)); echo "long: $?"
      """, timeout: 30)
    #expect(
      result.text
        == "stale file made\nstale: 124\n1\nlive: 1\nlive file kept\nfile: 1\nkeep\nlong: 2\n")
    #expect(result.stderr.contains("another process is listening on this socket"))
    #expect(result.stderr.contains("a regular file is already there"))
    #expect(result.stderr.contains("the limit is 107 (sun_path)"))
  }

  @Test("the socket file has mode 0600 and is removed on exit, Ctrl-C included")
  func socketFileLifetime() throws {
    let result = try Self.run(
      """
      set -m
      "$IPC" sock listen unix:$PWD/s.sock 2> log & pid=$!
      ready log; stat -c '%a %F' s.sock
      kill -INT $pid; wait $pid; echo "status $?"
      [ -e s.sock ] && echo "left behind" || echo "removed"
      """, timeout: 30)
    #expect(result.text == "600 socket\nstatus 130\nremoved\n")
  }

  @Test("--peer-cred shows the peer's own pid and uid; --allow-uid refuses others")
  func peerCredentials() throws {
    let result = try Self.run(
      """
      "$IPC" sock listen unix:@ipc-test-$$ --peer-cred --json < /dev/null 2> log &
      ready log
      python3 - ipc-test-$$ <<'PY'
      import os, socket, sys
      s = socket.socket(socket.AF_UNIX); s.connect("\\0" + sys.argv[1])
      print("client", os.getpid(), os.getuid()); s.close()
      PY
      wait
      grep '^{' log | python3 -c 'import json,sys; [print("server saw", e["pid"], e["uid"]) for e in map(json.loads, sys.stdin) if e.get("event")=="peer"]'
      "$IPC" sock listen unix:@ipc-test2-$$ --allow-uid 4242 --timeout 1s < /dev/null 2> log2 &
      ready log2
      "$IPC" sock connect unix:@ipc-test2-$$ --send x; wait
      grep -c 'refused a peer running as uid' log2
      """, timeout: 30)
    let lines = result.text.split(separator: "\n")
    #expect(lines.count == 3)
    let client = lines.first?.split(separator: " ").dropFirst()
    let server = lines.dropFirst().first?.split(separator: " ").dropFirst(2)
    #expect(client.map(Array.init) == server.map(Array.init))
    #expect(lines.last == "1")
  }

  @Test("udp and unixgram carry one message per datagram, both ways with socat")
  func datagrams() throws {
    let result = try Self.run(
      """
      "$IPC" sock listen udp:0 --count 2 > got 2> log &
      p=$(port log)
      printf 'one\\ntwo\\n' | "$IPC" sock connect udp:$p; wait; cat got
      "$IPC" sock listen unixgram:$PWD/d.sock --count 1 > got2 2> log2 &
      ready log2; printf 'from socat' | socat -u - UNIX-SENDTO:$PWD/d.sock; wait; cat got2
      socat -u UDP-RECV:$p,bind=127.0.0.1 - > got3 & sleep 0.3
      "$IPC" sock connect udp:$p --send "to socat"; sleep 0.3; kill %1 2>/dev/null; cat got3; echo
      """, timeout: 30)
    #expect(result.text == "one\ntwo\nfrom socat\nto socat\n")
  }

  @Test("sock wait: 0 as soon as a listener is there, 124 at the timeout")
  func wait() throws {
    let result = try Self.run(
      """
      "$IPC" sock wait unix:$PWD/none.sock --timeout 300ms; echo "none: $?"
      ( sleep 0.3; exec "$IPC" sock listen unix:$PWD/late.sock < /dev/null 2>/dev/null ) &
      "$IPC" sock wait unix:$PWD/late.sock --timeout 10s; echo "late: $?"
      """, timeout: 30)
    #expect(result.text == "none: 124\nlate: 0\n")
  }

  @Test("fd passing: the receiver reads a file through the descriptor it was sent, offset and all")
  func descriptorPassing() throws {
    let result = try Self.run(
      """
      printf 'secret data\n' > file; chmod 600 file
      "$IPC" sock recv-fd unix:@ipc-fd-$$ --timeout 10s --json > info 2> log &
      ready log; "$IPC" sock send-fd unix:@ipc-fd-$$ --file $PWD/file; wait
      python3 -c 'import json; i=json.load(open("info")); print(i["target"].endswith("/file"), i["readable"], i["writable"], i["offset"])'
      "$IPC" sock recv-fd unix:$PWD/fd.sock --timeout 10s -- tr a-z A-Z 2> log2 &
      ready log2
      exec 5< file; read -r -n 7 -u 5 skipped
      "$IPC" sock send-fd unix:$PWD/fd.sock --fd 5; wait; exec 5<&-
      "$IPC" sock send-fd unix:@ipc-nobody-$$ --file file; echo "nobody: $?"
      """, timeout: 30)
    #expect(result.text == "True True False 0\nDATA\nnobody: 1\n")
  }

  @Test("seqpacket keeps message boundaries over a connection")
  func seqpacket() throws {
    let result = try Self.run(
      """
      python3 - seq-$$ > got <<'PY' &
      import socket, sys
      s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind("\\0" + sys.argv[1]); s.listen(1)
      c, _ = s.accept()
      while True:
          m = c.recv(65536)
          if not m: break
          print(repr(m))
      PY
      "$IPC" sock connect seqpacket:@seq-$$ --wait 10s --send "one message with
      two lines"; wait; cat got
      """, timeout: 30)
    #expect(result.text == "b'one message with\\ntwo lines'\n")
  }
}
