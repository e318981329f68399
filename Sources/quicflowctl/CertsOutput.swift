import Foundation
import QuicFlowPKI

/// What the `certs` commands print besides their results.
enum CertsOutput {
    /// Prints `quicflowctl: <message>` to standard error; the caller then
    /// exits with status 1.
    static func report(_ error: PKIError) {
        FileHandle.standardError.write(Data("quicflowctl: \(error.message)\n".utf8))
    }

    /// `path` made absolute against the working directory, so that paths
    /// printed for config files work from anywhere.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
