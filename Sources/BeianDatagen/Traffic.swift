import Foundation

/// A packet on its way into a capture.
struct TimedPacket {
    /// Microseconds since 1970.
    var time: Int64
    var capture: Int
    /// The pcapng interface (0: Ethernet, 1: raw IP); always 0 in the pcap.
    var interface: Int
    var frame: [UInt8]
    /// Observations this packet completes (a hello's last missing segment, a DNS answer…).
    var completes: [Observation] = []
}

/// Writes a capture file: pcap (microseconds, Ethernet) or pcapng (an Ethernet interface in
/// microseconds and a raw-IP interface in nanoseconds).
final class CaptureWriter {
    enum Format { case pcap, pcapng }

    let format: Format
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private(set) var packets = 0
    private(set) var bytes = 0

    init(path: String, format: Format) throws {
        self.format = format
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw DatagenError("cannot create \(path)")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
        switch format {
        case .pcap:
            appendLE32(0xA1B2_C3D4)
            appendLE16(2)
            appendLE16(4)
            appendLE32(0)
            appendLE32(0)
            appendLE32(262_144)
            appendLE32(1)  // LINKTYPE_ETHERNET
        case .pcapng:
            // Section header block.
            var options: [UInt8] = []
            option(&options, 4, Array("beian-datagen".utf8))  // shb_userappl
            option(&options, 0, [])
            block(0x0A0D_0D0A, [0x4D, 0x3C, 0x2B, 0x1A, 0x01, 0x00, 0x00, 0x00] + [UInt8](repeating: 0xFF, count: 8) + options)
            // Interface 0: Ethernet, microseconds (the default resolution).
            var ethernet: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00]
            var ethernetOptions: [UInt8] = []
            option(&ethernetOptions, 2, Array("core-s1u".utf8))  // if_name
            option(&ethernetOptions, 0, [])
            ethernet += ethernetOptions
            block(0x0000_0001, ethernet)
            // Interface 1: raw IP (LINKTYPE_RAW), nanoseconds.
            var raw: [UInt8] = [0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00]
            var rawOptions: [UInt8] = []
            option(&rawOptions, 2, Array("mirror-raw".utf8))
            option(&rawOptions, 9, [9])  // if_tsresol: 10^-9
            option(&rawOptions, 0, [])
            raw += rawOptions
            block(0x0000_0001, raw)
        }
    }

    private func appendLE16(_ value: Int) {
        buffer.append(UInt8(truncatingIfNeeded: value))
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    private func appendLE32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { buffer.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private func option(_ options: inout [UInt8], _ code: Int, _ value: [UInt8]) {
        options += [UInt8(code & 0xFF), UInt8(code >> 8), UInt8(value.count & 0xFF), UInt8(value.count >> 8)]
        options += value
        options += [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
    }

    private func block(_ type: UInt32, _ body: [UInt8]) {
        let length = UInt32(12 + body.count)
        appendLE32(type)
        appendLE32(length)
        buffer += body
        appendLE32(length)
    }

    /// Writes `packet`; returns its number (from 1).
    func write(_ packet: TimedPacket) throws -> Int {
        let frame = packet.frame
        switch format {
        case .pcap:
            appendLE32(UInt32(truncatingIfNeeded: packet.time / 1_000_000))
            appendLE32(UInt32(truncatingIfNeeded: packet.time % 1_000_000))
            appendLE32(UInt32(frame.count))
            appendLE32(UInt32(frame.count))
            buffer += frame
        case .pcapng:
            let stamp = packet.interface == 1 ? UInt64(packet.time) * 1_000 : UInt64(packet.time)
            let padded = (frame.count + 3) / 4 * 4
            let length = UInt32(32 + padded)
            appendLE32(0x0000_0006)
            appendLE32(length)
            appendLE32(UInt32(packet.interface))
            appendLE32(UInt32(truncatingIfNeeded: stamp >> 32))
            appendLE32(UInt32(truncatingIfNeeded: stamp))
            appendLE32(UInt32(frame.count))
            appendLE32(UInt32(frame.count))
            buffer += frame
            buffer += [UInt8](repeating: 0, count: padded - frame.count)
            appendLE32(length)
        }
        packets += 1
        bytes += frame.count
        if buffer.count >= 1 << 20 { try flush() }
        return packets
    }

    func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle.close()
    }
}

/// Turns visits into packets, in time order, into the captures; records where each
/// observation is completed.
struct TrafficWriter {
    static let files = ["traffic/access-link.pcap", "traffic/mobile-core.pcapng"]
    static let maximumSegment = 1_448

    let scenario: Scenario
    var random: SeededRandom

    init(scenario: Scenario, seed: UInt64) {
        self.scenario = scenario
        random = SeededRandom(seed: seed ^ 0x7061_636B_6574_7321)
    }

    /// Writes the captures under `directory`; returns the observations with their packets.
    mutating func write(to directory: URL) throws -> (observations: [Observation], packets: Int, bytes: Int) {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("traffic"), withIntermediateDirectories: true)
        let writers = [
            try CaptureWriter(path: directory.appendingPathComponent(TrafficWriter.files[0]).path, format: .pcap),
            try CaptureWriter(path: directory.appendingPathComponent(TrafficWriter.files[1]).path, format: .pcapng),
        ]
        var pending = PacketHeap()
        var observations: [Observation] = []
        func drain(before time: Int64) throws {
            while let next = pending.peek, next.time < time {
                guard let packet = pending.pop() else { break }
                let number = try writers[packet.capture].write(packet)
                for var observation in packet.completes {
                    observation.file = TrafficWriter.files[packet.capture]
                    observation.packet = number
                    observations.append(observation)
                }
            }
        }
        for visit in scenario.visits {
            try drain(before: visit.time)
            for packet in try packets(of: visit) { pending.push(packet) }
        }
        try drain(before: .max)
        for writer in writers { try writer.close() }
        return (observations, writers.reduce(0) { $0 + $1.packets }, writers.reduce(0) { $0 + $1.bytes })
    }

    // MARK: Flows

    private func observation(_ visit: Scenario.Visit, host: String, address: RegistryWorld.Address, port: Int, transport: String)
        -> Observation
    {
        Observation(
            time: 0, host: host, address: address, port: port, transport: transport, proto: visit.proto, client: visit.client,
            ech: visit.ech,
            proxy: visit.proxy, file: "")
    }

    mutating func packets(of visit: Scenario.Visit) throws -> [TimedPacket] {
        switch visit.proto {
        case .tls, .http: return tcpFlow(visit)
        case .quic: return try quicFlow(visit)
        case .dns: return visit.dnsOverTCP ? tcpFlow(visit) : dnsOverUDP(visit)
        }
    }

    private func packet(_ visit: Scenario.Visit, _ time: Int64, towardsServer: Bool, _ ip: [UInt8]) -> TimedPacket {
        let tunnel = UInt32(truncatingIfNeeded: visit.client.value & 0xFFFF)
        return TimedPacket(
            time: time, capture: visit.capture, interface: visit.link == .raw ? 1 : 0,
            frame: Wire.frame(ip, link: visit.link, towardsServer: towardsServer, tunnel: tunnel))
    }

    /// What the client sends first on a TCP connection, and what it completes.
    private mutating func clientRequest(_ visit: Scenario.Visit) -> (bytes: [UInt8], observations: [Observation]) {
        switch visit.proto {
        case .tls:
            var options = Payloads.HelloOptions(serverName: visit.host)
            options.sniFirst = visit.sniFirst
            options.grease = visit.grease
            options.postQuantum = visit.postQuantum
            options.padding = visit.padding
            options.ech = visit.ech
            options.tls13 = visit.tls13
            let hello = Payloads.handshakeRecord(Payloads.clientHello(options, &random))
            return (hello, [observation(visit, host: visit.host, address: visit.server, port: visit.port, transport: "tcp")])
        case .http:
            let agent = random.pick(Payloads.userAgents)
            var bytes = Payloads.httpRequest(
                host: visit.host, port: visit.hostPort, proxy: visit.proxy, connect: visit.connect, path: "/", agent: agent)
            var seen = [observation(visit, host: visit.host, address: visit.server, port: visit.port, transport: "tcp")]
            if let second = visit.pipelined, !visit.connect {
                bytes += Payloads.httpRequest(
                    host: second, port: visit.hostPort, proxy: visit.proxy, connect: false, path: "/favicon.ico", agent: agent)
                seen.append(observation(visit, host: second, address: visit.server, port: visit.port, transport: "tcp"))
            }
            return (bytes, seen)
        case .dns:
            let query = Payloads.dnsQuery(id: visit.dnsID, name: visit.host, v6: visit.answers.first?.v6 ?? false)
            return ([UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query, [])
        case .quic:
            return ([], [])
        }
    }

    private func dnsObservations(_ visit: Scenario.Visit, transport: String) -> [Observation] {
        ([visit.host] + visit.cnames).flatMap { name in
            visit.answers.map { observation(visit, host: name, address: $0, port: 0, transport: transport) }
        }
    }

    private mutating func serverReply(_ visit: Scenario.Visit) -> [UInt8] {
        switch visit.proto {
        case .tls: return Payloads.serverFlight(bytes: visit.serverBytes, &random)
        case .http:
            var reply = Payloads.httpResponse(bytes: visit.serverBytes, connect: visit.connect, &random)
            if visit.pipelined != nil && !visit.connect { reply += Payloads.httpResponse(bytes: 300, connect: false, &random) }
            return reply
        case .dns:
            let response = Payloads.dnsResponse(
                id: visit.dnsID, name: visit.host, chain: visit.cnames, answers: visit.answers, v6: visit.answers.first?.v6 ?? false)
            return [UInt8(response.count >> 8), UInt8(response.count & 0xFF)] + response
        case .quic: return []
        }
    }

    mutating func tcpFlow(_ visit: Scenario.Visit) -> [TimedPacket] {
        let c = visit.client
        let s = visit.server
        let cp = visit.clientPort
        let sp = visit.port
        let rtt = Int64(5_000 + random.next() % 45_000)
        var clientSeq = UInt32(truncatingIfNeeded: random.next())
        var serverSeq = UInt32(truncatingIfNeeded: random.next())
        var out: [TimedPacket] = []
        var t = visit.time
        out.append(
            packet(
                visit, t, towardsServer: true,
                Wire.tcp(from: c, cp, to: s, sp, seq: clientSeq, ack: 0, flags: .syn, payload: [], window: 64_240)))
        t += rtt
        out.append(
            packet(
                visit, t, towardsServer: false,
                Wire.tcp(from: s, sp, to: c, cp, seq: serverSeq, ack: clientSeq &+ 1, flags: [.syn, .ack], payload: [], window: 65_160)))
        clientSeq &+= 1
        serverSeq &+= 1
        t += 60
        out.append(
            packet(
                visit, t, towardsServer: true, Wire.tcp(from: c, cp, to: s, sp, seq: clientSeq, ack: serverSeq, flags: .ack, payload: [])))
        // The client's first bytes, in segments; possibly out of order, possibly repeated.
        let (request, completes) = clientRequest(visit)
        var segments: [(seq: UInt32, bytes: ArraySlice<UInt8>)] = []
        var offset = 0
        while offset < request.count {
            let end = min(request.count, offset + TrafficWriter.maximumSegment)
            segments.append((clientSeq &+ UInt32(offset), request[offset..<end]))
            offset = end
        }
        var order = Array(segments.indices)
        if visit.outOfOrder && order.count > 1 { order.swapAt(0, 1) }
        for (position, index) in order.enumerated() {
            t += 40
            var sent = packet(
                visit, t, towardsServer: true,
                Wire.tcp(
                    from: c, cp, to: s, sp, seq: segments[index].seq, ack: serverSeq, flags: [.psh, .ack], payload: segments[index].bytes))
            if position == order.count - 1 {
                sent.completes = completes.map {
                    var o = $0
                    o.time = t
                    return o
                }
            }
            out.append(sent)
        }
        clientSeq &+= UInt32(request.count)
        if visit.retransmit, let first = segments.first {
            // The first segment again, as after a lost ACK.
            out.append(
                packet(
                    visit, t + 3 * rtt, towardsServer: true,
                    Wire.tcp(from: c, cp, to: s, sp, seq: first.seq, ack: serverSeq, flags: [.psh, .ack], payload: first.bytes)))
        }
        // The server's answer, paced, acknowledged every second segment.
        t += rtt
        out.append(
            packet(
                visit, t, towardsServer: false, Wire.tcp(from: s, sp, to: c, cp, seq: serverSeq, ack: clientSeq, flags: .ack, payload: [])))
        let reply = serverReply(visit)
        offset = 0
        var count = 0
        while offset < reply.count {
            let end = min(reply.count, offset + TrafficWriter.maximumSegment)
            t += 90
            var sent = packet(
                visit, t, towardsServer: false,
                Wire.tcp(
                    from: s, sp, to: c, cp, seq: serverSeq &+ UInt32(offset), ack: clientSeq, flags: [.psh, .ack],
                    payload: reply[offset..<end]))
            if visit.proto == .dns && end == reply.count {
                sent.completes = dnsObservations(visit, transport: "tcp").map {
                    var o = $0
                    o.time = t
                    return o
                }
            }
            out.append(sent)
            offset = end
            count += 1
            if count % 2 == 0 || offset == reply.count {
                out.append(
                    packet(
                        visit, t + rtt / 2, towardsServer: true,
                        Wire.tcp(from: c, cp, to: s, sp, seq: clientSeq, ack: serverSeq &+ UInt32(offset), flags: .ack, payload: [])))
            }
        }
        serverSeq &+= UInt32(reply.count)
        t += rtt
        out.append(
            packet(
                visit, t, towardsServer: true,
                Wire.tcp(from: c, cp, to: s, sp, seq: clientSeq, ack: serverSeq, flags: [.fin, .ack], payload: [])))
        t += rtt / 2
        out.append(
            packet(
                visit, t, towardsServer: false,
                Wire.tcp(from: s, sp, to: c, cp, seq: serverSeq, ack: clientSeq &+ 1, flags: [.fin, .ack], payload: [])))
        out.append(
            packet(
                visit, t + rtt / 2, towardsServer: true,
                Wire.tcp(from: c, cp, to: s, sp, seq: clientSeq &+ 1, ack: serverSeq &+ 1, flags: .ack, payload: [])))
        return out
    }

    mutating func dnsOverUDP(_ visit: Scenario.Visit) -> [TimedPacket] {
        let query = Payloads.dnsQuery(id: visit.dnsID, name: visit.host, v6: visit.answers.first?.v6 ?? false)
        let response = Payloads.dnsResponse(
            id: visit.dnsID, name: visit.host, chain: visit.cnames, answers: visit.answers, v6: visit.answers.first?.v6 ?? false)
        let latency = Int64(800 + random.next() % 30_000)
        var answer = packet(
            visit, visit.time + latency, towardsServer: false,
            Wire.udp(from: visit.server, 53, to: visit.client, visit.clientPort, payload: response))
        answer.completes = dnsObservations(visit, transport: "udp").map {
            var o = $0
            o.time = visit.time + latency
            return o
        }
        return [
            packet(
                visit, visit.time, towardsServer: true, Wire.udp(from: visit.client, visit.clientPort, to: visit.server, 53, payload: query)
            ), answer,
        ]
    }

    mutating func quicFlow(_ visit: Scenario.Visit) throws -> [TimedPacket] {
        let destinationID = (0..<8).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let sourceID = (0..<8).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        var options = Payloads.HelloOptions(serverName: visit.host)
        options.quic = true
        options.grease = visit.grease
        options.postQuantum = visit.quicSplit && random.chance(0.5)
        options.quicSourceID = sourceID
        let hello = Payloads.clientHello(options, &random)
        var datagrams = try QUICInitial.clientDatagrams(
            hello: hello, destinationID: destinationID, sourceID: sourceID, parts: visit.quicSplit ? 2 : 1)
        if visit.quicSplit && datagrams.count > 1 && random.chance(0.5) { datagrams.swapAt(0, 1) }
        var out: [TimedPacket] = []
        var t = visit.time
        for (index, datagram) in datagrams.enumerated() {
            var sent = packet(
                visit, t, towardsServer: true,
                Wire.udp(from: visit.client, visit.clientPort, to: visit.server, visit.port, payload: datagram))
            if index == datagrams.count - 1 {
                sent.completes = [observation(visit, host: visit.host, address: visit.server, port: visit.port, transport: "udp")]
                sent.completes[0].time = t
            }
            out.append(sent)
            t += 25
        }
        // The server's 1-RTT data: short-header packets to the client's connection ID.
        let rtt = Int64(8_000 + random.next() % 40_000)
        t += rtt
        var remaining = visit.serverBytes
        var number = 0
        while remaining > 0 {
            // At least 64 bytes: a packet number, a sample and a tag fit.
            let size = max(64, min(remaining, 1_200))
            var payload: [UInt8] = [0x40 | UInt8(random.next() & 0x03)] + sourceID
            payload += (0..<(size - 9)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            out.append(
                packet(
                    visit, t, towardsServer: false,
                    Wire.udp(from: visit.server, visit.port, to: visit.client, visit.clientPort, payload: payload)))
            remaining -= size
            number += 1
            t += 100
            if number % 4 == 0 {
                var ack: [UInt8] = [0x40] + destinationID
                ack += (0..<24).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                out.append(
                    packet(
                        visit, t, towardsServer: true,
                        Wire.udp(from: visit.client, visit.clientPort, to: visit.server, visit.port, payload: ack)))
            }
        }
        return out
    }
}

/// A min-heap of packets by time (ties in arrival order).
struct PacketHeap {
    private var items: [(key: Int64, order: Int, packet: TimedPacket)] = []
    private var counter = 0

    var peek: TimedPacket? { items.first?.packet }

    private func less(_ a: Int, _ b: Int) -> Bool {
        items[a].key != items[b].key ? items[a].key < items[b].key : items[a].order < items[b].order
    }

    mutating func push(_ packet: TimedPacket) {
        items.append((packet.time, counter, packet))
        counter += 1
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> TimedPacket? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast().packet
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && less(left, smallest) { smallest = left }
            if right < items.count && less(right, smallest) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
