import TOMLKit

/// Parses a configuration file's TOML text into its top-level table.
package enum ConfigurationDocument {
    /// The TOML document, or the parser's complaint with its line and column.
    /// - Parameters:
    ///   - toml: the file's text.
    ///   - path: where the text came from, named in the error.
    /// - Throws: ``ConfigurationError`` ("agent.conf line 12, column 5: ...").
    package static func parse(_ toml: String, path: String?) throws(ConfigurationError) -> ConfigurationTable {
        let prefix = path.map { "\($0) " } ?? ""
        // The parser takes a C string, which would silently end at a NUL.
        if let nul = toml.utf8.firstIndex(of: 0) {
            let line = toml.utf8[..<nul].count(where: { $0 == UInt8(ascii: "\n") }) + 1
            throw ConfigurationError("\(prefix)line \(line): contains a NUL byte; the file must be text")
        }
        let document: TOMLTable
        do {
            document = try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            let position = error.source.begin
            throw ConfigurationError("\(prefix)line \(position.line), column \(position.column): \(error.description)")
        } catch {
            throw ConfigurationError("\(prefix)is not valid TOML: \(error)")
        }
        return ConfigurationTable(table: document, name: "", problems: ConfigurationProblems())
    }
}
