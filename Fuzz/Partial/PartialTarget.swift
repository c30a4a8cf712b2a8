// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-partial --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianReport
import FuzzSupport

/// The partial-scan format `beian merge` reads.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPartial(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzBytes(data, size)
    _ = try? PartialScan.read(Array(input.rest), name: "fuzz.partial")
    return 0
}
