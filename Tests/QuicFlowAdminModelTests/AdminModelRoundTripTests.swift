import Foundation
import QuicFlow
import QuicFlowAdminModel
import Testing

/// Every JSON shape of the admin API is written once and read by both the
/// server and quicflowctl: each must survive encode → decode unchanged and
/// use the documented snake_case keys.
@Suite("Admin API model: one shape per answer, round trips")
struct AdminModelRoundTripTests {
    static func roundTrip<T: Codable & Equatable>(_ value: T) throws -> (decoded: T, keys: Set<String>) {
        let data = try JSONEncoder().encode(value)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (try JSONDecoder().decode(T.self, from: data), Set(object.keys))
    }

    @Test("ConnectedClient")
    func connectedClient() throws {
        let client = ConnectedClient(
            clientID: "device-7", remoteAddress: "127.0.0.1:4000", connectedAt: "2026-11-29T03:00:00.000Z",
            lastHeartbeat: "2026-11-29T03:00:05.250Z")
        let (decoded, keys) = try Self.roundTrip(client)
        #expect(decoded == client)
        #expect(keys == ["client_id", "remote_address", "connected_at", "last_heartbeat"])
    }

    @Test("MessageReply: an ACK carries every field; queued only msg_id and status")
    func messageReply() throws {
        let ack = MessageReply(
            msgID: "m-1", status: "success", result: "ok", resultBase64: "b2s=", error: "", latencyMilliseconds: 1.5)
        let (decoded, keys) = try Self.roundTrip(ack)
        #expect(decoded == ack)
        #expect(keys == ["msg_id", "status", "result", "result_base64", "error", "latency_ms"])
        #expect(decoded.resultBytes == Array("ok".utf8))

        let (queued, queuedKeys) = try Self.roundTrip(MessageReply.queued("m-2"))
        #expect(queued.status == "queued")
        #expect(queuedKeys == ["msg_id", "status"])
    }

    @Test("resultBytes prefers the exact base64 bytes over the text")
    func resultBytes() {
        let binary = MessageReply(msgID: "m", status: "success", result: "\u{FFFD}", resultBase64: "/w==")
        #expect(binary.resultBytes == [0xFF])
    }

    @Test("MessageRecord, with and without expires_at")
    func messageRecord() throws {
        var record = MessageRecord(
            msgID: "m-1", clientID: "device-7", type: "command", state: "delivered", status: "success", result: "ran",
            resultBase64: "cmFu", error: "", late: true, createdAt: "2026-11-29T03:00:00.000Z",
            updatedAt: "2026-11-29T03:00:01.000Z", expiresAt: "2026-11-30T03:00:00.000Z")
        var (decoded, keys) = try Self.roundTrip(record)
        #expect(decoded == record)
        #expect(keys == [
            "msg_id", "client_id", "type", "state", "status", "result", "result_base64", "error", "late", "created_at",
            "updated_at", "expires_at",
        ])
        record.expiresAt = nil
        (decoded, keys) = try Self.roundTrip(record)
        #expect(decoded == record)
        #expect(!keys.contains("expires_at"))
    }

    @Test("BroadcastReply and SendRequest")
    func broadcastAndRequest() throws {
        #expect(try Self.roundTrip(BroadcastReply(reached: 3)).decoded.reached == 3)
        let request = SendRequest(
            type: "command", payloadBase64: "aGk=", waitAck: false, timeoutMilliseconds: 5_000, queueIfOffline: true,
            ttlMilliseconds: 60_000)
        let (decoded, keys) = try Self.roundTrip(request)
        #expect(decoded == request)
        #expect(keys == ["type", "payload_base64", "wait_ack", "timeout_ms", "queue_if_offline", "ttl_ms"])
    }

    @Test("LateResponse: what the agent writes, the server reads")
    func lateResponse() throws {
        let message = IncomingMessage(msgID: "cmd-9", senderID: "server", type: .command, payload: [], timestamp: 0)
        let written = LateResponse(message: message, response: .failure("disk full"))
        let read = try #require(LateResponse(payload: written.payload()))
        #expect(read == written)
        #expect(read.inReplyTo == "cmd-9")
        #expect(read.status == "FAILURE")
        #expect(read.error == "disk full")
        #expect(LateResponse(payload: Array("not json".utf8)) == nil)
        #expect(LateResponse(payload: Array(#"{"in_reply_to": "", "status": "SUCCESS"}"#.utf8)) == nil)
    }
}
