// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-tls --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianPackets
import FuzzSupport

/// The TLS ClientHello reader, on a handshake stream from its first byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTLS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzBytes(data, size)
    if let name = PacketFuzzing.tlsClientHello(input.rest) {
        fuzzCheck(name.utf8.count <= 1024, "a server name of \(name.utf8.count) bytes")
    }
    return 0
}
