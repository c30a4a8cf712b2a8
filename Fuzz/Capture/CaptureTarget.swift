// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-capture --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianCapture
import BeianCore
import BeianPackets
import FuzzSupport

/// The pcap and pcapng readers (the format told by the magic, as for any file): every
/// packet of every chunk walked and decoded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCapture(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzBytes(data, size)
    FuzzInput.withFile(input.rest, suffix: ".cap") { path in
        guard let file = try? CaptureFile(path: path) else { return }
        var decoder = PacketDecoder()
        decoder.begin(file: path)
        var chunks = 0
        while chunks < 64, let chunk = try? file.nextChunk() {
            chunks += 1
            chunk.forEachPacket { packet in
                decoder.decode(packet.bytes, link: packet.link, nanoseconds: packet.nanoseconds, number: packet.number)
            }
        }
        decoder.finish()
    }
    return 0
}
