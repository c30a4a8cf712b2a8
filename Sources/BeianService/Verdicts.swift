public import BeianCore
public import BeianGeo
public import BeianIndex
import BeianScan

/// The answers of `POST /v1/check`: one line in — a host, an address, or a host and an address
/// (JSON `{"host":…}`, `{"address":…}`, `{"host":…,"address":…}`, or one or two words separated
/// by spaces) — one JSON line out, in order (docs/service.md).
///
/// - a host: the filing system's answer as `GET /v1/hosts/{host}` gives it, in short — filed
///   or not (`bazt`), sponsor and site number, site name, independent domain, blacklists;
/// - an address: in the filed address space or not, the responsible access provider, the
///   illegal-access list;
/// - a pair: the judge's verdict — the kinds of finding a sighting of that host on that
///   address would make or add to, as the filings stood at the batch's time.
///
/// A host that is not a name or an address that is not an address gets a line with an
/// `error`; a line that cannot be read at all (not JSON, neither key, three words) makes the
/// whole batch a 400, found by `Verdicts.check` before anything is answered.
public struct Verdicts {
    public let index: RegistryIndex
    public let time: Timestamp
    private var judge: Judge
    private var object = FlatJSONObject()
    public private(set) var out = JSONWriter(capacity: 1 << 16)
    /// Lines answered, and those among them that got an error.
    public private(set) var answered = 0
    public private(set) var errors = 0

    /// Longest line taken.
    public static let maximumLineLength = 4096

    public init(index: RegistryIndex, geo: GeoDatabase?, at time: Timestamp) {
        self.index = index
        self.time = time
        judge = Judge(index: index, geo: geo)
        judge.tracksChanges = true
    }

    /// Why a line of a batch cannot be read.
    public struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }

        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    /// The host and address texts of one line (either may be missing, not both), or why the
    /// line cannot be read.
    struct Question {
        var host: UnsafeRawBufferPointer?
        var address: UnsafeRawBufferPointer?
    }

    /// Reads one line (without its newline). `object` is scratch space for JSON; the answer's
    /// buffers point into `line` or into `object.scratch`, valid until `object` is used again.
    static func read(_ line: UnsafeRawBufferPointer, object: inout FlatJSONObject, scratch: UnsafeMutableRawBufferPointer)
        -> Result<Question, Failure>
    {
        guard line.count <= maximumLineLength else { return .failure(Failure("line longer than \(maximumLineLength) bytes")) }
        var question = Question()
        if line.first == UInt8(ascii: "{") {
            if let problem = object.parse(line) { return .failure(Failure("not a JSON object: \(problem)")) }
            // The unescaped texts are copied to `scratch` (a line's worth), which outlives `object`'s next parse.
            var used = 0
            for member in object.members {
                let key = object.scratch[member.key]
                let isHost = key.elementsEqual("host".utf8)
                guard isHost || key.elementsEqual("address".utf8) else { continue }
                guard member.values.count == 1, let value = member.values.first.map({ object.values[$0] }) else {
                    return .failure(Failure("\"\(isHost ? "host" : "address")\" is not one string"))
                }
                let start = used
                for byte in object.scratch[value] {
                    scratch[used] = byte
                    used += 1
                }
                let text = UnsafeRawBufferPointer(rebasing: scratch[start..<used])
                if isHost { question.host = text } else { question.address = text }
            }
        } else {
            var words: [Range<Int>] = []
            var i = 0
            while i < line.count {
                while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
                let start = i
                while i < line.count && line[i] != 0x20 && line[i] != 0x09 { i += 1 }
                if i > start { words.append(start..<i) }
            }
            guard words.count <= 2 else { return .failure(Failure("expected a host, an address, or both; found \(words.count) words")) }
            for word in words {
                let text = UnsafeRawBufferPointer(rebasing: line[word])
                if looksLikeAddress(text) { question.address = text } else { question.host = text }
            }
        }
        guard question.host != nil || question.address != nil else { return .failure(Failure("neither a host nor an address")) }
        return .success(question)
    }

    /// A word is taken for an address when it has a colon or only digits and dots.
    private static func looksLikeAddress(_ word: UnsafeRawBufferPointer) -> Bool {
        word.contains(UInt8(ascii: ":")) || word.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
    }

    struct Failure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// A checked batch: its lines (blank ones not counted) cut into segments of whole lines that
    /// can be answered independently, in parallel, and written out in order.
    public struct Batch: Sendable, Equatable {
        public var lines = 0
        public var segments: [Segment] = []

        public init() {}
    }

    /// Bytes `range` of the body, whose first line is line `firstLine` (from 1).
    public struct Segment: Sendable, Equatable {
        public var range: Range<Int>
        public var firstLine: Int
    }

    /// Checks that every line of `body` can be read and counts them (blank lines are skipped),
    /// cutting the body every `segmentLines` lines; the first line that cannot be read (numbered
    /// from 1), or the line past `maximumLines`.
    public static func check(_ body: UnsafeRawBufferPointer, segmentLines: Int = 16_384, maximumLines: Int = .max)
        -> Result<Batch, LineError>
    {
        var object = FlatJSONObject()
        var batch = Batch()
        var failure: LineError?
        var segmentStart = 0
        var segmentFirst = 1
        var inSegment = 0
        withUnsafeTemporaryAllocation(byteCount: maximumLineLength, alignment: 1) { scratch in
            var number = 0
            forEachLine(body) { line, end in
                number += 1
                guard !isBlank(line) else { return true }
                batch.lines += 1
                guard batch.lines <= maximumLines else {
                    failure = LineError(line: number, reason: "more than \(maximumLines) lines in one batch")
                    return false
                }
                if case .failure(let problem) = read(line, object: &object, scratch: scratch) {
                    failure = LineError(line: number, reason: problem.reason)
                    return false
                }
                inSegment += 1
                if inSegment == segmentLines {
                    batch.segments.append(Segment(range: segmentStart..<end, firstLine: segmentFirst))
                    segmentStart = end
                    segmentFirst = number + 1
                    inSegment = 0
                }
                return true
            }
        }
        if let failure { return .failure(failure) }
        if segmentStart < body.count && inSegment > 0 {
            batch.segments.append(Segment(range: segmentStart..<body.count, firstLine: segmentFirst))
        }
        return .success(batch)
    }

    /// Answers every line of `body` (checked by `check`), numbering lines from `firstLine`.
    public mutating func answer(lines body: UnsafeRawBufferPointer, firstLine: Int) {
        // Answers run about seven times longer than questions.
        out.bytes.reserveCapacity(out.bytes.count + body.count * 8)
        var number = firstLine - 1
        withUnsafeTemporaryAllocation(byteCount: Self.maximumLineLength, alignment: 1) { scratch in
            Self.forEachLine(body) { line, _ in
                number += 1
                guard !Self.isBlank(line) else { return true }
                switch Self.read(line, object: &object, scratch: scratch) {
                case .success(let question): answer(question, line: number)
                case .failure(let problem): answer(error: "unreadable_line", problem.reason, line: number)
                }
                return true
            }
        }
    }

    /// The lines written so far (then emptied).
    public mutating func take() -> [UInt8] {
        defer { out.removeAll() }
        return out.bytes
    }

    /// Calls `body` with each line of `bytes` (a final line without a newline included; a
    /// carriage return before the newline dropped) and the offset past its newline, until it
    /// returns false.
    static func forEachLine(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int) -> Bool) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            guard body(UnsafeRawBufferPointer(rebasing: bytes[start..<stop]), min(end + 1, bytes.count)) else { return }
            start = end + 1
        }
    }

    static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    // MARK: Answers

    private mutating func answer(_ question: Question, line: Int) {
        answered += 1
        var name: DomainName?
        if let host = question.host {
            do {
                name = try DomainName(utf8: host.assumingMemoryBound(to: UInt8.self))
            } catch {
                answer(error: "bad_host", error.reason, line: line, host: host)
                return
            }
        }
        var address: IPAddress?
        if let text = question.address {
            guard let parsed = try? IPAddress.parse(String(decoding: text, as: UTF8.self)).unmapped else {
                answer(error: "bad_address", "not an address: \(String(decoding: text.prefix(80), as: UTF8.self))", line: line, host: nil)
                return
            }
            address = parsed
        }
        out.beginObject()
        out.member("line", line)
        switch (name, address) {
        case (let name?, let address?): verdict(host: name, address: address)
        case (let name?, nil): answer(host: name)
        case (nil, let address?): answer(address: address)
        case (nil, nil): break
        }
        out.endObject()
        out.endLine()
    }

    private mutating func answer(error code: String, _ message: String, line: Int, host: UnsafeRawBufferPointer? = nil) {
        errors += 1
        out.beginObject()
        out.member("line", line)
        if let host { out.member("host", String(decoding: host, as: UTF8.self)) }
        out.key("error")
        out.beginObject()
        out.member("code", code)
        out.member("message", message)
        out.endObject()
        out.endObject()
        out.endLine()
    }

    /// A host's answer: the fields of `HostAnswer` that a provisioning system acts on.
    private mutating func answer(host name: DomainName) {
        var ascii = name.ascii
        ascii.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            out.member("host", utf8: raw)
            let lookup = index.filedSites(hostBytes: raw)
            let active = lookup.sites.first { index.isSiteFiled($0, at: time) }
            out.key("filed")
            out.bool(active != nil)
            out.member("bazt", active == nil ? 1 : 0)
            if let start = lookup.independentStart {
                out.member("independent_domain", utf8: UnsafeRawBufferPointer(rebasing: raw[start...]))
            }
            if let active {
                index.withFilingTexts(ofSite: Int(active)) { site, sponsor, firstName in
                    out.member("ztbah", utf8: sponsor)
                    out.member("wzbah", utf8: site)
                    out.member("wzmc", utf8: firstName)
                }
            } else if lookup.sites.contains(where: { !index.isSiteActive($0, at: time) }) {
                out.key("cancelled")
                out.bool(true)
            }
            if index.isListed(hostBytes: raw) || lookup.sites.contains(where: { index.isSponsorBlacklisted(ofSite: Int($0)) }) {
                out.key("blacklisted")
                out.bool(true)
            }
        }
    }

    /// An address's answer: in the filed space, the access provider responsible, the
    /// illegal-access list.
    private mutating func answer(address: IPAddress) {
        out.member("address", address.description)
        let links = index.allocationLinks(address)
        out.key("in_filed_space")
        out.bool(!links.isEmpty)
        if let provider = links.accessProvider {
            out.key("provider")
            out.beginObject()
            out.member("id", Int(provider.id))
            out.member("name", provider.name)
            out.endObject()
        }
        if !index.illegalAccess(at: address).isEmpty {
            out.key("illegal_access")
            out.bool(true)
        }
    }

    /// A pair's verdict: the kinds of finding a sighting would make or add to.
    private mutating func verdict(host name: DomainName, address: IPAddress) {
        out.member("host", name.ascii)
        out.member("address", address.description)
        judge.judge(
            Observation(
                nanoseconds: time.nanosecondsSince1970, host: name.ascii, address: address, port: 443, transport: .tcp,
                appProtocol: .tls, client: nil, source: .init(file: "check", position: .line(0))))
        let (made, updated) = judge.takeChanges()
        var kinds: [String] = []
        for finding in made + updated where !kinds.contains(finding.kind.rawValue) { kinds.append(finding.kind.rawValue) }
        out.key("findings")
        out.beginArray()
        for kind in kinds { out.string(kind) }
        out.endArray()
    }
}
