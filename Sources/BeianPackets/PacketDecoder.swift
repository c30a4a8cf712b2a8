public import BeianCore

/// Turns packets into observations: link layers, IP (with fragment reassembly), tunnels
/// (GTP-U, IP in IP, GRE, ERSPAN, VXLAN, VXLAN-GPE, Geneve, Teredo, CAPWAP), TCP and UDP, then TLS and QUIC ClientHellos, HTTP requests and DNS
/// answers.
///
/// Most packets are payload of established connections: each is tested statelessly (do its
/// first bytes start a hello, a request or a DNS answer?) and touches flow state only when
/// it is a candidate or its flow is known to be waiting for more bytes. One decoder per
/// worker; a decoder is not shared between threads.
public struct PacketDecoder {
    public struct Configuration: Sendable {
        /// Bytes of a client stream kept to find a hello or a request head.
        public var streamLimit = 16 * 1024
        /// Seconds of packet time after which a waiting stream or fragment set is given up.
        public var idleTimeout: Int64 = 60
        /// Streams tracked at most (SYN seen, hello or request incomplete, or reported and
        /// kept to recognise retransmissions); the oldest are evicted beyond.
        public var maximumStreams = 1 << 20
        /// Bytes of incomplete hellos, request heads and DNS messages held at most, all
        /// streams together; the least recently seen are given up beyond (and counted).
        public var maximumBufferedBytes = 64 << 20
        /// IP datagrams being reassembled at most.
        public var maximumFragmentedDatagrams = 4096
        /// UDP ports carrying GTP-U.
        public var gtpPorts: Set<UInt16> = [2152]
        /// Tunnels (GTP-U, IP in IP, GRE, overlays) nested at most.
        public var maximumTunnelDepth = 4
        public init() {}
    }

    public let configuration: Configuration
    public internal(set) var statistics = PacketStatistics()
    /// Observations found since the caller last emptied this.
    public var observations: [Observation] = []

    private let gtpPorts: PortSet
    var streams: StreamTable
    var fragments: FragmentTable
    var quic: QUICTable
    /// h2c and DNS-over-HTTP connections, by the client's direction.
    var connections: [FlowKey: HTTP2Connection] = [:]

    // The packet being decoded.
    private(set) var now: Int64 = 0
    private var packetNumber: UInt64 = 0
    private var file = ""
    // Configuration fields read per packet, kept apart from the struct (which holds a Set).
    private let maximumTunnelDepth: Int
    let streamLimit: Int

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        gtpPorts = PortSet(configuration.gtpPorts)
        maximumTunnelDepth = configuration.maximumTunnelDepth
        streamLimit = configuration.streamLimit
        streams = StreamTable(
            limit: configuration.streamLimit, capacity: configuration.maximumStreams, budget: configuration.maximumBufferedBytes)
        fragments = FragmentTable(capacity: configuration.maximumFragmentedDatagrams)
        quic = QUICTable(capacity: configuration.maximumStreams / 4)
    }

    /// Starts an input: `file` names it in the observations' sources. Streams and fragments
    /// of the previous input are given up (see `finish`).
    public mutating func begin(file: String) {
        finish()
        self.file = file
        nextSweep = .min
    }

    /// Decodes one captured packet of the current input. `nanoseconds` is its time, `number`
    /// its position in the input (from 1).
    public mutating func decode(_ packet: UnsafeRawBufferPointer, link: LinkType, nanoseconds: Int64, number: UInt64) {
        now = nanoseconds
        packetNumber = number
        statistics.packets &+= 1
        statistics.bytes &+= UInt64(packet.count)
        if now / 1_000_000_000 >= nextSweep { sweep() }
        network(LinkLayer.network(packet, link: link), depth: 0)
        if case .unknownLink = LinkLayer.classify(link) {
            statistics.unknownLinkTypes[link.rawValue, default: 0] &+= 1
        }
    }

    /// Goes on with what the link layer gave: an IP packet, or a reason to stop.
    private mutating func network(_ outcome: LinkLayer.Outcome, depth: Int) {
        switch outcome {
        case .ip(let bytes): ip(bytes, depth: depth)
        case .aggregate(let subframes):
            let whole = Wireless.subframes(subframes, limit: Self.maximumSubframes) { network($0, depth: depth) }
            if !whole { statistics.count(.truncatedLinkHeader) }
        case .failure(let reason): statistics.count(reason)
        }
    }

    /// The statistics so far, reset to zero.
    public mutating func takeStatistics() -> PacketStatistics {
        defer { statistics = PacketStatistics() }
        return statistics
    }

    /// Gives up every waiting stream and fragment set (the end of the input): what was
    /// incomplete is counted.
    public mutating func finish() {
        statistics.reassemblyFailures &+= UInt64(streams.removeAll())
        statistics.malformed[MalformedReason.fragmentsDropped.rawValue] &+= UInt64(fragments.removeAll())
        quic.removeAll()
        connections.removeAll()
    }

    /// Subframes of one 802.11 aggregate read at most (a 7,935-byte A-MSDU holds fewer).
    static let maximumSubframes = 256

    private mutating func ethernet(_ frame: UnsafeRawBufferPointer, depth: Int) {
        network(LinkLayer.ethernet(frame), depth: depth)
    }

    // MARK: IP

    private mutating func ip(_ packet: UnsafeRawBufferPointer, depth: Int) {
        guard !packet.isEmpty else { return statistics.count(.truncatedLinkHeader) }
        switch packet[0] >> 4 {
        case 4: ipv4(packet, depth: depth)
        case 6: ipv6(packet, depth: depth)
        default: statistics.count(.unsupportedNetworkProtocol)
        }
    }

    private mutating func ipv4(_ packet: UnsafeRawBufferPointer, depth: Int) {
        guard packet.count >= 20 else { return statistics.count(.truncatedIPv4Header) }
        let headerLength = Int(packet[0] & 0x0F) * 4
        // A total length of 0 is a segmentation-offload capture (TSO): take what was captured.
        let totalLength = packet.u16(2) == 0 ? packet.count : Int(packet.u16(2))
        guard headerLength >= 20, totalLength >= headerLength, packet.count >= headerLength else {
            return statistics.count(.badIPv4Header)
        }
        if depth == 0 { statistics.ipv4 &+= 1 }
        // A capture may cut the packet (snap length) or pad it (Ethernet minimum).
        let end = min(packet.count, totalLength)
        let source = IPAddress.v4(IPv4Address(packet.u32(12)))
        let destination = IPAddress.v4(IPv4Address(packet.u32(16)))
        let proto = packet[9]
        let fragment = packet.u16(6)
        let payload = packet.slice(headerLength, end)
        if fragment & 0x3FFF != 0 {  // more fragments, or an offset
            statistics.fragments &+= 1
            let key = FragmentTable.Key(
                source: source, destination: destination, identification: UInt32(packet.u16(4)), proto: proto)
            let offset = Int(fragment & 0x1FFF) * 8
            let more = fragment & 0x2000 != 0
            return reassembled(key, payload, offset: offset, more: more, source: source, destination: destination, depth: depth)
        }
        transport(proto, payload, source: source, destination: destination, depth: depth)
    }

    private mutating func ipv6(_ packet: UnsafeRawBufferPointer, depth: Int) {
        guard packet.count >= 40 else { return statistics.count(.truncatedIPv6Header) }
        if depth == 0 { statistics.ipv6 &+= 1 }
        let payloadLength = Int(packet.u16(4))
        // A zero payload length is a jumbogram (or TSO capture): take what was captured.
        let end = payloadLength == 0 ? packet.count : min(packet.count, 40 + payloadLength)
        let source = IPAddress.v6(IPv6Address(packet.u128(8)))
        let destination = IPAddress.v6(IPv6Address(packet.u128(24)))
        var next = packet[6]
        var offset = 40
        var headers = 0
        while true {
            switch next {
            case 0, 43, 60, 135, 139, 140:  // hop-by-hop, routing, destination options, mobility, HIP, shim6
                guard offset + 8 <= end, headers < 8 else { return statistics.count(.badIPv6ExtensionHeader) }
                next = packet[offset]
                offset += (Int(packet[offset + 1]) + 1) * 8
                headers += 1
            case 51:  // authentication header
                guard offset + 8 <= end, headers < 8 else { return statistics.count(.badIPv6ExtensionHeader) }
                next = packet[offset]
                offset += (Int(packet[offset + 1]) + 2) * 4
                headers += 1
            case 44:  // fragment
                guard offset + 8 <= end else { return statistics.count(.badIPv6ExtensionHeader) }
                statistics.fragments &+= 1
                let proto = packet[offset]
                let field = packet.u16(offset + 2)
                let key = FragmentTable.Key(source: source, destination: destination, identification: packet.u32(offset + 4), proto: 0)
                return reassembled(
                    key, packet.slice(offset + 8, end), offset: Int(field & 0xFFF8), more: field & 1 != 0, source: source,
                    destination: destination, depth: depth, v6NextHeader: proto)
            default:
                guard offset <= end else { return statistics.count(.badIPv6ExtensionHeader) }
                return transport(next, packet.slice(offset, end), source: source, destination: destination, depth: depth)
            }
        }
    }

    private mutating func reassembled(
        _ key: FragmentTable.Key, _ piece: UnsafeRawBufferPointer, offset: Int, more: Bool, source: IPAddress, destination: IPAddress,
        depth: Int, v6NextHeader: UInt8? = nil
    ) {
        switch fragments.add(key, piece, offset: offset, more: more, now: now, nextHeader: v6NextHeader) {
        case .waiting: return
        case .overflow: statistics.count(.fragmentOverflow)
        case .evicted(let count):
            statistics.malformed[MalformedReason.fragmentsDropped.rawValue] &+= UInt64(count)
        case .complete(let datagram, let nextHeader):
            statistics.reassembledDatagrams &+= 1
            datagram.withUnsafeBytes { bytes in
                transport(v6NextHeader == nil ? key.proto : nextHeader, bytes, source: source, destination: destination, depth: depth)
            }
        }
    }

    // MARK: Transport

    private mutating func transport(
        _ proto: UInt8, _ payload: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress, depth: Int
    ) {
        switch proto {
        case 6:
            tcp(payload, source: source, destination: destination)
        case 17: udp(payload, source: source, destination: destination, depth: depth)
        case 4, 41:  // IP in IP
            guard depth < maximumTunnelDepth else { return statistics.count(.tunnelTooDeep) }
            statistics.tunnelled &+= 1
            ip(payload, depth: depth + 1)
        case 47: gre(payload, depth: depth)
        default: return
        }
    }

    /// GRE (RFC 2784, 2890): version 0 carries an EtherType's protocol, ERSPAN mirrors or
    /// Cisco metadata; version 1 is PPTP's (RFC 2637), carrying PPP.
    private mutating func gre(_ payload: UnsafeRawBufferPointer, depth: Int) {
        guard depth < maximumTunnelDepth else { return statistics.count(.tunnelTooDeep) }
        guard payload.count >= 4 else { return statistics.count(.truncatedTransportHeader) }
        let flags = payload.u16(0)
        let type = payload.u16(2)
        var offset = 4
        switch flags & 0x0007 {
        case 0:
            if flags & 0x8000 != 0 { offset += 4 }  // checksum
            if flags & 0x2000 != 0 { offset += 4 }  // key
            if flags & 0x1000 != 0 { offset += 4 }  // sequence number
        case 1:
            // Enhanced GRE: key (payload length, call ID) always, sequence and acknowledgment numbers when flagged.
            guard type == 0x880B else { return }
            offset += 4
            if flags & 0x1000 != 0 { offset += 4 }
            if flags & 0x0080 != 0 { offset += 4 }
        default: return
        }
        guard payload.count >= offset else { return statistics.count(.truncatedTransportHeader) }
        let inner = payload.slice(offset, payload.count)
        statistics.tunnelled &+= 1
        switch type {
        case 0x6558: ethernet(inner, depth: depth + 1)  // transparent Ethernet bridging
        case 0x880B: network(LinkLayer.pppFrame(inner), depth: depth + 1)
        case 0x88BE:
            // ERSPAN: type II (an 8-byte header, flagged by the sequence number) or type I (none).
            let header = flags & 0x1000 != 0 ? 8 : 0
            guard inner.count >= header else { return statistics.count(.truncatedTransportHeader) }
            ethernet(inner.slice(header, inner.count), depth: depth + 1)
        case 0x22EB:
            // ERSPAN type III: a 12-byte header, and an 8-byte platform subheader when its O bit is set.
            guard inner.count >= 12 else { return statistics.count(.truncatedTransportHeader) }
            let header = inner[11] & 0x01 != 0 ? 20 : 12
            guard inner.count >= header else { return statistics.count(.truncatedTransportHeader) }
            ethernet(inner.slice(header, inner.count), depth: depth + 1)
        default: network(LinkLayer.etherType(type, inner), depth: depth + 1)
        }
    }

    private mutating func udp(_ datagram: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress, depth: Int) {
        guard datagram.count >= 8 else {
            return statistics.count(.truncatedTransportHeader)
        }
        let sourcePort = datagram.u16(0)
        let destinationPort = datagram.u16(2)
        let length = Int(datagram.u16(4))
        // GTP-U: the inner packet decides the worker.
        if gtpPorts.contains(destinationPort) || gtpPorts.contains(sourcePort) {
            guard length >= 8 else { return statistics.count(.badUDPLength) }
            return gtp(datagram.slice(8, min(datagram.count, length)), depth: depth)
        }
        // Overlays: VXLAN, VXLAN-GPE, Geneve, Teredo, CAPWAP data.
        if length >= 16, let inner = Self.overlay(datagram.slice(8, min(datagram.count, length)), sourcePort, destinationPort) {
            guard depth < maximumTunnelDepth else { return statistics.count(.tunnelTooDeep) }
            statistics.tunnelled &+= 1
            return network(inner, depth: depth + 1)
        }
        statistics.udp &+= 1
        guard length >= 8 else { return statistics.count(.badUDPLength) }
        let payload = datagram.slice(8, min(datagram.count, length))
        if sourcePort == 53 {
            return dns(payload, server: source, client: destination, transport: .udp)
        }
        if QUICInitial.looksLikeInitial(payload) {
            quicInitial(payload, client: source, clientPort: sourcePort, server: destination, serverPort: destinationPort)
        }
    }

    /// What a VXLAN (RFC 7348, ports 4789 and 8472), VXLAN-GPE (4790), Geneve (RFC 8926,
    /// 6081), Teredo (RFC 4380, 3544) or CAPWAP data (RFC 5415, 5247) datagram carries, when
    /// its header checks out; nil for any other datagram.
    private static func overlay(_ payload: UnsafeRawBufferPointer, _ sourcePort: UInt16, _ destinationPort: UInt16)
        -> LinkLayer.Outcome?
    {
        switch destinationPort {
        case 4789, 8472:
            // Flags with the I bit, reserved bits zero; then Ethernet.
            guard payload.count >= 8 + 14, payload[0] & 0x08 != 0, payload[7] == 0 else { return nil }
            return LinkLayer.ethernet(payload.slice(8, payload.count))
        case 4790:
            // Version 0, the P bit, then the next protocol in the fourth byte.
            guard payload.count >= 8 + 20, payload[0] & 0x30 == 0, payload[0] & 0x04 != 0,
                let next = LinkLayer.nextProtocol(payload[3], payload.slice(8, payload.count))
            else { return nil }
            return LinkLayer.etherType(next.type, next.payload)
        case 6081:
            // Version 0, options in 4-byte words, then the protocol as an EtherType
            // (0x6558: Ethernet; IPv4, IPv6, MPLS… directly).
            let optionsLength = Int(payload[0] & 0x3F) * 4
            guard payload[0] >> 6 == 0, payload.count >= 8 + optionsLength + 20 else { return nil }
            let inner = payload.slice(8 + optionsLength, payload.count)
            let type = payload.u16(2)
            return type == 0x6558 ? LinkLayer.ethernet(inner) : LinkLayer.etherType(type, inner)
        case 5247: return capwap(payload)
        default:
            if sourcePort == 5247 { return capwap(payload) }
            guard sourcePort == 3544 || destinationPort == 3544 else { return nil }
            // Optional authentication (0x0001) and origin indication (0x0000) headers, then IPv6.
            var offset = 0
            if payload.count >= 13, payload[0] == 0x00, payload[1] == 0x01 {
                offset = 13 + Int(payload[2]) + Int(payload[3])
            }
            if payload.count >= offset + 8, payload[offset] == 0x00, payload[offset + 1] == 0x00 { offset += 8 }
            guard payload.count >= offset + 40, payload[offset] >> 4 == 6 else { return nil }
            return .ip(payload.slice(offset, payload.count))
        }
    }

    /// A CAPWAP data message: preamble (version 0, type 0: a CAPWAP header), the header's
    /// length in 4-byte words, the wireless binding and the T bit (a native 802.11 frame
    /// when set, Ethernet when clear). Fragments (F) and keep-alives (K) carry no frame.
    private static func capwap(_ payload: UnsafeRawBufferPointer) -> LinkLayer.Outcome? {
        guard payload.count >= 8, payload[0] == 0 else { return nil }
        let length = Int(payload[1] >> 3) * 4
        let binding = (payload[2] >> 1) & 0x1F
        let native = payload[2] & 0x01 != 0
        guard length >= 8, payload.count >= length, payload[3] & 0x80 == 0, payload[3] & 0x08 == 0 else { return nil }
        let frame = payload.slice(length, payload.count)
        if !native { return LinkLayer.ethernet(frame) }
        guard binding == 1 else { return .failure(.unsupportedNetworkProtocol) }
        return Wireless.frame(frame, framing: .init(swappedFrameControl: Wireless.frameControlLooksSwapped(frame)))
    }

    /// GTP-U (3GPP TS 29.281): version 1, G-PDU messages carry an IP packet.
    private mutating func gtp(_ message: UnsafeRawBufferPointer, depth: Int) {
        guard depth < maximumTunnelDepth else { return statistics.count(.tunnelTooDeep) }
        switch GTPU.userPacket(message) {
        case .packet(let inner):
            statistics.tunnelled &+= 1
            ip(inner, depth: depth + 1)
        case .noUserData: return
        case .malformed: statistics.count(.badGTPHeader)
        }
    }

    // MARK: TCP

    mutating func setPacket(nanoseconds: Int64, number: UInt64) {
        now = nanoseconds
        packetNumber = number
    }

    mutating func tcpSegment(_ segment: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress) {
        tcp(segment, source: source, destination: destination)
    }

    private mutating func tcp(_ segment: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress) {
        statistics.tcp &+= 1
        guard segment.count >= 20 else { return statistics.count(.truncatedTransportHeader) }
        let headerLength = Int(segment[12] >> 4) * 4
        guard headerLength >= 20, headerLength <= segment.count else { return statistics.count(.badTCPHeader) }
        let sourcePort = segment.u16(0)
        let destinationPort = segment.u16(2)
        let sequence = segment.u32(4)
        let flags = segment[13]
        let payload = segment.slice(headerLength, segment.count)
        let key = FlowKey(source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort)
        let syn = flags & 0x02 != 0
        let ack = flags & 0x10 != 0
        if flags & 0x05 != 0 {  // FIN or RST: the stream ends here
            if !payload.isEmpty { streamSegment(key, payload, sequence: sequence) }
            if let failed = streams.close(key) { if failed { statistics.reassemblyFailures &+= 1 } }
            if !connections.isEmpty {
                connections.removeValue(forKey: key)
                connections.removeValue(forKey: key.reversed)
            }
            return
        }
        if syn {
            // A client's SYN, or a DNS server's SYN-ACK: the stream starts at the next sequence number.
            if !ack && destinationPort != 53 {
                evictIfNeeded(streams.open(key, base: sequence &+ 1, kind: .pending, now: now))
            } else if ack && sourcePort == 53 {
                evictIfNeeded(streams.open(key, base: sequence &+ 1, kind: .dns, now: now))
            }
            return
        }
        guard !payload.isEmpty else { return }
        streamSegment(key, payload, sequence: sequence)
    }

    private mutating func evictIfNeeded(_ evicted: Int) {
        statistics.evictedStreams &+= UInt64(evicted)
    }

    /// A segment with payload: the stateless test first, flow state only for candidates and
    /// waiting streams.
    private mutating func streamSegment(_ key: FlowKey, _ payload: UnsafeRawBufferPointer, sequence: UInt32) {
        let candidate: StreamTable.Kind?
        if TLSClientHello.looksLikeStart(payload) {
            candidate = .tls
        } else if HTTPRequest.looksLikeStart(payload) {
            candidate = .http
        } else if HTTP2.looksLikePreface(payload) {
            candidate = .h2
        } else if key.sourcePort == 53 && payload.count >= 2 {
            candidate = .dns
        } else {
            candidate = nil
        }
        if candidate == nil && !connections.isEmpty && !streams.mayHold(key) { followServer(key, payload, sequence: sequence) }
        guard candidate != nil || streams.mayHold(key) else { return }
        let result = streams.segment(key, payload, sequence: sequence, candidate: candidate, now: now)
        if streams.givenUp > 0 {
            statistics.reassemblyFailures &+= UInt64(streams.givenUp)
            statistics.evictedStreams &+= UInt64(streams.givenUp)
            streams.givenUp = 0
        }
        switch result {
        case .ignored: return
        case .evicted(let count): evictIfNeeded(count)
        case .ready: break
        }
        drain(key)
    }

    /// Reads what the stream of `key` holds: hellos, request heads, DNS messages.
    private mutating func drain(_ key: FlowKey) {
        while let (kind, bytes) = streams.available(key) {
            var consumed = 0
            var done = false
            var switched = false
            bytes.withUnsafeBytes { stream in
                switch kind {
                case .tls:
                    switch TLSClientHello.fromRecords(stream) {
                    case .needMore(let count):
                        if count > streamLimit {
                            statistics.reassemblyFailures &+= 1
                            done = true
                        }
                    case .invalid(let reason):
                        statistics.count(reason)
                        done = true
                    case .hello(let hello):
                        report(hello, key: key, transport: .tcp, appProtocol: .tls)
                        done = true
                    }
                case .http:
                    if !connections.isEmpty, connections[key] != nil {
                        // After `Upgrade: h2c`, the client's next bytes are the HTTP/2 preface.
                        if stream.count < 6 && HTTP2.preface.utf8Start[0] == stream[0] { return }
                        if HTTP2.looksLikePreface(stream) {
                            streams.setKind(key, .h2)
                            switched = true
                            return
                        }
                    }
                    switch HTTPRequest.parse(stream) {
                    case .needMore:
                        if stream.count >= streamLimit {
                            statistics.reassemblyFailures &+= 1
                            done = true
                        }
                    case .invalid(let reason):
                        statistics.count(reason)
                        done = true
                    case .head(let head):
                        if let host = head.host {
                            emit(
                                host: host, address: key.destination, port: key.destinationPort, transport: .tcp, appProtocol: .http,
                                client: key.source, proxy: head.proxy)
                        }
                        if head.upgradeToHTTP2 || head.asksForDNSMessage { expectResponse(key, head) }
                        if let length = head.length { consumed = length } else { done = true }
                    }
                case .dns:
                    guard stream.count >= 2 else { return }
                    let length = Int(stream.u16(0))
                    guard length >= 12 else {
                        statistics.count(.badDNSMessage)
                        done = true
                        return
                    }
                    guard stream.count >= 2 + length else {
                        if 2 + length > streamLimit {
                            statistics.reassemblyFailures &+= 1
                            done = true
                        }
                        return
                    }
                    dns(stream.slice(2, 2 + length), server: key.source, client: key.destination, transport: .tcp)
                    consumed = 2 + length
                case .h2: (consumed, done) = http2Client(key, stream)
                case .h2Server: (consumed, done) = http2Server(key, stream)
                case .httpResponse: (consumed, done, switched) = httpResponse(key, stream)
                case .pending:
                    done = true
                }
            }
            if switched { continue }
            if done {
                streams.finish(key)
                return
            }
            guard consumed > 0 else { return }
            streams.consume(key, consumed)
        }
    }

    private mutating func report(
        _ hello: TLSClientHello.Hello, key: FlowKey, transport: Observation.Transport, appProtocol: Observation.AppProtocol
    ) {
        if hello.ech { statistics.encryptedHellos &+= 1 }
        guard let name = hello.serverName, !name.isEmpty else {
            statistics.hellosWithoutName &+= 1
            return
        }
        emit(
            host: name, address: key.destination, port: key.destinationPort, transport: transport, appProtocol: appProtocol,
            client: key.source, ech: hello.ech)
    }

    // MARK: DNS and QUIC

    mutating func dns(_ message: UnsafeRawBufferPointer, server: IPAddress, client: IPAddress, transport: Observation.Transport) {
        guard let bindings = DNSMessage.bindings(message) else { return statistics.count(.badDNSMessage) }
        for binding in bindings {
            emit(host: binding.name, address: binding.address, port: 0, transport: transport, appProtocol: .dns, client: client)
        }
    }

    private mutating func quicInitial(
        _ datagram: UnsafeRawBufferPointer, client: IPAddress, clientPort: UInt16, server: IPAddress, serverPort: UInt16
    ) {
        let key = FlowKey(source: client, destination: server, sourcePort: clientPort, destinationPort: serverPort)
        // A server's Initial travels the other way on a connection already seen.
        if quic.contains(key.reversed) { return }
        switch quic.datagram(datagram, key: key, now: now) {
        case .nothing: return
        case .malformed(let reason): statistics.count(reason)
        case .decrypted: statistics.quicInitials &+= 1
        case .hello(let outcome, let packets):
            statistics.quicInitials &+= UInt64(packets)
            switch outcome {
            case .hello(let hello): report(hello, key: key, transport: .udp, appProtocol: .quic)
            case .invalid(let reason): statistics.count(reason)
            case .needMore: return
            }
        }
    }

    // MARK: Output

    mutating func emit(
        host: String, address: IPAddress, port: UInt16, transport: Observation.Transport, appProtocol: Observation.AppProtocol,
        client: IPAddress?, ech: Bool = false, proxy: Bool = false
    ) {
        statistics.observations[appProtocol.index] &+= 1
        observations.append(
            Observation(
                nanoseconds: now, host: host, address: address, port: port, transport: transport, appProtocol: appProtocol, client: client,
                ech: ech, proxy: proxy, source: .init(file: file, position: .packet(packetNumber))))
    }

    // MARK: Housekeeping

    private var nextSweep: Int64 = .min

    /// Evicts idle streams and fragment sets, about every 10 seconds of packet time.
    private mutating func sweep() {
        let seconds = now / 1_000_000_000
        if nextSweep != .min {
            // Saturating: packet times come from the capture (a pcapng offset can put them
            // anywhere in 64 bits) and the timeout from the user.
            let timeout = configuration.idleTimeout.multipliedReportingOverflow(by: 1_000_000_000)
            let difference = now.subtractingReportingOverflow(timeout.overflow ? .max : timeout.partialValue)
            let horizon = difference.overflow ? .min : difference.partialValue
            let (failed, evicted) = streams.evict(idleBefore: horizon)
            statistics.reassemblyFailures &+= UInt64(failed)
            statistics.evictedStreams &+= UInt64(evicted)
            statistics.malformed[MalformedReason.fragmentsDropped.rawValue] &+= UInt64(fragments.evict(idleBefore: horizon))
            quic.evict(idleBefore: horizon)
            if !connections.isEmpty { connections = connections.filter { $0.value.lastSeen >= horizon } }
        }
        nextSweep = seconds + 10
    }
}

extension Observation.AppProtocol {
    var index: Int {
        switch self {
        case .http: 0
        case .tls: 1
        case .quic: 2
        case .dns: 3
        }
    }
}

/// A set of ports as a bitmap (a test costs one load, no hashing).
struct PortSet {
    private var words = [UInt64](repeating: 0, count: 1024)

    init(_ ports: Set<UInt16>) {
        for port in ports { words[Int(port >> 6)] |= 1 << UInt64(port & 63) }
    }

    @inline(__always)
    func contains(_ port: UInt16) -> Bool { words[Int(port >> 6)] & (1 << UInt64(port & 63)) != 0 }
}
