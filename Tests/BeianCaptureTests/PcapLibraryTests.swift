import BeianCapture
import Testing

@Test func linksAgainstLibpcap() {
    let version = PcapLibrary.version
    #expect(version.hasPrefix("libpcap version "))
    #expect(version.contains("."))
}
