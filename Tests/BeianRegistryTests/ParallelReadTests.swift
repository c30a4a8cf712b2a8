import BeianCore
import BeianTestSupport
import Foundation
import Testing

@testable import BeianRegistry

/// Collects a piece's records; drops leave a hole that `records` skips.
final class CollectingConsumer: RegistryPieceConsumer, @unchecked Sendable {
    // @unchecked: used by one thread at a time (the reader's contract).
    var records: [(RegistryRecord, kind: RecordKind)] = []
    var ordinals: [RecordKind: Int] = [:]
    var dropped: Set<Int> = []
    var positions: [RecordKind: [Int]] = [:]

    func add(_ record: RegistryRecord) {
        let kind = record.kind
        positions[kind, default: []].append(records.count)
        records.append((record, kind))
    }

    func drop(_ kind: RecordKind, ordinal: Int) {
        if let position = positions[kind]?[ordinal] { dropped.insert(position) }
    }

    var kept: [RegistryRecord] { records.indices.filter { !dropped.contains($0) }.map { records[$0].0 } }
}

/// Reads `paths` in pieces of `pieceBytes` on `threads` threads; the records in commit order.
func readInPieces(_ paths: [String], threads: Int = 2, pieceBytes: Int64, options: RegistryReadOptions = RegistryReadOptions()) -> (
    records: [RegistryRecord], results: [Result<FileReport, RegistryError>]
) {
    let reader = RegistryReader(options: options)
    var records: [RegistryRecord] = []
    let results = reader.read(
        paths, threads: threads, pieceBytes: pieceBytes, makeConsumer: { CollectingConsumer() }, commit: { records += $0.kept })
    return (records, results)
}

@Suite struct ParallelReadTests {
    /// What a report says, with each issue's place, severity and kind (the text of duplicates
    /// found between pieces names the key, not its value).
    func summary(_ report: FileReport) -> [String] {
        ["\(report.format.map(\.rawValue) ?? "-") \(report.encoding.map(\.rawValue) ?? "-")"]
            + report.counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value.read) \($0.value.accepted)" }
            + report.issues.map { "\($0.location) \($0.severity.rawValue) \($0.kind?.rawValue ?? "-")" }
            + report.issueCounts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
    }

    @Test(arguments: ["jsonl", "csv", "xml"])
    func theSampleReadInPiecesIsTheSampleReadInOrder(format: String) throws {
        let files = try sampleFiles(format)
        let (records, reports) = try readAll(files)
        for pieceBytes: Int64 in [1 << 10, 7_777, 1 << 20] {
            for threads in [1, 2, 3] {
                let (pieced, results) = readInPieces(files, threads: threads, pieceBytes: pieceBytes)
                #expect(pieced == records, "\(format), pieces of \(pieceBytes) bytes, \(threads) threads")
                let piecedReports = try results.map { try $0.get() }
                #expect(piecedReports.map(summary) == reports.map(summary))
            }
        }
    }

    @Test func duplicatesAcrossPiecesAreFoundWhereAReadInOrderFindsThem() throws {
        // Sponsors whose numbers repeat near and far, a bad line, a GBK-free UTF-8 file.
        var lines: [String] = []
        var random = TestRandom(state: 11)
        for index in 0..<3_000 {
            let serial = index % 7 == 6 ? Int(random.next() % UInt64(max(index, 1))) : index
            let number = String(format: "浙ICP备%08d号", 20_000_000 + serial)
            if index == 1_500 {
                lines.append("{not json")
                continue
            }
            lines.append(
                #"{"kind":"sponsor","sponsor_id":\#(index + 1),"sponsor_number":"\#(number)","name":"单位\#(index)","nature":4,"province":33}"#
            )
        }
        let path = try temporaryFile("sponsors.jsonl", lines.joined(separator: "\n") + "\n")
        let (records, reports) = try readAll([path])
        let (pieced, results) = readInPieces([path], pieceBytes: 4_096)
        let report = try #require(try results.first?.get())
        #expect(pieced == records)
        #expect(summary(report) == summary(reports[0]))
        let duplicates = report.issues.filter { $0.reason.hasPrefix("duplicate") }
        #expect(duplicates.count > 100)
        // Each message names the line of the first record of that number.
        for issue in duplicates {
            let first = try #require(issue.reason.split(separator: " ").last.flatMap { Int($0.dropLast()) })
            let line = try #require(issue.location.line)
            #expect(first < line)
            #expect(lines[first - 1].contains(lines[line - 1].components(separatedBy: "sponsor_number")[1].prefix(20)))
        }
    }

    @Test func csvPiecesNeverStartInsideAQuotedField() throws {
        // Quoted names with line breaks, commas and doubled quotes, some long.
        var text = "site_id,sponsor_id,site_number,names,domains,homepage\n"
        var random = TestRandom(state: 5)
        for index in 0..<2_000 {
            let name: String
            switch random.next() % 4 {
            case 0: name = "\"站\(index)\n第二行\""
            case 1: name = "\"站\(index), \"\"引号\"\"\n\n\""
            case 2: name = "站\(index)"
            default: name = "\"\(String(repeating: "长\n", count: Int(random.next() % 300)))站\(index)\""
            }
            text += "\(index + 1),1,浙ICP备12345678号-\(index + 1),\(name),s\(index).example.com,\n"
        }
        let path = try temporaryFile("site.csv", text)
        let (records, reports) = try readAll([path])
        #expect(records.count > 900)
        for pieceBytes: Int64 in [512, 1_000, 4_096] {
            let (pieced, results) = readInPieces([path], pieceBytes: pieceBytes)
            #expect(pieced == records)
            #expect(try summary(#require(try results.first?.get())) == summary(reports[0]))
        }
        let starts = text.utf8.withContiguousStorageIfAvailable {
            RegistryReader.recordStarts(in: UnsafeRawBufferPointer($0), every: 700, quoted: true)
        }
        let bytes = Array(text.utf8)
        for start in try #require(starts).dropFirst() {
            // Every start is that of a row: its site id, then a comma.
            let field = bytes[start...].prefix { $0 != 0x2C }
            #expect(Int(String(decoding: field, as: UTF8.self)) != nil)
        }
        // Read in chunks of any size (a quote or `""` cut by a chunk's end), the same starts.
        for chunk in [1, 2, 3, 7, 64, 1_000] {
            let chunked = bytes.withUnsafeBytes { RegistryReader.recordStarts(in: $0, every: 700, quoted: true, chunk: chunk) }
            #expect(chunked == starts, "chunks of \(chunk) bytes")
        }
        #expect(starts?.count ?? 0 > 10)
        let lines = bytes.withUnsafeBytes { RegistryReader.recordStarts(in: $0, every: 700, quoted: false) }
        for chunk in [1, 5, 100] {
            #expect(bytes.withUnsafeBytes { RegistryReader.recordStarts(in: $0, every: 700, quoted: false, chunk: chunk) } == lines)
        }
        #expect(lines.dropFirst().allSatisfy { bytes[$0 - 1] == 0x0A })
    }

    @Test func aGBKFileIsReadInPiecesWithItsOwnEncoding() throws {
        var text = "sponsor_id,sponsor_number,name,nature,province\n"
        for index in 0..<2_000 { text += "\(index + 1),浙ICP备\(20_000_000 + index)号,杭州某某科技有限公司\(index),4,33\n" }
        let path = try temporaryFile("sponsor.csv", gbk(text))
        let (records, reports) = try readAll([path])
        let (pieced, results) = readInPieces([path], pieceBytes: 2_048)
        #expect(records.count == 2_000)
        #expect(pieced == records)
        let report = try #require(try results.first?.get())
        #expect(report.encoding == .gb18030)
        #expect(summary(report) == summary(reports[0]))
    }

    @Test func strictModeStopsAtTheFirstRefusedRecord() throws {
        let good = #"{"kind":"reporting_unit","unit_id":1,"unit_name":"甲"}"#
        let path = try temporaryFile("units.jsonl", ([good] + Array(repeating: "{bad", count: 3)).joined(separator: "\n") + "\n")
        let (_, results) = readInPieces([path, path], pieceBytes: 16, options: RegistryReadOptions(strict: true))
        #expect(results.count == 1)
        guard case .failure(let error) = results.first else {
            Issue.record("a strict read of a bad file succeeded")
            return
        }
        #expect(error.code == .strict)
    }
}
