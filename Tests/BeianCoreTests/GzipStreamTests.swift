import Foundation
import Testing

@testable import BeianCore

/// A gzip file is read member by member by libdeflate while members fit, then by zlib: what
/// comes out, the error at the end, its offset and where members start must be what zlib alone
/// gives, on whole, cut, corrupt and odd files, read in large or small pieces.
struct GzipStreamTests {
    struct Reading: Equatable {
        var bytes: [UInt8] = []
        var error: String?
        var fileOffset: Int64 = 0
        var memberStarts: [Int64?] = []
    }

    static func read(_ file: [UInt8], libdeflate: Bool, maximumMember: Int, piece: Int, starts: [Int64]) -> Reading {
        var reading = Reading()
        do {
            let stream = try GzipByteStream(
                source: BytesByteStream(name: "test.gz", bytes: file), maximumMember: maximumMember, libdeflate: libdeflate)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: piece, alignment: 16)
            defer { buffer.deallocate() }
            do {
                while true {
                    let count = try stream.read(into: buffer)
                    if count == 0 { break }
                    reading.bytes += buffer[..<count]
                }
            } catch {
                reading.error = "\(error)"
            }
            reading.fileOffset = stream.fileOffset
            reading.memberStarts = starts.map { stream.compressedOffset(ofMemberStartingAt: $0) }
        } catch {
            reading.error = "\(error)"
        }
        return reading
    }

    /// A file cut short gives every byte before the cut, then the error: a crawl or a capture
    /// whose writer died keeps what it wrote (the bytes of the last read were dropped).
    @Test func aCutFileKeepsWhatCameBeforeTheCut() throws {
        let text = Array(String(repeating: "WARC-Record 浙ICP备12345678号 ", count: 20_000).utf8)
        let whole = try #require(Compression.compress(text))
        let cut = Array(whole.prefix(whole.count / 2))
        for libdeflate in [false, true] {
            for piece in [1_000, 1 << 16, 1 << 22] {
                let reading = Self.read(cut, libdeflate: libdeflate, maximumMember: 1 << 20, piece: piece, starts: [])
                #expect(reading.error?.contains("ends before its end marker") == true)
                #expect(reading.bytes.count > text.count / 3, "libdeflate \(libdeflate), pieces of \(piece)")
                #expect(Array(text.prefix(reading.bytes.count)) == reading.bytes)
            }
        }
    }

    @Test func everyFileReadsAsZlibAloneReadsIt() throws {
        var members: [[UInt8]] = []
        var plain: [[UInt8]] = []
        for n in 0..<40 {
            let text = Array(String(repeating: "WARC-Record \(n) 浙ICP备12345678号 ", count: 1 + n * n * 3).utf8)
            plain.append(text)
            members.append(try #require(Compression.compress(text)))
        }
        let whole = members.flatMap { $0 }
        var starts: [Int64] = [0]
        for text in plain { starts.append(starts[starts.count - 1] + Int64(text.count)) }
        var corrupt = whole
        corrupt[members[0].count + members[1].count + members[2].count / 2] ^= 0x55
        let files: [(String, [UInt8])] = [
            ("whole", whole), ("cut in the last member", Array(whole.dropLast(7))),
            ("cut in a header", Array(whole.prefix(members[0].count + 5))),
            ("bytes after the last member", whole + Array("trailing".utf8)), ("zeros after", whole + [0, 0, 0, 0]),
            ("a corrupt member", corrupt), ("empty", []), ("not gzip", Array("plain text, not gzip".utf8)),
            ("an empty member", try #require(Compression.compress([]))), ("one member", members[39]),
        ]
        for (name, file) in files {
            for maximumMember in [256, 4_096, 1 << 20] {
                for piece in [1_000, 1 << 16] {
                    let zlib = Self.read(file, libdeflate: false, maximumMember: maximumMember, piece: piece, starts: starts)
                    let fast = Self.read(file, libdeflate: true, maximumMember: maximumMember, piece: piece, starts: starts)
                    #expect(fast.bytes == zlib.bytes, "\(name), members up to \(maximumMember), pieces of \(piece)")
                    #expect(fast.error == zlib.error, "\(name), members up to \(maximumMember), pieces of \(piece)")
                    #expect(fast.fileOffset == zlib.fileOffset, "\(name), members up to \(maximumMember), pieces of \(piece)")
                    #expect(fast.memberStarts == zlib.memberStarts, "\(name), members up to \(maximumMember), pieces of \(piece)")
                }
            }
        }
        // A file whose first bytes were looked at (as `InputFile.open` does to see the magic).
        let path = NSTemporaryDirectory() + "beian-gzip-\(getpid()).gz"
        try Data(whole).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var offsets: [[Int64?]] = []
        for libdeflate in [false, true] {
            let file = try FileByteStream(path: path)
            _ = try file.peek(2)
            let stream = try GzipByteStream(source: file, libdeflate: libdeflate)
            _ = try stream.readAll(limit: 1 << 30)
            offsets.append(starts.map { stream.compressedOffset(ofMemberStartingAt: $0) })
        }
        #expect(offsets[0] == offsets[1])
        #expect(offsets[1][1] == Int64(members[0].count))
        let read = Self.read(whole, libdeflate: true, maximumMember: 1 << 20, piece: 1 << 16, starts: starts)
        #expect(read.bytes == plain.flatMap { $0 } && read.error == nil)
        #expect(read.memberStarts.compactMap { $0 }.count == 41)
    }
}
