import BeianCore
import Testing

@Suite struct DomainNameTests {
    @Test(arguments: [
        ("Example.COM", "example.com"),
        ("www.example.com.", "www.example.com"),
        ("中国移动.中国", "xn--fiq02ib9d179b.xn--fiqs8s"),
        ("XN--FIQ02IB9D179B.xn--fiqs8s.", "xn--fiq02ib9d179b.xn--fiqs8s"),
        ("中国移动。中国", "xn--fiq02ib9d179b.xn--fiqs8s"),
        ("ＷＷＷ．例子．公司", "www.xn--fsqu00a.xn--55qx5d"),
        ("例子.网络", "xn--fsqu00a.xn--io0a7i"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("faß.de", "xn--fa-hia.de"),
        ("_dmarc.example.com", "_dmarc.example.com"),
        ("r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com"),
        ("localhost", "localhost"),
        ("a1.b2.c3", "a1.b2.c3"),
    ])
    func normalises(text: String, expected: String) throws {
        #expect(try DomainName(text).ascii == expected)
    }

    @Test(arguments: [
        "", ".", "a..b", "-a.com", "a-.com", "a b.com", "a/b.com", "1.2.3.4", "example.123",
        String(repeating: "a", count: 64) + ".com",
        Array(repeating: "abcdefghi", count: 26).joined(separator: "."),
        "xn--zz.com", "ex@mple.com", "a\u{0}b.com",
    ])
    func refuses(text: String) {
        #expect(throws: ValueError.self) { try DomainName(text) }
    }

    /// The string, substring and byte forms read every name alike: the same lookup form, or the
    /// same refusal, with the message naming what was given.
    @Test(arguments: [
        "Example.COM", "www.example.com.", "example.com", "中国移动。中国", "XN--FIQ02IB9D179B.xn--fiqs8s.", "Xn--zz.com", "a..b",
        "ex@mple.com", "example.123", "-a.com", String(repeating: "a", count: 64) + ".com", "_dmarc.Example.com",
    ])
    func everyFormAlike(text: String) {
        let substring = ("<" + text + ">").dropFirst().dropLast()
        let forms: [Result<DomainName, ValueError>] = [
            Result { () throws(ValueError) in try DomainName(text) },
            Result { () throws(ValueError) in try DomainName(substring) },
            Array(text.utf8).withUnsafeBufferPointer { bytes in Result { () throws(ValueError) in try DomainName(utf8: bytes) } },
        ]
        for form in forms {
            switch (form, forms[0]) {
            case (.success(let name), .success(let first)): #expect(name == first)
            case (.failure(let error), .failure(let first)):
                #expect(error.reason == first.reason)
                if error.code == .invalidDomain && !text.isEmpty { #expect(error.reason.contains(String(text.prefix(20)))) }
            default: Issue.record("\(text): the forms disagree: \(forms)")
            }
        }
    }

    @Test func unicodeFormForReports() throws {
        #expect(try DomainName("xn--fiq02ib9d179b.xn--fiqs8s").unicode == "中国移动.中国")
        #expect(try DomainName("example.com").unicode == "example.com")
    }

    @Test func subdomains() throws {
        let parent = try DomainName("sina.com.cn")
        #expect(try DomainName("news.sina.com.cn").isSubdomain(of: parent))
        #expect(try DomainName("sina.com.cn").isSubdomain(of: parent))
        #expect(try !DomainName("xsina.com.cn").isSubdomain(of: parent))
        #expect(try DomainName("a.b.c").parent?.ascii == "b.c")
    }

    @Test func hosts() throws {
        #expect(try Host.parse("1.2.3.4") == .address(.v4(IPv4Address(1, 2, 3, 4))))
        #expect(try Host.parse("[2001:db8::1]") == .address(IPAddress.parse("2001:db8::1")))
        #expect(try Host.parse("::ffff:1.2.3.4") == .address(.v4(IPv4Address(1, 2, 3, 4))))
        #expect(try Host.parse("WWW.Example.com") == .name(DomainName("www.example.com")))
    }
}

@Suite struct PublicSuffixListTests {
    static let list = try! PublicSuffixList.load()
    static let withPrivate = try! PublicSuffixList.load(policy: .all)

    @Test(arguments: [
        ("news.sina.com.cn", "sina.com.cn"),
        ("sina.com.cn", "sina.com.cn"),
        ("www.beijing.gov.cn", "beijing.gov.cn"),
        ("www.miit.gov.cn", "miit.gov.cn"),
        ("a.b.example.bj.cn", "example.bj.cn"),
        ("www.example.sh.cn", "example.sh.cn"),
        ("edu.example.edu.cn", "example.edu.cn"),
        ("www.example.cn", "example.cn"),
        ("www.baidu.com", "baidu.com"),
        ("中国移动.中国", "xn--fiq02ib9d179b.xn--fiqs8s"),
        ("www.中国移动.中国", "xn--fiq02ib9d179b.xn--fiqs8s"),
        ("www.例子.公司", "xn--fsqu00a.xn--55qx5d"),
        ("shop.例子.网络", "xn--fsqu00a.xn--io0a7i"),
        ("a.example.co.uk", "example.co.uk"),
        ("user.github.io", "github.io"),
        ("foo.bar.unknowntld", "bar.unknowntld"),
        ("www.city.kawasaki.jp", "city.kawasaki.jp"),
        ("a.b.c.kawasaki.jp", "b.c.kawasaki.jp"),
        ("kawasaki.jp", "kawasaki.jp"),
    ])
    func independentDomain(host: String, expected: String) throws {
        #expect(try Self.list.independentDomain(of: DomainName(host))?.ascii == expected)
    }

    @Test(arguments: ["com.cn", "cn", "gov.cn", "bj.cn", "中国", "公司", "com", "c.kawasaki.jp"])
    func publicSuffixesHaveNone(name: String) throws {
        let domain = try DomainName(name)
        #expect(Self.list.independentDomain(of: domain) == nil)
        #expect(Self.list.isPublicSuffix(domain))
    }

    @Test func privateSectionOnlyWhenAsked() throws {
        #expect(try Self.list.independentDomain(of: DomainName("user.github.io"))?.ascii == "github.io")
        #expect(try Self.withPrivate.independentDomain(of: DomainName("user.github.io"))?.ascii == "user.github.io")
        #expect(Self.withPrivate.ruleCount > Self.list.ruleCount)
    }

    @Test func rulesFromText() throws {
        let list = PublicSuffixList(text: "// test\ncn\ncom.cn\n*.wild.cn\n!keep.wild.cn\n")
        #expect(try list.independentDomain(of: DomainName("x.y.com.cn"))?.ascii == "y.com.cn")
        #expect(try list.independentDomain(of: DomainName("a.b.wild.cn"))?.ascii == "a.b.wild.cn")
        #expect(try list.independentDomain(of: DomainName("x.keep.wild.cn"))?.ascii == "keep.wild.cn")
        #expect(list.ruleCount == 4)
    }
}
