import BeianCore
import BeianHomepages
import BeianIndex
import BeianScan
import BeianTestSupport
import Foundation
import Testing

/// The footer judge against the sample registry.
@Suite struct HomepageJudgeTests {
    static let path: String = (try? buildIndex(try sampleRegistry()).path) ?? ""

    /// A filed site in force with a domain, its sponsor number, and another sponsor's number.
    func filedSite(_ index: RegistryIndex) throws -> (host: String, sponsor: String, other: String) {
        var found: (String, String)?
        var other: String?
        for i in 0..<index.siteCount {
            let site = index.site(i)
            guard site.cancelled == nil, site.sponsor?.cancelled == nil, let sponsor = site.sponsor?.number,
                let domain = site.domains.first?.name
            else { continue }
            if found == nil {
                found = (domain, sponsor)
            } else if sponsor != found?.1 {
                other = sponsor
                break
            }
        }
        let (host, sponsor) = try #require(found)
        return (host, sponsor, try #require(other))
    }

    @Test func eachFooterCaseIsJudged() throws {
        let index = try RegistryIndex(path: Self.path)
        let judge = HomepageJudge(index: index)
        let (host, sponsor, other) = try filedSite(index)
        func verdict(_ footer: String) -> HomepageJudgement? {
            let reading = PageReading(body: Array("<html><body><footer>\(footer)</footer></body></html>".utf8), headerCharset: "utf-8")
            return judge.judge(host: host, numbers: reading.numbers, at: try? Timestamp.parse("2026-03-01"))
        }
        let linked = "<a href=\"https://beian.miit.gov.cn/\">\(sponsor)</a>"
        #expect(verdict(linked)?.kind == nil)
        #expect(verdict(linked)?.detail.contains("linked") == true)
        // The sponsor's number with another site's suffix: right, the suffix noted.
        let suffixed = verdict("<a href=\"https://beian.miit.gov.cn/\">\(sponsor)-99</a>")
        #expect(suffixed?.kind == nil && suffixed?.siteSuffixDiffers == true)
        #expect(verdict("<p>\(sponsor)</p>")?.kind == .footerNotLinked)
        #expect(verdict("<a href=\"http://beian.miit.gov.cn.evil.example/\">\(sponsor)</a>")?.kind == .footerNotLinked)
        #expect(verdict("<a href=\"https://beian.miit.gov.cn/\">\(other)</a>")?.kind == .footerNumberWrong)
        #expect(verdict("<p>沪交ICP备12345678号</p>")?.kind == .footerNumberWrong)
        #expect(verdict("<p>Copyright 2026</p>")?.kind == .footerNumberMissing)
        // Read as a person reads it: a bar between the province and ICP, or the number written
        // as character references, is the number; without ICP it is wrong, never missing.
        let bar = sponsor.replacingOccurrences(of: "ICP", with: "｜ICP")
        #expect(verdict("<a href=\"https://beian.miit.gov.cn/\">\(bar)</a>")?.kind == nil)
        let references = sponsor.unicodeScalars.map { $0.isASCII ? String($0) : "&#\($0.value);" }.joined()
        #expect(verdict("<a href=\"https://beian.miit.gov.cn/\">\(references)</a>")?.kind == nil)
        let withoutICP = verdict("<a href=\"https://beian.miit.gov.cn/\">\(sponsor.replacingOccurrences(of: "ICP", with: ""))</a>")
        #expect(withoutICP?.kind == .footerNumberWrong)
        #expect(withoutICP?.detail.contains("no ICP") == true)
        let hidden = verdict("<!-- \(sponsor) -->")
        #expect(hidden?.kind == .footerNumberMissing)
        #expect(hidden?.detail.contains("comment") == true)
        // A host without a filing is not judged here (the traffic rules report it).
        let reading = PageReading(body: Array("<p>x</p>".utf8), headerCharset: nil)
        #expect(judge.judge(host: "no-such-site-anywhere.cn", numbers: reading.numbers, at: nil) == nil)
    }
}
