public import BeianCore
public import BeianRegistry
internal import CBeianKernels
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How an index is built.
public struct IndexBuildOptions: Sendable {
    /// Which sections of the Public Suffix List count (see `PublicSuffixList.Policy`).
    public var suffixPolicy: PublicSuffixList.Policy = .icann
    /// A Public Suffix List file; the system's when nil.
    public var suffixListPath: String?
    /// The key of the keyed hash of sponsor ID numbers (at least 32 bytes). Without one, a
    /// random key is drawn for this build: ID hashes then match only within it.
    public var identifierKey: [UInt8]?
    /// When the build happens (for reproducible tests).
    public var buildTime: Timestamp?

    public init() {}
}

/// What a build saw, for `index stats` and the build report.
public struct IndexBuildReport: Sendable {
    public var counts: [String: Int] = [:]
    /// References that lead nowhere (a site of an unknown sponsor, a cancellation of an
    /// unknown record, an access record of an unknown provider…), by what was referenced.
    public var unresolved: [String: Int] = [:]
    public var sources: [(path: String, bytes: Int64, digest: String)] = []
}

/// Where an input of a build came from: its size and the SHA-256 of its bytes.
public struct IndexSource: Sendable {
    public var path: String
    public var bytes: Int64
    public var digest: String

    /// Reads the file at `path` through; nil when it cannot be read.
    public init?(path: String) {
        guard let stream = try? InputFile.open(path) else { return nil }
        var bytes: Int64 = 0
        var digest = SHA256()
        do {
            try stream.forEachChunk { chunk in
                bytes += Int64(chunk.count)
                digest.update(bufferPointer: chunk)
            }
        } catch {
            return nil
        }
        self.path = path
        self.bytes = bytes
        self.digest = "sha256:" + digest.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Collects registry records, then writes the snapshot.
///
/// Records arrive in any order and from any number of files, and are staged as they come
/// (`StagedRecords`: fixed-size rows, their text already in the string pool); links (site →
/// sponsor, access → site, unit ids) are resolved at `write`, when everything is there. To
/// read on several threads, stage each piece of the input in a part (`makePart`) and hand the
/// parts over in input order (`absorb`).
public final class IndexBuilder {
    public let options: IndexBuildOptions
    var records = StagedRecords()
    /// The public suffix list of `options`, or why it could not be loaded (`write` says so).
    let suffixes: PublicSuffixList
    private let suffixError: IndexError?
    /// The key of the ID number hashes written to the snapshot (drawn once per build without
    /// one in `options`).
    let identifierKey: SymmetricKey

    /// A domain registration's key: a 128-bit hash of the domain (a national export is ten
    /// million registrations: their strings held to the end cost gigabytes).
    struct RegistrationKey: Hashable {
        let low: UInt64
        let high: UInt64

        init(_ domain: DomainName) {
            var ascii = domain.ascii
            self = ascii.withUTF8 { RegistrationKey(ascii: UnsafeRawBufferPointer($0)) }
        }

        init(ascii bytes: UnsafeRawBufferPointer) {
            low = XXHash64.hash(bytes)
            high = XXHash64.hash(bytes, seed: 0x9E37_79B9_7F4A_7C15)
        }
    }

    /// The hash a name is compared by (after `normalisedName`).
    static func nameHash(_ name: String) -> UInt64 {
        Array(normalisedName(name).utf8).withUnsafeBytes { XXHash64.hash($0) }
    }

    /// The hash an ID number is compared by in memory (after `normalisedIdentifier`).
    static func identifierHash(_ id: String) -> UInt64 {
        Array(normalisedIdentifier(id).utf8).withUnsafeBytes { XXHash64.hash($0) }
    }

    public internal(set) var report = IndexBuildReport()
    /// Called as `write` goes from one stage to the next (a progress line shows it).
    public var stage: ((String) -> Void)?

    public init(options: IndexBuildOptions = IndexBuildOptions()) {
        self.options = options
        do {
            suffixes = try PublicSuffixList.load(path: options.suffixListPath, policy: options.suffixPolicy)
            suffixError = nil
        } catch {
            suffixes = PublicSuffixList(text: "")
            suffixError = IndexError(.invalidInput, error.reason)
        }
        identifierKey = SymmetricKey(data: options.identifierKey ?? Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
    }

    /// Takes one record from a reader.
    public func add(_ record: RegistryRecord) {
        records.add(record, suffixes: suffixes)
    }

    /// A part to stage records in on another thread.
    public func makePart() -> IndexBuilderPart {
        IndexBuilderPart(suffixes: suffixes)
    }

    /// Takes the records of `part` after those already here.
    public func absorb(_ part: IndexBuilderPart) {
        let (staged, dropped) = part.take()
        records.absorb(staged, dropping: dropped)
    }

    /// Records where an input came from (size and a digest of its bytes), for provenance.
    public func noteSource(path: String) {
        if let source = IndexSource(path: path) { noteSource(source) }
    }

    /// Records where an input came from.
    public func noteSource(_ source: IndexSource) {
        report.sources.append((source.path, source.bytes, source.digest))
    }

    /// Counts a reference that leads nowhere.
    func unresolved(_ what: String) {
        report.unresolved[what, default: 0] += 1
    }

    /// Builds every table and writes the snapshot to `path`: the code tables, the filings
    /// (sponsors, sites, access records, domains) with their cancellations and blacklist
    /// flags, the IP filing records and their chains, the blacklists, the public suffix
    /// rules — each a stage below — then the sections.
    @discardableResult
    public func write(to path: String) throws -> IndexBuildReport {
        let buildTime = options.buildTime ?? .now
        if let suffixError { throw suffixError }
        var pool = records.pool
        records.pool = StringPoolBuilder()
        let writer = try SnapshotWriter(path: path)

        // The registrations are put in a table on another core while this one makes the code
        // tables and the sponsors.
        let registrationBuild = BackgroundWork(taking: &records.registrations, leaving: []) { RegistrationTable($0) }
        stage?("code tables and sponsors")
        let units = unitTable(&pool)
        var cancelled = cancellationTimes()
        var sponsors = sponsorTables(cancelled: &cancelled)
        stage?("sites, access records and domains")
        var filings = filingTables(pool, units: units, sponsors: sponsors, registrations: registrationBuild.wait(), cancelled: &cancelled)
        report.unresolved["cancelled sponsor not in the filings", default: 0] += cancelled.sponsors.count
        report.unresolved["cancelled site not in the filings", default: 0] += cancelled.sites.count
        report.unresolved["cancelled access record not in the filings", default: 0] += cancelled.access.count
        // The domain table is sorted and laid out on another core while this one builds the
        // address tables.
        let domainBuild = BackgroundWork(taking: &filings.domains, leaving: NameTableBuilder()) { builder in builder.build() }
        // The rows are final: written now and freed, while the domain table is made.
        var counts: [String: Int] = [
            "reporting units": units.rows.count, "sponsors": sponsors.rows.count, "sites": filings.siteRows.count,
            "access records": filings.accessRows.count, "filed ranges": filings.accessRanges.count,
            "filed domains": filings.siteDomainRows.count, "domain registrations": filings.registrationCount,
            "sites reached by address": filings.bareAddressSites.count,
        ]
        writer.add(Sections.units, array: units.rows)
        writer.add(Sections.sponsors, array: sponsors.rows)
        writer.add(Sections.sites, array: filings.siteRows)
        writer.add(Sections.access, array: filings.accessRows)
        writer.add(Sections.accessRanges, array: filings.accessRanges)
        writer.add(Sections.siteDomains, array: filings.siteDomainRows)
        sponsors.rows = []
        sponsors.nameHashes = []
        filings.siteRows = []
        filings.accessRows = []
        filings.accessRanges = []
        filings.siteDomainRows = []
        stage?("IP filings and address tables")
        let ip = ipTables(&pool, units: units)
        let filed = AddressTables(filings.filedRanges, precedes: <)
        let bare = AddressTables(filings.bareAddressSites, precedes: <)
        filings.filedRanges = []
        var lists = blacklistTables(&pool, units: units)
        let illegal = AddressTables(lists.illegalRanges, precedes: <)
        var rules = Self.suffixRuleTable(suffixes)

        // Tables into sections.
        stage?("the domain table")
        var domainTable = domainBuild.wait()
        stage?("writing sections")
        writer.addNames("D", domainTable)
        let filedNameCount = domainTable.flagCounts[0]
        let independentCount = domainTable.flagCounts[2]
        domainTable = BuiltNameTable()
        writer.addNames("B", lists.blacklistTable.build())
        writer.addNames("S", sponsors.names.build())
        writer.addNames("K", sponsors.identifiers.build())
        writer.addNames("L", lists.illegalDomains.build())
        writer.addNames("P", rules.build())
        writer.addTable("I", ip.tables)
        writer.addTable("F", filed)
        writer.addTable("H", bare)
        writer.addTable("L", illegal)
        writer.add(Sections.ipRecords, array: ip.rows)
        writer.add(Sections.illegalAccess, array: lists.illegalRows)

        counts.merge(
            [
                "filed domain names": filedNameCount, "independent domains": independentCount,
                "IP filing records": ip.rows.count, "IP chains": ip.tables.chains.chainCount,
                "IPv4 intervals": ip.tables.table.v4Values.count,
                "IPv6 intervals": ip.tables.table.v6Values.count,
                "blacklisted sponsor names": sponsors.blacklistedNames, "blacklisted sponsor IDs": sponsors.blacklistedIdentifiers,
                "blacklisted domains": lists.blacklistedDomains, "illegal-access entries": lists.illegalRows.count,
                "public suffix rules": suffixes.ruleCount,
                "unfiled-list entries (not indexed)": records.unfiledEntries, "provinces": records.provinces.count,
            ], uniquingKeysWith: { $1 })
        report.counts = counts
        report.unresolved = report.unresolved.filter { $0.value > 0 }
        let info = IndexInfo(
            formatVersion: Int(SnapshotFormat.version), buildTime: buildTime.iso8601, suffixPolicy: options.suffixPolicy.rawValue,
            suffixRules: suffixes.ruleCount, identifierKey: options.identifierKey == nil ? "random per build" : "given",
            counts: report.counts, unresolved: report.unresolved,
            sources: report.sources.map { IndexInfo.Source(path: $0.path, bytes: $0.bytes, digest: $0.digest) })
        writer.add(Sections.info, bytes: info.json)
        writer.add(Sections.strings, bytes: pool.bytes)
        try writer.finish(buildTime: buildTime)
        return report
    }

    /// Tunes the C allocator of this process for a large build: memory freed by one stage is
    /// kept for the next instead of being returned to the kernel and faulted in again, zeroed,
    /// page by page (which costs a national build a third of its time). Process-wide: for
    /// commands whose whole job is the build.
    public static func tuneAllocatorForLargeBuilds() {
        beian_tune_allocator_for_large_builds()
    }

    /// Names compared across sources (sponsor blacklist, registrants): NFKC, no spaces,
    /// Latin letters folded to lowercase.
    static func normalisedName(_ name: String) -> String {
        // Most names are ASCII and CJK unified ideographs, which NFKC leaves as they are:
        // dropping ASCII whitespace and lowering A–Z is then the whole normalisation
        // (NFKC of ten million registrants' names took a national build a minute).
        var plain = true
        for scalar in name.unicodeScalars {
            let value = scalar.value
            if value >= 0x80 && !(0x4E00...0x9FFF).contains(value) && !(0x3400...0x4DBF).contains(value) {
                plain = false
                break
            }
        }
        guard plain else { return name.precomposedStringWithCompatibilityMapping.filter { !$0.isWhitespace }.lowercased() }
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar.value {
            case 0x09...0x0D, 0x20: continue
            case 0x41...0x5A: scalars.append(Unicode.Scalar(scalar.value + 0x20) ?? scalar)
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// An ID number as compared: NFKC, no spaces, uppercase.
    static func normalisedIdentifier(_ id: String) -> String {
        if id.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(String.UnicodeScalarView(id.unicodeScalars.filter { !($0.value == 0x20 || (0x09...0x0D).contains($0.value)) }))
                .uppercased()
        }
        return id.precomposedStringWithCompatibilityMapping.filter { !$0.isWhitespace }.uppercased()
    }

    /// The keyed hash of an ID number: HMAC-SHA-256 of its normalised form, hex.
    static func identifierDigest(_ id: String, key: SymmetricKey) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(normalisedIdentifier(id).utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }

    /// The address a URL's host is, when it is one (`http://1.2.3.4:8080/`).
    static func address(inURL url: String) -> IPAddress? {
        // On the UTF-8 bytes: homepages are often internationalised names, whose characters
        // cost a grapheme walk each.
        let bytes = Array(url.utf8)
        var start = 0
        if let scheme = bytes.firstRange(of: [0x3A, 0x2F, 0x2F]) { start = scheme.upperBound }
        var end = start
        while end < bytes.count && bytes[end] != 0x2F && bytes[end] != 0x3F && bytes[end] != 0x23 { end += 1 }
        if let at = bytes[start..<end].lastIndex(of: 0x40) { start = at + 1 }
        var host = bytes[start..<end]
        if host.first == 0x5B {
            host = host.dropFirst().prefix { $0 != 0x5D }
        } else if host.count(where: { $0 == 0x3A }) == 1, let colon = host.firstIndex(of: 0x3A) {
            host = host[..<colon]
        }
        // Most homepages are at a name: a letter no address form has rules it out without a parse.
        if host.contains(where: { ($0 >= 0x67 && $0 <= 0x7A && $0 != 0x78) || ($0 >= 0x47 && $0 <= 0x5A && $0 != 0x58) || $0 >= 0x80 }) {
            return nil
        }
        guard case .address(let address)? = try? Host.parse(String(decoding: host, as: UTF8.self)) else { return nil }
        return address
    }
}

/// The `INFO` section: how the index was built (JSON).
struct IndexInfo: Codable {
    struct Source: Codable {
        var path: String
        var bytes: Int64
        var digest: String
    }

    var formatVersion: Int
    var buildTime: String
    var suffixPolicy: String
    var suffixRules: Int
    var identifierKey: String
    var counts: [String: Int]
    var unresolved: [String: Int]
    var sources: [Source]
}

/// Work handed to another thread with its input, whose result the caller collects later.
final class BackgroundWork<Input, Output>: @unchecked Sendable {
    // @unchecked: `input` is read only by the worker, `output` written only by it, and read by
    // `wait()` only after the semaphore orders the two.
    private var input: Input?
    private var output: Output?
    private let done = DispatchSemaphore(value: 0)

    /// Runs `work` on the value of `input`, which is moved out (`empty` takes its place), so
    /// that `work` mutates it in place instead of copying it.
    init(taking input: inout Input, leaving empty: Input, _ work: @escaping (inout Input) -> Output) {
        self.input = input
        input = empty
        let box = UncheckedSendable(work)
        DispatchQueue.global().async {
            if var value = self.input {
                self.input = nil
                self.output = box.value(&value)
            }
            self.done.signal()
        }
    }

    /// The result, once the work is done.
    func wait() -> Output {
        done.wait()
        guard let output else { preconditionFailure("background work produced nothing") }
        return output
    }
}
