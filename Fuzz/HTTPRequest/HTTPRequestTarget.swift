// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-http-request --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianPackets
import FuzzSupport

/// The HTTP/1.x request head reader, at the start of a client stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzBytes(data, size)
    _ = PacketFuzzing.httpRequest(input.rest)
    return 0
}
