import BeianTestSupport
import Foundation
import Testing

@testable import BeianCore

#if canImport(Glibc)
    import Glibc
#endif

/// Inputs read once (a FIFO, a shell's `<(…)`, standard input): what format detection reads
/// must reach the reader.
@Suite struct StreamInputTests {
    /// A FIFO with `bytes` written into it by another thread once a reader opens it.
    private func fifo(_ bytes: [UInt8]) throws -> String {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("input.fifo").path
        #expect(mkfifo(path, 0o600) == 0)
        Thread.detachNewThread {
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { return }
            bytes.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                var written = 0
                while written < buffer.count {
                    let result = write(descriptor, base + written, buffer.count - written)
                    if result <= 0 { break }
                    written += result
                }
            }
            close(descriptor)
        }
        return path
    }

    private func readAll(_ path: String) throws -> [UInt8] {
        try InputFile.open(path).readAll(limit: 1 << 24)
    }

    @Test func aFIFOIsDetectedThenReadWhole() throws {
        let capture: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1] + [UInt8](repeating: 7, count: 200_000)
        let path = try fifo(capture)
        #expect(InputFile.isStream(path))
        #expect(InputKind.detect(path: path) == .capture)
        #expect(try InputFile.magic(of: path, count: 4) == [0xD4, 0xC3, 0xB2, 0xA1])
        #expect(try readAll(path) == capture)
    }

    @Test func aCompressedFIFOIsDetectedOnItsContent() throws {
        let log = Array("#separator \\x09\n#path\tssl\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100_000)
        let compressed = try #require(Compression.compress(log))
        let path = try fifo(compressed)
        #expect(InputFile.head(of: path, count: 10) == Array(log.prefix(10)))
        #expect(InputKind.detect(path: path) == .log)
        #expect(try readAll(path) == log)
    }

    @Test func regularFilesAndFoldersAreNotStreams() throws {
        let directory = try Fixtures.temporaryDirectory()
        let file = directory.appendingPathComponent("a.log")
        try Data("x".utf8).write(to: file)
        #expect(!InputFile.isStream(file.path))
        #expect(!InputFile.isStream(directory.path))
        #expect(!InputFile.isStream(directory.appendingPathComponent("missing").path))
        #expect(InputFile.isStream("-"))
    }
}
