import BeianCore
import Foundation

/// A streaming reader of one format: it is fed UTF-8 bytes chunk by chunk.
protocol PushReader: AnyObject {
    func feed(_ bytes: UnsafeRawBufferPointer) throws
    func finish() throws
}

/// What the reader of a piece of a file after its first is told about the file (found from
/// its first bytes when the file was split).
struct PieceContext {
    var format: RegistryFormat
    var encoding: TextEncoding
    /// The CSV header's fields (CSV only).
    var csvHeader: [String]?
    /// Where the piece starts in the file.
    var byteOffset: Int64
}

/// Detects the format and encoding of one input from its first bytes, converts legacy
/// encodings to UTF-8 on the fly, and feeds the format's reader.
final class InputPipeline {
    /// Bytes looked at before deciding format and encoding.
    static let sniffLength = 64 << 10

    private let sink: RecordSink
    private let formatHint: RegistryFormat?
    private var reader: (any PushReader)?
    private var converter: TextConverter?
    private var head: [UInt8] = []
    private var converted: [UInt8] = []

    /// Where the input starts in its file (offsets in messages are the file's).
    private let byteBase: Int64

    init(sink: RecordSink, formatHint: RegistryFormat?) {
        self.sink = sink
        self.formatHint = formatHint
        byteBase = 0
    }

    /// A pipeline for a piece of a file after its first: no detection, the file's format,
    /// encoding and header.
    init(sink: RecordSink, continuing context: PieceContext) {
        self.sink = sink
        formatHint = context.format
        byteBase = context.byteOffset
        converter = context.encoding == .utf8 ? nil : TextConverter(from: context.encoding)
        sink.setFormat(context.format, encoding: context.encoding)
        switch context.format {
        case .csv: reader = CSVRegistryReader(sink: sink, continuing: context.csvHeader ?? [])
        case .jsonl: reader = JSONLRegistryReader(sink: sink)
        case .xml: reader = DiscardingReader()
        }
    }

    /// The newlines read (by a JSON Lines or CSV reader): a piece's share of the file's lines.
    var newlinesRead: Int {
        switch reader {
        case let csv as CSVRegistryReader: csv.newlinesRead
        case let jsonl as JSONLRegistryReader: jsonl.newlinesRead
        default: 0
        }
    }

    func feed(_ chunk: UnsafeRawBufferPointer) throws {
        if reader == nil {
            head.append(contentsOf: chunk)
            if head.count < InputPipeline.sniffLength { return }
            try start()
        } else {
            try pass(chunk, final: false)
        }
    }

    func finish() throws {
        if reader == nil { try start() }
        if let converter {
            converted.removeAll(keepingCapacity: true)
            converter.convert(UnsafeRawBufferPointer(start: nil, count: 0), final: true, into: &converted)
            try converted.withUnsafeBytes { try reader?.feed($0) }
            sink.addUndecodable(converter.invalidByteCount)
            if converter.invalidByteCount > 0 {
                let first = byteBase + (converter.invalidOffsets.first ?? 0)
                try sink.note(
                    RegistryIssue(
                        .warning, at: RecordLocation(file: sink.currentName, byteOffset: first), kind: nil,
                        "\(converter.invalidByteCount) byte(s) are not valid \(converter.encoding.rawValue) and were replaced by U+FFFD (first at byte \(first))"
                    ))
            }
        }
        try reader?.finish()
    }

    private func start() throws {
        let bytes = head
        head = []
        var body = bytes[...]
        var bomEncoding: TextEncoding?
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            body = bytes.dropFirst(3)
            bomEncoding = .utf8
        } else if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            sink.fatal(
                RegistryIssue(
                    .fatal, at: RecordLocation(file: sink.currentName, byteOffset: 0), kind: nil,
                    "UTF-16 input is not supported: convert it to UTF-8 or GB18030"))
            reader = DiscardingReader()
            return
        }
        let format = formatHint ?? InputPipeline.sniffFormat(body)
        var ignoreDeclaredEncoding = true
        let encoding: TextEncoding
        if let forced = sink.options.encoding ?? bomEncoding {
            encoding = forced
        } else if format == .xml {
            if let label = InputPipeline.declaredXMLEncoding(body) {
                if let known = TextEncoding(label: label) {
                    encoding = known
                } else {
                    // Another encoding libxml2 may know (Latin-1…): let it convert.
                    encoding = .utf8
                    ignoreDeclaredEncoding = false
                }
            } else {
                encoding = .utf8
            }
        } else {
            let valid = body.withUnsafeBytes { firstInvalidUTF8(in: $0, allowTruncatedEnd: true) == nil }
            encoding = valid ? .utf8 : .gb18030
        }
        converter = encoding == .utf8 ? nil : TextConverter(from: encoding)
        sink.setFormat(format, encoding: encoding)
        switch format {
        case .xml: reader = XMLRegistryReader(sink: sink, ignoreDeclaredEncoding: ignoreDeclaredEncoding, encoding: encoding)
        case .csv: reader = CSVRegistryReader(sink: sink)
        case .jsonl: reader = JSONLRegistryReader(sink: sink)
        }
        try Array(body).withUnsafeBytes { try pass($0, final: false) }
    }

    private func pass(_ bytes: UnsafeRawBufferPointer, final: Bool) throws {
        guard let reader else { return }
        if let converter {
            converted.removeAll(keepingCapacity: true)
            converter.convert(bytes, final: final, into: &converted)
            try converted.withUnsafeBytes { try reader.feed($0) }
        } else {
            try reader.feed(bytes)
        }
    }

    /// XML when the first non-space byte is `<`, JSON Lines when it is `{`, CSV otherwise.
    static func sniffFormat(_ bytes: ArraySlice<UInt8>) -> RegistryFormat {
        let first = bytes.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        switch first {
        case 0x3C: return .xml
        case 0x7B: return .jsonl
        default: return .csv
        }
    }

    /// The `encoding` of an XML declaration at the start of `bytes`, or nil.
    static func declaredXMLEncoding(_ bytes: ArraySlice<UInt8>) -> String? {
        let prefix = bytes.prefix(512)
        guard let declarationEnd = prefix.firstRange(of: Array("?>".utf8)) else { return nil }
        let declaration = String(decoding: prefix[prefix.startIndex..<declarationEnd.lowerBound], as: UTF8.self)
        guard declaration.hasPrefix("<?xml"), let key = declaration.range(of: "encoding") else { return nil }
        let rest = declaration[key.upperBound...].drop { $0 == " " || $0 == "=" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        return String(rest.dropFirst().prefix { $0 != quote })
    }
}

/// Reads nothing: the input was refused as a whole.
final class DiscardingReader: PushReader {
    func feed(_ bytes: UnsafeRawBufferPointer) {}
    func finish() {}
}
