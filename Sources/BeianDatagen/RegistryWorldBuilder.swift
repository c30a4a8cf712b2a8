import BeianCore

/// Words the generator builds names from.
enum Vocabulary {
    static let cities = ["杭州", "宁波", "温州", "绍兴", "湖州", "嘉兴", "金华", "衢州", "台州", "丽水", "舟山"]
    static let districts = ["西湖区", "上城区", "拱墅区", "滨江区", "余杭区", "萧山区", "鄞州区", "鹿城区", "越城区", "吴兴区"]
    static let roads = ["文三路", "天目山路", "延安路", "解放路", "中山路", "江南大道", "学院路", "环城北路", "钱江路", "莫干山路"]
    static let words = [
        "云帆", "星辰", "远航", "明月", "青山", "锦绣", "华信", "数智", "恒通", "瑞丰", "汇众", "博远", "启明", "乐享", "鼎盛", "东方",
        "江南", "新源", "创想", "合力", "天成", "清风", "蓝海", "金桥", "银河", "宏图", "聚力", "优品", "卓越", "同心",
    ]
    static let industries = ["网络科技", "信息技术", "电子商务", "文化传媒", "教育咨询", "贸易", "软件", "餐饮管理", "旅游发展", "茶业"]
    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"]
    static let givenNames = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "建华", "晓东", "海燕", "志强"]
    static let departments = ["教育局", "人力资源和社会保障局", "文化和旅游局", "卫生健康委员会", "市场监督管理局", "交通运输局"]
    static let siteNouns = ["官网", "商城", "博客", "论坛", "资讯网", "服务平台", "门户", "在线", "学习网", "云平台"]
    static let latinWords = [
        "yunfan", "xingchen", "yuanhang", "mingyue", "qingshan", "jinxiu", "huaxin", "shuzhi", "hengtong", "ruifeng", "huizhong",
        "boyuan", "qiming", "lexiang", "dingsheng", "dongfang", "jiangnan", "xinyuan", "chuangxiang", "heli", "tiancheng", "qingfeng",
        "lanhai", "jinqiao", "yinhe", "hongtu", "juli", "youpin", "zhuoyue", "tongxin", "westlake", "tea", "silk", "cloud", "data",
    ]
    /// Labels of internationalised names (their A-labels come from `Punycode`).
    static let idnLabels = ["例子", "测试", "网络科技", "杭州", "西湖", "书店", "餐厅", "旅游", "茶叶", "龙井", "丝绸", "美食", "商城", "快递", "音乐"]
    /// Chinese TLDs with their A-labels (from the root zone).
    static let idnSuffixes: [(String, String)] = [("中国", "xn--fiqs8s"), ("公司", "xn--55qx5d"), ("网络", "xn--io0a7i")]
    static let registrars = ["阿里云计算有限公司（万网）", "北京新网数码信息技术有限公司", "厦门易名科技股份有限公司", "西部数码股份有限公司", "腾讯云计算（北京）有限责任公司"]
    static let nameServers = [
        ["dns1.hichina.com", "dns2.hichina.com"], ["ns1.xinnet.cn", "ns2.xinnet.cn"], ["ns3.dnsv5.com", "ns4.dnsv5.com"],
        ["f1g1ns1.dnspod.net", "f1g1ns2.dnspod.net"],
    ]
}

/// Builds a registry world from a seed.
struct RegistryWorldBuilder {
    var random: SeededRandom
    var world: RegistryWorld
    let preset: RegistryPreset
    private var nextID: Int64 = 1000
    private var usedSerials: Set<String> = []
    private var usedDomains: Set<String> = []
    /// Customer blocks of each access provider (`Fpfs` 1), where sites are served from.
    private var customerBlocks: [Int64: [RegistryWorld.Block]] = [:]
    /// The same by provider and family (`provider * 2 + 1` for IPv6), in the same order.
    private var customerBlocksByFamily: [Int: [RegistryWorld.Block]] = [:]
    private var customerBlockOrder: [Int64] = []
    private var addressCursor: [Int: UInt128] = [:]

    init(seed: UInt64, preset: RegistryPreset) {
        random = SeededRandom(seed: seed)
        self.preset = preset
        // The sample province: Zhejiang.
        world = RegistryWorld(province: Province.coded(33) ?? Province.all[0])
    }

    mutating func id() -> Int64 {
        nextID += 1
        return nextID
    }

    static func build(seed: UInt64, preset: RegistryPreset) -> RegistryWorld {
        var builder = RegistryWorldBuilder(seed: seed, preset: preset)
        builder.makeUnits()
        builder.makeIPFilings()
        builder.makeSponsorsAndSites()
        builder.makeCancellations()
        builder.makeRegistrations()
        builder.makeBlacklists()
        builder.plantPaperMismatches()
        return builder.world
    }

    // MARK: Units

    mutating func makeUnits() {
        let p = world.province
        world.units.append(
            .init(id: 1, name: "中国互联网络信息中心", role: .registry, licence: nil, province: Province.coded(11) ?? p, unitClass: 4, industry: 7))
        let operators = ["中国电信股份有限公司浙江分公司", "中国联合网络通信有限公司浙江省分公司", "中国移动通信集团浙江有限公司"]
        for (i, name) in operators.enumerated() {
            world.units.append(
                .init(
                    id: Int64(10 + i), name: name, role: .operatorUnit, licence: "A2.B1-2009000\(i + 1)", province: p, unitClass: 1,
                    industry: 7))
        }
        let providers = [
            "杭州云帆数据科技有限公司", "浙江星辰云计算有限公司", "宁波远航网络服务有限公司", "温州明月信息技术有限公司", "绍兴青山数据中心有限公司",
            "浙江锦绣互联网服务有限公司", "杭州华信云科技有限公司", "嘉兴数智网络有限公司",
        ]
        for (i, name) in providers.enumerated() {
            let licence = i % 3 == 0 ? "B1.B2-2018\(String(1000 + i * 37))" : "B1-2019\(String(2000 + i * 41))"
            world.units.append(
                .init(id: Int64(100 + i), name: name, role: .accessProvider, licence: licence, province: p, unitClass: 2, industry: 7))
        }
        let resellers = ["杭州恒通网络工作室", "宁波瑞丰信息咨询有限公司", "金华汇众电子商务有限公司", "台州博远科技有限公司"]
        for (i, name) in resellers.enumerated() {
            world.units.append(.init(id: Int64(200 + i), name: name, role: .reseller, licence: nil, province: p, unitClass: 3, industry: 7))
        }
    }

    var operators: [RegistryWorld.Unit] { world.units.filter { $0.role == .operatorUnit } }
    var providers: [RegistryWorld.Unit] { world.units.filter { $0.role == .accessProvider } }
    var resellers: [RegistryWorld.Unit] { world.units.filter { $0.role == .reseller } }

    // MARK: IP filings

    mutating func allocate(
        _ unit: Int64, _ block: RegistryWorld.Block, mode: Int, target: Int64? = nil, userName: String, nature: Int = 4
    ) {
        let year = random.int(2012...2024)
        let contact = personName()
        world.allocations.append(
            .init(
                id: id(), unit: unit, block: block, mode: mode, target: target, userName: userName, userNature: nature,
                province: world.province, city: 330100 + random.int(0...10) * 100, date: date(year: year), usage: mode == 1 ? 1 : 3,
                contactName: contact, phone: "0571-8\(random.digits(7))", email: "noc\(random.int(1...999))@example.cn",
                address:
                    "浙江省\(random.pick(Vocabulary.cities))市\(random.pick(Vocabulary.districts))\(random.pick(Vocabulary.roads))\(random.int(1...999))号"
            ))
    }

    mutating func makeIPFilings() {
        // Source blocks of the three operators (real operator space in Zhejiang).
        let v4Sources: [[(UInt32, Int)]] = [
            [(0x73EC_0000, 16), (0x3CBF_0000, 16)],  // 115.236.0.0/16, 60.191.0.0/16
            [(0x6545_0000, 16), (0x7CA0_0000, 16)],  // 101.69.0.0/16, 124.160.0.0/16
            [(0x700D_0000, 16), (0xDF5E_0000, 16)],  // 112.13.0.0/16, 223.94.0.0/16
        ]
        let v6Sources: [UInt128] = [0x240E_03A0 << 96, 0x2408_8256 << 96, 0x2409_8A28 << 96]
        var operatorPools: [[RegistryWorld.Block]] = []
        for (i, unit) in operators.enumerated() {
            var pool: [RegistryWorld.Block] = []
            for (base, length) in v4Sources[i] {
                let block = RegistryWorld.Block.v4(base, length)
                world.sources.append(.init(id: id(), unit: unit.id, block: block, sourceUnit: 1))
                pool.append(block)
            }
            let v6 = RegistryWorld.Block.v6(v6Sources[i], 32)
            world.sources.append(.init(id: id(), unit: unit.id, block: v6, sourceUnit: 1))
            operatorPools.append(pool)
            // Self use and reserve: the first /20 and the last /20 of the first block.
            let first = UInt32(truncatingIfNeeded: pool[0].first.value)
            allocate(unit.id, .v4(first, 20), mode: 3, userName: unit.name)
            allocate(unit.id, .v4(first + 0xF000, 20), mode: 4, userName: unit.name)
        }
        // Operators → access providers: three /22 each (再次分配), one IPv6 /48.
        var cursor = [UInt32](repeating: 0x1000, count: operators.count)
        for (p, provider) in providers.enumerated() {
            let op = p % operators.count
            var received: [RegistryWorld.Block] = []
            for k in 0..<3 {
                let pool = operatorPools[op][k % 2]
                let base = UInt32(truncatingIfNeeded: pool.first.value) + cursor[op]
                cursor[op] += 0x400
                let block = RegistryWorld.Block.v4(base, 22)
                allocate(operators[op].id, block, mode: 2, target: provider.id, userName: provider.name)
                received.append(block)
            }
            let v6 = RegistryWorld.Block.v6(v6Sources[op] | UInt128(p + 1) << 80, 48)
            allocate(operators[op].id, v6, mode: 2, target: provider.id, userName: provider.name)
            // Provider → customers (分配且使用): /28 blocks; one /24 to a reseller for some.
            var offsets: UInt32 = 0
            let customers = max(2, preset.sponsors / 20)
            for _ in 0..<customers {
                let block = received[Int(offsets / 0x400) % received.count]
                let base = UInt32(truncatingIfNeeded: block.first.value) + offsets % 0x300
                offsets += 0x10
                let customer = RegistryWorld.Block.v4(base, 28)
                allocate(provider.id, customer, mode: 1, userName: companyName())
                addCustomerBlock(customer, of: provider.id)
            }
            let customerV6 = RegistryWorld.Block.v6(v6.first.value | 0x1 << 64, 64)
            allocate(provider.id, customerV6, mode: 1, userName: companyName())
            addCustomerBlock(customerV6, of: provider.id)
            customerBlockOrder.append(provider.id)
            if p < resellers.count {
                // Provider → unlicensed reseller (再次分配) → its customers: a sub-leasing chain.
                let reseller = resellers[p]
                let resold = RegistryWorld.Block.v4(UInt32(truncatingIfNeeded: received[2].first.value) + 0x300, 24)
                allocate(provider.id, resold, mode: 2, target: reseller.id, userName: reseller.name)
                for k in 0..<4 {
                    let block = RegistryWorld.Block.v4(UInt32(truncatingIfNeeded: resold.first.value) + UInt32(k) * 0x10, 28)
                    allocate(reseller.id, block, mode: 1, userName: companyName())
                    addCustomerBlock(block, of: provider.id)
                }
            }
        }
        // Planted inconsistencies: an allocation outside the allocating unit's space (越界),
        // and two units claiming the same block (冲突).
        let outside = RegistryWorld.Block.v4(0x3CBF_F800, 28)  // inside operator 10's reserve
        allocate(providers[1].id, outside, mode: 1, userName: companyName())
        if let taken = customerBlocks[providers[0].id]?.first {
            allocate(providers[2].id, taken, mode: 1, userName: companyName())
        }
        // Self-brought ranges.
        for k in 0..<3 {
            let block = RegistryWorld.Block.v4(0x2BF0_0000 + UInt32(k) * 0x100, 24)  // 43.240.x.0/24
            world.selfBrought.append(
                .init(
                    id: id(), unit: providers[k].id, block: block, userName: providers[k].name, province: world.province,
                    date: date(year: 2020 + k), sourceUnitName: "亚太互联网络信息中心"))
        }
    }

    mutating func addCustomerBlock(_ block: RegistryWorld.Block, of provider: Int64) {
        customerBlocks[provider, default: []].append(block)
        customerBlocksByFamily[Int(provider) * 2 + (block.first.v6 ? 1 : 0), default: []].append(block)
    }

    /// The next unused address of a provider's customer space (IPv6 when asked).
    mutating func address(of provider: Int64, v6: Bool) -> RegistryWorld.Address {
        let key = Int(provider) * 2 + (v6 ? 1 : 0)
        let blocks = customerBlocksByFamily[key] ?? []
        let used = addressCursor[key, default: 0]
        addressCursor[key] = used + 1
        let perBlock: UInt128 = v6 ? 1 << 16 : 14
        let block = blocks[Int(used / perBlock) % blocks.count]
        return RegistryWorld.Address(value: block.first.value + 1 + used % perBlock, v6: v6)
    }

    // MARK: Sponsors and sites

    mutating func personName() -> String {
        random.pick(Vocabulary.surnames) + random.pick(Vocabulary.givenNames)
    }

    mutating func companyName() -> String {
        "\(random.pick(Vocabulary.cities))\(random.pick(Vocabulary.words))\(random.pick(Vocabulary.industries))有限公司"
    }

    func date(year: Int, month: Int = 0, day: Int = 0) -> String {
        let m = month == 0 ? 1 + year % 12 : month
        let d = day == 0 ? 1 + (year * 7) % 28 : day
        return "\(year)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    mutating func randomDate(_ years: ClosedRange<Int>) -> String {
        date(year: random.int(years), month: random.int(1...12), day: random.int(1...28))
    }

    /// A resident ID number (GB 11643: region, birth date, sequence, ISO 7064 check digit).
    mutating func residentID() -> String {
        let body =
            "3301\(random.int(0...9))\(random.int(1...9))\(random.int(1960...2002))\(String(format2: random.int(1...12)))\(String(format2: random.int(1...28)))\(random.digits(3))"
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + ($1.0.wholeNumberValue ?? 0) * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }

    mutating func serial() -> String {
        while true {
            let serial =
                random.chance(0.6)
                ? String(format2: random.int(8...18)) + random.digits(6) : "\(random.int(2019...2025))" + random.digits(6)
            if usedSerials.insert(serial).inserted { return serial }
        }
    }

    mutating func domain(for nature: Int, hint: Int) -> RegistryWorld.Domain {
        var attempts = 0
        while true {
            attempts += 1
            var base =
                random.pick(Vocabulary.latinWords) + (random.chance(0.5) ? random.pick(Vocabulary.latinWords) : "")
                + (random.chance(0.3) ? String(random.int(1...99)) : "")
            // Large worlds outgrow the vocabulary: a serial keeps names unique.
            if attempts > 3 { base += String(usedDomains.count) }
            let domain: RegistryWorld.Domain
            switch (nature, random.weighted([40, 20, 15, 8, 5, 7])) {
            case (2, _): domain = .init(written: "\(base).gov.cn", ascii: "\(base).gov.cn")
            case (3, _): domain = .init(written: "\(base).org.cn", ascii: "\(base).org.cn")
            case (_, 0): domain = .init(written: "\(base).com", ascii: "\(base).com")
            case (_, 1): domain = .init(written: "\(base).cn", ascii: "\(base).cn")
            case (_, 2): domain = .init(written: "\(base).com.cn", ascii: "\(base).com.cn")
            case (_, 3): domain = .init(written: "\(base).net", ascii: "\(base).net")
            case (_, 4): domain = .init(written: "\(base).zj.cn", ascii: "\(base).zj.cn")
            default:
                let label = random.pick(Vocabulary.idnLabels)
                let suffix = random.pick(Vocabulary.idnSuffixes)
                let number = random.int(1...999)
                let written = "\(label)\(number)"
                domain = .init(written: "\(written).\(suffix.0)", ascii: Punycode.aLabel(written) + "." + suffix.1)
            }
            if usedDomains.insert(domain.ascii).inserted { return domain }
        }
    }

    mutating func makeSponsorsAndSites() {
        let natures = [4, 5, 3, 2, 6]
        let weights: [Double] = [60, 25, 6, 4, 5]
        for i in 0..<preset.sponsors {
            let nature = natures[random.weighted(weights)]
            let person = nature == 5
            let city = random.pick(Vocabulary.cities)
            let name: String
            switch nature {
            case 5: name = personName()
            case 2: name = "\(city)市\(random.pick(Vocabulary.departments))"
            case 3: name = "\(city)市第\(random.int(1...30))中学"
            case 6: name = "\(city)市\(random.pick(Vocabulary.words))协会"
            default: name = companyName()
            }
            let filedYear = random.int(2008...2025)
            let firstFiled = date(year: filedYear, month: random.int(1...12), day: random.int(1...28))
            // A few sponsors of other provinces host their sites here.
            let province = i % 50 == 7 ? (Province.coded(31) ?? world.province) : world.province
            let sponsor = RegistryWorld.Sponsor(
                id: 3_300_000_000 + Int64(i), province: province, serial: serial(), name: name, nature: nature, idType: person ? 1 : 2,
                idNumber: person ? residentID() : "91330\(random.digits(3))MA2\(random.digits(7))X", contactName: personName(),
                phone: "0571-8\(random.digits(7))", mobile: "13\(random.digits(9))", email: "admin\(random.int(1...9999))@mail.example.cn",
                address: "浙江省\(city)市\(random.pick(Vocabulary.districts))\(random.pick(Vocabulary.roads))\(random.int(1...999))号",
                firstFiled: firstFiled, approved: firstFiled + " 10:\(String(format2: random.int(0...59))):00",
                updated: "\(random.int(filedYear...2025))-06-30 16:00:00")
            world.sponsors.append(sponsor)
            let siteCount = [1, 2, 3][random.weighted([60, 30, 10])]
            for index in 1...siteCount {
                makeSite(sponsor: world.sponsors.count - 1, index: index)
            }
        }
        // Near-misses for later checks: a sub-domain of another sponsor's domain filed as a site
        // of its own.
        let stride = max(1, world.sites.count / 5)
        for k in 0..<4 where (k + 1) * stride < world.sites.count {
            let parent = world.sites[k * stride].domains[0]
            let child = RegistryWorld.Domain(written: "shop.\(parent.written)", ascii: "shop.\(parent.ascii)")
            guard usedDomains.insert(child.ascii).inserted else { continue }
            world.sites[(k + 1) * stride].domains.append(child)
        }
    }

    mutating func makeSite(sponsor: Int, index: Int) {
        let owner = world.sponsors[sponsor]
        let domainCount = [1, 2, 3][random.weighted(preset.domainWeights)]
        var domains: [RegistryWorld.Domain] = []
        for _ in 0..<domainCount { domains.append(domain(for: owner.nature, hint: index)) }
        let base = owner.name.count > 6 ? String(owner.name.prefix(4)) : owner.name
        let site = RegistryWorld.Site(
            id: 3_310_000_000 + Int64(world.sites.count), sponsor: sponsor, index: index,
            names: random.chance(0.1)
                ? [base + random.pick(Vocabulary.siteNouns), base + "移动版"] : [base + random.pick(Vocabulary.siteNouns)],
            domains: domains, homepage: "http://www.\(domains[0].written)", firstFiled: owner.firstFiled, updated: owner.updated)
        world.sites.append(site)
        let provider = random.pick(customerBlockOrder)
        let accessCount = random.chance(0.1) ? 2 : 1
        for k in 0..<accessCount {
            let chosen = k == 0 ? provider : random.pick(customerBlockOrder)
            var ranges = [RegistryWorld.Block(address(of: chosen, v6: false), address(of: chosen, v6: false))]
            ranges[0].last = ranges[0].first
            if random.chance(0.15) {
                let v6 = address(of: chosen, v6: true)
                ranges.append(RegistryWorld.Block(v6, v6))
            }
            world.accesses.append(
                .init(
                    id: 3_320_000_000 + Int64(world.accesses.count), site: world.sites.count - 1, provider: chosen, ranges: ranges,
                    placement: 330000 + random.int(1...11) * 100, method: random.int(1...3)))
        }
        // Two sites reached by bare address.
        if world.sites.count == 17 || world.sites.count == 91 {
            let address = world.accesses[world.accesses.count - 1].ranges[0].first.text
            world.sites[world.sites.count - 1].homepage = "http://\(address):8080/"
        }
    }

    mutating func makeCancellations() {
        for (i, sponsor) in world.sponsors.enumerated() where i % 53 == 11 {
            world.cancellations.append(.init(target: 0, recordID: sponsor.id, date: randomDate(2022...2025)))
        }
        for (i, site) in world.sites.enumerated() where i % 29 == 5 {
            world.cancellations.append(.init(target: 1, recordID: site.id, date: randomDate(2022...2025)))
        }
        for (i, access) in world.accesses.enumerated() where i % 47 == 13 {
            world.cancellations.append(.init(target: 2, recordID: access.id, date: randomDate(2023...2025)))
        }
    }

    mutating func makeRegistrations() {
        for site in world.sites {
            let owner = world.sponsors[site.sponsor]
            for domain in site.domains where !domain.ascii.hasPrefix("shop.") {
                let roll = random.weighted([85, 8, 7])
                if roll == 2 { continue }  // not registered
                let registrant = roll == 0 ? owner.name : companyName()
                let year = random.int(2005...2024)
                world.registrations.append(
                    .init(
                        id: id(), domain: domain, registrant: registrant, organisation: owner.nature == 5 ? "" : registrant,
                        registrar: random.pick(Vocabulary.registrars), nameServers: random.pick(Vocabulary.nameServers),
                        registered: date(year: year), expires: date(year: year + random.int(1...10)),
                        email: "dns\(random.int(1...9999))@mail.example.cn", phone: "+86.571\(random.digits(8))"))
            }
        }
    }

    /// Access records naming a provider other than the one whose space their addresses are in
    /// (接入商不符 on paper, and in traffic when the site is served there).
    mutating func plantPaperMismatches() {
        // A second access record at the same provider for some sites (the traffic serves only
        // the first of them for some: 多报).
        var firstAccess: [Int: RegistryWorld.Access] = [:]
        for access in world.accesses where firstAccess[access.site] == nil { firstAccess[access.site] = access }
        for index in world.sites.indices where index % 9 == 3 {
            guard let first = firstAccess[index] else { continue }
            let address = address(of: first.provider, v6: false)
            world.accesses.append(
                .init(
                    id: 3_320_000_000 + Int64(world.accesses.count), site: index, provider: first.provider,
                    ranges: [RegistryWorld.Block(address, address)], placement: first.placement, method: first.method))
        }
        for index in world.accesses.indices where index % 41 == 7 {
            let current = world.accesses[index].provider
            guard let position = customerBlockOrder.firstIndex(of: current) else { continue }
            world.accesses[index].provider = customerBlockOrder[(position + 3) % customerBlockOrder.count]
        }
    }

    mutating func makeBlacklists() {
        for k in 0..<5 {
            let person = k % 2 == 0
            world.sponsorBlacklist.append(
                .init(
                    name: k == 0 ? world.sponsors[3].name : (person ? personName() : companyName()), nature: person ? 5 : 4,
                    idType: person ? 1 : 2,
                    idNumber: person ? residentID() : "91330\(random.digits(3))MA2\(random.digits(7))X"))
        }
        for _ in 0..<5 {
            let domain = self.domain(for: 4, hint: 0)
            world.siteBlacklist.append(
                .init(names: ["\(random.pick(Vocabulary.words))娱乐"], domains: [domain], homepage: "http://www.\(domain.written)"))
        }
        for k in 0..<5 {
            let provider = customerBlockOrder[k % customerBlockOrder.count]
            world.illegalAccess.append(
                .init(
                    id: id(), domain: self.domain(for: 4, hint: 0), address: address(of: provider, v6: false), provider: provider,
                    detected: randomDate(2025...2025) + " 08:00:00"))
        }
        for k in 0..<5 {
            let provider = customerBlockOrder[(k + 2) % customerBlockOrder.count]
            let first = randomDate(2025...2025)
            world.unfiled.append(
                .init(
                    id: id(), domain: self.domain(for: 4, hint: 0), address: address(of: provider, v6: false), first: first,
                    last: "2025-12-31 12:00:00", count: random.int(1...40), provider: provider, operatorUnit: Int64(10 + k % 3)))
        }
    }
}

extension String {
    /// Two digits, zero-padded.
    init(format2 value: Int) {
        self = value < 10 ? "0\(value)" : "\(value)"
    }
}
