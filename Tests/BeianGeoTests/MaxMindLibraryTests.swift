import BeianGeo
import Testing

@Test func linksAgainstLibmaxminddb() {
    let parts = MaxMindLibrary.version.split(separator: ".")
    #expect(parts.count >= 2)
    #expect(parts.allSatisfy { Int($0) != nil })
}
