import BeianTestSupport
import Foundation
import Testing

@testable import BeianCore

/// Outputs are whole or absent under their names.
@Suite struct AtomicOutputTests {
    @Test func theFileTakesItsNameOnlyWhenCommitted() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("out.jsonl").path
        try Data("previous\n".utf8).write(to: URL(fileURLWithPath: path))
        let output = try AtomicOutput(path: path)
        try output.write(Array("new\n".utf8))
        // Until the commit the previous file is there, the new one under its temporary name.
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "previous\n")
        let temporary = try #require(output.temporaryPath)
        #expect(FileManager.default.fileExists(atPath: temporary))
        try output.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        #expect(!FileManager.default.fileExists(atPath: temporary))
        #expect(output.bytesWritten == 4)
    }

    @Test func anAbandonedOutputLeavesThePreviousFile() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("out.jsonl").path
        try Data("previous\n".utf8).write(to: URL(fileURLWithPath: path))
        var temporary: String?
        do {
            let output = try AtomicOutput(path: path)
            temporary = output.temporaryPath
            try output.write(Array("half".utf8))
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "previous\n")
        #expect(try !FileManager.default.fileExists(atPath: #require(temporary)))
    }

    /// `-o /dev/null` (and a FIFO, a shell's `>(…)`) is written in place: renaming over it
    /// replaced the device with a file (it happened, in the fault tests).
    @Test func devicesAndPipesAreWrittenInPlaceNeverReplaced() throws {
        let output = try AtomicOutput(path: "/dev/null")
        #expect(output.temporaryPath == nil && !output.isStandardOutput)
        try output.write(Array("discarded\n".utf8))
        try output.commit()
        #expect(try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType == .typeCharacterSpecial)

        let fifo = try Fixtures.temporaryDirectory().appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // The reader on a thread of its own (opening a FIFO blocks until both ends are open).
        let received = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var text: String?
        DispatchQueue.global().async {
            if let handle = FileHandle(forReadingAtPath: fifo), let data = try? handle.readToEnd() {
                text = String(decoding: data, as: UTF8.self)
            }
            received.signal()
        }
        try AtomicOutput.write(Array("through the pipe\n".utf8), to: fifo)
        received.wait()
        #expect(text == "through the pipe\n")
        #expect(AtomicOutput.isSpecialFile(fifo))  // still the pipe, not a file renamed over it
    }

    @Test func aMissingFolderIsAClearError() throws {
        let error = #expect(throws: OutputError.self) { try AtomicOutput(path: "/nonexistent-folder/out") }
        #expect(error?.description.contains("cannot create /nonexistent-folder/out.partial-") == true)
        #expect(error?.code == ENOENT)
    }
}

/// Parsed times reach the year 9999; observations count nanoseconds in 64 bits (to 2262).
@Suite struct TimestampRangeTests {
    @Test func nanosecondsSaturateInsteadOfTrapping() throws {
        let far = try Timestamp.parse("9999-12-31T00:00:00Z")
        #expect(!far.fitsNanoseconds)
        #expect(far.nanosecondsSince1970 == .max)
        let early = try Timestamp.parse("0001-01-01T00:00:00Z")
        #expect(early.nanosecondsSince1970 == .min)
        let now = try Timestamp.parse("2026-03-01T00:00:00Z")
        #expect(now.fitsNanoseconds && now.nanosecondsSince1970 == now.secondsSince1970 * 1_000_000_000)
    }
}
