import Crypto
import SwiftASN1
import X509

/// A certificate parsed from PEM with the P-256 private key that belongs to it.
struct CertificateKeyPair: Sendable {
    let certificate: Certificate
    let key: P256.Signing.PrivateKey

    /// Parses both PEM texts and checks that the key is the certificate's.
    ///
    /// - Parameter what: What the pair is, for error messages ("the CA").
    init(certificatePEM: String, privateKeyPEM: String, what: String) throws(PKIError) {
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw PKIError(.invalidPEM, "\(what)'s certificate is not a single PEM 'CERTIFICATE' block: \(error)")
        }
        do {
            // Accepts PKCS#8 ('PRIVATE KEY') and SEC1 ('EC PRIVATE KEY') alike.
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw PKIError(.invalidPEM, "\(what)'s private key is not a P-256 (prime256v1) key in PEM: \(error)")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw PKIError(
                .keyMismatch,
                "\(what)'s private key does not belong to its certificate; the two files come from different runs")
        }
    }
}
