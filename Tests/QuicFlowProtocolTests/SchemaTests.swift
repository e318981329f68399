import Foundation
import QuicFlowProtocol
import SwiftProtobuf
import Testing

/// The schema's numbers against PROTOCOL.md.
@Suite("Schema")
struct SchemaTests {
    @Test("enum values match PROTOCOL.md")
    func enumValues() {
        #expect(FrameType.allCases.map(\.rawValue) == [0, 1, 2, 3, 4])
        #expect([FrameType.ping, .pong, .data, .ack].map(\.rawValue) == [1, 2, 3, 4])
        #expect(
            [Quic_Backbone_V1_MessageType.command, .event, .query, .response].map(\.rawValue) == [1, 2, 3, 4]
        )
        #expect([Quic_Backbone_V1_AckStatus.success, .failure, .timeout].map(\.rawValue) == [1, 2, 3])
        #expect(
            [Quic_Backbone_V1_ClientState.idle, .connecting, .connected].map(\.rawValue) == [1, 2, 3]
        )
    }

    @Test("MetricsSnapshot fields are numbered 1...27 in PROTOCOL.md's order")
    func metricsFieldNumbers() throws {
        // PROTOCOL.md's list, in order.
        let fields: [WritableKeyPath<Quic_Backbone_V1_MetricsSnapshot, Int64>] = [
            \.connectedClients, \.totalConnections, \.totalDisconnects, \.messagesSent,
            \.messagesReceived, \.messagesFailed, \.bytesSent, \.bytesReceived,
            \.messageThroughput, \.averageLatency, \.p50Latency, \.p95Latency, \.p99Latency,
            \.heartbeatsSent, \.heartbeatsReceived, \.heartbeatTimeouts, \.promiseCreated,
            \.promiseCompleted, \.promiseTimeouts, \.promiseActive, \.broadcastsSent,
            \.broadcastTargets, \.encodingErrors, \.decodingErrors, \.networkErrors,
            \.uptimeSeconds, \.timestamp,
        ]
        #expect(fields.count == 27)
        for (index, field) in fields.enumerated() {
            let number = index + 1
            var snapshot = Quic_Backbone_V1_MetricsSnapshot()
            snapshot[keyPath: field] = 5
            // Tag (number << 3) | 0 as a varint, then the value 5.
            let tag = number << 3
            let expected: [UInt8] = tag < 0x80 ? [UInt8(tag), 5] : [UInt8(tag & 0x7F | 0x80), UInt8(tag >> 7), 5]
            let bytes: [UInt8] = try snapshot.serializedBytes()
            #expect(bytes == expected, "field \(number)")
        }
    }

    @Test("ClientInfo fields are numbered as PROTOCOL.md lists them")
    func clientInfoFieldNumbers() throws {
        var info = Quic_Backbone_V1_ClientInfo()
        info.clientID = "c"
        info.remoteAddr = "r"
        info.connectedAt = 3
        info.lastHeartbeat = 4
        info.state = .connected
        let bytes: [UInt8] = try info.serializedBytes()
        // 0A 01 "c" | 12 01 "r" | 18 03 | 20 04 | 28 03 (CONNECTED)
        #expect(bytes == [0x0A, 0x01, 0x63, 0x12, 0x01, 0x72, 0x18, 0x03, 0x20, 0x04, 0x28, 0x03])
    }

    @Test("AckMessage and PongFrame fields are numbered as PROTOCOL.md lists them")
    func ackAndPongFieldNumbers() throws {
        var ack = AckMessage()
        ack.msgID = "m"
        ack.status = .timeout
        ack.result = Data([0x01])
        ack.error = "e"
        let ackBytes: [UInt8] = try ack.serializedBytes()
        // 0A 01 "m" | 10 03 (TIMEOUT) | 1A 01 01 | 22 01 "e"
        #expect(ackBytes == [0x0A, 0x01, 0x6D, 0x10, 0x03, 0x1A, 0x01, 0x01, 0x22, 0x01, 0x65])

        var pong = PongFrame()
        pong.serverTime = 1
        let pongBytes: [UInt8] = try pong.serializedBytes()
        #expect(pongBytes == [0x08, 0x01])
    }
}
