import BeianCore
import Crypto
import Foundation

/// Who may ask: the SHA-256 digests of the bearer tokens in use, each with a name for the
/// access log. The file holds one token a line — 64 hexadecimal digits (the digest, never the
/// token itself), then optionally a name (`provisioning`, `isms-zj`); `#` starts a comment.
/// `beian serve --new-token NAME` makes a token and its line.
public struct TokenSet: Sendable {
    private var names: [[UInt8]: String] = [:]
    /// Lines in a tokens file at most, and longest line.
    public static let maximumTokens = 100_000
    public static let maximumLineLength = 1024

    public var count: Int { names.count }

    public init(digests: [(digest: [UInt8], name: String)]) {
        for (digest, name) in digests where digest.count == SHA256.byteCount { names[digest] = name }
    }

    /// Reads a tokens file; a line that is not a digest is an error naming the file and line.
    public init(path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ServiceError("\(path): cannot read the tokens file (\(error.localizedDescription))")
        }
        var digests: [(digest: [UInt8], name: String)] = []
        for (number, rawLine) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        {
            guard rawLine.utf8.count <= Self.maximumLineLength else {
                throw ServiceError("\(path):\(number + 1): line longer than \(Self.maximumLineLength) bytes")
            }
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = words.first else { continue }
            guard let digest = Self.hexBytes(first), digest.count == SHA256.byteCount else {
                throw ServiceError("\(path):\(number + 1): expected the SHA-256 of a token (64 hexadecimal digits), then a name")
            }
            guard digests.count < Self.maximumTokens else { throw ServiceError("\(path): more than \(Self.maximumTokens) tokens") }
            digests.append((digest, words.dropFirst().joined(separator: " ")))
        }
        self.init(digests: digests)
        guard count > 0 else { throw ServiceError("\(path): no tokens") }
    }

    /// The name of the token presented in an `Authorization: Bearer …` header, or nil when it
    /// is not one of the set ("" for a token without a name).
    public func name(authorization header: String) -> String? {
        let prefix = "bearer "
        guard header.utf8.count > prefix.utf8.count, header.lowercased().hasPrefix(prefix) else { return nil }
        let token = header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        return names[Array(SHA256.hash(data: Data(token.utf8)))]
    }

    /// A new random token and the line that admits it.
    public static func make(name: String) -> (token: String, line: String) {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return (token, "\(digestText(of: token)) \(name)")
    }

    /// The digest of a token as the tokens file holds it.
    public static func digestText(of token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = hexDigit(utf8[i]), let low = hexDigit(utf8[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }
}

/// Why the service cannot start, or a request cannot be answered.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
