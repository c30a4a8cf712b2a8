import BeianCore
import BeianRegistry
import BeianTestSupport
import Foundation
import Testing

@testable import BeianIndex

@Suite struct ParallelBuildTests {
    func options() -> IndexBuildOptions {
        var options = IndexBuildOptions()
        options.identifierKey = Array(repeating: 7, count: 32)
        options.buildTime = Timestamp(secondsSince1970: 1_780_000_000)
        return options
    }

    /// The snapshot of `files` read one record after the other into the builder.
    func buildInOrder(_ files: [String]) throws -> Data {
        let builder = IndexBuilder(options: options())
        let reader = RegistryReader()
        for file in files { _ = try reader.read(file) { builder.add($0) } }
        let path = try Fixtures.temporaryDirectory("beian-index").appendingPathComponent("in-order.beianidx").path
        try builder.write(to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// The snapshot of `files` read in pieces on `threads` threads, staged in parts.
    func buildInPieces(_ files: [String], threads: Int, pieceBytes: Int64) throws -> Data {
        let builder = IndexBuilder(options: options())
        let results = RegistryReader().read(
            files, threads: threads, pieceBytes: pieceBytes, makeConsumer: { builder.makePart() }, commit: { builder.absorb($0) })
        for result in results { _ = try result.get() }
        let path = try Fixtures.temporaryDirectory("beian-index").appendingPathComponent("pieces.beianidx").path
        try builder.write(to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test(arguments: ["jsonl", "csv", "xml"])
    func theSnapshotIsTheSameHoweverTheExportsAreRead(format: String) throws {
        let files = try sampleRegistry(format)
        let inOrder = try buildInOrder(files)
        for (threads, pieceBytes) in [(1, Int64(1 << 10)), (2, 1 << 10), (2, 5_000), (3, 1 << 30)] {
            let pieced = try buildInPieces(files, threads: threads, pieceBytes: pieceBytes)
            #expect(pieced == inOrder, "\(format): \(threads) threads, pieces of \(pieceBytes) bytes")
        }
    }

    @Test func aDuplicateInALaterPieceIsLeftOutOfTheIndex() throws {
        // A site filed twice under one number, far apart: the second (another domain) must
        // not reach the index, as in a read in order.
        var lines = [
            #"{"kind":"reporting_unit","unit_id":10,"unit_name":"甲接入商","unit_class":1,"province":33,"valid":true}"#,
            #"{"kind":"sponsor","sponsor_id":1,"sponsor_number":"浙ICP备12345678号","name":"甲公司","nature":4,"province":33}"#,
            #"{"kind":"site","site_id":1,"sponsor_id":1,"site_number":"浙ICP备12345678号-1","names":["甲网"],"domains":["first.cn"]}"#,
        ]
        for index in 0..<500 {
            lines.append(
                #"{"kind":"site","site_id":\#(index + 2),"sponsor_id":1,"site_number":"浙ICP备12345678号-\#(index + 2)","names":["站"],"domains":["s\#(index).cn"]}"#
            )
        }
        lines.append(
            #"{"kind":"site","site_id":9999,"sponsor_id":1,"site_number":"浙ICP备12345678号-1","names":["乙网"],"domains":["second.cn"]}"#)
        let directory = try Fixtures.temporaryDirectory("beian-index")
        let file = directory.appendingPathComponent("registry.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        let inOrder = try buildInOrder([file.path])
        let pieced = try buildInPieces([file.path], threads: 2, pieceBytes: 2_048)
        // The same tables; only the dropped record's text stays behind in the string pool.
        var indexes: [RegistryIndex] = []
        for (name, bytes) in [("in-order", inOrder), ("pieces", pieced)] {
            let path = directory.appendingPathComponent("\(name).beianidx").path
            try bytes.write(to: URL(fileURLWithPath: path))
            indexes.append(try RegistryIndex(path: path))
        }
        #expect(indexes[0].counts == indexes[1].counts)
        #expect(indexes[1].counts["sites"] == 501)
        #expect(pieced.count - inOrder.count == "浙ICP备12345678号-1乙网second.cn".utf8.count)
        for index in indexes {
            let first = index.filedSites(forHost: try DomainName("first.cn"))
            #expect(first.sites.count == 1)
            #expect(first.sites.first.map { index.numbers(ofSite: Int($0)).site } == "浙ICP备12345678号-1")
            #expect(index.filedSites(forHost: try DomainName("second.cn")).sites.isEmpty)
        }
    }
}
