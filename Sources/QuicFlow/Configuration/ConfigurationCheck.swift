#if canImport(Glibc)
import Glibc
#endif

/// Validation shared by the configuration types: every failure names the
/// field and says what would be accepted.
enum ConfigurationCheck {
    static func positive(_ value: Duration, _ field: String) throws(QuicFlowError) {
        if value <= .zero {
            throw QuicFlowError(.invalidConfiguration, "\(field) must be a positive duration, got \(value)")
        }
    }

    static func positive(_ value: Int, _ field: String) throws(QuicFlowError) {
        if value <= 0 {
            throw QuicFlowError(.invalidConfiguration, "\(field) must be positive, got \(value)")
        }
    }

    static func readable(_ path: String?, _ field: String) throws(QuicFlowError) {
        guard let path else { return }
        if path.isEmpty {
            throw QuicFlowError(.invalidConfiguration, "\(field) is empty; give the path of a PEM file")
        }
        if access(path, R_OK) != 0 {
            let reason = String(cString: strerror(errno))
            throw QuicFlowError(.invalidConfiguration, "\(field) '\(path)' cannot be read: \(reason)")
        }
    }
}
