public import BeianCore
public import BeianPackets
import Synchronization

/// A capture file read in chunks of whole records: classic pcap (either byte order, micro-
/// or nanosecond timestamps) and pcapng (any number of sections and interfaces, a link type
/// per interface), gzip-compressed or not.
///
/// The reader only finds record boundaries; the packets of a chunk are walked by whoever
/// decodes them (`CaptureChunk.forEachPacket`), so chunks can go to several workers.
public final class CaptureFile {
    /// Size of the chunks handed out.
    public static let chunkSize = 1 << 20
    /// The largest classic pcap record accepted (snap lengths are at most 262,144).
    public static let maximumRecordLength = 262_144
    /// The largest pcapng block accepted.
    public static let maximumBlockLength = 1 << 20

    public enum Format: Sendable, Equatable {
        case pcap(littleEndian: Bool, nanoseconds: Bool, link: LinkType)
        case pcapng
    }

    public let name: String
    public let format: Format
    private let stream: any ByteStream
    /// Bytes read but not yet handed out (the start of an incomplete record).
    private var carry: [UInt8] = []
    private var ended = false
    private var nextPacket: UInt64 = 1
    /// Offset in the (decompressed) file of the first byte of `carry`.
    private var offset: Int64
    private var pcapng = PcapngState()
    /// Chunk buffers come back here when the workers are done with them: fresh buffers of a
    /// few megabytes cost page faults and zeroing, reused ones nothing.
    private let pool = BufferPool()
    /// Problems met (a truncated last record, a bad block): reported, never fatal for the
    /// packets before them.
    public private(set) var issues: [InputError] = []

    /// Opens `path` and reads its header.
    public init(path: String) throws(InputError) {
        name = path
        let stream = try InputFile.open(path)
        self.stream = stream
        var header = [UInt8](repeating: 0, count: 24)
        var count = 0
        while count < header.count {
            let read: Result<Int, InputError> = header.withUnsafeMutableBytes { target in
                do throws(InputError) {
                    return .success(try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: target[count...])))
                } catch { return .failure(error) }
            }
            let got = try read.get()
            if got == 0 { break }
            count += got
        }
        guard count >= 4 else { throw InputError(.truncated, file: path, offset: 0, "not a capture: shorter than a header") }
        let magic = CaptureMagic(header[0..<4])
        switch magic {
        case .pcapMicroBigEndian, .pcapMicroLittleEndian, .pcapNanoBigEndian, .pcapNanoLittleEndian:
            guard count >= 24, let magic else {
                throw InputError(.truncated, file: path, offset: Int64(count), "pcap header cut short")
            }
            let little = magic.isLittleEndian
            let network = header.withUnsafeBytes { Self.load32($0, 20, little: little) }
            format = .pcap(littleEndian: little, nanoseconds: magic.hasNanoseconds, link: LinkType(rawValue: network & 0x03FF_FFFF))
            offset = 24
        case .pcapng:
            format = .pcapng
            carry = Array(header[0..<count])
            offset = 0
        case .modifiedPcapBigEndian, .modifiedPcapLittleEndian:
            throw InputError(.unsupported, file: path, offset: 0, "modified (Kuznetzov) pcap format is not read; convert it with editcap")
        case nil:
            let value = header.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            throw InputError(.unsupported, file: path, offset: 0, "not a pcap or pcapng capture (magic \(String(value, radix: 16)))")
        }
    }

    /// Bytes consumed from the file on disk so far (compressed bytes for gzip inputs).
    public var fileOffset: Int64 { stream.fileOffset }

    /// Size of the file on disk, when known (for progress).
    public var fileSize: Int64? { InputFile.size(of: name) }

    /// The next chunk of whole records, or nil at the end.
    public func nextChunk() throws(InputError) -> CaptureChunk? {
        guard !ended else { return nil }
        // The rest of the last record of the previous chunk, then as much as fits. (Reading
        // with read(2) into a fresh buffer measured twice as fast as walking a mapping of the
        // file: the copy streams, the page-table work of a mapping does not.)
        let wanted = max(Self.chunkSize, carry.count)
        var buffer = pool.take(wanted)
        var failure: InputError?
        var filled = carry.count
        buffer.withUnsafeMutableBytes { target in
            target.copyBytes(from: carry)
            while filled < wanted {
                do throws(InputError) {
                    let read = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: target[filled..<wanted]))
                    if read == 0 { break }
                    filled += read
                } catch {
                    failure = error
                    break
                }
            }
        }
        if let failure { throw failure }
        let startState = pcapng
        let firstPacket = nextPacket
        let chunkOffset = offset
        let (end, packets, problem) = buffer.withUnsafeBytes { boundary($0.slice(0, filled), chunkOffset: chunkOffset) }
        nextPacket += UInt64(packets)
        let atEnd = filled < wanted
        if let problem {
            issues.append(problem)
            ended = true
        } else if end == 0 && filled > 0 {
            if atEnd {
                issues.append(
                    InputError(
                        .truncated, file: name, offset: offset,
                        "capture ends inside a record (packet \(nextPacket)): \(filled) bytes left"))
                ended = true
            } else {
                issues.append(InputError(.tooLarge, file: name, offset: offset, "record larger than the chunk size"))
                ended = true
            }
        } else if atEnd && end < filled {
            issues.append(
                InputError(
                    .truncated, file: name, offset: offset + Int64(end),
                    "capture ends inside a record (packet \(nextPacket)): \(filled - end) bytes left"))
            ended = true
        }
        if atEnd && end == filled { ended = true }
        carry = Array(buffer[end..<filled])
        offset += Int64(end)
        guard end > 0 else {
            pool.give(buffer)
            return ended ? nil : try nextChunk()
        }
        return CaptureChunk(
            file: name, format: format, pcapng: startState, storage: .init(buffer, count: end, pool: pool), firstPacket: firstPacket,
            packets: packets, offset: chunkOffset)
    }

    /// The end of the last whole record in `bytes`, the records before it, and a problem that
    /// stops the reading (a length beyond the limits).
    private func boundary(_ bytes: UnsafeRawBufferPointer, chunkOffset: Int64) -> (Int, Int, InputError?) {
        var position = 0
        var packets = 0
        switch format {
        case .pcap(let little, _, _):
            while position + 16 <= bytes.count {
                let captured = Int(Self.load32(bytes, position + 8, little: little))
                guard captured <= Self.maximumRecordLength else {
                    return (
                        position, packets,
                        InputError(
                            .tooLarge, file: name, offset: chunkOffset + Int64(position),
                            "packet \(nextPacket + UInt64(packets)): record length \(captured) beyond the limit of \(Self.maximumRecordLength); the rest of the file is not read"
                        )
                    )
                }
                guard position + 16 + captured <= bytes.count else { break }
                position += 16 + captured
                packets += 1
            }
        case .pcapng:
            while position + 12 <= bytes.count {
                if bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self) == 0x0A0D_0D0A {
                    // A section header: its byte-order magic says how to read what follows.
                    let magic = bytes.loadUnaligned(fromByteOffset: position + 8, as: UInt32.self)
                    guard magic == 0x1A2B_3C4D || magic == 0x4D3C_2B1A else {
                        return (
                            position, packets,
                            InputError(.unsupported, file: name, offset: chunkOffset + Int64(position), "bad pcapng byte-order magic")
                        )
                    }
                    pcapng.littleEndian = magic == 0x1A2B_3C4D
                }
                let type = Self.load32(bytes, position, little: pcapng.littleEndian)
                let length = Int(Self.load32(bytes, position + 4, little: pcapng.littleEndian))
                guard length >= 12, length % 4 == 0, length <= Self.maximumBlockLength else {
                    return (
                        position, packets,
                        InputError(
                            .unsupported, file: name, offset: chunkOffset + Int64(position),
                            "pcapng block of type \(type) with length \(length) (not a multiple of 4 from 12 to \(Self.maximumBlockLength)); the rest of the file is not read"
                        )
                    )
                }
                guard position + length <= bytes.count else { break }
                pcapng.apply(type: type, block: bytes.slice(position, position + length))
                if type == 6 || type == 3 || type == 2 { packets += 1 }
                position += length
            }
        }
        return (position, packets, nil)
    }

    static func load32(_ bytes: UnsafeRawBufferPointer, _ offset: Int, little: Bool) -> UInt32 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return little ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
    }

    static func load16(_ bytes: UnsafeRawBufferPointer, _ offset: Int, little: Bool) -> UInt16 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return little ? UInt16(littleEndian: raw) : UInt16(bigEndian: raw)
    }
}

/// The interfaces of the current pcapng section, as known at some point of the file.
public struct PcapngState: Sendable {
    public struct Interface: Sendable {
        public var link: LinkType
        /// Timestamp units: 10^-n seconds (`decimal`) or 2^-n.
        var exponent: UInt8
        var decimal: Bool
        var offsetSeconds: Int64

        func nanoseconds(_ value: UInt64) -> Int64 {
            var result: Int64
            if decimal {
                if exponent <= 9 {
                    var factor: UInt64 = 1
                    for _ in 0..<(9 - exponent) { factor *= 10 }
                    result = Int64(truncatingIfNeeded: value &* factor)
                } else {
                    var divisor: UInt64 = 1
                    for _ in 0..<min(exponent - 9, 19) { divisor *= 10 }
                    result = Int64(truncatingIfNeeded: value / divisor)
                }
            } else {
                let shift = min(Int(exponent), 63)
                result = Int64(truncatingIfNeeded: (UInt128(value) * 1_000_000_000) >> shift)
            }
            return result &+ offsetSeconds &* 1_000_000_000
        }
    }

    var littleEndian = true
    public var interfaces: [Interface] = []

    /// Notes what a section header or interface description block changes.
    mutating func apply(type: UInt32, block: UnsafeRawBufferPointer) {
        switch type {
        case 0x0A0D_0D0A:
            interfaces.removeAll()
        case 1:
            guard block.count >= 20 else { return }
            let link = LinkType(rawValue: UInt32(CaptureFile.load16(block, 8, little: littleEndian)))
            var interface = Interface(link: link, exponent: 6, decimal: true, offsetSeconds: 0)
            // Options: code (2), length (2), value padded to 4; code 0 ends them.
            var position = 16
            let end = block.count - 4
            while position + 4 <= end {
                let code = CaptureFile.load16(block, position, little: littleEndian)
                let length = Int(CaptureFile.load16(block, position + 2, little: littleEndian))
                if code == 0 { break }
                guard position + 4 + length <= end else { break }
                if code == 9 && length >= 1 {
                    let value = block[position + 4]
                    interface.decimal = value & 0x80 == 0
                    interface.exponent = value & 0x7F
                } else if code == 14 && length >= 8 {
                    let raw = block.loadUnaligned(fromByteOffset: position + 4, as: UInt64.self)
                    interface.offsetSeconds = Int64(bitPattern: littleEndian ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw))
                }
                position += 4 + ((length + 3) & ~3)
            }
            interfaces.append(interface)
        default: return
        }
    }
}

/// Whole records of a capture, with what is needed to walk them on any thread.
public struct CaptureChunk: Sendable {
    public let file: String
    public let format: CaptureFile.Format
    let pcapng: PcapngState
    let storage: Storage
    public let firstPacket: UInt64
    public let packets: Int
    /// Offset in the (decompressed) capture of the chunk's first byte.
    public let offset: Int64

    /// The chunk's bytes (the first `count` of a pooled buffer), shared by the workers that
    /// walk it; the buffer goes back to the pool when the last of them is done.
    final class Storage: Sendable {
        private let bytes: [UInt8]
        let count: Int
        private let pool: BufferPool

        init(_ bytes: [UInt8], count: Int, pool: BufferPool) {
            self.bytes = bytes
            self.count = count
            self.pool = pool
        }

        deinit { pool.give(bytes) }

        func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
            bytes.withUnsafeBytes { body($0.slice(0, count)) }
        }
    }

    /// Bytes in the chunk.
    public var count: Int { storage.count }

    /// A packet of a chunk: its bytes (valid during the call), link type, time and number.
    public struct Packet {
        public var bytes: UnsafeRawBufferPointer
        public var link: LinkType
        public var nanoseconds: Int64
        public var number: UInt64
        /// Where the packet's bytes start in the chunk.
        public var offset: Int
    }

    /// A packet of a chunk by position, for handing packets to workers without copying them.
    public struct PacketRef: Sendable {
        var offset: Int32
        var length: Int32
        var link: LinkType
        var nanoseconds: Int64
        var number: UInt64
    }

    /// The chunk's packets split into `count` lists by `hasher` (each in packet order).
    public func shard(_ count: Int, hasher: ShardHasher) -> [[PacketRef]] {
        var lists = [[PacketRef]](repeating: [], count: count)
        let expected = packets / count + packets / 8 + 16
        for index in lists.indices { lists[index].reserveCapacity(expected) }
        forEachPacket { packet in
            let shard = Int(hasher.hash(packet.bytes, link: packet.link) % UInt64(count))
            lists[shard].append(
                PacketRef(
                    offset: Int32(packet.offset), length: Int32(packet.bytes.count), link: packet.link, nanoseconds: packet.nanoseconds,
                    number: packet.number))
        }
        return lists
    }

    /// Calls `body` for the packets of `refs` (made by `shard` from this chunk).
    public func forEachPacket(in refs: [PacketRef], _ body: (Packet) -> Void) {
        storage.withBytes { bytes in
            for ref in refs {
                let start = Int(ref.offset)
                body(
                    Packet(
                        bytes: bytes.slice(start, start + Int(ref.length)), link: ref.link, nanoseconds: ref.nanoseconds,
                        number: ref.number,
                        offset: start))
            }
        }
    }

    /// Calls `body` for each packet, in order. Packets on an interface the section did not
    /// describe are passed with link type 0xFFFF_FFFF (unknown: counted by the decoder).
    public func forEachPacket(_ body: (Packet) -> Void) {
        storage.withBytes { bytes in
            var number = firstPacket
            var position = 0
            switch format {
            case .pcap(let little, let nano, let link):
                let scale: Int64 = nano ? 1 : 1000
                while position + 16 <= bytes.count {
                    let seconds = Int64(CaptureFile.load32(bytes, position, little: little))
                    let fraction = Int64(CaptureFile.load32(bytes, position + 4, little: little))
                    let captured = Int(CaptureFile.load32(bytes, position + 8, little: little))
                    let start = position + 16
                    guard start + captured <= bytes.count else { return }
                    body(
                        Packet(
                            bytes: bytes.slice(start, start + captured), link: link,
                            nanoseconds: seconds * 1_000_000_000 + fraction * scale, number: number, offset: start))
                    number += 1
                    position = start + captured
                }
            case .pcapng:
                var state = pcapng
                while position + 12 <= bytes.count {
                    if bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self) == 0x0A0D_0D0A {
                        state.littleEndian = bytes.loadUnaligned(fromByteOffset: position + 8, as: UInt32.self) == 0x1A2B_3C4D
                    }
                    let little = state.littleEndian
                    let type = CaptureFile.load32(bytes, position, little: little)
                    let length = Int(CaptureFile.load32(bytes, position + 4, little: little))
                    guard length >= 12, position + length <= bytes.count else { return }
                    let block = bytes.slice(position, position + length)
                    switch type {
                    case 6 where length >= 32, 2 where length >= 32:
                        // Enhanced packet block, or the obsolete packet block (a 16-bit
                        // interface and 16 bits of drop count where the enhanced has 32 bits).
                        let interface = Int(
                            type == 6 ? CaptureFile.load32(block, 8, little: little) : UInt32(CaptureFile.load16(block, 8, little: little)))
                        let stamp =
                            UInt64(CaptureFile.load32(block, 12, little: little)) << 32
                            | UInt64(CaptureFile.load32(block, 16, little: little))
                        let captured = Int(CaptureFile.load32(block, 20, little: little))
                        if 28 + captured <= length - 4 {
                            let known = interface < state.interfaces.count ? state.interfaces[interface] : nil
                            body(
                                Packet(
                                    bytes: block.slice(28, 28 + captured), link: known?.link ?? LinkType(rawValue: 0xFFFF_FFFF),
                                    nanoseconds: known?.nanoseconds(stamp) ?? 0, number: number, offset: position + 28))
                        }
                        number += 1
                    case 3 where length >= 16:  // simple packet block: interface 0, no time
                        let original = Int(CaptureFile.load32(block, 8, little: little))
                        let captured = min(original, length - 16)
                        let known = state.interfaces.first
                        body(
                            Packet(
                                bytes: block.slice(12, 12 + captured), link: known?.link ?? LinkType(rawValue: 0xFFFF_FFFF), nanoseconds: 0,
                                number: number, offset: position + 12))
                        number += 1
                    case 6, 3, 2:
                        number += 1
                    default:
                        state.apply(type: type, block: block)
                    }
                    position += length
                }
            }
        }
    }
}

extension UnsafeRawBufferPointer {
    func slice(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[start..<end])
    }
}

/// Buffers handed back by finished chunks, for the next ones.
final class BufferPool: Sendable {
    /// Buffers kept at most (the pipeline's window of chunks in flight, and a few more).
    static let capacity = 32
    private let buffers = Mutex<[[UInt8]]>([])

    /// A buffer of at least `count` bytes (contents unspecified).
    func take(_ count: Int) -> [UInt8] {
        if let buffer = buffers.withLock({ $0.popLast() }), buffer.count >= count { return buffer }
        return [UInt8](repeating: 0, count: count)
    }

    func give(_ buffer: [UInt8]) {
        buffers.withLock { if $0.count < Self.capacity { $0.append(buffer) } }
    }
}
