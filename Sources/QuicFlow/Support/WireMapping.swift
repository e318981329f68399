import Foundation
import QuicFlowProtocol

/// Conversions between the public message types and the generated wire
/// types.
extension MessageType {
    init?(wire: Quic_Backbone_V1_MessageType) {
        switch wire {
        case .command: self = .command
        case .event: self = .event
        case .query: self = .query
        case .response: self = .response
        default: return nil
        }
    }

    var wire: Quic_Backbone_V1_MessageType {
        switch self {
        case .command: return .command
        case .event: return .event
        case .query: return .query
        case .response: return .response
        }
    }
}

extension Response {
    init(ack: AckMessage) {
        let status: Status
        switch ack.status {
        case .success: status = .success
        case .timeout: status = .timeout
        default: status = .failure
        }
        self.init(status: status, result: [UInt8](ack.result), error: ack.error)
    }

    func ack(msgID: String) -> AckMessage {
        var ack = AckMessage()
        ack.msgID = msgID
        switch status {
        case .success: ack.status = .success
        case .failure: ack.status = .failure
        case .timeout: ack.status = .timeout
        }
        ack.result = Data(result)
        ack.error = error
        return ack
    }
}
