import BeianCore
public import BeianScan
import Foundation

/// A part of a scan spread over machines (`beian scan --partial`): what its judge held before
/// the end-of-input pass, in a file `beian merge` reads back with the other parts.
///
/// JSON Lines, UTF-8. The first line says what the part is:
/// `{"format":"beian-partial","version":1,"index":"xxh64:…","scope":"all","inputs":[…],
/// "observations":N,"findings":N}`; then one line per finding
/// (`{"finding":{…},"first_ns":N}`: the finding as `beian scan` writes it, times in UTC, and
/// when it was first seen to the nanosecond); then the filed sites and the access records
/// seen served (`{"sites":[…]}`, `{"access":[…]}`, in lines of at most `numbersPerLine`),
/// and `{"end":SECONDS}`, the latest observation.
public struct PartialScan: Sendable {
    public static let formatName = "beian-partial"
    public static let version = 1
    /// Numbers on one `sites` or `access` line at most.
    public static let numbersPerLine = 50_000
    /// A line longer than this is not one this format writes.
    public static let maximumLineBytes = 4 << 20
    /// Findings one part may hold at most.
    public static let maximumFindings = 100_000_000

    /// The index the part was judged against (`RegistryIndex.digest`).
    public var indexDigest: String
    /// `all`, or `own UNIT`.
    public var scope: String
    public var inputs: [String]
    public var observations: Int
    public var partial: Judge.Partial

    public init(indexDigest: String, scope: String, inputs: [String], observations: Int, partial: Judge.Partial) {
        self.indexDigest = indexDigest
        self.scope = scope
        self.inputs = inputs
        self.observations = observations
        self.partial = partial
    }

    public struct ReadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The text of a scope, as parts record it.
    public static func scopeText(_ scope: Scope) -> String {
        switch scope {
        case .all: "all"
        case .accessProvider(let unit): "own \(unit)"
        }
    }

    public var bytes: [UInt8] {
        var out = JSONWriter(capacity: partial.findings.count * 700 + 4096)
        var header = JSONObject()
        header.set("format", Self.formatName)
        header.set("version", Self.version)
        header.set("index", indexDigest)
        header.set("scope", scope)
        header["inputs"] = .array(inputs.map { .string($0) })
        header.set("observations", observations)
        header.set("findings", partial.findings.count)
        out.value(.object(header))
        out.endLine()
        for (finding, nanoseconds) in partial.findings {
            out.beginObject()
            out.key("finding")
            FindingWriter.object(finding, times: .utc, into: &out)
            out.member("first_ns", Int(nanoseconds))
            out.endObject()
            out.endLine()
        }
        for (name, numbers) in [("sites", partial.seenSites.map(Int64.init)), ("access", partial.seenAccess)] {
            for start in stride(from: 0, to: numbers.count, by: Self.numbersPerLine) {
                let slice = numbers[start..<min(numbers.count, start + Self.numbersPerLine)]
                out.value(.object(JSONObject([name: .array(slice.map { .integer($0) })])))
                out.endLine()
            }
        }
        if let end = partial.end {
            out.value(.object(JSONObject(["end": .integer(end.secondsSince1970)])))
            out.endLine()
        }
        return out.bytes
    }

    private struct Line: Decodable {
        var format: String?
        var version: Int?
        var index: String?
        var scope: String?
        var inputs: [String]?
        var observations: Int?
        var finding: Finding?
        var firstNanoseconds: Int64?
        var sites: [UInt32]?
        var access: [Int64]?
        var end: Int64?

        enum CodingKeys: String, CodingKey {
            case format, version, index, scope, inputs, observations, finding, sites, access, end
            case firstNanoseconds = "first_ns"
        }
    }

    /// The part in `bytes` (named `name` in errors, with the line).
    public static func read(_ bytes: [UInt8], name: String) throws -> PartialScan {
        let decoder = JSONDecoder()
        var part: PartialScan?
        var findings: [(finding: Finding, firstNanoseconds: Int64)] = []
        var sites: [UInt32] = []
        var access: [Int64] = []
        var end: Timestamp?
        var number = 0
        var start = 0
        while start < bytes.count {
            let stop = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            number += 1
            defer { start = stop + 1 }
            guard stop - start <= maximumLineBytes else {
                throw ReadError(description: "\(name):\(number): a line of more than \(maximumLineBytes) bytes: not a partial scan")
            }
            guard stop > start else { continue }
            let line: Line
            do { line = try decoder.decode(Line.self, from: Data(bytes[start..<stop])) } catch {
                throw ReadError(description: "\(name):\(number): not a partial scan's line (\(DecodingProblem.text(error)))")
            }
            if number == 1 {
                guard line.format == formatName, let version = line.version else {
                    throw ReadError(description: "\(name):1: not a partial scan (no \"format\":\"\(formatName)\" header)")
                }
                guard version == Self.version else {
                    throw ReadError(
                        description: "\(name):1: partial scan format version \(version); this beian reads version \(Self.version)")
                }
                guard let index = line.index, let scope = line.scope else {
                    throw ReadError(description: "\(name):1: the header names no index or scope")
                }
                part = PartialScan(
                    indexDigest: index, scope: scope, inputs: line.inputs ?? [], observations: line.observations ?? 0,
                    partial: Judge.Partial(findings: [], seenSites: [], seenAccess: [], end: nil))
            } else if let finding = line.finding {
                guard let first = line.firstNanoseconds else {
                    throw ReadError(description: "\(name):\(number): a finding without first_ns")
                }
                guard findings.count < maximumFindings else {
                    throw ReadError(description: "\(name):\(number): more than \(maximumFindings) findings")
                }
                findings.append((finding, first))
            } else if let numbers = line.sites {
                sites += numbers
            } else if let numbers = line.access {
                access += numbers
            } else if let seconds = line.end {
                end = Timestamp(secondsSince1970: seconds)
            } else {
                throw ReadError(description: "\(name):\(number): a line of no known kind")
            }
        }
        guard var part else { throw ReadError(description: "\(name): empty: not a partial scan") }
        part.partial = Judge.Partial(findings: findings, seenSites: sites, seenAccess: access, end: end)
        return part
    }

}

/// What a JSON decoder's error says, in a line: the path of the value and the problem.
enum DecodingProblem {
    static func text(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.keyNotFound(_, let context), DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
