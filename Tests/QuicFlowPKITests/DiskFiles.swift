import Foundation
import QuicFlowPKI

/// Reads back what the code under test put on disk.
enum DiskFiles {
    /// The permission bits of `path`.
    static func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// A certificate and key file, parsed and checked to belong together.
    static func certificate(_ certificatePath: String, key keyPath: String) throws -> FleetCertificate {
        try FleetCertificate(
            certificatePEM: try String(contentsOfFile: certificatePath, encoding: .utf8),
            privateKeyPEM: try String(contentsOfFile: keyPath, encoding: .utf8))
    }
}
