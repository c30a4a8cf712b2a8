// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-homepage --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianHomepages
import FuzzSupport

/// A crawled homepage's HTTP response (status, headers, chunked, gzip, deflate, brotli),
/// then its charset, visible text and filing numbers — the footer audit's whole reading.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHomepage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzBytes(data, size)
    let asBody = input.byte() % 2 == 0
    let bytes = Array(input.rest)
    if asBody {
        _ = PageReading(body: bytes, headerCharset: nil)
    } else if let response = HTTPResponse(message: bytes) {
        fuzzCheck(response.body.count <= HTTPResponse.maximumBody, "a body of \(response.body.count) bytes")
        _ = PageReading(body: response.body, headerCharset: response.declaredCharset)
    }
    return 0
}
