import QuicFlowConfigFile
import QuicFlowAgent
import Testing

@Suite("Configuration: sizes")
struct ConfigurationByteSizeTests {
    @Test(
        "accepted forms parse",
        arguments: [
            ("512B", 512),
            ("0B", 0),
            ("64KiB", 65_536),
            ("1MiB", 1_048_576),
            ("2GiB", 2_147_483_648),
            ("1TiB", 1_099_511_627_776),
            ("4096", 4_096),
            ("0", 0),
        ])
    func parses(text: String, expected: Int) throws {
        #expect(try ByteSizeParser.parse(text) == expected)
    }

    @Test(
        "other forms are rejected, naming what was given and what is accepted",
        arguments: [
            "", "B", "KiB", "64KB", "1MB", "1mib", "1 MiB", "1.5MiB", "-1", "+1", "1e6", "64k", " 64KiB", "MiB1",
        ])
    func rejects(text: String) {
        let error = #expect(throws: ConfigurationError.self) { try ByteSizeParser.parse(text) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix("\"\(text)\" is not a size") == true)
        #expect(error?.message.contains("512B, 64KiB, 1MiB, 2GiB or a plain number of bytes") == true)
    }

    @Test("a size too large for Int is rejected, not wrapped around")
    func overflow() {
        let error = #expect(throws: ConfigurationError.self) { try ByteSizeParser.parse("10000000TiB") }
        #expect(error?.message.contains("too large") == true)
        #expect(throws: ConfigurationError.self) { try ByteSizeParser.parse("99999999999999999999999") }
    }

    @Test(
        "format writes the largest exact unit and parses back",
        arguments: [
            (512, "512B"),
            (1_024, "1KiB"),
            (1_536 * 1_024, "1536KiB"),
            (1 << 20, "1MiB"),
            (2 << 30, "2GiB"),
            (1_000, "1000B"),
            (0, "0B"),
        ])
    func format(bytes: Int, text: String) throws {
        #expect(ByteSizeParser.format(bytes) == text)
        #expect(try ByteSizeParser.parse(text) == bytes)
    }
}
