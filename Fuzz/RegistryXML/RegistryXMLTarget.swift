// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-registry-xml --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianRegistry
import FuzzSupport

/// The registry reader on MIIT V3.0 XML: every value checked, every record counted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegistryXML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzBytes(data, size)
    FuzzInput.withFile(input.rest, suffix: ".xml") { path in
        var records = 0
        guard let report = try? RegistryReader().read(path, { _ in records += 1 }) else { return }
        let total = report.total
        fuzzCheck(
            total.read == total.accepted + total.rejected, "read \(total.read) ≠ accepted \(total.accepted) + rejected \(total.rejected)")
    }
    return 0
}
