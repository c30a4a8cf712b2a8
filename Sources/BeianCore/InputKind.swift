#if canImport(Glibc)
    import Glibc
#endif

/// What an input file holds, told from its first bytes (after gzip is undone): the one place
/// where `beian` decides how to read a file it is given.
public enum InputKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A packet capture: pcap (either byte order, micro- or nanosecond times) or pcapng.
    case capture
    /// A crawl: a WARC or ARC file, a folder of saved pages, or one saved HTML page.
    case crawl
    /// Anything else is read as a log (Zeek, web, proxy, resolver, mapped CSV/JSON Lines);
    /// the log reader tells the format from the first lines.
    case log

    public var description: String { rawValue }

    /// Bytes read to decide.
    static let sniffLength = 16

    /// The kind of `path`. A file that cannot be opened counts as a capture, whose reader
    /// then reports why it cannot be read (as it does for a truncated or unknown capture).
    public static func detect(path: String) -> InputKind {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { return .crawl }
        guard let head = InputFile.head(of: path, count: sniffLength) else { return .capture }
        return detect(head: head[...])
    }

    /// The kind of an input that starts with `head` (decompressed).
    public static func detect(head: ArraySlice<UInt8>) -> InputKind {
        if CaptureMagic(head) != nil { return .capture }
        if head.starts(with: "WARC/".utf8) || head.starts(with: "filedesc://".utf8) { return .crawl }
        // A saved page: markup first, after white space and a UTF-8 byte order mark.
        let start = head.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        if start.first == UInt8(ascii: "<"), let next = start.dropFirst().first,
            next == UInt8(ascii: "!") || next == UInt8(ascii: "h") || next == UInt8(ascii: "H")
        {
            return .crawl
        }
        return .log
    }
}

/// The first four bytes of a capture file, read as a big-endian number: the formats
/// `beian` reads and the one it names but refuses.
public enum CaptureMagic: UInt32, Sendable, CaseIterable {
    /// Classic pcap, microsecond times, written big-endian.
    case pcapMicroBigEndian = 0xA1B2_C3D4
    /// Classic pcap, microsecond times, written little-endian.
    case pcapMicroLittleEndian = 0xD4C3_B2A1
    /// Classic pcap, nanosecond times, big-endian.
    case pcapNanoBigEndian = 0xA1B2_3C4D
    /// Classic pcap, nanosecond times, little-endian.
    case pcapNanoLittleEndian = 0x4D3C_B2A1
    /// pcapng: a Section Header Block starts the file.
    case pcapng = 0x0A0D_0D0A
    /// The modified (Kuznetzov) pcap format, both byte orders: recognised, not read.
    case modifiedPcapBigEndian = 0xA1B2_CD34
    case modifiedPcapLittleEndian = 0x34CD_B2A1

    /// The magic that `bytes` start with, nil when they start like no capture.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count >= 4 else { return nil }
        let value = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        self.init(rawValue: value)
    }

    /// Classic pcap written little-endian.
    public var isLittleEndian: Bool { self == .pcapMicroLittleEndian || self == .pcapNanoLittleEndian }
    /// Classic pcap with nanosecond times.
    public var hasNanoseconds: Bool { self == .pcapNanoBigEndian || self == .pcapNanoLittleEndian }
}
