import Foundation
import QUICTestSupport
import Testing

/// The fuzz target's checks over its committed corpus (seeds and every
/// input a fuzzing run once crashed on), without libFuzzer: a regression
/// test for what scripts/fuzz.sh found.
@Suite("Frame fuzz corpus")
struct FuzzCorpusTests {
    static let replay = BuiltExecutable("quicflow-fuzz-frames", environmentOverride: "QUICFLOW_FUZZ_FRAMES_BIN")
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/FrameCorpus").path

    @Test("every corpus input passes the fuzz target's properties")
    func corpus() async throws {
        let inputs = try FileManager.default.contentsOfDirectory(atPath: Self.corpus)
        #expect(inputs.count >= 10)
        let run = try await Self.replay.run([Self.corpus])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("replayed \(inputs.count) inputs"), "\(run)")
    }

    @Test("a missing input is an error, not a silent pass")
    func missing() async throws {
        let run = try await Self.replay.run(["/nonexistent/input"])
        #expect(run.status == 64)
        #expect(run.stdout.contains("no such file or directory"))
    }
}
