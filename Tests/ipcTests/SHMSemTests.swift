import Foundation
import Testing

/// `ipc shm` and `ipc sem` against real objects in /dev/shm, with python3's posix_ipc
/// as a peer written elsewhere. Names are unique per script and removed on exit.
@Suite("ipc shm and ipc sem, end to end")
struct SHMSemTests {
  static let prelude = """
    S=/ipc-test-$$-shm; L=/ipc-test-$$-sem
    trap '"$IPC" shm rm $S 2>/dev/null; "$IPC" sem rm $L 2>/dev/null' EXIT

    """

  static func run(_ script: String, timeout: Double = 60) throws -> Harness.Result {
    try Harness.bash(script, prelude: prelude, timeout: timeout)
  }

  @Test("offsets and lengths at the edges: 0, size-1, size, past the end")
  func edges() throws {
    let result = try Self.run(
      """
      "$IPC" shm create $S --size 16
      "$IPC" shm write $S A --offset 0; echo "w0 $?"
      "$IPC" shm write $S Z --offset 15; echo "w15 $?"
      "$IPC" shm write $S X --offset 16; echo "w16 $?"
      "$IPC" shm write $S XY --offset 15; echo "w15+2 $?"
      "$IPC" shm read $S --offset 0 --length 1; echo " r0 $?"
      "$IPC" shm read $S --offset 15; echo " r15 $?"
      "$IPC" shm read $S --offset 16 | wc -c; echo "r16 ${PIPESTATUS[0]}"
      "$IPC" shm read $S --offset 17; echo "r17 $?"
      "$IPC" shm read $S --offset 10 --length 7; echo "r10+7 $?"
      "$IPC" shm read $S | od -An -c | tr -s ' '
      "$IPC" shm info $S --json
      """)
    let lines = result.text.split(separator: "\n")
    #expect(
      Array(lines.prefix(10)) == [
        "w0 0", "w15 0", "w16 1", "w15+2 1", "A r0 0", "Z r15 0", "0", "r16 0", "r17 1", "r10+7 1",
      ])
    #expect(lines[10] == #" A \0 \0 \0 \0 \0 \0 \0 \0 \0 \0 \0 \0 \0 \0 Z"#)
    #expect(lines[11].contains(#""size":16"#))
    #expect(result.stderr.contains("would end at 17, past the end (size 16)"))
  }

  @Test("64 MiB of random bytes written then read back unchanged; --grow extends")
  func bigRoundTrip() throws {
    let result = try Self.run(
      """
      head -c 67108864 /dev/urandom > data
      "$IPC" shm create $S --size 64M
      "$IPC" shm write $S < data && "$IPC" shm read $S | cmp - data && echo same
      printf 'tail' | "$IPC" shm write $S --offset 64M --grow && "$IPC" shm info $S --json
      """, timeout: 120)
    let lines = result.text.split(separator: "\n")
    #expect(lines.first == "same")
    #expect(lines.last?.contains(#""size":67108868"#) == true)
  }

  @Test("--file maps a regular file: what ipc writes, cat sees")
  func file() throws {
    let result = try Self.run(
      """
      "$IPC" shm create --file board --size 11
      "$IPC" shm write --file board "hello world"
      cat board; echo
      printf 'HELLO' | "$IPC" shm write --file board
      "$IPC" shm read --file board; echo
      echo data > other; mkfifo pipe
      "$IPC" shm rm --file pipe; echo "rm fifo $?"
      "$IPC" shm rm --file board; [ -e board ] || echo "board removed"
      """)
    #expect(result.text == "hello world\nHELLO world\nrm fifo 1\nboard removed\n")
  }

  @Test("interop with python3's posix_ipc: SharedMemory + mmap, and Semaphore")
  func interop() throws {
    let result = try Self.run(
      """
      python3 -c 'import posix_ipc' 2>/dev/null || { echo "posix_ipc missing"; exit 0; }
      python3 - $S $L <<'PY'
      import mmap, posix_ipc, sys
      m = posix_ipc.SharedMemory(sys.argv[1], posix_ipc.O_CREX, mode=0o600, size=4096)
      with mmap.mmap(m.fd, m.size) as mem:
          mem[0:11] = b"from python"
      m.close_fd()
      posix_ipc.Semaphore(sys.argv[2], posix_ipc.O_CREX, mode=0o600, initial_value=0)
      PY
      "$IPC" shm read $S --length 11; echo
      "$IPC" shm write $S "from ipc" --offset 100
      "$IPC" sem post $L --count 2
      python3 - $S $L <<'PY'
      import mmap, posix_ipc, sys
      m = posix_ipc.SharedMemory(sys.argv[1])
      with mmap.mmap(m.fd, m.size) as mem:
          print(mem[100:108].decode())
      s = posix_ipc.Semaphore(sys.argv[2])
      s.acquire(0); print("python took one; value", s.value)
      PY
      "$IPC" sem get $L
      """)
    #expect(result.text == "from python\nfrom ipc\npython took one; value 1\n1\n")
  }

  @Test("shm add from 8 processes × 1000 increments ends at exactly 8000")
  func atomicCounter() throws {
    let result = try Self.run(
      """
      "$IPC" shm create $S --size 16
      for p in 1 2 3 4 5 6 7 8; do
        ( for i in $(seq 1000); do "$IPC" shm add $S --offset 8 > /dev/null; done ) &
      done
      wait
      "$IPC" shm add $S --offset 8 --value 0
      "$IPC" shm add $S --offset 4; echo "misaligned $?"
      """, timeout: 300)
    #expect(result.text == "8000\nmisaligned 2\n")
  }

  @Test("sem run serialises 8 processes appending to one file: no interleaving")
  func criticalSection() throws {
    let result = try Self.run(
      """
      "$IPC" sem create $L --value 1
      for p in 1 2 3 4 5 6 7 8; do
        "$IPC" sem run $L --timeout 60s -- sh -c "for i in 1 2 3 4 5; do echo $p-\\$i >> log; sleep 0.01; done" &
      done
      wait
      awk -F- '{ if (NR % 5 == 1) who = $1; else if ($1 != who) bad++ } END { print NR, bad + 0 }' log
      "$IPC" sem get $L
      """, timeout: 120)
    #expect(result.text == "40 0\n1\n")
  }

  @Test("sem run posts however the command ends, and gives its status")
  func runPostsAlways() throws {
    let result = try Self.run(
      """
      "$IPC" sem create $L --value 1
      "$IPC" sem run $L -- sh -c 'exit 7'; echo "failed $?"; "$IPC" sem get $L
      "$IPC" sem run $L -- sh -c 'kill -KILL $$'; echo "killed $?"; "$IPC" sem get $L
      set -m
      "$IPC" sem run $L -- sleep 30 & pid=$!
      for i in $(seq 100); do [ "$("$IPC" sem get $L)" = 0 ] && break; sleep 0.05; done
      kill -TERM $pid; wait $pid; echo "terminated $?"; "$IPC" sem get $L
      """, timeout: 30)
    #expect(result.text == "failed 7\n1\nkilled 137\n1\nterminated 143\n1\n")
  }

  @Test("sem wait: --timeout 124, --nonblock 3; a zero-size object reads as a clean error")
  func waitsAndEmpty() throws {
    let result = try Self.run(
      """
      "$IPC" sem create $L --value 0
      "$IPC" sem wait $L --timeout 200ms; echo "timeout $?"
      "$IPC" sem wait $L --nonblock; echo "nonblock $?"
      ( sleep 0.2; "$IPC" sem post $L ) & "$IPC" sem wait $L --timeout 10s; echo "posted $?"
      "$IPC" shm create $S --size 0
      "$IPC" shm read $S; echo "empty $?"
      "$IPC" sem ls | grep -c -- "$L "
      "$IPC" shm ls | grep -c -- "$S "
      """, timeout: 30)
    #expect(result.text == "timeout 124\nnonblock 3\nposted 0\nempty 1\n1\n1\n")
    #expect(result.stderr.contains("the object is empty (size 0): there is nothing to read"))
    #expect(!result.stderr.contains("crash"))
  }

  @Test("watch prints the region, then again at each change")
  func watch() throws {
    let result = try Self.run(
      """
      "$IPC" shm create $S --size 64
      "$IPC" shm write $S "first"
      "$IPC" shm watch $S --length 16 --interval 20ms --count 2 --timeout 10s > out & watcher=$!
      lines() { for i in $(seq 200); do [ "$(wc -l < out)" -ge "$1" ] && return; sleep 0.02; done; }
      lines 1; "$IPC" shm write $S "second"
      lines 2; "$IPC" shm write $S "third!"
      wait $watcher; echo "status $?"; cat out
      "$IPC" shm watch $S --interval 20ms --timeout 200ms > /dev/null; echo "quiet $?"
      """, timeout: 30)
    #expect(result.text == "status 0\nfirst\nsecond\nthird!\nquiet 124\n")
  }
}
