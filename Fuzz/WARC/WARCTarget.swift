// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-warc --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianHomepages
import FuzzSupport

/// WARC and ARC records (plain or gzip members, as the file's first bytes say).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWARC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzBytes(data, size)
    FuzzInput.withFile(input.rest, suffix: ".warc") { path in
        guard let reader = try? WARCReader(path: path) else { return }
        var records = 0
        while records < 256, let record = try? reader.next() {
            records += 1
            fuzzCheck(record.block.count <= size * 1100 + 1024, "a block of \(record.block.count) bytes from \(size)")
        }
    }
    return 0
}
