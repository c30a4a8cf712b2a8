public import BeianCore
public import BeianPackets

extension PacketStatistics {
    /// Writes these statistics into an input's report: packets read, observations by
    /// protocol and the counts of the layers walked as counters, what was not used by reason.
    public func record(in report: inout InputReport) {
        report.read = Int(clamping: packets)
        report.observations = Int(clamping: observations.reduce(0, &+))
        for appProtocol in Observation.AppProtocol.allCases {
            report.counters.add(appProtocol.rawValue, Int(clamping: count(of: appProtocol)))
        }
        let layers: [(String, UInt64)] = [
            ("bytes", bytes), ("IPv4", ipv4), ("IPv6", ipv6), ("TCP", tcp), ("UDP", udp), ("tunnelled", tunnelled),
            ("fragments", fragments), ("datagrams reassembled", reassembledDatagrams), ("QUIC Initials decrypted", quicInitials),
            ("hellos with ECH", encryptedHellos), ("hellos without a server name", hellosWithoutName),
            ("reassembly failures", reassemblyFailures), ("evicted streams", evictedStreams),
        ]
        for (name, value) in layers { report.counters.add(name, Int(clamping: value)) }
        for reason in MalformedReason.allCases { report.rejected.add(reason.description, Int(clamping: count(of: reason))) }
        // Which unknown link types (their packets are among the rejections above).
        for (type, count) in unknownLinkTypes.sorted(by: { $0.key < $1.key }) {
            report.counters.add("packets of unknown link type \(type)", Int(clamping: count))
        }
    }
}

extension CaptureFile.Format {
    /// `pcap` or `pcapng`.
    public var name: String {
        switch self {
        case .pcap: "pcap"
        case .pcapng: "pcapng"
        }
    }
}
