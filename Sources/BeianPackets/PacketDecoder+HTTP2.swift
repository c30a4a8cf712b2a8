import BeianCore

/// h2c and DNS over HTTP in cleartext (see `HTTP2`): the client's frames and header
/// blocks, and the server's responses to requests for DNS messages.
extension PacketDecoder {
    /// h2c and DNS-over-HTTP connections followed at most; the least recently seen eighth is
    /// forgotten beyond.
    static let maximumConnections = 1 << 12

    /// Starts a connection's record (or returns the existing one's index).
    private mutating func connection(_ key: FlowKey, mode: HTTP2Connection.Mode) -> Dictionary<FlowKey, HTTP2Connection>.Index {
        if let index = connections.index(forKey: key) { return index }
        if connections.count >= Self.maximumConnections {
            let oldest = connections.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(Self.maximumConnections / 8)
            for (old, _) in oldest { connections.removeValue(forKey: old) }
        }
        connections[key] = HTTP2Connection(mode: mode, now: now)
        return connections.index(forKey: key) ?? connections.startIndex
    }

    /// An HTTP/1.1 request that asks for a DNS message or to switch to h2c: the server's
    /// answer is followed.
    mutating func expectResponse(_ key: FlowKey, _ head: HTTPRequest.Head) {
        let index = connection(key, mode: head.upgradeToHTTP2 ? .upgrading : .http1)
        connections.values[index].lastSeen = now
        if head.upgradeToHTTP2 {
            connections.values[index].mode = .upgrading
            // The request goes on as stream 1 of the HTTP/2 connection.
            if head.asksForDNSMessage { connections.values[index].expectDNS(on: 1) }
        }
    }

    /// A server segment of a connection whose responses are wanted: the server's direction
    /// is followed from here when the segment starts a response (HTTP/1.x) or a frame.
    mutating func followServer(_ key: FlowKey, _ payload: UnsafeRawBufferPointer, sequence: UInt32) {
        guard let index = connections.index(forKey: key.reversed), !connections.values[index].serverFollowed else { return }
        let kind: StreamTable.Kind
        if payload.hasPrefix("HTTP/1.") {
            kind = .httpResponse
        } else if connections.values[index].mode == .http2 && HTTP2.looksLikeFrame(payload) {
            kind = .h2Server
        } else {
            return
        }
        connections.values[index].serverFollowed = true
        statistics.evictedStreams &+= UInt64(streams.open(key, base: sequence, kind: kind, now: now))
    }

    /// One step of a client's HTTP/2 stream: the preface, or one frame. Returns the bytes
    /// read (or skipped) and whether to stop following the stream.
    mutating func http2Client(_ key: FlowKey, _ stream: UnsafeRawBufferPointer) -> (Int, Bool) {
        let index = connection(key, mode: .http2)
        connections.values[index].lastSeen = now
        if !connections.values[index].prefaceRead {
            guard stream.count >= HTTP2.prefaceLength else { return (0, false) }
            guard HTTP2.looksLikePreface(stream.slice(0, HTTP2.prefaceLength)) else {
                statistics.count(.badHTTP2)
                return (0, true)
            }
            connections.values[index].prefaceRead = true
            if connections.values[index].mode == .http1 { connections.values[index].mode = .http2 }
            return (HTTP2.prefaceLength, false)
        }
        guard stream.count >= HTTP2.frameHeaderLength else { return (0, false) }
        let header = HTTP2.FrameHeader(stream)
        let total = HTTP2.frameHeaderLength + header.length
        guard header.type == HTTP2.FrameType.headers.rawValue || header.type == HTTP2.FrameType.continuation.rawValue else {
            // DATA, SETTINGS, PING…: skipped, also what has not arrived yet.
            return (total, false)
        }
        guard total <= streamLimit else {
            statistics.reassemblyFailures &+= 1
            return (0, true)
        }
        guard stream.count >= total else { return (0, false) }
        guard let fragment = header.content(stream.slice(HTTP2.frameHeaderLength, total)) else {
            statistics.count(.badHTTP2)
            return (0, true)
        }
        if header.type == HTTP2.FrameType.headers.rawValue {
            connections.values[index].block = Array(fragment)
            connections.values[index].blockStream = header.stream
        } else {
            guard connections.values[index].blockStream == header.stream else {
                statistics.count(.badHTTP2)
                return (0, true)
            }
            connections.values[index].block += fragment
        }
        guard connections.values[index].block.count <= HTTP2.maximumHeaderBlock else {
            statistics.count(.badHTTP2)
            return (0, true)
        }
        guard header.flags & HTTP2.FrameHeader.endHeaders != 0 else { return (total, false) }
        let block = connections.values[index].block
        connections.values[index].block = []
        connections.values[index].blockStream = nil
        var request = HTTP2.Request()
        let decoded = block.withUnsafeBytes { connections.values[index].requests.decode($0) { request.add($0, $1) } }
        guard decoded else {
            statistics.count(.badHTTP2)
            return (0, true)
        }
        if request.asksForDNSMessage { connections.values[index].expectDNS(on: header.stream) }
        if let host = request.authority ?? request.host {
            emit(host: host, address: key.destination, port: key.destinationPort, transport: .tcp, appProtocol: .http, client: key.source)
        } else if request.badAuthority {
            statistics.count(.badHostName)
        }
        return (total, false)
    }

    /// One frame of a server's HTTP/2 stream: DATA of a stream waiting for a DNS message is
    /// kept, and the message read at the stream's end; everything else is skipped.
    mutating func http2Server(_ key: FlowKey, _ stream: UnsafeRawBufferPointer) -> (Int, Bool) {
        guard let index = connections.index(forKey: key.reversed) else { return (0, true) }
        connections.values[index].lastSeen = now
        guard stream.count >= HTTP2.frameHeaderLength else { return (0, false) }
        let header = HTTP2.FrameHeader(stream)
        let total = HTTP2.frameHeaderLength + header.length
        let id = header.stream
        guard let body = connections.values[index].dnsStreams[id] else { return (total, false) }
        let ends = header.flags & HTTP2.FrameHeader.endStream != 0
        switch header.type {
        case HTTP2.FrameType.data.rawValue:
            guard total <= streamLimit else {
                connections.values[index].dnsStreams[id] = nil
                return (total, false)
            }
            guard stream.count >= total else { return (0, false) }
            guard let content = header.content(stream.slice(HTTP2.frameHeaderLength, total)),
                body.count + content.count <= HTTP2.maximumDNSBody
            else {
                statistics.count(.badHTTP2)
                connections.values[index].dnsStreams[id] = nil
                return (total, false)
            }
            if ends {
                connections.values[index].dnsStreams[id] = nil
                (body + content).withUnsafeBytes { dns($0, server: key.source, client: key.destination, transport: .tcp) }
            } else {
                connections.values[index].dnsStreams[id] = body + content
            }
        case HTTP2.FrameType.headers.rawValue, HTTP2.FrameType.rstStream.rawValue:
            // A response without a body, or the stream reset.
            if ends || header.type == HTTP2.FrameType.rstStream.rawValue { connections.values[index].dnsStreams[id] = nil }
        default: break
        }
        return (total, false)
    }

    /// One response of a server's HTTP/1.x stream: a DNS message is read, a 101 to h2c
    /// turns the stream into HTTP/2, any other response is skipped by its length. Returns
    /// the bytes read, whether to stop, and whether the stream changed protocol.
    mutating func httpResponse(_ key: FlowKey, _ stream: UnsafeRawBufferPointer) -> (Int, Bool, Bool) {
        guard let index = connections.index(forKey: key.reversed) else { return (0, true, false) }
        connections.values[index].lastSeen = now
        let head: HTTPResponseHead
        switch HTTPResponseHead.parse(stream) {
        case .needMore: return (0, false, false)
        case .invalid: return (0, true, false)
        case .head(let parsed): head = parsed
        }
        if head.status == 101 {
            guard connections.values[index].mode == .upgrading else { return (0, true, false) }
            connections.values[index].mode = .http2
            consumeThen(key, head.headLength, kind: .h2Server)
            return (0, false, true)
        }
        if head.status < 200 { return (head.headLength, false, false) }
        let rest = stream.slice(head.headLength, stream.count)
        if head.chunked {
            guard head.dnsMessage else { return (0, true, false) }
            switch HTTPResponseHead.dechunk(rest, limit: HTTP2.maximumDNSBody) {
            case .none: return (0, true, false)
            case .some(.none): return (0, stream.count >= streamLimit, false)
            case .some(.some(let (body, length))):
                body.withUnsafeBytes { dns($0, server: key.source, client: key.destination, transport: .tcp) }
                return (head.headLength + length, false, false)
            }
        }
        guard let length = head.contentLength ?? (head.status == 204 || head.status == 304 ? 0 : nil) else { return (0, true, false) }
        if head.dnsMessage && head.headLength + length <= streamLimit {
            guard rest.count >= length else { return (0, false, false) }
            dns(rest.slice(0, length), server: key.source, client: key.destination, transport: .tcp)
        }
        return (head.headLength + length, false, false)
    }

    /// Reads `count` bytes off the stream of `key`, then goes on as `kind`.
    private mutating func consumeThen(_ key: FlowKey, _ count: Int, kind: StreamTable.Kind) {
        streams.consume(key, count)
        streams.setKind(key, kind)
    }

    /// A TCP segment straight into the decoder (fuzzing: no IP layer around it).
    mutating func tcpForFuzzing(_ segment: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress, now: Int64, number: UInt64) {
        setPacket(nanoseconds: now, number: number)
        tcpSegment(segment, source: source, destination: destination)
    }
}
