import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 client for the quicflow-server admin API: one connection per
/// request, bearer token, and the `GET /v1/events` stream.
///
/// ```swift
/// let client = try AdminClient(url: "http://127.0.0.1:8475", token: token)
/// let reply = try await client.request("GET", "/v1/clients")
/// ```
public struct AdminClient: Sendable {
    /// Host of the admin API.
    public let host: String
    /// Port of the admin API.
    public let port: Int
    /// The bearer token, if the server wants one.
    public let token: String?
    private let prefix: String

    /// Parses `url` (`http://HOST[:PORT][/prefix]`).
    /// - Throws: ``AdminClientError`` (`invalidURL`) saying what is wrong.
    public init(url: String, token: String?) throws(AdminClientError) {
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else {
            if rest.hasPrefix("https://") {
                throw AdminClientError(.invalidURL, "\(url): the admin API speaks plain HTTP; reach it over loopback or an SSH tunnel, or put a TLS proxy in front and use http:// to the proxy's local side")
            }
            throw AdminClientError(.invalidURL, "\(url) is not an http:// URL; use e.g. http://127.0.0.1:8475")
        }
        rest = rest.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        var host = authority
        var port = 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(number) else {
                throw AdminClientError(.invalidURL, "\(url) has no valid port")
            }
            port = number
            host = authority[..<colon]
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw AdminClientError(.invalidURL, "\(url) has no host") }
        self.host = String(host)
        self.port = port
        self.token = token
        self.prefix = path
    }

    /// Sends one request and returns the whole answer.
    /// - Parameters:
    ///   - method: `GET` or `POST`.
    ///   - path: the route, starting with `/`.
    ///   - body: a JSON body, for POST.
    /// - Throws: ``AdminClientError`` (`connection`) when the server cannot
    ///   be reached or the connection breaks.
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil) async throws(AdminClientError) -> AdminReply {
        do {
            var status = 0
            var bytes: [UInt8] = []
            try await exchange(method, path, body: body) { head in
                status = Int(head.status.code)
            } onBody: { buffer in
                bytes.append(contentsOf: buffer.readableBytesView)
                return true
            }
            return AdminReply(status: status, body: bytes)
        } catch let error as AdminClientError {
            throw error
        } catch {
            throw connectionError(error)
        }
    }

    /// Follows `GET /v1/events`: calls `onEvent` for each event until it
    /// returns `false` or the server ends the stream.
    /// - Returns: the HTTP status (200 when the stream ran; otherwise the
    ///   error's status, with `errorBody` set).
    /// - Throws: ``AdminClientError`` (`connection`).
    public func followEvents(
        after lastEventID: UInt64? = nil,
        onEvent: (AdminEvent) async throws -> Bool
    ) async throws(AdminClientError) -> AdminReply {
        do {
            var status = 0
            var parser = ServerSentEventParser()
            var errorBody: [UInt8] = []
            let resume = lastEventID.map { ["Last-Event-ID": "\($0)"] } ?? [:]
            try await exchange("GET", "/v1/events", body: nil, headers: resume) { head in
                status = Int(head.status.code)
            } onBody: { buffer in
                guard status == 200 else {
                    errorBody.append(contentsOf: buffer.readableBytesView)
                    return true
                }
                for event in parser.feed(buffer.readableBytesView) {
                    if try await !onEvent(event) { return false }
                }
                return true
            }
            return AdminReply(status: status, body: errorBody)
        } catch let error as AdminClientError {
            throw error
        } catch {
            throw connectionError(error)
        }
    }

    private func connectionError(_ error: any Error) -> AdminClientError {
        AdminClientError(.connection, "cannot talk to the admin API at http://\(host):\(port): \(error); check that quicflow-server runs and --admin points at its --admin-listen address")
    }

    /// One request on a fresh connection; `onBody` returns `false` to stop
    /// reading (the connection is then closed).
    private func exchange(
        _ method: String, _ path: String, body: [UInt8]?, headers extra: [String: String] = [:],
        onHead: (HTTPResponseHead) -> Void,
        onBody: (ByteBuffer) async throws -> Bool
    ) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
            headers.add(name: "Connection", value: "close")
            headers.add(name: "User-Agent", value: "quicflowctl")
            if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
            for (name, value) in extra { headers.add(name: name, value: value) }
            if let body {
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(body.count)")
            }
            let head = HTTPRequestHead(
                version: .http1_1, method: HTTPMethod(rawValue: method), uri: prefix + path, headers: headers)
            try await outbound.write(.head(head))
            if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            try await outbound.write(.end(nil))
            var sawHead = false
            for try await part in inbound {
                switch part {
                case .head(let head):
                    sawHead = true
                    onHead(head)
                case .body(let buffer):
                    if try await !onBody(buffer) { return }
                case .end:
                    return
                }
            }
            if !sawHead {
                throw AdminClientError(.protocolError, "http://\(host):\(port) closed the connection without an answer; is it the admin API?")
            }
        }
    }
}
