// A libFuzzer target (issue 18): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-http2 --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianPackets
import FuzzSupport

/// h2c and DNS over HTTP: the first byte chooses HPACK header blocks (decoded in order by
/// one decoder), an HTTP/1.x response with a chunked body, or a whole h2c connection of TCP
/// segments through the packet decoder; each piece has a two-byte length.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP2(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzBytes(data, size)
    switch input.byte() % 3 {
    case 0:
        if let fields = PacketFuzzing.hpackBlocks(input.pieces()) { fuzzCheck(fields <= size, "\(fields) fields from \(size) bytes") }
    case 1:
        if let body = PacketFuzzing.httpResponse(input.rest) { fuzzCheck(body <= size, "a body of \(body) bytes from \(size)") }
    default:
        let observations = PacketFuzzing.h2cConnection(input.pieces())
        fuzzCheck(observations <= size, "\(observations) observations from \(size) bytes")
    }
    return 0
}
