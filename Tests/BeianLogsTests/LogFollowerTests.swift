import BeianCore
import BeianLogs
import BeianTestSupport
import Foundation
import Testing

/// Logs followed as they grow: bursts, partial lines, rotation by rename and by truncation,
/// new files in a directory, and a restart from saved positions — every line read exactly
/// once.
@Suite struct LogFollowerTests {
    static let header = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\thttp
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi

        """

    /// The Zeek http line of request `n`: host `hN.example.cn`.
    static func line(_ n: Int) -> String {
        "\(1_772_380_500 + n).5\tC\(n)\t10.0.0.5\t5353\t101.69.16.\(n % 250 + 1)\t80\tGET\th\(n).example.cn\t/\n"
    }

    static func lines(_ range: Range<Int>) -> String { range.map(line).joined() }

    func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    /// Polls until nothing more comes; returns the hosts read (in order) and the last positions.
    func drain(_ follower: LogFollower, hosts: inout [String], positions: inout [String: LogFollower.Position], rounds: Int = 3) {
        var idle = 0
        while idle < rounds {
            let got = follower.poll { observations, position in
                hosts += observations.map(\.host)
                positions["\(position.device)/\(position.inode)"] = position
            }
            idle = got ? 0 : idle + 1
        }
    }

    func number(_ host: String) -> Int { Int(host.dropFirst().prefix { $0.isNumber }) ?? -1 }

    @Test func appendedLinesAndAPartialLastLine() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("http.log").path
        try Data((Self.header + Self.lines(0..<3)).utf8).write(to: URL(fileURLWithPath: path))
        let follower = LogFollower(paths: [path], start: .beginning)
        var hosts: [String] = []
        var positions: [String: LogFollower.Position] = [:]
        drain(follower, hosts: &hosts, positions: &positions)
        #expect(hosts.map(number) == [0, 1, 2])
        // Half a line: held until its end arrives.
        let next = Self.line(3)
        try append(String(next.prefix(20)), to: path)
        drain(follower, hosts: &hosts, positions: &positions)
        #expect(hosts.count == 3)
        let held = try #require(positions.values.first)
        try append(String(next.dropFirst(20)) + Self.lines(4..<100), to: path)
        drain(follower, hosts: &hosts, positions: &positions)
        #expect(hosts.map(number) == Array(0..<100))
        // The position after the held half-line was that of the complete lines.
        #expect(held.line == Self.header.split(separator: "\n").count + 3)
        #expect(follower.reports.first?.format == "zeek")
    }

    @Test func startingAtTheEndReadsOnlyWhatIsAppended() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("http.log").path
        try Data((Self.header + Self.lines(0..<10)).utf8).write(to: URL(fileURLWithPath: path))
        let follower = LogFollower(paths: [path], start: .end)
        var hosts: [String] = []
        var positions: [String: LogFollower.Position] = [:]
        drain(follower, hosts: &hosts, positions: &positions)
        #expect(hosts.isEmpty)
        try append(Self.lines(10..<12), to: path)
        drain(follower, hosts: &hosts, positions: &positions)
        // The header was learnt from the file's start.
        #expect(hosts.map(number) == [10, 11])
    }

    @Test func rotationByRenameFinishesTheOldFileFirst() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("http.log").path
        try Data((Self.header + Self.lines(0..<5)).utf8).write(to: URL(fileURLWithPath: path))
        let follower = LogFollower(paths: [path], start: .beginning)
        var hosts: [String] = []
        var positions: [String: LogFollower.Position] = [:]
        drain(follower, hosts: &hosts, positions: &positions)
        // Rotated: renamed, the writer still logs to it a little, then to a new file.
        let rotated = directory.appendingPathComponent("http.log.1").path
        #expect(rename(path, rotated) == 0)
        try append(Self.lines(5..<8), to: rotated)
        try Data((Self.header + Self.lines(8..<12)).utf8).write(to: URL(fileURLWithPath: path))
        drain(follower, hosts: &hosts, positions: &positions)
        try append(Self.lines(12..<14), to: path)
        Thread.sleep(forTimeInterval: 1.2)  // the rotation grace
        drain(follower, hosts: &hosts, positions: &positions)
        #expect(hosts.map(number).sorted() == Array(0..<14))
        #expect(hosts.count == 14)
        // The old file's lines came before its successor's.
        #expect(Array(hosts.map(number).prefix(8)) == Array(0..<8))
        #expect(follower.finished.count == 1)
    }

    @Test func rotationByTruncationReadsAgainFromTheStart() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("http.log").path
        try Data((Self.header + Self.lines(0..<50)).utf8).write(to: URL(fileURLWithPath: path))
        let follower = LogFollower(paths: [path], start: .beginning)
        var hosts: [String] = []
        var positions: [String: LogFollower.Position] = [:]
        drain(follower, hosts: &hosts, positions: &positions)
        // copytruncate: the content copied away, the file emptied in place, then written on.
        try Data().write(to: URL(fileURLWithPath: path))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data((Self.header + Self.lines(50..<53)).utf8))
        try handle.close()
        drain(follower, hosts: &hosts, positions: &positions)
        #expect(hosts.map(number) == Array(0..<53))
        #expect(follower.notes.contains { $0.message.contains("truncated") })
    }

    @Test func newFilesInADirectoryAreReadFromTheirStart() throws {
        let directory = try Fixtures.temporaryDirectory()
        try Data((Self.header + Self.lines(0..<4)).utf8).write(to: directory.appendingPathComponent("http.log"))
        try Data("not read: compressed".utf8).write(to: directory.appendingPathComponent("old.log.gz"))
        let follower = LogFollower(paths: [directory.path], start: .end)
        var hosts: [String] = []
        var positions: [String: LogFollower.Position] = [:]
        drain(follower, hosts: &hosts, positions: &positions)
        #expect(hosts.isEmpty)
        // Zeek rotates into a new file of its own.
        try Data((Self.header + Self.lines(4..<9)).utf8).write(to: directory.appendingPathComponent("http.2026-03-01-16.log"))
        try append(Self.lines(9..<10), to: directory.appendingPathComponent("http.log").path)
        drain(follower, hosts: &hosts, positions: &positions)
        #expect(hosts.map(number).sorted() == Array(4..<10))
        #expect(follower.reports.count == 2)
    }

    /// A restart from saved positions: the lines read before are not read again, a file
    /// rotated away meanwhile is finished from where reading stopped, then its successor.
    @Test func aRestartResumesWhereReadingStopped() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("http.log").path
        try Data((Self.header + Self.lines(0..<20)).utf8).write(to: URL(fileURLWithPath: path))
        var hosts: [String] = []
        var positions: [String: LogFollower.Position] = [:]
        do {
            let first = LogFollower(paths: [path], start: .beginning)
            drain(first, hosts: &hosts, positions: &positions)
        }
        // While stopped: more lines, a rotation, lines in the new file.
        try append(Self.lines(20..<25), to: path)
        #expect(rename(path, path + ".1") == 0)
        try Data((Self.header + Self.lines(25..<30)).utf8).write(to: URL(fileURLWithPath: path))
        let second = LogFollower(paths: [path], start: .end, positions: Array(positions.values))
        Thread.sleep(forTimeInterval: 1.2)
        drain(second, hosts: &hosts, positions: &positions)
        #expect(hosts.map(number) == Array(0..<30))
        // And a restart with nothing new reads nothing.
        var none: [String] = []
        let third = LogFollower(paths: [path], start: .beginning, positions: second.positions)
        drain(third, hosts: &none, positions: &positions)
        #expect(none.isEmpty)
    }

    @Test func garbageIsCountedAndReadingGoesOn() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("http.log").path
        try Data((Self.header + Self.lines(0..<2) + "garbage\n" + Self.lines(2..<4)).utf8).write(to: URL(fileURLWithPath: path))
        let follower = LogFollower(paths: [path], start: .beginning)
        var hosts: [String] = []
        var positions: [String: LogFollower.Position] = [:]
        drain(follower, hosts: &hosts, positions: &positions)
        #expect(hosts.map(number) == [0, 1, 2, 3])
        #expect(follower.reports.first?.rejected.total == 1)
    }
}
