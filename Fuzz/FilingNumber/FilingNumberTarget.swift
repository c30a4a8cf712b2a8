// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-filing-number --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianCore
import FuzzSupport

/// The filing-number recogniser, on text as a page gives it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFilingNumber(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzBytes(data, size)
    let text = String(decoding: input.rest, as: UTF8.self)
    for match in FilingNumberRecognizer.matches(in: text) {
        fuzzCheck(match.range.lowerBound >= text.startIndex && match.range.upperBound <= text.endIndex, "a match outside the text")
    }
    return 0
}
