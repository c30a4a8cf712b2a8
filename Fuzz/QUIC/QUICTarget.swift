// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-quic --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianPackets
import FuzzSupport

/// QUIC client Initials: raw datagrams of one flow (first byte even: header forms, packet
/// layouts, key derivation and decryption attempts), or the decrypted payloads of Initials
/// (odd: random bytes never pass the AEAD, and the CRYPTO frames and the hello behind them
/// are where a reader goes wrong), QUIC v1 or a Google version by the second byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQUIC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzBytes(data, size)
    let mode = input.byte()
    if mode % 2 == 0 {
        _ = PacketFuzzing.quicDatagrams(input.pieces())
    } else {
        let version: UInt32 = input.byte() % 2 == 0 ? 1 : 0x5430_3530
        _ = PacketFuzzing.quicPlaintexts(input.pieces().prefix(16).map { Array($0) }, version: version)
    }
    return 0
}
