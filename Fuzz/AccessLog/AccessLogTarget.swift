// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-access-log --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianLogs
import FuzzSupport

/// The access-log formats (web vhost_combined and combined, squid, dnsmasq, mapped CSV/JSON
/// Lines), handed over in two chunks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAccessLog(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzBytes(data, size)
    let formats: [LogFormat?] = [.vhostCombined, .combined, .squid, .dnsmasq, .mapped, nil]
    let format = formats[Int(input.byte()) % formats.count]
    let split = input.uint16()
    let result = LogFuzzing.read(input.rest, format: format, split: split)
    fuzzCheck(result.rejected <= result.read + 1, "\(result.rejected) lines rejected of \(result.read)")
    return 0
}
