/// Placeholder: the fleet certificate authority (being written).
public enum FleetCertificateAuthority {}
