import QuicFlowConfigFile

/// Reads `[server] address`: "host:port", "host" (port 8474),
/// "[IPv6]:port" or "[IPv6]".
enum ServerAddressParser {
    /// The backbone's UDP port when the address names none (PROTOCOL.md).
    static let defaultPort = 8474

    private static let acceptedForms =
        "use host:port, e.g. \"backbone.example.com:8474\" or \"[::1]:8474\" (the port defaults to \(defaultPort))"

    /// Splits `text` into a host (without brackets) and a port.
    /// - Throws: ``AgentError`` saying what is wrong and which forms work.
    static func parse(_ text: String) throws(AgentError) -> (host: String, port: Int) {
        if text.contains("://") {
            throw problem(text, "has a scheme")
        }
        let host: Substring
        let portText: Substring?
        if text.hasPrefix("[") {
            // Brackets keep an IPv6 address's colons apart from the port's.
            guard let close = text.firstIndex(of: "]") else {
                throw problem(text, "has no closing ]")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                portText = nil
            } else if rest.hasPrefix(":") {
                portText = rest.dropFirst()
            } else {
                throw problem(text, "has \(Quoted(String(rest))) after the ]")
            }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            switch parts.count {
            case 1:
                host = parts[0]
                portText = nil
            case 2:
                host = parts[0]
                portText = parts[1]
            default:
                throw problem(text, "has several colons", hint: "write an IPv6 address in brackets, e.g. \"[::1]:8474\"")
            }
        }
        if host.isEmpty {
            throw problem(text, "has no host")
        }
        // A scheme, a path or a space means something other than host:port was pasted.
        if host.contains(where: { $0 == "/" || $0 == "@" || $0.isWhitespace }) {
            throw problem(text, "is not host:port")
        }
        guard let portText else { return (String(host), defaultPort) }
        guard WholeNumber.isDigits(portText), let port = Int(portText), (1...65_535).contains(port) else {
            throw problem(text, "has port \(Quoted(String(portText)))", hint: "a port is a number from 1 to 65535")
        }
        return (String(host), port)
    }

    /// `"text" what; hint`, the hint by default showing the accepted forms.
    private static func problem(_ text: String, _ what: String, hint: String = acceptedForms) -> AgentError {
        AgentError(.invalidConfiguration, "\(Quoted(text)) \(what); \(hint)")
    }
}
