import Hummingbird

/// An admin API answer: one of the shared JSON shapes of
/// `QuicFlowAdminModel`, encoded as it is (the model knows nothing of
/// Hummingbird, so the conformance lives on this wrapper).
struct AdminJSONBody<Value: Encodable & Sendable>: ResponseEncodable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
