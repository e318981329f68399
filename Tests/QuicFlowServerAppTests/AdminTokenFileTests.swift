import Foundation
import QuicFlowAdminModel
import QuicFlowCtl
import QuicFlowServerApp
import Testing

@Suite("The admin token file, read once for server and CLI")
struct AdminTokenFileTests {
    @Test("server and quicflowctl read the same token and refuse the same files, each with its own advice")
    func bothSides() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/token"
        func write(_ text: String) throws { try text.write(toFile: file, atomically: true, encoding: .utf8) }

        try write("  s3cret\r\nsecond line\n")
        #expect(try AdminConfiguration.readToken(file: file) == "s3cret")
        #expect(try AdminToken.read(file: file) == "s3cret")
        #expect(AdminTokenFile.read(file) == .success("s3cret"))

        try write("two words\n")
        #expect(AdminTokenFile.read(file) == .failure(.unsendable(scalar: 0x20, position: 4)))
        let server = #expect(throws: ServerAppError.self) { try AdminConfiguration.readToken(file: file) }
        let ctl = #expect(throws: AdminClientError.self) { try AdminToken.read(file: file) }
        #expect(server?.message.hasPrefix("the admin token in \(file) holds character U+20 at position 4") == true)
        #expect(ctl?.message.hasPrefix("the admin token in \(file) holds character U+20 at position 4") == true)
        #expect(server?.message.contains("printable ASCII") == true)
        #expect(ctl?.message.contains("copy the server's token file") == true)

        try write("\n")
        #expect(AdminTokenFile.read(file) == .failure(.empty))
        #expect(AdminTokenFile.read(directory + "/missing") == .failure(.unreadable))
    }
}
