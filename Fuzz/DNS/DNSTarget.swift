// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-dns --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianPackets
import FuzzSupport

/// The DNS message reader (names, compression pointers, answers).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzBytes(data, size)
    if let count = PacketFuzzing.dnsMessage(input.rest) { fuzzCheck(count <= size, "\(count) bindings from \(size) bytes") }
    return 0
}
