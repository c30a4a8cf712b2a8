// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-bazs-cert --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianHomepages
import FuzzSupport

/// The `bazs.cert` DER reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBazsCert(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzBytes(data, size)
    if let certificate = try? BazsCertificate(der: Array(input.rest)) {
        fuzzCheck(certificate.text.utf8.count <= BazsCertificate.maximumLength * 4, "a text longer than its certificate")
    }
    return 0
}
