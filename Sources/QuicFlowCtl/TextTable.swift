/// A plain-text table with a header row and columns padded to their widest
/// cell, as `quicflowctl` prints lists.
public struct TextTable: Sendable {
    /// The column titles.
    public let headers: [String]
    /// The rows; each has one cell per header.
    public var rows: [[String]]

    /// A table with no rows yet.
    public init(headers: [String], rows: [[String]] = []) {
        self.headers = headers
        self.rows = rows
    }

    /// The table, one line per row, columns separated by two spaces, no
    /// trailing spaces.
    public func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                let last = index == cells.count - 1
                text += last ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            return text
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
