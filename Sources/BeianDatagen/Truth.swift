import BeianCore
import Foundation

enum TruthWriter {
    /// ISO 8601 in China time with microseconds: `2026-03-01T23:55:00.123456+08:00`.
    static func time(_ microseconds: Int64) -> String {
        let local = microseconds + 8 * 3_600_000_000
        let seconds = local >= 0 ? local / 1_000_000 : (local - 999_999) / 1_000_000
        let fraction = Int(local - seconds * 1_000_000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = Int(seconds - days * 86_400)
        let (year, month, day) = Timestamp.civilFromDays(Int(days))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let micro = String(fraction)
        return "\(year)-\(two(month))-\(two(day))T\(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60))."
            + String(repeating: "0", count: 6 - micro.count) + micro + "+08:00"
    }

    static func line(_ observation: Observation) -> String {
        var object = JSONObject()
        object.set("time", time(observation.time))
        object.set("host", observation.host)
        object.set("address", observation.address.text)
        object.set("port", observation.port)
        object.set("transport", observation.transport)
        object.set("protocol", observation.proto.rawValue)
        object.set("client", observation.client.text)
        object.set("ech", observation.ech)
        object.set("proxy", observation.proxy)
        object.set("file", observation.file)
        object.set("packet", observation.packet)
        object.set("line", observation.line)
        return object.text
    }

    static func unit(_ unit: RegistryWorld.Unit?) -> JSONObject? {
        guard let unit else { return nil }
        var object = JSONObject()
        object.set("id", Int(unit.id))
        object.set("name", unit.name)
        return object
    }

    static func line(_ finding: TruthFinding) -> String {
        var object = JSONObject()
        object.set("kind", finding.kind)
        object.set("host", finding.host)
        object.set("independent_domain", finding.independentDomain)
        object.set("address", finding.address)
        object.set("sponsor_number", finding.sponsorNumber)
        object.set("site_number", finding.siteNumber)
        object.set("provider", object: unit(finding.provider))
        object.set("operator", object: unit(finding.operatorUnit))
        object.set("province", finding.province.map { String($0.abbreviation) })
        object.set("first_seen", finding.firstSeen.map(time))
        object.set("last_seen", finding.lastSeen.map(time))
        object.set("count", finding.count)
        return object.text
    }

    static func write(_ lines: [String], to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: url)
    }
}
