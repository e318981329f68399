import Hummingbird

/// Refuses requests without `Authorization: Bearer <token>`, comparing in
/// constant time so the token cannot be guessed byte by byte from timing.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw HTTPError(.unauthorized, message: "missing bearer token: send Authorization: Bearer <token>")
        }
        guard ConstantTime.equal(Array(header.utf8.dropFirst("Bearer ".utf8.count)), token) else {
            throw HTTPError(.unauthorized, message: "wrong bearer token")
        }
        return try await next(request, context)
    }
}
