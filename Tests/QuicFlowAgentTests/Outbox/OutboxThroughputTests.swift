import QuicFlow
import QuicFlowAgent
import Testing

@Suite("Outbox throughput", .serialized)
struct OutboxThroughputTests {
    @Test("enqueue rate, single rows vs group commit (printed, not asserted)")
    func enqueueRate() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"), maxMessages: 1_000_000)
        let payload = [UInt8](repeating: 0x61, count: 200)
        let clock = ContinuousClock()

        let singles = 500
        let singleTime = try await clock.measure {
            for _ in 0..<singles {
                try await outbox.enqueue(type: .event, payload: payload)
            }
        }

        let batchSize = 500
        let batches = 40
        let batch = [Message](repeating: Message(type: .event, payload: payload, waitAck: true), count: batchSize)
        let batchTime = try await clock.measure {
            for _ in 0..<batches {
                try await outbox.enqueueBatch(batch)
            }
        }

        let claimed = 20_000
        let claimTime = try await clock.measure {
            var remaining = claimed
            while remaining > 0 {
                let rows = try await outbox.nextBatch(limit: 500)
                remaining -= rows.count
                if rows.isEmpty { break }
            }
        }

        print("""
            outbox enqueue, 200-byte payloads, synchronous=FULL: \
            single rows \(rate(singles, singleTime)) rows/s (\(singleTime / singles) each); \
            batches of \(batchSize) \(rate(batchSize * batches, batchTime)) rows/s; \
            claim 500 at a time \(rate(claimed, claimTime)) rows/s
            """)
        #expect(try await outbox.counts().total == singles + batchSize * batches)
    }

    private func rate(_ rows: Int, _ time: Duration) -> Int {
        let seconds = Double(time.components.seconds) + Double(time.components.attoseconds) / 1e18
        return Int(Double(rows) / seconds)
    }
}
