// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-service --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianCore
import BeianIndex
import BeianService
import BeianTestSupport
import FuzzSupport

/// The sample's index, built once per process.
private let index: RegistryIndex? = {
    guard let files = try? sampleRegistry("jsonl"), let built = try? buildIndex(files) else { return nil }
    return try? RegistryIndex(path: built.path)
}()

/// What the check service reads from requests: the first byte picks a batch body for
/// `POST /v1/check` (checked, then answered against the sample's index) or a query string for
/// `GET /isp_querybeianstatus`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzService(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzBytes(data, size)
    guard let index else { fatalError("fuzz-service: the sample's index could not be built (run from the package's folder)") }
    if input.byte() % 4 == 0 {
        let query = String(decoding: input.rest, as: UTF8.self)
        if let domain = ServiceFuzzing.queryDomain(query) { fuzzCheck(domain.utf8.count <= query.utf8.count * 3 + 8, "decoded grew") }
    } else {
        let (lines, answered) = ServiceFuzzing.batch(input.rest, index: index)
        fuzzCheck(answered == lines, "\(lines) lines checked, \(answered) answered")
    }
    return 0
}
