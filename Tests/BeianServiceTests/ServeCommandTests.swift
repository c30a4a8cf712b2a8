import BeianTestSupport
import Foundation
import Testing

/// `beian serve` as a process: its answers equal `beian lookup`'s, record by record; SIGHUP
/// with a damaged snapshot is refused and serving goes on; SIGTERM ends it cleanly; beyond
/// loopback it does not start without tokens.
@Suite(.serialized) struct ServeCommandTests {
    var beian: URL { Tool.productsDirectory.appendingPathComponent("beian") }

    /// Starts `beian serve` on a free port; returns the process, the port and its error file.
    func start(_ arguments: [String]) throws -> (process: Process, port: Int, errors: URL) {
        let errors = try Fixtures.temporaryDirectory().appendingPathComponent("serve.err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = beian
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + arguments
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last ?? "")
            {
                return (process, port, errors)
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.terminate()
        throw ServiceTestFailure("serve did not start: \((try? String(contentsOf: errors, encoding: .utf8)) ?? "")")
    }

    struct ServiceTestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    func get(_ path: String, port: Int) throws -> (status: Int, body: String) {
        let answer = try ServiceTests.raw("GET \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", port: port)
        let parts = answer.components(separatedBy: "\r\n\r\n")
        let status = Int(parts[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func answersEqualTheLookupsAndADamagedSnapshotIsRefusedOnSIGHUP() throws {
        let directory = try Fixtures.temporaryDirectory()
        let index = directory.appendingPathComponent("live.beianidx").path
        try FileManager.default.copyItem(atPath: try #require(ServiceTests.sample?.path), toPath: index)
        let (serve, port, errors) = try start(["--index", index])
        defer { if serve.isRunning { serve.terminate() } }

        let names = try ServiceTests.names()
        let lookup = try Tool.run("beian", ["lookup", "host", "--index", index, "--json"] + names)
        #expect(lookup.status == 0, "\(lookup.stderr)")
        let expected = lookup.stdout.split(separator: "\n").map(String.init)
        #expect(expected.count == names.count)
        for (name, line) in zip(names, expected) {
            let answer = try get("/v1/hosts/\(name)", port: port)
            #expect(answer.status == 200)
            #expect(answer.body == line + "\n", "\(name)")
        }
        let addresses = try ServiceTests.addresses()
        let ips = try Tool.run("beian", ["lookup", "ip", "--index", index, "--json"] + addresses)
        for (address, line) in zip(addresses, ips.stdout.split(separator: "\n")) {
            #expect(try get("/v1/addresses/\(address)", port: port).body == line + "\n", "\(address)")
        }

        // Cut in half, renamed into place, announced: refused, the old index answers on.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: index))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: index + ".new"))
        #expect(rename(index + ".new", index) == 0)
        kill(serve.processIdentifier, SIGHUP)
        var log = ""
        for _ in 0..<50 where !log.contains("refused") {
            Thread.sleep(forTimeInterval: 0.1)
            log = try String(contentsOf: errors, encoding: .utf8)
        }
        #expect(log.contains("index refused"), "\(log)")
        #expect(serve.isRunning)
        #expect(try get("/v1/hosts/\(names[0])", port: port).body == expected[0] + "\n")
        let ready = try get("/readyz", port: port)
        #expect(ready.status == 200 && ready.body.contains("\"refused\":1"), "\(ready.body)")

        kill(serve.processIdentifier, SIGTERM)
        serve.waitUntilExit()
        let said = try String(contentsOf: errors, encoding: .utf8)
        #expect(serve.terminationStatus == 0, "\(said)")
    }

    @Test func beyondLoopbackItDoesNotStartWithoutTokens() throws {
        let index = try #require(ServiceTests.sample?.path)
        let refused = try Tool.run("beian", ["serve", "--index", index, "--listen", "0.0.0.0:0"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("refusing to listen on 0.0.0.0 without --tokens"), "\(refused.stderr)")

        let made = try Tool.run("beian", ["serve", "--new-token", "provisioning"])
        #expect(made.status == 0)
        let lines = made.stdout.split(separator: "\n")
        let token = try #require(lines.first?.split(separator: " ").last)
        let line = try #require(lines.last?.components(separatedBy: ": ").last)
        #expect(token.count == 64 && line.hasSuffix(" provisioning"))
        #expect(!line.contains(token))
    }
}
