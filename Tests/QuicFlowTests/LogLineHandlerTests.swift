import Foundation
import Logging
import QuicFlow
import Synchronization
import Testing
import QuicFlowTime

@Suite("Log lines")
struct LogLineHandlerTests {
    final class Lines: Sendable {
        let all = Mutex<[String]>([])
        func append(_ line: String) { all.withLock { $0.append(line) } }
    }

    @Test("text: time, level, label, then the message, then sorted fields; one event stays one line")
    func text() throws {
        let lines = Lines()
        let logger = Logger(label: "quicflow.agent") { label in
            LogLineHandler(label: label, format: .text, level: .info) { lines.append($0) }
        }
        logger.warning("cannot connect to the backbone", metadata: ["retry_in": "1.5s", "error": "timed out\nafter 3s", "attempt": "2"])
        logger.debug("below the level")
        let written = lines.all.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false, "\(line)")
        let afterTime = line.split(separator: " ", maxSplits: 1)[1]
        #expect(afterTime.hasPrefix("warning quicflow.agent: cannot connect to the backbone attempt=2 error=\"timed out\\nafter 3s\" retry_in=1.5s"), "\(line)")
        #expect(line.wholeMatch(of: #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z .*\n$/#) != nil, "\(line)")
    }

    @Test("json: one object per line with time, level, logger, message and the fields")
    func json() throws {
        let lines = Lines()
        var logger = Logger(label: "quicflow.server") { label in
            LogLineHandler(label: label, format: .json, level: .info) { lines.append($0) }
        }
        logger[metadataKey: "node"] = "a"
        logger.notice("quicflow-server listening", metadata: ["quic": "127.0.0.1:8474", "message": "a field may not hide the message"])
        let line = try #require(lines.all.withLock { $0.first })
        #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "notice")
        #expect(object["logger"] == "quicflow.server")
        #expect(object["message"] == "quicflow-server listening")
        #expect(object["quic"] == "127.0.0.1:8474")
        #expect(object["node"] == "a")
        #expect(object["time"]?.hasSuffix("Z") == true)
    }

    @Test("durations in logs are rounded to the millisecond")
    func durations() {
        #expect(Duration.seconds(0.9901035935387801).logText == "990ms")
        #expect(Duration.milliseconds(1_500).logText == "1.5s")
        #expect(Duration.milliseconds(1_005).logText == "1.005s")
        #expect(Duration.seconds(123.25).logText == "2m3.25s")
        #expect(Duration.seconds(60).logText == "1m0s")
        #expect(Duration.zero.logText == "0ms")
    }
}
