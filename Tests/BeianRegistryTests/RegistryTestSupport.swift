import BeianCore
import BeianRegistry
import BeianTestSupport
import Foundation

/// Reads files with one reader; returns the records and the reports.
func readAll(_ paths: [String], options: RegistryReadOptions = RegistryReadOptions()) throws -> (
    records: [RegistryRecord], reports: [FileReport]
) {
    let reader = RegistryReader(options: options)
    var records: [RegistryRecord] = []
    var reports: [FileReport] = []
    for path in paths {
        reports.append(try reader.read(path) { records.append($0) })
    }
    return (records, reports)
}

/// Writes `text` (or bytes) to a new file in a temporary directory and returns its path.
func temporaryFile(_ name: String, _ text: String) throws -> String {
    try temporaryFile(name, Data(text.utf8))
}

func temporaryFile(_ name: String, _ data: Data) throws -> String {
    let directory = try Fixtures.temporaryDirectory("beian-registry")
    let url = directory.appendingPathComponent(name)
    try data.write(to: url)
    return url.path
}

/// The text in GB18030 (GBK for the characters used in tests).
func gbk(_ text: String) -> Data {
    let converter = ReverseConverter()
    return converter.encode(text)
}

/// UTF-8 → GB18030 with iconv, for building GBK fixtures.
struct ReverseConverter {
    func encode(_ text: String) -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        process.arguments = ["-f", "UTF-8", "-t", "GB18030"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }
}

/// The sample registry's files in one format.
func sampleFiles(_ format: String) throws -> [String] {
    let directory = Fixtures.packageRoot.appendingPathComponent("Datasets/sample/registry/\(format)")
    return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map { directory.appendingPathComponent($0).path }
}

extension FileReport {
    /// Every kind's read = accepted + rejected (the invariant the reader promises).
    var countsAddUp: Bool {
        counts.values.allSatisfy { $0.read == $0.accepted + $0.rejected } && unknownKind.read == unknownKind.accepted + unknownKind.rejected
    }

    func count(_ kind: RecordKind) -> RecordCounts { counts[kind] ?? RecordCounts() }

    var rejectedIssues: [RegistryIssue] { issues.filter { $0.severity == .rejected } }
}

/// A minimal V3.0 ICP filing export around the given `Baxx` bodies.
func icpXML(_ baxx: [String], encoding: String = "UTF-8") -> String {
    "<?xml version=\"1.0\" encoding=\"\(encoding)\"?>\n<DownloadData>\n<ICP>\n<BASJ>\n" + baxx.joined(separator: "\n")
        + "\n</BASJ>\n</ICP>\n</DownloadData>\n"
}

/// One `Baxx` with a sponsor and one site with one access record.
func baxx(
    sponsorID: String = "1", number: String = "浙ICP备12345678号", name: String = "杭州测试科技有限公司", province: String = "330000",
    idNumber: String = "330106199001011234", siteID: String = "11", siteNumber: String = "浙ICP备12345678号-1",
    domains: [String] = ["example.com"],
    accessID: String = "21", provider: String = "100", ranges: [(String, String)] = [("16843009", "16843009")]
) -> String {
    var x =
        "<Baxx><Zt_xx><Ztid>\(sponsorID)</Ztid><Dwmc>\(name)</Dwmc><Dwxz>4</Dwxz><Txdz><Shengid>\(province)</Shengid><Xxdz>浙江省杭州市文三路1号</Xxdz></Txdz>"
    x +=
        "<Zj><Zjlx>2</Zjlx><Zjhm>\(idNumber)</Zjhm></Zj><Fzr><Fzr_xm>王伟</Fzr_xm><Fzr_sjhm>13800138000</Fzr_sjhm><Fzr_dzyj>a@example.cn</Fzr_dzyj></Fzr>"
    x += "<Baxh>\(number)</Baxh><Scbbsj>2015-03-01</Scbbsj></Zt_xx>\n"
    x += "<Wz_xx><Wzid>\(siteID)</Wzid><Wzmc>测试网</Wzmc>"
    for domain in domains { x += "<Ym_xx><Ym>\(domain)</Ym></Ym_xx>" }
    x += "<Jr_xx><Jrid>\(accessID)</Jrid><Ispid>\(provider)</Ispid>"
    for (start, end) in ranges { x += "<Ip_xx><Qsip>\(start)</Qsip><Zzip>\(end)</Zzip></Ip_xx>" }
    x += "</Jr_xx><Baxh>\(siteNumber)</Baxh></Wz_xx></Baxx>"
    return x
}

/// The records only in `a` and only in `b` (at most `limit` of each), for readable failures.
func difference(_ a: [RegistryRecord], _ b: [RegistryRecord], limit: Int = 3) -> String? {
    let left = Set(a)
    let right = Set(b)
    guard left != right else { return nil }
    let onlyLeft = left.subtracting(right).prefix(limit).map { "\($0)" }
    let onlyRight = right.subtracting(left).prefix(limit).map { "\($0)" }
    return "only in first (\(left.subtracting(right).count)): \(onlyLeft)\nonly in second (\(right.subtracting(left).count)): \(onlyRight)"
}
