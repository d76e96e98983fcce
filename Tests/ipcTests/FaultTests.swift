import Foundation
import Testing

/// Bad objects, other users, closed outputs, interruptions, storms and full file
/// systems: each ends in one clear line and a documented code, and nothing is lost.
@Suite("faults: nothing lost, nothing left, one clear line")
struct FaultTests {
  @Test("a missing object or one of the wrong kind exits 1 with a line and a hint; nothing changes")
  func missingAndWrongKind() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$
      printf data > plain; mkdir dir
      sh -c 'exit 0' & dead=$!; wait
      check() {
        "$IPC" "$@" > /dev/null 2> err; code=$?
        echo "$code $(wc -l < err) $(head -1 err | grep -c '^ipc: ') $(grep -c '^hint: ' err)"
      }
      check mq info /$n-none
      check mq recv /$n-none --nonblock
      check shm read /$n-none
      check sem post /$n-none
      check mq recv --sysv --key $(printf '0x7fff%04x' $((RANDOM))) --nonblock
      check fifo read plain --timeout 1s
      check fifo write plain x --nonblock
      check fifo rm plain
      check fifo read nonexist --timeout 1s
      check sock connect unix:$PWD/plain
      check sock connect unix:$PWD/none
      check sock listen unix:$PWD/plain
      check shm read --file dir
      check shm write --file nonexist x
      check signal send $dead TERM
      printf data | cmp -s plain - && echo plain-intact; [ -d dir ] && echo dir-intact
      ls
      """)
    #expect(
      result.text
        == String(repeating: "1 2 1 1\n", count: 15) + "plain-intact\ndir-intact\ndir\nerr\nplain\n"
    )
  }

  @Test(
    "as another user (setpriv): every refusal exits 1 with the errno and a hint; the objects stay",
    .enabled(if: Harness.isRoot, "switching users needs root"))
  func permissionDenied() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$; key=$(printf '0x7065%04x' $(( $$ % 65536 )))
      trap '"$IPC" mq rm /$n; "$IPC" shm rm /$n; "$IPC" sem rm /$n; "$IPC" mq rm --sysv --key $key; kill $victim' EXIT
      chmod 755 .
      "$IPC" mq create /$n && "$IPC" mq send /$n secret
      "$IPC" shm create /$n --size 4K && "$IPC" shm write /$n secret
      "$IPC" sem create /$n --value 1
      "$IPC" mq create --sysv --key $key > /dev/null && "$IPC" mq send --sysv --key $key secret
      "$IPC" fifo create f
      sleep 60 & victim=$!
      as() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$IPC" "$@" > /dev/null 2> err; code=$?
        echo "$code $(wc -l < err) $(grep -c -E '\\((EACCES|EPERM)\\)$' err) $(grep -c '^hint: ' err)"; }
      as mq recv /$n --nonblock
      as mq rm /$n
      as shm read /$n
      as shm write /$n stolen
      as sem wait /$n --nonblock
      as sem rm /$n
      as mq recv --sysv --key $key --nonblock
      as mq rm --sysv --key $key
      as fifo write f x --nonblock
      as fifo rm f
      as sock listen unix:$PWD/s.sock
      as sock listen tcp:80
      as signal send $victim TERM
      # Everything is as it was: the message, the bytes, the value, the FIFO, the process.
      "$IPC" mq recv /$n --nonblock; "$IPC" shm read /$n --length 6; echo
      "$IPC" sem get /$n; "$IPC" mq recv --sysv --key $key --nonblock
      [ -p f ] && echo fifo-there; kill -0 $victim && echo victim-alive
      """)
    #expect(
      result.text
        == String(repeating: "1 2 1 1\n", count: 13)
        + "secret\nsecret\n1\nsecret\nfifo-there\nvictim-alive\n",
      "\(result.stderr)")
  }

  @Test("a peer killed mid-transfer: the side still sending exits 1 and says how far it got")
  func peerKilled() throws {
    let result = try Harness.bash(
      """
      set -m
      # Each transfer is 8 GiB from a pipe: it lasts seconds, so the kill lands mid-way.
      src() { head -c 8G /dev/zero; }
      # socat receives and is killed; ipc was sending.
      socat -u UNIX-LISTEN:$PWD/a.sock - > /dev/null & s=$!
      for i in $(seq 200); do [ -S a.sock ] && break; sleep 0.02; done
      ( src | "$IPC" sock connect unix:$PWD/a.sock 2> err1; echo "connect ${PIPESTATUS[1]} $(grep -c 'closed the connection after' err1)" > r1 ) &
      c=$!
      sleep 0.3; kill -9 $s; wait $c; cat r1
      # ipc listens and sends; the socat that receives is killed.
      src | "$IPC" sock listen unix:$PWD/b.sock > /dev/null 2> err2 &
      for i in $(seq 200); do grep -q listening err2 && break; sleep 0.02; done
      socat -u UNIX-CONNECT:$PWD/b.sock - > /dev/null & s=$!
      sleep 0.3; kill -9 $s; wait %2 2>/dev/null; wait $(jobs -p) 2>/dev/null
      echo "listen $(grep -c 'closed the connection after' err2)"
      # A FIFO whose reader is killed: the writer says so (1).
      mkfifo f
      cat f > /dev/null & r=$!
      ( src | "$IPC" fifo write f 2> err3; echo "fifo write ${PIPESTATUS[1]} $(grep -c 'reader closed' err3)" > r3 ) & w=$!
      sleep 0.3; kill -9 $r; wait $w; cat r3
      # A pipeline stage killed: its status, as the shell gives it.
      # (A sleep of a length no other test uses, so that only ours is killed.)
      "$IPC" pipe 'head -c 1M /dev/zero' "sleep 30.$$" & p=$!
      for i in $(seq 200); do pgrep -f "^sleep 30.$$" > /dev/null && break; sleep 0.02; done
      pkill -9 -f "^sleep 30.$$"; wait $p; echo "pipe $?"
      """, timeout: 60)
    #expect(
      result.text == "connect 1 1\nlisten 1\nfifo write 1 1\npipe 137\n", "\(result.stderr)")
  }

  @Test("over a queue limit: RLIMIT_MSGQUEUE, msg_max and msgsize_max are named; nothing is made")
  func queueLimits() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$
      trap '"$IPC" mq rm /$n 2>/dev/null' EXIT
      (ulimit -q 1000; "$IPC" mq create /$n 2> err; echo "rlimit $? $(grep -c 'RLIMIT_MSGQUEUE' err) $(grep -c '^hint:' err)")
      "$IPC" mq create /$n --max-messages 100000 2> err; echo "msg_max $? $(grep -c 'fs/mqueue/msg_max' err)"
      "$IPC" mq create /$n --message-size 100M 2> err; echo "msgsize_max $? $(grep -c 'fs/mqueue/msgsize_max' err)"
      "$IPC" mq info /$n 2>&1 | grep -c 'no such queue'
      """)
    #expect(
      result.text == "rlimit 1 1 1\nmsg_max 1 1\nmsgsize_max 1 1\n1\n", "\(result.stderr)")
  }

  @Test("output closed early (| head -c1): exit 141, no message, nothing taken off a queue lost")
  func closedOutput() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$
      trap '"$IPC" mq rm /$n; "$IPC" shm rm /$n' EXIT
      "$IPC" mq create /$n
      # Ten 8 KiB messages: more than a pipe holds, so a write fails once head has gone.
      for i in $(seq 10); do head -c 8192 /dev/zero | tr '\\0' "$((i % 10))" | "$IPC" mq send /$n; done
      codes=$( { { "$IPC" mq recv /$n --follow --nonblock --raw 2> err1; echo $? >&4; } | head -c1 >/dev/null; } 4>&1 )
      echo "mq recv: $codes $(grep -c 'put back' err1)"
      "$IPC" mq info /$n --json | python3 -c 'import json,sys; print("left", 1 <= json.load(sys.stdin)["messages"] <= 10)'
      # What is left is whole messages, each of one digit repeated.
      "$IPC" mq recv /$n --follow --nonblock | python3 -c 'import sys; print("whole", all(len(l) == 8192 and len(set(l)) == 1 for l in sys.stdin.read().splitlines()))'
      "$IPC" shm create /$n --size 1M
      codes=$( { { "$IPC" shm read /$n 2> err2; echo $? >&4; } | head -c1 >/dev/null; } 4>&1 )
      echo "shm read: $codes $(wc -c < err2)"
      codes=$( { { head -c 1M /dev/zero | "$IPC" pipe --stats 2> err3; echo $? >&4; } | head -c1 >/dev/null; } 4>&1 )
      echo "pipe: $codes"
      mkfifo f
      (sleep 0.2; head -c 1M /dev/zero > f) &
      codes=$( { { "$IPC" fifo read f --timeout 10s 2> err4; echo $? >&4; } | head -c1 >/dev/null; } 4>&1 )
      echo "fifo read: $codes $(wc -c < err4)"
      wait
      """)
    #expect(
      result.text
        == "mq recv: 141 1\nleft True\nwhole True\nshm read: 141 0\npipe: 141\nfifo read: 141 0\n",
      "\(result.stderr)")
  }

  @Test(
    "SIGINT and SIGTERM during each blocking wait: 130/143, what ipc made is removed, the user's objects stay"
  )
  func interruptEveryWait() throws {
    let result = try Harness.bash(
      """
      set -m
      n=ipc-test-$$
      trap '"$IPC" mq rm /$n; "$IPC" mq rm /$n-full; "$IPC" sem rm /$n; "$IPC" shm rm /$n' EXIT
      "$IPC" mq create /$n; "$IPC" mq create /$n-full --max-messages 1; "$IPC" mq send /$n-full keep
      "$IPC" sem create /$n --value 0; "$IPC" shm create /$n --size 64; mkfifo f
      # Blocked in the kernel: wait until /proc says it sleeps in a system call.
      blocked() { for i in $(seq 200); do
          read -r call _ < /proc/$1/syscall 2>/dev/null
          case $call in 0|7|23|35|61|128|202|230|257|271|288) return 0 ;; esac; sleep 0.02
        done; echo "never blocked: $call"; }
      # Lines other than the readiness notes (listening on…, ready…) would be noise.
      try() { sig=$1; shift; "$IPC" "$@" > /dev/null 2> err & p=$!; blocked $p; kill -$sig $p; wait $p
        echo "$? $(grep -c -v -E '^(listening on|ipc: signal trap: pid [0-9]+ ready)' err) | $*"; }
      for sig in INT TERM; do
        try $sig fifo read f --timeout 60s
        try $sig fifo write f x --timeout 60s
        try $sig fifo read g --create --timeout 60s
        try $sig mq recv /$n --timeout 60s
        try $sig mq send /$n-full more --timeout 60s
        try $sig mq notify /$n --timeout 60s
        try $sig sem wait /$n --timeout 60s
        try $sig shm watch /$n --timeout 60s
        try $sig sock listen unix:$PWD/s.sock --timeout 60s
        try $sig sock connect unix:$PWD/nobody.sock --wait 60s
        try $sig signal trap USR1 --timeout 60s
        try $sig bench mq --count 10000000 --timeout 60s
      done
      [ -p f ] && echo f-stays; [ -e g ] || echo g-removed; [ -e s.sock ] || echo socket-removed
      "$IPC" mq recv /$n-full --nonblock; "$IPC" sem get /$n
      ls /dev/shm | grep -c ipc-bench
      """, timeout: 120)
    let lines = result.text.split(separator: "\n").map(String.init)
    let tried = lines.filter { $0.contains(" | ") }
    #expect(tried.count == 24, "\(result.text)\(result.stderr)")
    for line in tried.prefix(12) { #expect(line.hasPrefix("130 0 |"), "\(line)") }
    for line in tried.suffix(12) { #expect(line.hasPrefix("143 0 |"), "\(line)") }
    #expect(
      lines.filter { !$0.contains(" | ") }
        == ["f-stays", "g-removed", "socket-removed", "keep", "0", "0"], "\(result.stderr)")
  }

  @Test("a storm of SIGSTOP/SIGCONT (EINTR from poll and futex waits): data intact, counts exact")
  func interruptionStorm() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$
      trap '"$IPC" mq rm /$n; "$IPC" sem rm /$n; kill $(jobs -p) 2>/dev/null' EXIT
      storm() { while kill -0 $1 2>/dev/null; do kill -STOP $1 2>/dev/null; kill -CONT $1 2>/dev/null; done; }
      head -c 100M /dev/urandom > data; sha256sum < data > want
      "$IPC" sock listen unix:$PWD/s.sock --timeout 60s < /dev/null 2> log | sha256sum > got &
      for i in $(seq 200); do grep -q listening log && break; sleep 0.02; done
      "$IPC" sock connect unix:$PWD/s.sock < data & c=$!
      storm $c & storm $(pgrep -f "sock listen unix:$PWD/s.sock" | head -1) &
      wait $c; echo "connect $?"
      while pgrep -f "sock listen unix:$PWD/s.sock" > /dev/null; do sleep 0.05; done
      cmp -s want got && echo socket-intact
      "$IPC" mq create /$n
      "$IPC" mq recv /$n --follow --count 10000 --timeout 60s > received & r=$!
      storm $r &
      seq 10000 | "$IPC" mq send /$n --lines --timeout 60s
      wait $r; echo "recv $?"
      seq 10000 | cmp -s - received && echo queue-intact
      "$IPC" sem create /$n --value 0
      ( for i in $(seq 300); do "$IPC" sem wait /$n --timeout 60s || echo fail; done ) & w=$!
      for i in $(seq 300); do "$IPC" sem post /$n; done &
      for p in $(pgrep -f "sem wait /$n"); do storm $p & done
      wait $w; echo "waits $?"; "$IPC" sem get /$n
      """, timeout: 120)
    #expect(
      result.text == "connect 0\nsocket-intact\nrecv 0\nqueue-intact\nwaits 0\n0\n",
      "\(result.stderr)")
  }

  @Test("an object shrunk again and again under readers and writers: clean errors, never SIGBUS")
  func shrinkingUnderUse() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$
      trap '"$IPC" shm rm /$n; kill $(jobs -p) 2>/dev/null' EXIT
      "$IPC" shm create /$n --size 16M
      python3 -c "
      import os, time
      fd = os.open('/dev/shm/$n', os.O_RDWR)
      end = time.time() + 8
      while time.time() < end:
          os.ftruncate(fd, 0); os.ftruncate(fd, 16 << 20)
      " & shrinker=$!
      codes=""
      for i in $(seq 25); do
        "$IPC" shm read /$n --hex --length 1M > /dev/null 2>> err; codes="$codes $?"
        "$IPC" shm read /$n > /dev/null 2>> err; codes="$codes $?"
        head -c 4M /dev/zero | "$IPC" shm write /$n 2>> err; codes="$codes $?"
        "$IPC" shm add /$n --offset 1M --value 1 > /dev/null 2>> err; codes="$codes $?"
        "$IPC" shm watch /$n --timeout 0.05s > /dev/null 2>> err; codes="$codes $?"
      done
      kill $shrinker
      # Every run ended with 0, 1 (a clean error) or 124 (watch's timeout): no 135.
      echo $codes | tr ' ' '\n' | grep -v -c -E '^(0|1|124)$'
      grep -c -v -E '^(ipc: shm (read|write|add|watch) /ipc-test-[0-9]+: |hint: )' err
      """, timeout: 120)
    #expect(result.text == "0\n0\n", "\(result.stderr)")
  }

  @Test(
    "a full file system gives ENOSPC and a hint, not SIGBUS; a shrunk object is a clean error",
    .enabled(if: Harness.isRoot, "mounting a small tmpfs needs root"))
  func fullAndShrunk() throws {
    let result = try Harness.bash(
      """
      n=ipc-test-$$
      trap '"$IPC" shm rm /$n' EXIT
      mkdir small
      unshare -m sh -c '
        mount -t tmpfs -o size=1M tmpfs small || exit 9
        head -c 2M /dev/zero > two
        "$IPC" shm write --file small/f --create --size 4M < two 2> err; echo "write $? $(grep -c ENOSPC err) $(grep -c ^hint: err)"
        "$IPC" shm create --file small/g --size 4M 2> err; echo "create $?"
        "$IPC" shm write --file small/g --offset 3M hello 2> err; echo "small write $?"
        head -c 1M /dev/zero | "$IPC" shm write --file small/g --offset 2M 2> err; echo "big write $? $(grep -c ENOSPC err)"
      '
      "$IPC" shm create /$n --size 1M
      "$IPC" shm write /$n --offset 900K hello
      python3 -c "import os; fd = os.open('/dev/shm/$n', os.O_RDWR); os.ftruncate(fd, 4096)"
      "$IPC" shm read /$n --offset 900K --length 5 2> err; echo "read $? $(grep -c 'past the end' err)"
      "$IPC" shm write /$n --offset 900K again 2> err; echo "write $? $(grep -c 'past the end' err)"
      """)
    #expect(
      result.text
        == "write 1 1 1\ncreate 0\nsmall write 0\nbig write 1 1\nread 1 1\nwrite 1 1\n",
      "\(result.stderr)")
  }
}
