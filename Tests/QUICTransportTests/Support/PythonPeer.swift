import Foundation
import QUICTestSupport

extension PythonPeer {
    /// This target's peer scripts.
    static var peersDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers")
    }

    /// Starts the script `script` of ``peersDirectory``.
    convenience init(script: String, arguments: [String]) throws {
        try self.init(script: Self.peersDirectory.appendingPathComponent(script), arguments: arguments)
    }
}
