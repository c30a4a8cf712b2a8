/// One sighting of a host served from an address: a TLS or QUIC ClientHello's server name,
/// an HTTP request's host, or a DNS answer binding a name to an address. What every input
/// (captures, logs, crawls) is reduced to before judging.
public struct Observation: Hashable, Sendable {
    /// The application protocol the host was seen in.
    public enum AppProtocol: String, Hashable, Sendable, CaseIterable {
        case http, tls, quic, dns
    }

    /// The transport the protocol ran over.
    public enum Transport: String, Hashable, Sendable {
        case tcp, udp
    }

    /// Where the observation came from: the input and a packet number (from 1), a line
    /// number (from 1) or a byte offset.
    public struct Source: Hashable, Sendable {
        public enum Position: Hashable, Sendable {
            case packet(UInt64)
            case line(UInt64)
            case offset(UInt64)
        }

        public var file: String
        public var position: Position

        public init(file: String, position: Position) {
            self.file = file
            self.position = position
        }
    }

    /// Time in nanoseconds since 1970-01-01 UTC.
    public var nanoseconds: Int64
    /// The host name as seen, lower-cased, without a trailing dot or port.
    public var host: String
    /// The server: the address the request went to, or for DNS the answer.
    public var address: IPAddress
    /// The server's port (0 for DNS answers, which name no service).
    public var port: UInt16
    public var transport: Transport
    public var appProtocol: AppProtocol
    /// The client (for DNS, the resolver's client), when known.
    public var client: IPAddress?
    /// The hello carried an encrypted ClientHello: `host` is the outer (public) name.
    public var ech: Bool
    /// The request went through a proxy (absolute-form target or `CONNECT`): `address` is
    /// the proxy's, not the host's.
    public var proxy: Bool
    public var source: Source

    public init(
        nanoseconds: Int64, host: String, address: IPAddress, port: UInt16, transport: Transport, appProtocol: AppProtocol,
        client: IPAddress?, ech: Bool = false, proxy: Bool = false, source: Source
    ) {
        self.nanoseconds = nanoseconds
        self.host = host
        self.address = address
        self.port = port
        self.transport = transport
        self.appProtocol = appProtocol
        self.client = client
        self.ech = ech
        self.proxy = proxy
        self.source = source
    }

    /// The time to the second (the registry's precision).
    public var time: Timestamp {
        Timestamp(secondsSince1970: nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000)
    }

    /// RFC 3339 with microseconds in `style`, e.g. `2026-03-01T15:55:00.457437Z`.
    public func timeText(_ style: TimeStyle) -> String { style.text(nanoseconds: nanoseconds) }
}
