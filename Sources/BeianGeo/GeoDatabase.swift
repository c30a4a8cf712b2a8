public import BeianCore
internal import CMaxMindDB
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why a MaxMind database could not be opened or answered.
public struct GeoError: Error, Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

/// What a database says of an address.
public struct GeoAnswer: Hashable, Sendable {
    /// ISO 3166-1 alpha-2 country code (`CN`), registered country when the address has no
    /// country of its own.
    public var country: String?
    public var asn: UInt32?
    public var organisation: String?

    public init(country: String? = nil, asn: UInt32? = nil, organisation: String? = nil) {
        self.country = country
        self.asn = asn
        self.organisation = organisation
    }
}

/// A MaxMind DB file (GeoIP2/GeoLite2 Country, City, ASN, or any database with the same
/// fields), read through libmaxminddb with the file memory-mapped.
///
/// `@unchecked Sendable`: libmaxminddb lookups only read the mapped database after
/// `MMDB_open`; the handle is closed in `deinit` only.
public final class GeoDatabase: @unchecked Sendable {
    public let path: String
    private var database = MMDB_s()
    /// The database's own description of itself (`GeoLite2-Country`).
    public let databaseType: String
    public let buildTime: Timestamp
    public let ipVersion: Int

    public init(path: String) throws(GeoError) {
        self.path = path
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), &database)
        guard status == MMDB_SUCCESS else {
            let reason = String(cString: MMDB_strerror(status))
            let detail = status == MMDB_IO_ERROR ? " (\(String(cString: strerror(errno))))" : ""
            throw GeoError(file: path, message: "cannot open the MaxMind database: \(reason)\(detail)")
        }
        databaseType = database.metadata.database_type.map { String(cString: $0) } ?? "unknown"
        buildTime = Timestamp(secondsSince1970: Int64(clamping: database.metadata.build_epoch))
        ipVersion = Int(database.metadata.ip_version)
    }

    deinit {
        MMDB_close(&database)
    }

    /// The country and network owner of `address`; nil fields where the database has none.
    public func lookup(_ address: IPAddress) throws(GeoError) -> GeoAnswer {
        var storage = sockaddr_storage()
        var mmdbError: Int32 = 0
        let result: MMDB_lookup_result_s = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                fill(sa, address)
                return MMDB_lookup_sockaddr(&database, sa, &mmdbError)
            }
        }
        guard mmdbError == MMDB_SUCCESS else {
            throw GeoError(file: path, message: "lookup of \(address) failed: \(String(cString: MMDB_strerror(mmdbError)))")
        }
        guard result.found_entry else { return GeoAnswer() }
        var entry = result.entry
        var answer = GeoAnswer()
        answer.country = try first(&entry, [["country", "iso_code"], ["registered_country", "iso_code"], ["country_code"]])
        answer.asn = try unsigned(&entry, ["autonomous_system_number"])
        answer.organisation = try first(&entry, [["autonomous_system_organization"], ["organization"], ["isp"]])
        return answer
    }

    /// Whether the database has an entry for `address` (the search alone, no data decoded):
    /// the cost of a longest-prefix match in libmaxminddb.
    public func hasEntry(_ address: IPAddress) -> Bool {
        var storage = sockaddr_storage()
        var error: Int32 = 0
        let result: MMDB_lookup_result_s = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                fill(sa, address)
                return MMDB_lookup_sockaddr(&database, sa, &error)
            }
        }
        return error == MMDB_SUCCESS && result.found_entry
    }

    /// Whether the database puts `address` in mainland China (`CN`). Nil when it does not
    /// know the address.
    public func isDomestic(_ address: IPAddress) throws(GeoError) -> Bool? {
        try lookup(address).country.map { $0 == "CN" }
    }

    private func fill(_ sa: UnsafeMutablePointer<sockaddr>, _ address: IPAddress) {
        switch address {
        case .v4(let a):
            sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                sin.pointee.sin_family = sa_family_t(AF_INET)
                sin.pointee.sin_addr.s_addr = a.value.bigEndian
            }
        case .v6(let a):
            sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                sin6.pointee.sin6_family = sa_family_t(AF_INET6)
                withUnsafeMutableBytes(of: &sin6.pointee.sin6_addr) { bytes in
                    for i in 0..<16 { bytes[i] = UInt8(truncatingIfNeeded: a.value >> (120 - 8 * i)) }
                }
            }
        }
    }

    private func value(_ entry: inout MMDB_entry_s, _ path: [String]) throws(GeoError) -> MMDB_entry_data_s? {
        var data = MMDB_entry_data_s()
        var cStrings = path.map { strdup($0) }
        defer { for string in cStrings { free(string) } }
        cStrings.append(nil)
        let status = cStrings.withUnsafeBufferPointer { pointers in
            pointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { rebound in
                MMDB_aget_value(&entry, &data, rebound.baseAddress)
            }
        }
        if status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR || status == MMDB_INVALID_LOOKUP_PATH_ERROR { return nil }
        guard status == MMDB_SUCCESS else {
            throw GeoError(file: path.joined(separator: "/"), message: "damaged data: \(String(cString: MMDB_strerror(status)))")
        }
        return data.has_data ? data : nil
    }

    /// The first of `paths` that holds a string.
    private func first(_ entry: inout MMDB_entry_s, _ paths: [[String]]) throws(GeoError) -> String? {
        for path in paths {
            if let found = try string(&entry, path) { return found }
        }
        return nil
    }

    private func string(_ entry: inout MMDB_entry_s, _ path: [String]) throws(GeoError) -> String? {
        guard let data = try value(&entry, path), data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING) else { return nil }
        let length = Int(data.data_size)
        guard length >= 0, length <= 4096, let bytes = data.utf8_string else { return nil }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    private func unsigned(_ entry: inout MMDB_entry_s, _ path: [String]) throws(GeoError) -> UInt32? {
        guard let data = try value(&entry, path) else { return nil }
        switch Int32(data.type) {
        case MMDB_DATA_TYPE_UINT32: return data.uint32
        case MMDB_DATA_TYPE_UINT16: return UInt32(data.uint16)
        default: return nil
        }
    }
}
