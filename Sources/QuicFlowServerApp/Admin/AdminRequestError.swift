/// Why a request body was refused (answered 400 with this message).
struct AdminRequestError: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}
