import QuicFlowConfigFile
import QuicFlowAgent
import Testing

@Suite("Configuration: durations")
struct ConfigurationDurationTests {
    @Test(
        "accepted forms parse",
        arguments: [
            ("500ms", Duration.milliseconds(500)),
            ("0ms", .zero),
            ("1ms", .milliseconds(1)),
            ("15s", .seconds(15)),
            ("1500ms", .milliseconds(1_500)),
            ("5m", .seconds(300)),
            ("2h", .seconds(7_200)),
            ("7d", .seconds(604_800)),
            ("007s", .seconds(7)),
        ])
    func parses(text: String, expected: Duration) throws {
        #expect(try DurationParser.parse(text) == expected)
    }

    @Test(
        "other forms are rejected, naming what was given and what is accepted",
        arguments: [
            "", "15", "s", "7 days", "15 s", " 15s", "15s ", "1h30m", "1.5s", "-5s", "+5s", "5S", "5M", "10us",
            "5sec", "five s", "٣s",
        ])
    func rejects(text: String) {
        let error = #expect(throws: ConfigurationError.self) { try DurationParser.parse(text) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix("\"\(text)\" is not a duration") == true)
        #expect(error?.message.contains("500ms, 15s, 5m, 2h, 7d") == true)
    }

    @Test("a duration too long for Duration is rejected, not wrapped around")
    func overflow() {
        let error = #expect(throws: ConfigurationError.self) { try DurationParser.parse("200000000000000d") }
        #expect(error?.message.contains("too long") == true)
        #expect(throws: ConfigurationError.self) { try DurationParser.parse("99999999999999999999999s") }
    }

    @Test(
        "format writes the largest exact unit and parses back",
        arguments: [
            (Duration.milliseconds(500), "500ms"),
            (.seconds(15), "15s"),
            (.milliseconds(1_500), "1500ms"),
            (.seconds(90), "90s"),
            (.seconds(300), "5m"),
            (.seconds(7_200), "2h"),
            (.seconds(604_800), "7d"),
            (.zero, "0s"),
        ])
    func format(duration: Duration, text: String) throws {
        #expect(DurationParser.format(duration) == text)
        #expect(try DurationParser.parse(text) == duration)
    }

    @Test("durations finer than a millisecond are written in Swift's own form, which does not parse")
    func formatFine() {
        let text = DurationParser.format(.microseconds(1_500))
        #expect(text == "\(Duration.microseconds(1_500))")
        #expect(throws: ConfigurationError.self) { try DurationParser.parse(text) }
    }
}
