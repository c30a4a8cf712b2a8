internal import CPcap

/// Facts about the libpcap this build links against.
public enum PcapLibrary {
    /// libpcap's own version string (`libpcap version 1.10.3 (with TPACKET_V3)`).
    public static var version: String {
        String(cString: pcap_lib_version())
    }
}
