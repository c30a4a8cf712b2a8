import BeianCore
import BeianGeo
import BeianTestSupport
import Foundation
import Testing

/// Writes a small MaxMind database with the `mmdb-writer` PyPI package (installed by
/// Scripts/setup.sh), so the test data are made here, not copied from elsewhere.
func writeTestDatabase() throws -> String {
    let directory = try Fixtures.temporaryDirectory("beian-geo")
    let path = directory.appendingPathComponent("test.mmdb").path
    let script = """
        from mmdb_writer import MMDBWriter
        from netaddr import IPSet
        w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type='beian-test-country', languages=['en'])
        w.insert_network(IPSet(['1.0.1.0/24', '240e::/20']), {'country': {'iso_code': 'CN'}, 'autonomous_system_number': 4134,
            'autonomous_system_organization': 'CHINANET-BACKBONE'})
        w.insert_network(IPSet(['8.8.8.0/24']), {'country': {'iso_code': 'US'}, 'autonomous_system_number': 15169,
            'autonomous_system_organization': 'GOOGLE'})
        w.insert_network(IPSet(['203.0.113.0/24']), {'registered_country': {'iso_code': 'JP'}})
        w.to_db_file('\(path)')
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw GeoError(file: path, message: "python3 with mmdb-writer could not write the test database (run Scripts/setup.sh)")
    }
    return path
}

@Suite struct GeoDatabaseTests {
    @Test func answersCountryAndNetwork() throws {
        let database = try GeoDatabase(path: try writeTestDatabase())
        #expect(database.databaseType == "beian-test-country")
        let china = try database.lookup(try IPAddress.parse("1.0.1.77"))
        #expect(china.country == "CN")
        #expect(china.asn == 4134)
        #expect(china.organisation == "CHINANET-BACKBONE")
        #expect(try database.isDomestic(try IPAddress.parse("240e:3a0::1")) == true)
        #expect(try database.lookup(try IPAddress.parse("8.8.8.8")).country == "US")
        #expect(try database.isDomestic(try IPAddress.parse("8.8.8.8")) == false)
        // Registered country when no country of its own.
        #expect(try database.lookup(try IPAddress.parse("203.0.113.9")).country == "JP")
        // Not in the database at all.
        #expect(try database.lookup(try IPAddress.parse("192.0.2.1")) == GeoAnswer())
        #expect(try database.isDomestic(try IPAddress.parse("192.0.2.1")) == nil)
    }

    @Test func refusesWhatIsNotADatabase() throws {
        #expect(throws: GeoError.self) { try GeoDatabase(path: "/nonexistent.mmdb") }
        let path = try Fixtures.temporaryDirectory("beian-geo").appendingPathComponent("not.mmdb").path
        try Data("this is not a MaxMind database".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try GeoDatabase(path: path)
            Issue.record("a text file opened as a database")
        } catch {
            #expect(error.description.contains(path))
            #expect(error.message.contains("cannot open"))
        }
    }
}
