import CNgtcp2
import CQuicFlowShims
#if canImport(Glibc)
import Glibc
#endif

/// The GnuTLS credentials of one endpoint, loaded once and shared by all of
/// its connections. Owns the C context and frees it in `deinit`.
final class TLSContext {
    let context: OpaquePointer
    let isServer: Bool
    let verifiesPeer: Bool

    init(_ configuration: QUICTLSConfiguration, isServer: Bool) throws(QUICError) {
        let tls = configuration
        if tls.applicationProtocols.isEmpty {
            throw QUICError(.invalidConfiguration, "applicationProtocols is empty; QuicFlow peers use [\"quic-backbone-v1\"]")
        }
        for alpn in tls.applicationProtocols where alpn.utf8.count == 0 || alpn.utf8.count > 255 {
            throw QUICError(.invalidConfiguration, "ALPN protocol '\(alpn)' must be 1 to 255 bytes long")
        }
        if isServer && (tls.certificateChainFile == nil || tls.privateKeyFile == nil) {
            throw QUICError(.invalidConfiguration, "a server needs certificateChainFile and privateKeyFile (PEM)")
        }
        if (tls.certificateChainFile == nil) != (tls.privateKeyFile == nil) {
            throw QUICError(.invalidConfiguration, "certificateChainFile and privateKeyFile must be given together")
        }
        if isServer && tls.requireClientCertificate && tls.trustRoots == nil {
            throw QUICError(.invalidConfiguration, "requireClientCertificate needs trustRoots: .file(CLIENT_CA.pem)")
        }
        if !isServer && !tls.insecureSkipVerify && tls.trustRoots == nil {
            throw QUICError(.invalidConfiguration, "a client needs trustRoots (a CA file or .system), or insecureSkipVerify")
        }
        for path in [tls.certificateChainFile, tls.privateKeyFile].compactMap({ $0 }) {
            try Self.checkReadable(path)
        }
        var caFile: String?
        var useSystem = false
        switch tls.trustRoots {
        case .file(let path):
            try Self.checkReadable(path)
            caFile = path
        case .system:
            useSystem = !isServer
        case nil:
            break
        }

        let verifiesPeer = isServer ? tls.requireClientCertificate : !tls.insecureSkipVerify
        self.isServer = isServer
        self.verifiesPeer = verifiesPeer

        var out: OpaquePointer?
        var message = [CChar](repeating: 0, count: 512)
        let alpnCStrings = tls.applicationProtocols.map { strdup($0) }
        defer { alpnCStrings.forEach { free($0) } }
        let rv: Int32 = alpnCStrings.withUnsafeBufferPointer { alpnPointers in
            alpnPointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { alpn in
                withOptionalCString(tls.certificateChainFile) { cert in
                    withOptionalCString(tls.privateKeyFile) { key in
                        withOptionalCString(caFile) { ca in
                            var config = qf_tls_config(
                                is_server: isServer ? 1 : 0,
                                certificate_file: cert,
                                private_key_file: key,
                                ca_file: ca,
                                use_system_trust: useSystem ? 1 : 0,
                                verify_peer: verifiesPeer ? 1 : 0,
                                request_client_certificate: (isServer && caFile != nil) ? 1 : 0,
                                alpn: alpn.baseAddress,
                                alpn_count: alpn.count
                            )
                            return qf_tls_context_new(&out, &config, &message, message.count)
                        }
                    }
                }
            }
        }
        guard rv == 0, let out else {
            throw QUICError(.tlsConfiguration, String(nulTerminated: message))
        }
        self.context = out
    }

    deinit {
        qf_tls_context_free(context)
    }

    private static func checkReadable(_ path: String) throws(QUICError) {
        if access(path, R_OK) != 0 {
            let reason = String(cString: strerror(errno))
            throw QUICError(.tlsConfiguration, "cannot read '\(path)': \(reason); check the path and its permissions")
        }
    }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
