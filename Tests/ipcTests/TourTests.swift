import Foundation
import Testing

@Suite("ipc tour", .serialized)
struct TourTests {
  @Test("the tour runs every step to the end, each as expected, and shows the commands")
  func runs() throws {
    let result = try Harness.bash("\"$IPC\" tour", timeout: 60)
    #expect(result.status == 0)
    #expect(result.text.contains("$ ipc pipe --stats"))
    #expect(result.text.contains("Tour done:"))
    #expect(result.text.contains("each as expected"))
    #expect(!result.text.contains("\u{1B}["))  // NO_COLOR and not a terminal
  }

  @Test("--only keeps the tour to the named mechanisms")
  func only() throws {
    let result = try Harness.bash("\"$IPC\" tour --only pipe")
    #expect(result.status == 0)
    #expect(result.text.contains("[1/"))
  }

  @Test("the tour leaves no object behind: ipc ls shows none of its names afterwards")
  func leavesNothing() throws {
    let result = try Harness.bash(
      """
      "$IPC" tour > out 2>&1; echo "status $?"
      "$IPC" ls --fifo-dir "${TMPDIR:-/tmp}" --json | grep -c 'ipc-tour-' 
      ls "${TMPDIR:-/tmp}" | grep -c '^ipc-tour-'
      """, timeout: 120)
    #expect(result.text == "status 0\n0\n0\n")
  }

  @Test("SIGINT in the middle of the tour ends it with 130, and what it made is removed")
  func interrupted() throws {
    let result = try Harness.bash(
      """
      set -m
      mkfifo keys; exec 3<>keys
      "$IPC" tour --only mq --pause < keys > out 2>&1 & pid=$!
      echo >&3   # run step 1, which creates the queue
      for i in $(seq 200); do grep -q '^\\[2/' out && break; sleep 0.05; done
      q=$(sed -n 's/.*ipc mq create \\(\\/ipc-tour-[0-9]*\\).*/\\1/p' out | head -1)
      "$IPC" mq info $q > /dev/null && echo "queue made"
      kill -INT $pid; wait $pid; echo "status $?"
      "$IPC" mq info $q 2> /dev/null || echo "queue removed"
      """, timeout: 60)
    #expect(result.text == "queue made\nstatus 130\nqueue removed\n")
  }
}
