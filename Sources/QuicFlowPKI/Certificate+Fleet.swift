import SwiftASN1
import X509

/// What the fleet CA reads back out of certificates it loads.
extension Certificate {
    /// The first common name of the subject, or `nil` if it has none.
    var subjectCommonName: String? {
        for relativeName in subject {
            for attribute in relativeName where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }

    /// The DNS names and IP address literals of the subject alternative names.
    func alternativeNames() throws(PKIError) -> (dnsNames: [String], ipAddresses: [String]) {
        let names: SubjectAlternativeNames?
        do {
            names = try extensions.subjectAlternativeNames
        } catch {
            throw PKIError(.invalidPEM, "the certificate's subject alternative names cannot be decoded: \(error)")
        }
        var dnsNames: [String] = []
        var ipAddresses: [String] = []
        for name in names ?? SubjectAlternativeNames() {
            switch name {
            case .dnsName(let dnsName):
                dnsNames.append(dnsName)
            case .ipAddress(let octets):
                if let text = IPAddressLiteral.text(octets.bytes) { ipAddresses.append(text) }
            default:
                continue
            }
        }
        return (dnsNames, ipAddresses)
    }

    /// The TLS usages named by the extended key usage extension (none if it is absent).
    func fleetUsages() throws(PKIError) -> FleetCertificateUsage {
        let usage: ExtendedKeyUsage?
        do {
            usage = try extensions.extendedKeyUsage
        } catch {
            throw PKIError(.invalidPEM, "the certificate's extended key usage cannot be decoded: \(error)")
        }
        var usages: FleetCertificateUsage = []
        if usage?.contains(.serverAuth) == true { usages.insert(.serverAuth) }
        if usage?.contains(.clientAuth) == true { usages.insert(.clientAuth) }
        return usages
    }

    /// Whether the certificate may sign other certificates: basic constraints
    /// say CA, and key usage, if present, allows `keyCertSign`.
    func isCertificateAuthority() throws(PKIError) -> Bool {
        do {
            guard case .isCertificateAuthority = try extensions.basicConstraints else { return false }
            return try extensions.keyUsage?.keyCertSign ?? true
        } catch {
            throw PKIError(.invalidPEM, "the certificate's basic constraints or key usage cannot be decoded: \(error)")
        }
    }
}
