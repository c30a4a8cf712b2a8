// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-packets --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianCore
import BeianPackets
import FuzzSupport

/// The link layers and the packet decoder: a link type chosen by the first byte, then packets
/// (each with a two-byte length) decoded in order as one capture — reassembly, flows and
/// application parsers included.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPackets(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzBytes(data, size)
    let links: [LinkType] = [
        .ethernet, .raw, .ipv4, .ipv6, .linuxSLL, .linuxSLL2, .null, .loop, .ppp, .pppHDLC, .pppEther, .nflog, .rawBSD12, .rawBSD14,
        .ieee80211, .ieee80211Radiotap, .ppi, .ieee80211Prism, .ieee80211AVS,
    ]
    let link = links[Int(input.byte()) % links.count]
    var decoder = PacketDecoder()
    decoder.begin(file: "fuzz")
    for (number, packet) in input.pieces().enumerated() {
        decoder.decode(packet, link: link, nanoseconds: Int64(number) * 1_000_000, number: UInt64(number + 1))
    }
    decoder.finish()
    fuzzCheck(decoder.statistics.packets >= 0, "negative packet count")
    return 0
}
