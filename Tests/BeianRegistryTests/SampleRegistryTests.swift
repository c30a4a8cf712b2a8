import BeianCore
import BeianRegistry
import BeianTestSupport
import Foundation
import Testing

@Suite struct SampleRegistryTests {
    @Test func threeFormatsLoadToIdenticalRecords() throws {
        let xml = try readAll(try sampleFiles("xml"))
        let csv = try readAll(try sampleFiles("csv"))
        let jsonl = try readAll(try sampleFiles("jsonl"))
        for result in [xml, csv, jsonl] {
            #expect(result.reports.allSatisfy { $0.total.rejected == 0 && $0.fatal == nil && $0.countsAddUp })
        }
        #expect(xml.records.count == csv.records.count)
        #expect(xml.records.count == jsonl.records.count)
        #expect(difference(xml.records, csv.records) == nil)
        #expect(difference(xml.records, jsonl.records) == nil)
        // The sample is the size the issue asks for.
        let kinds = Dictionary(grouping: xml.records, by: \.kind).mapValues(\.count)
        #expect(kinds[.sponsor, default: 0] >= 250)
        #expect(kinds[.site, default: 0] >= 400)
        #expect(kinds[.ipAllocation, default: 0] >= 150)
        let domains = xml.records.reduce(0) { count, record in
            if case .site(let site) = record { return count + site.domains.count }
            return count
        }
        #expect(domains >= 700)
        #expect(xml.reports.map(\.encoding) == [.utf8, .gb18030, .gb18030])
    }

    @Test func sampleHasIDNsComCnStyleNamesAndNestedAllocations() throws {
        let records = try readAll(try sampleFiles("xml")).records
        let domains = records.flatMap { record -> [DomainName] in
            if case .site(let site) = record { return site.domains }
            return []
        }
        #expect(domains.contains { $0.ascii.hasSuffix(".xn--fiqs8s") })
        #expect(domains.contains { $0.ascii.hasSuffix(".com.cn") })
        #expect(domains.contains { $0.ascii.hasSuffix(".zj.cn") })
        let allocations = records.compactMap { record -> IPAllocation? in
            if case .ipAllocation(let allocation) = record { return allocation }
            return nil
        }
        // Three levels: operator → access provider → reseller → customer.
        let modes = Set(allocations.map(\.mode))
        #expect(modes == Set(AllocationMode.allCases))
        let resold = allocations.filter { $0.mode == .reallocated && $0.unitID >= 100 && $0.unitID < 200 }
        #expect(!resold.isEmpty)
        for parent in resold {
            #expect(allocations.contains { $0.unitID == parent.targetUnitID && parent.range.contains($0.range) })
        }
        #expect(allocations.contains { $0.range.family == .v6 })
    }

    @Test func roundTripXMLToJSONLToCSVIsLossless() throws {
        let original = try readAll(try sampleFiles("xml")).records
        let directory = try Fixtures.temporaryDirectory("beian-roundtrip")
        // XML → JSON Lines.
        var jsonl = ""
        let jsonWriter = RegistryWriter(format: .jsonl, includePersonal: true) { jsonl += $0 }
        for record in original { try jsonWriter.write(record) }
        let jsonPath = directory.appendingPathComponent("all.jsonl").path
        try jsonl.write(toFile: jsonPath, atomically: true, encoding: .utf8)
        let fromJSON = try readAll([jsonPath])
        #expect(fromJSON.reports[0].total.rejected == 0)
        // JSON Lines → CSV, one file per kind.
        var csvTexts: [RecordKind: String] = [:]
        var writers: [RecordKind: RegistryWriter] = [:]
        for record in fromJSON.records {
            let kind = record.kind
            if writers[kind] == nil {
                writers[kind] = RegistryWriter(format: .csv, includePersonal: true) { csvTexts[kind, default: ""] += $0 }
            }
            try writers[kind]?.write(record)
        }
        var csvPaths: [String] = []
        for (kind, text) in csvTexts {
            let path = directory.appendingPathComponent("\(kind.rawValue).csv").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            csvPaths.append(path)
        }
        let fromCSV = try readAll(csvPaths.sorted())
        #expect(fromCSV.reports.allSatisfy { $0.total.rejected == 0 })
        #expect(fromCSV.records.count == original.count)
        #expect(difference(fromCSV.records, original) == nil)
    }

    @Test func personalDataIsLeftOutUnlessAsked() throws {
        let original = try readAll(try sampleFiles("xml")).records
        var text = ""
        let writer = RegistryWriter(format: .jsonl) { text += $0 }
        for record in original { try writer.write(record) }
        let sponsors = original.compactMap { record -> Sponsor? in
            if case .sponsor(let sponsor) = record { return sponsor }
            return nil
        }
        let idNumber = try #require(sponsors.first?.idNumber?.revealed)
        #expect(!text.contains(idNumber))
        #expect(!text.contains("\"id_number\""))
        #expect(!text.contains("\"phone\""))
        #expect(text.contains("\"sponsor_number\""))
    }
}
