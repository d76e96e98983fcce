import Foundation
import Testing

@Suite("ipc tour")
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
}
