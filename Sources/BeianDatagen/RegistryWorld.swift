import BeianCore

/// The registry side of a generated world: the filing system's view of one province.
///
/// Everything is derived from the seed; nothing depends on the clock or on hash order, so the
/// same seed writes the same bytes.
struct RegistryWorld {
    struct Unit {
        enum Role { case registry, operatorUnit, accessProvider, reseller }
        var id: Int64
        var name: String
        var role: Role
        var licence: String?
        var province: Province
        var unitClass: Int
        var industry: Int
    }

    struct Sponsor {
        var id: Int64
        var province: Province
        var serial: String
        var name: String
        var nature: Int
        var idType: Int
        var idNumber: String
        var contactName: String
        var phone: String
        var mobile: String
        var email: String
        var address: String
        var firstFiled: String
        var approved: String
        var updated: String

        var number: String { "\(province.abbreviation)ICP备\(serial)号" }
    }

    struct Domain {
        /// As written in the export (Unicode for IDNs).
        var written: String
        /// The A-label form.
        var ascii: String
    }

    struct Site {
        var id: Int64
        var sponsor: Int
        var index: Int
        var names: [String]
        var domains: [Domain]
        var homepage: String
        var firstFiled: String
        var updated: String
    }

    struct Address: Hashable, Comparable {
        /// IPv4 in the low 32 bits when `v6` is false.
        var value: UInt128
        var v6: Bool

        static func < (a: Address, b: Address) -> Bool { a.v6 != b.v6 ? !a.v6 : a.value < b.value }

        var text: String {
            if !v6 {
                let v = UInt32(truncatingIfNeeded: value)
                return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
            }
            // RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups
            // (the first of equal runs) as "::".
            let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
            var best = (start: -1, length: 0)
            var run = (start: -1, length: 0)
            for (index, group) in groups.enumerated() {
                if group == 0 {
                    run = run.start < 0 ? (index, 1) : (run.start, run.length + 1)
                    if run.length > best.length { best = run }
                } else {
                    run = (-1, 0)
                }
            }
            let hex = groups.map { String($0, radix: 16) }
            guard best.length >= 2 else { return hex.joined(separator: ":") }
            let head = hex[..<best.start].joined(separator: ":")
            let tail = hex[(best.start + best.length)...].joined(separator: ":")
            return head + "::" + tail
        }

        /// The V3.0 form: an integer for IPv4, text for IPv6 (beian's extension).
        var registryText: String { v6 ? text : String(UInt32(truncatingIfNeeded: value)) }
    }

    struct Block {
        var first: Address
        var last: Address

        init(_ first: Address, _ last: Address) {
            self.first = first
            self.last = last
        }

        static func v4(_ a: UInt32, _ length: Int) -> Block {
            let size = UInt128(1) << (32 - length)
            return Block(Address(value: UInt128(a), v6: false), Address(value: UInt128(a) + size - 1, v6: false))
        }

        static func v6(_ a: UInt128, _ length: Int) -> Block {
            let host: UInt128 = length == 0 ? .max : (UInt128(1) << (128 - length)) - 1
            return Block(Address(value: a, v6: true), Address(value: a | host, v6: true))
        }

        var size: UInt128 { last.value - first.value + 1 }
    }

    struct Access {
        var id: Int64
        var site: Int
        var provider: Int64
        var ranges: [Block]
        var placement: Int
        var method: Int
    }

    struct Cancellation {
        var target: Int
        var recordID: Int64
        var date: String
    }

    struct Source {
        var id: Int64
        var unit: Int64
        var block: Block
        var sourceUnit: Int64
    }

    struct Allocation {
        var id: Int64
        var unit: Int64
        var block: Block
        var mode: Int
        var target: Int64?
        var userName: String
        var userNature: Int
        var province: Province
        var city: Int
        var date: String
        var usage: Int
        var contactName: String
        var phone: String
        var email: String
        var address: String
    }

    struct SelfBrought {
        var id: Int64
        var unit: Int64
        var block: Block
        var userName: String
        var province: Province
        var date: String
        var sourceUnitName: String
    }

    struct Registration {
        var id: Int64
        var domain: Domain
        var registrant: String
        var organisation: String
        var registrar: String
        var nameServers: [String]
        var registered: String
        var expires: String
        var email: String
        var phone: String
    }

    struct SponsorBlacklist {
        var name: String
        var nature: Int
        var idType: Int
        var idNumber: String
    }

    struct SiteBlacklist {
        var names: [String]
        var domains: [Domain]
        var homepage: String
    }

    struct IllegalAccess {
        var id: Int64
        var domain: Domain
        var address: Address
        var provider: Int64
        var detected: String
    }

    struct Unfiled {
        var id: Int64
        var domain: Domain
        var address: Address
        var first: String
        var last: String
        var count: Int
        var provider: Int64
        var operatorUnit: Int64
    }

    var province: Province
    var units: [Unit] = []
    var sponsors: [Sponsor] = []
    var sites: [Site] = []
    var accesses: [Access] = []
    var cancellations: [Cancellation] = []
    var sources: [Source] = []
    var allocations: [Allocation] = []
    var selfBrought: [SelfBrought] = []
    var registrations: [Registration] = []
    var sponsorBlacklist: [SponsorBlacklist] = []
    var siteBlacklist: [SiteBlacklist] = []
    var illegalAccess: [IllegalAccess] = []
    var unfiled: [Unfiled] = []
}

/// How big a world to make.
struct RegistryPreset {
    var sponsors: Int
    var name: String
    /// Weights of 1, 2 and 3 domains per site.
    var domainWeights: [Double] = [45, 40, 15]

    static let sample = RegistryPreset(sponsors: 300, name: "sample")
    static let province = RegistryPreset(sponsors: 30_000, name: "province")
    /// 3.35 M sponsors: 5 M sites (1.5 a sponsor), 10 M domains (2 a site), 1.3 M allocations.
    static let national = RegistryPreset(sponsors: 3_350_000, name: "national", domainWeights: [30, 40, 30])
}
