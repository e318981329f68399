/// A fleet's certificate directory: the CA, the server's certificate and
/// one certificate per client, each as PEM files.
///
/// | file | what | mode |
/// | --- | --- | --- |
/// | `ca.crt` | CA certificate, the trust anchor | `0644` |
/// | `ca.key` | CA private key | `0600` |
/// | `server.crt`, `server.key` | the server's certificate and key | `0644`, `0600` |
/// | `ID.crt`, `ID.key` | client `ID`'s certificate and key | `0644`, `0600` |
///
/// The directory is created with mode `0700`. Nothing here overwrites a
/// file: a key that exists may be in use, and replacing it silently would
/// break whatever uses it.
public struct FleetCertificateFiles: Sendable, Hashable {
    /// The DNS names of the server certificate when none are given, for a
    /// server and clients on one machine.
    public static let defaultServerDNSNames = ["localhost"]

    /// The IP addresses of the server certificate when none are given.
    public static let defaultServerIPAddresses = ["127.0.0.1", "::1"]

    /// The directory that holds the files.
    public let directory: String

    /// Names the files of the fleet in `directory`; nothing is touched yet.
    public init(directory: String) {
        self.directory = directory
    }

    /// `ca.crt`: the CA certificate, for `--client-ca` and `ca_file`.
    public var authorityCertificatePath: String { path("ca.crt") }
    /// `ca.key`: the CA's private key.
    public var authorityKeyPath: String { path("ca.key") }
    /// `server.crt`: the server's certificate, for `--cert`.
    public var serverCertificatePath: String { path("server.crt") }
    /// `server.key`: the server's private key, for `--key`.
    public var serverKeyPath: String { path("server.key") }

    /// `ID.crt`: a client's certificate, for `cert_file`.
    public func clientCertificatePath(for clientID: String) -> String { path("\(clientID).crt") }
    /// `ID.key`: a client's private key, for `key_file`.
    public func clientKeyPath(for clientID: String) -> String { path("\(clientID).key") }

    /// Creates a new CA and a server certificate, and writes all four files.
    ///
    /// Everything is checked and built before the first file is written, so
    /// a bad argument leaves no files behind.
    ///
    /// - Parameters:
    ///   - authorityName: The common name of the new CA.
    ///   - serverDNSNames: The server certificate's DNS names.
    ///   - serverIPAddresses: The server certificate's IP addresses. With no
    ///     DNS names either, ``defaultServerDNSNames`` and
    ///     ``defaultServerIPAddresses`` are used.
    /// - Returns: The server certificate.
    /// - Throws: ``PKIError`` with code `alreadyExists` if the directory holds
    ///   a CA or server files already, `invalidArgument` for a bad name or
    ///   address, `fileSystem` if a file cannot be written.
    @discardableResult
    public func createFleet(
        authorityName: String = "QuicFlow Fleet CA",
        serverDNSNames: [String] = [],
        serverIPAddresses: [String] = []
    ) throws(PKIError) -> FleetCertificate {
        try refuseExisting([authorityKeyPath, authorityCertificatePath]) { existing in
            "'\(directory)' already holds a fleet CA ('\(existing)'); pick another directory, or delete that one to start over (certificates its CA issued will no longer be trusted)"
        }
        try refuseExisting([serverKeyPath, serverCertificatePath]) { existing in
            "'\(existing)' already exists; pick another directory for the new fleet"
        }
        let useDefaults = serverDNSNames.isEmpty && serverIPAddresses.isEmpty
        let dnsNames = useDefaults ? Self.defaultServerDNSNames : serverDNSNames
        let ipAddresses = useDefaults ? Self.defaultServerIPAddresses : serverIPAddresses
        let authority = try FleetCertificateAuthority(commonName: authorityName)
        let server = try authority.issueServer(
            commonName: dnsNames.first ?? ipAddresses.first ?? "quicflow-server", dnsNames: dnsNames,
            ipAddresses: ipAddresses)
        try write(authority: authority)
        try write(server: server)
        return server
    }

    /// Loads the CA from this directory, issues a client certificate for
    /// `clientID` and writes `ID.crt` and `ID.key` beside the CA.
    ///
    /// - Parameter clientID: The device's client id; it names the files too,
    ///   so it must not contain `/`, start with `.` or be longer than
    ///   ``maximumFileNameClientIDLength`` bytes.
    /// - Returns: The client certificate.
    /// - Throws: ``PKIError`` with code `invalidClientID` for an unusable id,
    ///   `alreadyExists` if the client has files here already, `missingFile`
    ///   if there is no CA, and the errors of
    ///   ``FleetCertificateAuthority/init(certificatePEM:privateKeyPEM:)``.
    @discardableResult
    public func issueClient(_ clientID: String) throws(PKIError) -> FleetCertificate {
        try Self.checkFileName(clientID)
        try refuseExistingClient(clientID)
        let certificate = try loadAuthority().issueClient(clientID: clientID)
        try write(client: certificate)
        return certificate
    }

    /// Writes `ca.key` and `ca.crt`, creating the directory (mode `0700`)
    /// if it is missing.
    ///
    /// - Throws: ``PKIError`` with code `alreadyExists` if either file exists,
    ///   `fileSystem` if one cannot be written.
    public func write(authority: FleetCertificateAuthority) throws(PKIError) {
        try AtomicFile.createDirectory(directory)
        // The key first: a certificate without its key would look like a CA
        // that is there but cannot sign.
        try AtomicFile.save(authority.privateKeyPEM, to: authorityKeyPath, mode: 0o600, replacing: false)
        try AtomicFile.save(authority.certificatePEM, to: authorityCertificatePath, mode: 0o644, replacing: false)
    }

    /// Writes `server.key` and `server.crt`, creating the directory if it is missing.
    ///
    /// - Throws: ``PKIError`` with code `alreadyExists` if either file exists,
    ///   `fileSystem` if one cannot be written.
    public func write(server: FleetCertificate) throws(PKIError) {
        try AtomicFile.createDirectory(directory)
        try AtomicFile.save(server.privateKeyPEM, to: serverKeyPath, mode: 0o600, replacing: false)
        try AtomicFile.save(server.certificatePEM, to: serverCertificatePath, mode: 0o644, replacing: false)
    }

    /// Writes `ID.key` and `ID.crt` for a client certificate, `ID` being its
    /// common name, creating the directory if it is missing.
    ///
    /// - Throws: ``PKIError`` with code `invalidClientID` if the common name
    ///   cannot be a file name, `alreadyExists` if either file exists,
    ///   `fileSystem` if one cannot be written.
    public func write(client: FleetCertificate) throws(PKIError) {
        let clientID = client.commonName
        try Self.checkFileName(clientID)
        try refuseExistingClient(clientID)
        try AtomicFile.createDirectory(directory)
        try AtomicFile.save(client.privateKeyPEM, to: clientKeyPath(for: clientID), mode: 0o600, replacing: false)
        try AtomicFile.save(client.certificatePEM, to: clientCertificatePath(for: clientID), mode: 0o644, replacing: false)
    }

    /// Reads `ca.crt` and `ca.key` and checks that they make a CA.
    ///
    /// - Throws: ``PKIError`` with code `missingFile` if either is missing,
    ///   and the errors of ``FleetCertificateAuthority/init(certificatePEM:privateKeyPEM:)``.
    public func loadAuthority() throws(PKIError) -> FleetCertificateAuthority {
        do throws(PKIError) {
            let certificatePEM = try AtomicFile.load(authorityCertificatePath, what: "the CA certificate")
            let privateKeyPEM = try AtomicFile.load(authorityKeyPath, what: "the CA key")
            return try FleetCertificateAuthority(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
        } catch where error.code == .missingFile {
            throw PKIError(.missingFile, "\(error.message); is '\(directory)' a fleet directory made by 'certs init'?")
        }
    }

    /// The longest client id that still names its files: `ID.crt` must fit
    /// in the 255 bytes most file systems allow for a name.
    public static let maximumFileNameClientIDLength = 255 - ".crt".utf8.count

    /// Refuses client ids that would name a file elsewhere (`/`), a hidden
    /// file or `.`/`..` (a leading `.`), be cut short by C (NUL), or make a
    /// file name longer than the file system allows.
    static func checkFileName(_ clientID: String) throws(PKIError) {
        guard !clientID.isEmpty, !clientID.contains("/"), !clientID.hasPrefix("."), !clientID.contains("\0") else {
            throw PKIError(
                .invalidClientID,
                "client id '\(clientID)' cannot name its certificate files: it must not be empty, contain '/' or start with '.'")
        }
        guard clientID.utf8.count <= maximumFileNameClientIDLength else {
            throw PKIError(
                .invalidClientID,
                "client id '\(clientID.prefix(16))…' is \(clientID.utf8.count) bytes; to name its certificate files it may have at most \(maximumFileNameClientIDLength)")
        }
    }

    private func refuseExistingClient(_ clientID: String) throws(PKIError) {
        try refuseExisting([clientKeyPath(for: clientID), clientCertificatePath(for: clientID)]) { existing in
            "client '\(clientID)' already has '\(existing)'; delete its .crt and .key to issue a new certificate"
        }
    }

    private func refuseExisting(_ paths: [String], message: (String) -> String) throws(PKIError) {
        if let existing = paths.first(where: AtomicFile.exists) {
            throw PKIError(.alreadyExists, message(existing))
        }
    }

    private func path(_ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
