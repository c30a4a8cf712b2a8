import BeianCore
import BeianHomepages
import Crypto
import Foundation

/// Homepages of the world's sites as a crawler would have fetched them, in a WARC file (gzip
/// per record), with the truth of what each footer shows.
struct HomepageWriter {
    static let file = "homepages/homepages.warc.gz"

    /// How a page shows (or fails to show) its filing number.
    enum Footer: CaseIterable {
        case sponsorLinked, siteLinked, variantLinked, notLinked, lookAlikeLink, missing, onlyComment, onlyScript
        case otherSponsor, cancelledNumber, lookAlikeOnly, malformed

        /// The finding the page calls for, if any.
        var finding: String? {
            switch self {
            case .sponsorLinked, .siteLinked, .variantLinked: nil
            case .notLinked, .lookAlikeLink: "footer-not-linked"
            case .missing, .onlyComment, .onlyScript: "footer-number-missing"
            case .otherSponsor, .cancelledNumber, .lookAlikeOnly, .malformed: "footer-number-wrong"
            }
        }
    }

    /// A number on a page, as the truth lists it.
    struct Shown {
        var number: String
        var verbatim: String
        var visible: Bool
        var place: String
        var footer: Bool
        var linkHost: String?
    }

    struct Page {
        var site: Int
        var host: String
        var address: RegistryWorld.Address
        var footer: Footer
        var charset: String
        var declared: String
        var shown: [Shown]
        var cert: String?
        var gzip: Bool
        var chunked: Bool
        /// The rendering of the number (`render(_:variant:gbk:)`).
        var variant: Int
    }

    let world: RegistryWorld
    let scenario: Scenario
    var random: SeededRandom

    init(world: RegistryWorld, scenario: Scenario, seed: UInt64) {
        self.world = world
        self.scenario = scenario
        random = SeededRandom(seed: seed ^ 0x7761_7263_0000_0001)
    }

    static let linkHosts = [
        "https://beian.miit.gov.cn/", "https://beian.miit.gov.cn/#/Integrated/index", "http://www.beian.miit.gov.cn/",
        "http://www.miibeian.gov.cn/", "https://zj.miitbeian.gov.cn/",
    ]

    /// The number as a page writes it: the HTML source and the text a reader sees.
    func render(_ number: String, variant: Int, gbk: Bool) -> (html: String, text: String) {
        let province = String(number.prefix(1))
        let body = String(number.dropFirst(5))  // after "浙ICP备" (five characters)
        let serial = String(body.prefix { $0.isNumber })
        let suffix = number.contains("-") ? String(number[number.index(after: number.lastIndex(of: "-") ?? number.startIndex)...]) : ""
        let tail = suffix.isEmpty ? "号" : "号-\(suffix)"
        func fullWidth(_ text: String) -> String {
            String(
                text.unicodeScalars.map { scalar -> Character in
                    if scalar.value >= 0x21 && scalar.value <= 0x7E, let wide = Unicode.Scalar(scalar.value + 0xFEE0) {
                        return Character(wide)
                    }
                    return Character(scalar)
                })
        }
        switch variant % 10 {
        case 1: return ("ICP备案号：\(number)", "ICP备案号：\(number)")
        case 2: return ("\(province)ICP备&nbsp;\(serial)\(tail)", "\(province)ICP备\u{00A0}\(serial)\(tail)")
        case 3:
            let wide = fullWidth("ICP") + "备" + fullWidth(serial) + "号" + (suffix.isEmpty ? "" : fullWidth("-" + suffix))
            return (province + wide, province + wide)
        case 4:
            let entity =
                "&#\(province.unicodeScalars.first?.value ?? 0);ICP&#22791;\(serial)&#21495;" + (suffix.isEmpty ? "" : "-\(suffix)")
            return (entity, "\(province)ICP备\(serial)号" + (suffix.isEmpty ? "" : "-\(suffix)"))
        case 5:
            // A zero-width space inside (an entity in GBK pages, which cannot hold it).
            return ("\(province)ICP\(gbk ? "&#8203;" : "\u{200B}")备\(serial)\(tail)", "\(province)ICP\u{200B}备\(serial)\(tail)")
        case 6:
            return (
                "\(province)ICP備\(serial)號" + (suffix.isEmpty ? "" : "-\(suffix)"),
                "\(province)ICP備\(serial)號" + (suffix.isEmpty ? "" : "-\(suffix)")
            )
        case 7:
            return (
                "\(province)ICP备\(serial)" + (suffix.isEmpty ? "" : "-\(suffix)"),
                "\(province)ICP备\(serial)" + (suffix.isEmpty ? "" : "-\(suffix)")
            )
        case 8:
            let text = suffix.isEmpty ? "\(province)ICP备\(serial)号" : "\(province)ICP备\(serial)-\(suffix)号"
            return (text, text)
        case 9: return ("<b>\(province)ICP</b><span>备\(serial)</span>\(tail)", "\(province)ICP备\(serial)\(tail)")
        default: return (number, number)
        }
    }

    /// Sites with a homepage in the crawl: filed, in force, served by the traffic.
    func crawled() -> [Int] {
        let served = Set(scenario.visits.map(\.host))
        let cancelled = Set(world.cancellations.filter { $0.target < 2 }.map(\.recordID))
        return world.sites.indices.filter { index in
            let site = world.sites[index]
            guard !cancelled.contains(site.id), !cancelled.contains(world.sponsors[site.sponsor].id) else { return false }
            return served.contains(site.domains[0].ascii) || served.contains("www." + site.domains[0].ascii)
        }
    }

    mutating func pages() -> [Page] {
        let cancelledSponsors = world.cancellations.filter { $0.target == 0 }.compactMap { c in world.sponsors.first { $0.id == c.recordID }
        }
        var pages: [Page] = []
        var variants = 0
        var firstAccess: [Int: RegistryWorld.Address] = [:]
        for access in world.accesses.reversed() { if let address = access.ranges.first?.first { firstAccess[access.site] = address } }
        let hosts = Set(scenario.visits.map(\.host))
        for (k, index) in crawled().enumerated() {
            let site = world.sites[index]
            let sponsor = world.sponsors[site.sponsor]
            let siteNumber = "\(sponsor.number)-\(site.index)"
            // About a third of the pages are wrong in one way or another; every way occurs.
            let footer: Footer = [
                .sponsorLinked, .variantLinked, .siteLinked, .notLinked, .variantLinked, .sponsorLinked, .missing, .variantLinked,
                .onlyComment, .sponsorLinked, .variantLinked, .otherSponsor, .siteLinked, .variantLinked, .onlyScript, .sponsorLinked,
                .cancelledNumber, .variantLinked, .sponsorLinked, .lookAlikeOnly, .variantLinked, .siteLinked, .lookAlikeLink,
                .variantLinked, .sponsorLinked, .malformed, .variantLinked, .sponsorLinked, .variantLinked, .siteLinked,
            ][k % 30]
            if footer == .variantLinked { variants += 1 }
            let gbkPage = random.chance(0.3)
            let lie = random.chance(0.08)
            let charset = gbkPage ? "gbk" : "utf-8"
            let declared =
                lie
                ? (gbkPage ? "utf-8" : "gb2312") : (gbkPage ? random.pick(["gbk", "gb2312", "GB2312"]) : random.pick(["utf-8", "UTF-8"]))
            var shown: [Shown] = []
            let address = firstAccess[index] ?? RegistryWorld.Address(value: 0, v6: false)
            let host =
                hosts.contains("www." + site.domains[0].ascii)
                ? "www." + site.domains[0].ascii : site.domains[0].ascii
            switch footer {
            case .sponsorLinked, .siteLinked, .variantLinked, .notLinked, .lookAlikeLink:
                let number = footer == .siteLinked || (footer == .variantLinked && k % 2 == 0) ? siteNumber : sponsor.number
                let variant = footer == .variantLinked ? 1 + variants % 9 : 0
                let (_, text) = render(number, variant: variant, gbk: gbkPage)
                let link: String? =
                    switch footer {
                    case .notLinked: nil
                    case .lookAlikeLink: "beian.miit.gov.cn.evil.example"
                    default: HomepageWriter.host(of: HomepageWriter.linkHosts[k % HomepageWriter.linkHosts.count])
                    }
                shown.append(Shown(number: number, verbatim: text, visible: true, place: "text", footer: true, linkHost: link))
            case .missing: break
            case .onlyComment, .onlyScript:
                shown.append(
                    Shown(
                        number: sponsor.number, verbatim: sponsor.number, visible: false,
                        place: footer == .onlyComment ? "comment" : "script", footer: true, linkHost: nil))
            case .otherSponsor:
                let other = world.sponsors[(site.sponsor + 7) % world.sponsors.count]
                shown.append(
                    Shown(
                        number: other.number, verbatim: other.number, visible: true, place: "text", footer: true,
                        linkHost: "beian.miit.gov.cn"))
            case .cancelledNumber:
                let other = cancelledSponsors.isEmpty ? world.sponsors[0] : cancelledSponsors[k % cancelledSponsors.count]
                shown.append(
                    Shown(
                        number: other.number, verbatim: other.number, visible: true, place: "text", footer: true,
                        linkHost: "beian.miit.gov.cn"))
            case .lookAlikeOnly:
                let lookAlike = k % 2 == 0 ? "浙交ICP备\(sponsor.serial)号" : "京网文[2014]0059-0009号"
                shown.append(Shown(number: lookAlike, verbatim: lookAlike, visible: true, place: "text", footer: true, linkHost: nil))
            case .malformed:
                let broken = "浙ICP备\(sponsor.serial.prefix(4))号"
                shown.append(
                    Shown(number: broken, verbatim: broken, visible: true, place: "text", footer: true, linkHost: "beian.miit.gov.cn"))
            }
            let cert: String? =
                k % 5 == 2 ? (k % 15 == 2 ? world.sponsors[(site.sponsor + 3) % world.sponsors.count].number + "-1" : siteNumber) : nil
            pages.append(
                Page(
                    site: index, host: host, address: address, footer: footer, charset: charset, declared: declared, shown: shown,
                    cert: cert,
                    gzip: random.chance(0.3), chunked: random.chance(0.25), variant: footer == .variantLinked ? 1 + variants % 9 : 0))
        }
        return pages
    }

    static func host(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.prefix { $0 != "/" && $0 != "#" && $0 != ":" })
    }

    /// The HTML of a page.
    mutating func html(_ page: Page) -> String {
        let site = world.sites[page.site]
        let sponsor = world.sponsors[site.sponsor]
        let meta =
            random.chance(0.5)
            ? "<meta charset=\"\(page.declared)\">" : "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=\(page.declared)\">"
        var footer = "<p>Copyright &copy; 2025 \(sponsor.name) 版权所有</p>\n"
        let k = page.site
        for shown in page.shown {
            switch shown.place {
            case "comment": footer += "<!-- 备案号 \(shown.verbatim) -->\n<p>联系电话：0571-8888 0000</p>\n"
            case "script": footer += "<p id=\"icp\"></p><script>document.getElementById('icp').innerHTML = '\(shown.verbatim)';</script>\n"
            default:
                let source: String
                if page.variant > 0 {
                    source = render(shown.number, variant: page.variant, gbk: page.charset == "gbk").html
                } else {
                    source = shown.verbatim
                }
                if let linkHost = shown.linkHost {
                    let href =
                        linkHost == "beian.miit.gov.cn.evil.example"
                        ? "http://beian.miit.gov.cn.evil.example/"
                        : HomepageWriter.linkHosts.first { HomepageWriter.host(of: $0) == linkHost } ?? "https://beian.miit.gov.cn/"
                    footer += "<p><a href=\"\(href)\" target=\"_blank\" rel=\"nofollow\">\(source)</a></p>\n"
                } else {
                    footer += "<p>\(source)</p>\n"
                }
            }
        }
        if k % 3 == 0 { footer += "<p><img src=\"/images/gongan.png\"> 浙公网安备 330106020\(String(10_000 + k))号</p>\n" }
        let wrapper = k % 2 == 0 ? ("<footer class=\"site-footer\">", "</footer>") : ("<div id=\"footer\" class=\"copyright\">", "</div>")
        let paragraphs = (0..<(2 + k % 4)).map { _ in "<p>\(sponsor.name)致力于为客户提供优质的产品与服务，欢迎来电咨询合作事宜。</p>" }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            \(meta)
            <title>\(site.names[0])</title>
            <style>.site-footer,.copyright{color:#999;font-size:12px}</style>
            <script>var _hmt = _hmt || []; /* 统计代码 */</script>
            </head>
            <body>
            <div class="header"><a href="/">\(site.names[0])</a> | <a href="/products/">产品中心</a> | <a href="/news/">新闻动态</a> | <a href="/about/">关于我们</a></div>
            <div class="main">
            \(paragraphs)
            </div>
            \(wrapper.0)
            \(footer)\(wrapper.1)
            </body>
            </html>

            """
    }

    // MARK: The attribute certificate

    /// `/cert/bazs.cert`: an attribute certificate whose private extension
    /// (1.2.156.901372.310.5.1) carries the ICP number in GBK.
    mutating func certificate(host: String, number: String) throws -> [UInt8] {
        let name = DER.tlv(0x30, DER.tlv(0x31, DER.tlv(0x30, DER.oid("2.5.4.3") + DER.tlv(0x0C, Array(host.utf8)))))
        let issuerName = DER.tlv(0x30, DER.tlv(0x31, DER.tlv(0x30, DER.oid("2.5.4.3") + DER.tlv(0x0C, Array("ICP/IP地址/域名信息备案管理系统".utf8)))))
        let algorithm = DER.tlv(0x30, DER.oid("1.2.156.10197.1.501"))
        let holder = DER.tlv(0x30, DER.tlv(0xA1, DER.tlv(0xA4, name)))
        let issuer = DER.tlv(0xA0, DER.tlv(0x30, DER.tlv(0xA4, issuerName)))
        let serial = DER.tlv(0x02, [0x01] + (0..<7).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        let validity = DER.tlv(0x30, DER.tlv(0x18, Array("20250101000000Z".utf8)) + DER.tlv(0x18, Array("20300101000000Z".utf8)))
        let attributes = DER.tlv(0x30, DER.tlv(0x30, DER.oid("2.5.4.3") + DER.tlv(0x31, DER.tlv(0x0C, Array(host.utf8)))))
        let icp = [UInt8](try RegistryEmitter.gbk(number))
        let extensions = DER.tlv(0x30, DER.tlv(0x30, DER.oid("1.2.156.901372.310.5.1") + DER.tlv(0x04, icp)))
        let info = DER.tlv(0x30, DER.tlv(0x02, [0x01]) + holder + issuer + algorithm + serial + validity + attributes + extensions)
        let signature = DER.tlv(0x03, [0x00] + (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        return DER.tlv(0x30, info + algorithm + signature)
    }

    // MARK: WARC

    mutating func uuid() -> String {
        let hex = (0..<16).map { _ in String(format: "%02x", UInt8(truncatingIfNeeded: random.next())) }
        return
            "<urn:uuid:\(hex[0..<4].joined())-\(hex[4..<6].joined())-\(hex[6..<8].joined())-\(hex[8..<10].joined())-\(hex[10..<16].joined())>"
    }

    /// One WARC record, gzip-compressed on its own, by the product's writer (the WARC layout
    /// is not what the ground truth checks; `Conformance/generated-world.py` has warcio read it).
    mutating func record(type: String, uri: String?, date: Timestamp, contentType: String, block: [UInt8], extra: [(String, String)] = [])
        -> (id: String, bytes: [UInt8])
    {
        let id = uuid()
        let record = WARCWriter.Record(
            type: type, targetURI: uri, date: date, contentType: contentType, block: block, fields: extra, recordID: id)
        return (id, WARCWriter.encode(record))
    }

    static func chunk(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        while offset < body.count {
            let size = min(1_500, body.count - offset)
            out += Array((String(size, radix: 16) + "\r\n").utf8) + body[offset..<(offset + size)] + Array("\r\n".utf8)
            offset += size
        }
        return out + Array("0\r\n\r\n".utf8)
    }

    /// Writes the WARC; returns the pages written.
    mutating func write(to directory: URL) throws -> [Page] {
        let pages = pages()
        var out: [UInt8] = []
        let crawlStart = scenario.end / 1_000_000 + 3_600
        func warcDate(_ seconds: Int64) -> Timestamp { Timestamp(secondsSince1970: seconds) }
        let info =
            "software: beian-datagen\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\nrobots: ignore\r\n"
        out +=
            record(
                type: "warcinfo", uri: nil, date: warcDate(crawlStart), contentType: "application/warc-fields", block: Array(info.utf8),
                extra: [("WARC-Filename", "homepages.warc.gz")]
            ).bytes
        for (k, page) in pages.enumerated() {
            let date = warcDate(crawlStart + Int64(k) * 2)
            let uri = "http://\(page.host)/"
            let request =
                "GET / HTTP/1.1\r\nHost: \(page.host)\r\nUser-Agent: beian-crawler/1.0 (+https://example.org/beian-scan)\r\nAccept: text/html\r\nAccept-Encoding: gzip\r\n\r\n"
            let requestRecord = record(
                type: "request", uri: uri, date: date, contentType: "application/http;msgtype=request", block: Array(request.utf8))
            out += requestRecord.bytes
            let text = html(page)
            var body = page.charset == "gbk" ? [UInt8](try RegistryEmitter.gbk(text)) : Array(text.utf8)
            var head = "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: \(date.iso8601)\r\n"
            head += page.site % 4 == 1 ? "Content-Type: text/html\r\n" : "Content-Type: text/html; charset=\(page.declared)\r\n"
            if page.gzip {
                body = Compression.compress(body) ?? body
                head += "Content-Encoding: gzip\r\n"
            }
            if page.chunked {
                head += "Transfer-Encoding: chunked\r\n"
                body = HomepageWriter.chunk(body)
            } else {
                head += "Content-Length: \(body.count)\r\n"
            }
            head += "Connection: close\r\n\r\n"
            let response = Array(head.utf8) + body
            out +=
                record(
                    type: "response", uri: uri, date: date, contentType: "application/http;msgtype=response", block: response,
                    extra: [("WARC-IP-Address", page.address.text), ("WARC-Concurrent-To", requestRecord.id)]
                ).bytes
            if let number = page.cert {
                let certURI = "http://\(page.host)/cert/bazs.cert"
                let certRequest = "GET /cert/bazs.cert HTTP/1.1\r\nHost: \(page.host)\r\nUser-Agent: beian-crawler/1.0\r\n\r\n"
                let certRequestRecord = record(
                    type: "request", uri: certURI, date: date, contentType: "application/http;msgtype=request",
                    block: Array(certRequest.utf8))
                out += certRequestRecord.bytes
                let der = try certificate(host: page.host, number: number)
                let certResponse =
                    Array(
                        "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: application/octet-stream\r\nContent-Length: \(der.count)\r\n\r\n"
                            .utf8) + der
                out +=
                    record(
                        type: "response", uri: certURI, date: date, contentType: "application/http;msgtype=response", block: certResponse,
                        extra: [("WARC-IP-Address", page.address.text), ("WARC-Concurrent-To", certRequestRecord.id)]
                    ).bytes
            }
        }
        let url = directory.appendingPathComponent(HomepageWriter.file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(out).write(to: url)
        return pages
    }

    // MARK: Truth

    func truthLine(_ page: Page) -> String {
        var object = JSONObject()
        object.set("host", page.host)
        object.set("url", "http://\(page.host)/")
        object.set("charset", page.charset)
        object.set("declared_charset", page.declared)
        object.set("site_number", "\(world.sponsors[world.sites[page.site].sponsor].number)-\(world.sites[page.site].index)")
        object.set("footer", "\(page.footer)")
        object.set("finding", page.footer.finding)
        object.set("cert_number", page.cert)
        object.set(
            "numbers",
            array: page.shown.map { shown in
                var item = JSONObject()
                item.set("number", shown.number)
                item.set("verbatim", shown.verbatim)
                item.set("visible", shown.visible)
                item.set("place", shown.place)
                item.set("footer", shown.footer)
                item.set("link_host", shown.linkHost)
                return item
            })
        return object.text
    }

    func findings(_ pages: [Page]) -> [TruthFinding] {
        pages.compactMap { page in
            guard let kind = page.footer.finding else { return nil }
            let site = world.sites[page.site]
            let sponsor = world.sponsors[site.sponsor]
            var finding = TruthFinding(kind: kind, count: 1)
            finding.host = page.host
            finding.independentDomain = Judge.registrable(site.domains[0].ascii)
            finding.sponsorNumber = sponsor.number
            finding.siteNumber = "\(sponsor.number)-\(site.index)"
            return finding
        }.sorted { $0.key < $1.key }
    }
}

/// Minimal DER encoding (definite lengths below 64 KiB), for the attribute certificate.
enum DER {
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out = [tag]
        if content.count < 128 {
            out.append(UInt8(content.count))
        } else if content.count < 256 {
            out += [0x81, UInt8(content.count)]
        } else {
            out += [0x82, UInt8(content.count >> 8), UInt8(content.count & 0xFF)]
        }
        return out + content
    }

    static func oid(_ text: String) -> [UInt8] {
        let arcs = text.split(separator: ".").compactMap { Int($0) }
        var body = [UInt8(arcs[0] * 40 + arcs[1])]
        for arc in arcs.dropFirst(2) {
            var bytes = [UInt8(arc & 0x7F)]
            var rest = arc >> 7
            while rest > 0 {
                bytes.insert(UInt8(0x80 | (rest & 0x7F)), at: 0)
                rest >>= 7
            }
            body += bytes
        }
        return tlv(0x06, body)
    }

}
