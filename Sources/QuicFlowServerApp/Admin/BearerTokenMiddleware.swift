import Hummingbird

/// Refuses requests without `Authorization: Bearer <token>`, comparing in
/// constant time so the token cannot be guessed byte by byte from timing.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw HTTPError(.unauthorized, message: "missing bearer token: send Authorization: Bearer <token>")
        }
        guard Self.constantTimeEqual(Array(header.utf8.dropFirst("Bearer ".utf8.count)), token) else {
            throw HTTPError(.unauthorized, message: "wrong bearer token")
        }
        return try await next(request, context)
    }

    /// Equal length and bytes, in time that depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
