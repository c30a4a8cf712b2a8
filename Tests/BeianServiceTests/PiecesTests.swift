import BeianCore
import BeianService
import BeianTestSupport
import Foundation
import Logging
import Testing

/// The service's pieces on their own: batch checking and segments, the JSON lines of the
/// access log, tokens.
@Suite struct PiecesTests {
    func check(_ text: String, segmentLines: Int = 2, maximumLines: Int = .max) -> Result<Verdicts.Batch, Verdicts.LineError> {
        Array(text.utf8).withUnsafeBytes { Verdicts.check($0, segmentLines: segmentLines, maximumLines: maximumLines) }
    }

    @Test func segmentsCoverEveryLineAndKnowTheirFirstLineNumber() throws {
        let text = "a.cn\n\nb.cn 1.2.3.4\r\n{\"address\":\"::1\"}\nc.cn\n  \nd.cn"
        let batch = try check(text).get()
        #expect(batch.lines == 5)
        #expect(batch.segments.map(\.firstLine) == [1, 4, 6])
        let bytes = Array(text.utf8)
        // The segments are contiguous and cover the body.
        #expect(batch.segments.first?.range.lowerBound == 0)
        #expect(batch.segments.last?.range.upperBound == bytes.count)
        for (one, next) in zip(batch.segments, batch.segments.dropFirst()) { #expect(one.range.upperBound == next.range.lowerBound) }
        #expect(String(decoding: bytes[batch.segments[1].range], as: UTF8.self) == "{\"address\":\"::1\"}\nc.cn\n")
        // Blank lines only: nothing to answer.
        #expect(try check("\n \n").get() == Verdicts.Batch())
    }

    @Test func unreadableLinesAndTooManyLinesAreNamed() {
        #expect(
            check("a.cn\nb.cn c.cn d.cn\n")
                == .failure(Verdicts.LineError(line: 2, reason: "expected a host, an address, or both; found 3 words")))
        #expect(check("{\"host\":[\"a.cn\",\"b.cn\"]}\n") == .failure(Verdicts.LineError(line: 1, reason: "\"host\" is not one string")))
        #expect(check("{\"name\":\"a.cn\"}") == .failure(Verdicts.LineError(line: 1, reason: "neither a host nor an address")))
        #expect(check(String(repeating: "a", count: 5000)) == .failure(Verdicts.LineError(line: 1, reason: "line longer than 4096 bytes")))
        #expect(
            check("a.cn\nb.cn\nc.cn\n", maximumLines: 2) == .failure(Verdicts.LineError(line: 3, reason: "more than 2 lines in one batch")))
    }

    @Test func accessLogLinesAreJSONWithNumbersAsNumbers() throws {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("access.jsonl").path
        do {
            let output = try LineLogHandler.Output(path: path)
            let logger = Logger(label: "access") { _ in LineLogHandler(label: "access", style: .json, output: output) }
            logger.info(
                "request", metadata: ["route": "/v1/hosts/{host}", "status": .stringConvertible(200), "micros": "87", "peer": "::1"])
            logger.info("request", metadata: ["route": "/v1/check", "status": "413", "token": "isms \"zj\""])
            output.flush()
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["status"] as? Int == 200 && first["micros"] as? Int == 87)
        #expect(first["route"] as? String == "/v1/hosts/{host}" && first["peer"] as? String == "::1")
        #expect(first["level"] as? String == "info" && first["message"] as? String == "request")
        #expect(try Timestamp.parse(try #require(first["at"] as? String)) <= .now)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["token"] as? String == "isms \"zj\"")
        #expect(lines[0].hasPrefix("{\"at\":"))
    }

    @Test func textLogLinesNameTheServiceAndSayWarnings() throws {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("serve.log").path
        do {
            let output = try LineLogHandler.Output(path: path)
            let logger = Logger(label: "beian serve") { LineLogHandler(label: $0, style: .text, output: output) }
            logger.warning("index refused, the one in use goes on", metadata: ["reason": "cut short"])
            logger.info("listening", metadata: ["port": "8080"])
        }
        #expect(
            try String(contentsOfFile: path, encoding: .utf8)
                == "beian serve: warning: index refused, the one in use goes on reason=cut short\nbeian serve: listening port=8080\n")
    }

    @Test func aTokenIsAdmittedByItsDigestOnly() throws {
        let made = TokenSet.make(name: "provisioning")
        let digest = TokenSet.digestText(of: made.token)
        #expect(made.line == "\(digest) provisioning")
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("tokens").path
        try "\(made.line) # the provisioning system\n\(TokenSet.digestText(of: "other")) \n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let set = try TokenSet(path: path)
        #expect(set.count == 2)
        #expect(set.name(authorization: "Bearer \(made.token)") == "provisioning")
        #expect(set.name(authorization: "bearer   \(made.token) ") == "provisioning")
        #expect(set.name(authorization: "Bearer other") == "")
        #expect(set.name(authorization: "Basic \(made.token)") == nil)
        #expect(set.name(authorization: "Bearer \(digest)") == nil)
        #expect(set.name(authorization: "Bearer ") == nil)
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ServiceError.self) { _ = try TokenSet(path: path) }
    }
}
