/// `hexdump -C` layout: offset, 16 bytes in two groups of 8, the printable ones
/// between bars; runs of identical lines squeezed to `*`; the end offset last.
enum HexDump {
  static func lines(_ bytes: UnsafeRawBufferPointer, startingAt base: Int) -> [String] {
    var lines: [String] = []
    var previous: ArraySlice<UInt8>?
    var squeezing = false
    var index = 0
    let all = Array(bytes)
    while index < all.count {
      let row = all[index..<min(index + 16, all.count)]
      if let previous, previous.elementsEqual(row), row.count == 16 {
        if !squeezing { lines.append("*") }
        squeezing = true
      } else {
        squeezing = false
        lines.append(format(row, offset: base + index))
      }
      previous = row
      index += 16
    }
    lines.append(hex(base + all.count, width: 8))
    return lines
  }

  private static func format(_ row: ArraySlice<UInt8>, offset: Int) -> String {
    var text = hex(offset, width: 8) + "  "
    for (column, byte) in row.enumerated() {
      text += hex(Int(byte), width: 2) + " "
      if column == 7 { text += " " }
    }
    let missing = 16 - row.count
    text += String(repeating: " ", count: missing * 3 + (row.count <= 8 ? 1 : 0))
    let printable = row.map { (0x20...0x7E).contains($0) ? Character(UnicodeScalar($0)) : "." }
    return text + " |" + String(printable) + "|"
  }

  static func hex(_ value: Int, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
  }
}
