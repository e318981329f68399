/// What a QuicFlow binary was built from: the release version (the file
/// `VERSION`) and the git commit, stamped at build time by `BuildInfoPlugin`.
public enum BuildInfo {
    /// The release version, such as `0.15.0`.
    public static let version = stampedVersion

    /// The commit the binary was built from (12 hex digits, `-dirty` when the
    /// tree had uncommitted changes), or `unknown` outside a git checkout
    /// without `QUICFLOW_COMMIT`.
    public static let commit = stampedCommit

    /// The line every `--version` prints: `0.15.0 (commit 67deec4a1b2c)`.
    public static var versionLine: String { "\(version) (commit \(commit))" }
}
