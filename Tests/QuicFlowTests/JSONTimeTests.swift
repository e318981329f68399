import Foundation
import QuicFlowJSON
import Testing

@Suite("JSON times")
struct JSONTimeTests {
    @Test("RFC 3339 in UTC with exactly three fraction digits, exact to the millisecond, and read back")
    func shape() throws {
        #expect(JSONTime.string(unixMillis: 1_764_373_874_123) == "2025-11-28T23:51:14.123Z")
        #expect(JSONTime.string(unixMillis: 1_764_373_874_000) == "2025-11-28T23:51:14.000Z")
        #expect(JSONTime.string(unixMillis: 5) == "1970-01-01T00:00:00.005Z")
        #expect(JSONTime.string(unixMillis: -1) == "1969-12-31T23:59:59.999Z")
        #expect(JSONTime.string(from: Date(timeIntervalSince1970: 1_764_373_874.1239)) == "2025-11-28T23:51:14.124Z")
        #expect(JSONTime.unixMillis(from: "2025-11-28T23:51:14.123Z") == 1_764_373_874_123)
        #expect(JSONTime.unixMillis(from: "2025-11-28T23:51:14Z") == 1_764_373_874_000)
        #expect(JSONTime.unixMillis(from: "yesterday") == nil)
        let line = JSONOutput.line(["at": Date(timeIntervalSince1970: 1)])
        #expect(line == #"{"at":"1970-01-01T00:00:01.000Z"}"#)
        #expect(JSONOutput.line(JSONErrorObject(error: "full", exitStatus: 3)) == #"{"error":"full","exit_status":3}"#)
    }
}
