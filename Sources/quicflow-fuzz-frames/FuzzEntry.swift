import Foundation

#if QUICFLOW_FUZZER
import CFuzzerDriver

/// libFuzzer's entry point: `scripts/fuzz.sh` builds this target with
/// `-sanitize=fuzzer,address -DQUICFLOW_FUZZER`, and `main` hands the
/// command line to libFuzzer's driver.
/// The input callback libFuzzer's objects refer to by name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    FrameFuzzCase.run(bytes)
    SelectorFuzzCase.run(bytes)
    return 0
}

@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
    }
}
#else
/// Without libFuzzer: runs the files or directories given as arguments
/// (a corpus, a crash reproducer) through the same checks.
@main
enum FuzzReplay {
    static func main() throws {
        var count = 0
        for argument in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                print("no such file or directory: \(argument)")
                exit(64)
            }
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: argument).sorted().map { argument + "/" + $0 }
                : [argument]
            for file in files {
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
                FrameFuzzCase.run(bytes)
                SelectorFuzzCase.run(bytes)
                count += 1
            }
        }
        print("replayed \(count) inputs: no property failed")
    }
}
#endif
