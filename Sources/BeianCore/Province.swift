/// A provincial-level division of mainland China, as filing numbers and registry codes
/// name it.
///
/// Codes are GB/T 2260 (`11` Beijing; registry fields write `110000`). The abbreviation is
/// the one ICP numbers use (蜀 黔 滇 陇 for Sichuan, Guizhou, Yunnan, Gansu); `plate` is the
/// licence-plate form (川 贵 云 甘) that older pages and public-security numbers use.
public struct Province: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Two-digit GB/T 2260 code.
    public let code: Int
    /// Abbreviation in ICP numbers.
    public let abbreviation: Character
    /// Licence-plate abbreviation (the same as `abbreviation` for most).
    public let plate: Character
    public let name: String

    /// The six-digit registry form (`110000`).
    public var registryCode: Int { code * 10000 }

    public var description: String { String(abbreviation) }

    public static func < (lhs: Province, rhs: Province) -> Bool { lhs.code < rhs.code }

    /// The code identifies a province.
    public static func == (lhs: Province, rhs: Province) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The 31 provincial-level divisions that hold ICP filings.
    public static let all: [Province] = [
        Province(code: 11, abbreviation: "京", plate: "京", name: "北京市"),
        Province(code: 12, abbreviation: "津", plate: "津", name: "天津市"),
        Province(code: 13, abbreviation: "冀", plate: "冀", name: "河北省"),
        Province(code: 14, abbreviation: "晋", plate: "晋", name: "山西省"),
        Province(code: 15, abbreviation: "蒙", plate: "蒙", name: "内蒙古自治区"),
        Province(code: 21, abbreviation: "辽", plate: "辽", name: "辽宁省"),
        Province(code: 22, abbreviation: "吉", plate: "吉", name: "吉林省"),
        Province(code: 23, abbreviation: "黑", plate: "黑", name: "黑龙江省"),
        Province(code: 31, abbreviation: "沪", plate: "沪", name: "上海市"),
        Province(code: 32, abbreviation: "苏", plate: "苏", name: "江苏省"),
        Province(code: 33, abbreviation: "浙", plate: "浙", name: "浙江省"),
        Province(code: 34, abbreviation: "皖", plate: "皖", name: "安徽省"),
        Province(code: 35, abbreviation: "闽", plate: "闽", name: "福建省"),
        Province(code: 36, abbreviation: "赣", plate: "赣", name: "江西省"),
        Province(code: 37, abbreviation: "鲁", plate: "鲁", name: "山东省"),
        Province(code: 41, abbreviation: "豫", plate: "豫", name: "河南省"),
        Province(code: 42, abbreviation: "鄂", plate: "鄂", name: "湖北省"),
        Province(code: 43, abbreviation: "湘", plate: "湘", name: "湖南省"),
        Province(code: 44, abbreviation: "粤", plate: "粤", name: "广东省"),
        Province(code: 45, abbreviation: "桂", plate: "桂", name: "广西壮族自治区"),
        Province(code: 46, abbreviation: "琼", plate: "琼", name: "海南省"),
        Province(code: 50, abbreviation: "渝", plate: "渝", name: "重庆市"),
        Province(code: 51, abbreviation: "蜀", plate: "川", name: "四川省"),
        Province(code: 52, abbreviation: "黔", plate: "贵", name: "贵州省"),
        Province(code: 53, abbreviation: "滇", plate: "云", name: "云南省"),
        Province(code: 54, abbreviation: "藏", plate: "藏", name: "西藏自治区"),
        Province(code: 61, abbreviation: "陕", plate: "陕", name: "陕西省"),
        Province(code: 62, abbreviation: "陇", plate: "甘", name: "甘肃省"),
        Province(code: 63, abbreviation: "青", plate: "青", name: "青海省"),
        Province(code: 64, abbreviation: "宁", plate: "宁", name: "宁夏回族自治区"),
        Province(code: 65, abbreviation: "新", plate: "新", name: "新疆维吾尔自治区"),
    ]

    private static let byAbbreviationTable: [Character: Province] = {
        var table: [Character: Province] = [:]
        for province in all {
            table[province.abbreviation] = province
            table[province.plate] = province
        }
        // Traditional forms seen on pages from Hong Kong and Taiwan tooling.
        let traditional: [Character: Character] = [
            "滬": "沪", "遼": "辽", "魯": "鲁", "蘇": "苏", "贛": "赣", "晉": "晋", "陝": "陕", "閩": "闽",
            "粵": "粤", "寧": "宁", "瓊": "琼", "隴": "陇", "雲": "云", "貴": "贵",
        ]
        for (variant, simplified) in traditional {
            table[variant] = table[simplified]
        }
        return table
    }()

    private static let byScalarTable: [UInt32: Province] = {
        var table: [UInt32: Province] = [:]
        for (character, province) in byAbbreviationTable {
            if let scalar = character.unicodeScalars.first { table[scalar.value] = province }
        }
        return table
    }()

    /// The province an abbreviation names, from its Unicode scalar value.
    public static func abbreviated(scalar: UInt32) -> Province? {
        byScalarTable[scalar]
    }

    private static let byCodeTable: [Int: Province] = Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })

    /// The province an abbreviation names: ICP, plate and traditional forms are accepted.
    public static func abbreviated(_ character: Character) -> Province? {
        byAbbreviationTable[character]
    }

    /// The province of a code: two-digit (`11`) or a six-digit division code (`110000`,
    /// or a city/county code such as `110105`, whose first two digits name the province).
    public static func coded(_ code: Int) -> Province? {
        if code >= 10 && code <= 99 { return byCodeTable[code] }
        if code >= 100_000 && code <= 999_999 { return byCodeTable[code / 10000] }
        return nil
    }
}
