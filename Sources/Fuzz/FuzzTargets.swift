import Foundation
import VigilCore

/// The decoders of untrusted bytes, each driven by one input: an extent file's
/// bytes (crafted headers, records, footers and trailers), a presence-check
/// request body (both entry sizes), a Kafka sample (key ‖ value). Each must
/// return a verdict or an error, never trap, and keep its own invariants.
enum FuzzTarget: String, CaseIterable {
    case extent, presence, sample

    func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .extent: Self.extent(input)
        case .presence: Self.presence(input)
        case .sample: Self.sample(input)
        }
    }

    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fuzz-\(getpid()).extent").path

    static func extent(_ input: UnsafeRawBufferPointer) {
        guard let file = fopen(scratch, "w") else { return }
        _ = fwrite(input.baseAddress, 1, input.count, file)
        fclose(file)
        var records = 0
        guard let reader = try? ExtentReader(path: scratch),
              let report = try? reader.scan(onRecord: { _ in records += 1 })
        else { return }
        precondition(report.problems.count <= report.problemCount, "more problems kept than counted")
        precondition(report.intactBytes <= UInt64(input.count), "more intact bytes than the file holds")
        precondition(records <= input.count / ExtentFormat.recordHeaderSize + 1, "more records than could fit")
        if let footer = try? reader.footer() {
            for entry in footer { precondition(entry.offset < UInt64(input.count), "a footer entry beyond the file survived") }
        }
    }

    static func presence(_ input: UnsafeRawBufferPointer) {
        for records in [false, true] {
            guard let batch = PresenceBatch.decode(input, records: records) else { continue }
            let encoded = batch.encode()
            precondition(encoded.count == input.count && encoded.elementsEqual(input), "a decoded batch re-encodes to other bytes")
        }
    }

    static func sample(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        let key = Array(bytes.prefix(32)), value = Array(bytes.dropFirst(32))
        guard let parsed = try? SampleMessage.parse(key: key, value: value) else { return }
        precondition(parsed.encodeValue() == value, "a parsed sample re-encodes to other bytes")
        // The seeds are signed with `fuzzSampleKeys`: what verifies re-signs to the same bytes.
        if let opened = try? SampleVerifier(keyring: fuzzSampleKeys, zone: nil, acceptUnauthenticated: true).open(key: key, value: value) {
            let again = opened.authenticated ? opened.message.encodeValue(signedWith: fuzzSampleKeys.current) : opened.message.encodeVersion1Value()
            precondition(again == value, "an accepted sample re-signs to other bytes")
        }
    }
}

/// The key the sample seeds are signed with (`Tests/VigilCoreTests/FuzzSeeds/sample/`).
let fuzzSampleKeys = try! SampleKeyring.parse("7:" + String(repeating: "5a", count: 32))

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
