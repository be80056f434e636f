import Foundation
import VigilCore

/// The decoders of untrusted bytes, each driven by one input: an extent file's
/// bytes (crafted headers, records, footers and trailers), a presence-check
/// request body (both entry sizes), a Kafka sample (key ‖ value). Each must
/// return a verdict or a typed error, never trap, and keep the guarantees its
/// `FuzzOracle` checks; a broken one traps, so libFuzzer saves the input.
enum FuzzTarget: String, CaseIterable {
    case extent, presence, sample

    func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        let broken = switch self {
        case .extent: FuzzOracle.extent(bytes, at: Self.scratch)
        case .presence: FuzzOracle.presence(bytes)
        case .sample: FuzzOracle.sample(bytes)
        }
        precondition(broken.isEmpty, "\(self): \(broken.joined(separator: "; "))")
    }

    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fuzz-\(getpid()).extent").path
}

/// Which target this process fuzzes: `VIGIL_FUZZ_TARGET` (default extent).
let selectedTarget = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["VIGIL_FUZZ_TARGET"] ?? "extent") ?? .extent

#if VIGIL_LIBFUZZER
/// libFuzzer's entry point (built by `Scripts/fuzz` with `-sanitize=fuzzer`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// SwiftPM links an executable's entry point as `<Module>_main`: hand the
/// command line to libFuzzer's driver from there.
@_cdecl("Fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    atexit { unlink(FuzzTarget.scratch) }
    return runFuzzerDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) }
}
#else
/// Without libFuzzer: replays inputs (`vigil-fuzz TARGET FILE…`), e.g. a crash
/// libFuzzer saved, through the same code.
@main
struct ReplayInputs {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: vigil-fuzz extent|presence|sample FILE…   (Scripts/fuzz runs libFuzzer; this replays inputs)")
            return
        }
        for path in arguments.dropFirst() {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes.withUnsafeBytes { target.run($0) }
            print("\(path): ok")
        }
    }
}
#endif
