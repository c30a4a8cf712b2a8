public import BeianCore
public import BeianPackets
internal import CPcap
import Synchronization

#if canImport(Glibc)
    internal import Glibc
#endif

/// Packets from a network interface through libpcap: snap length, kernel buffer size,
/// immediate mode or a buffer timeout, a BPF filter, nanosecond timestamps. libpcap's receive and drop counters
/// are reported on demand and at the end.
public final class LiveCapture: @unchecked Sendable {
    // Safe to share: the handle is used by the thread in `run` only; `stop()` only sets an
    // atomic flag and calls pcap_breakloop, which libpcap documents as callable from another
    // thread or a signal handler.
    public struct Settings: Sendable {
        public var snapLength: Int32 = 262_144
        public var bufferSize: Int32 = 64 << 20
        /// Packets handed over one by one as they come (lowest latency, a wakeup per packet);
        /// off, the kernel hands them over in blocks, at the latest after `bufferTimeout`.
        public var immediate = false
        /// The longest a packet waits in the kernel for its block to be handed over, in
        /// milliseconds (without immediate mode).
        public var bufferTimeout: Int32 = 20
        public var promiscuous = true
        /// A BPF filter (tcpdump syntax), nil for every packet.
        public var filter: String?
        /// Stop after this many packets (nil: until stopped).
        public var packetLimit: UInt64?
        /// Stop after this many seconds (nil: until stopped).
        public var duration: Double?

        public init() {}
    }

    /// libpcap's counters: packets received, dropped by the kernel for lack of buffer, dropped
    /// by the interface.
    public struct Counters: Sendable, Equatable {
        public var received: UInt64 = 0
        public var dropped: UInt64 = 0
        public var interfaceDropped: UInt64 = 0
    }

    public let interface: String
    public let link: LinkType
    private let handle: OpaquePointer
    private let stopping = Atomic<Bool>(false)

    /// Opens and activates `interface`. Errors name the interface and say why (no such
    /// device, not permitted, bad filter).
    public init(interface: String, settings: Settings = Settings()) throws(InputError) {
        self.interface = interface
        var error = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_create(interface, &error) else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw InputError(.cannotOpen, file: interface, message)
        }
        pcap_set_snaplen(handle, settings.snapLength)
        pcap_set_buffer_size(handle, settings.bufferSize)
        pcap_set_immediate_mode(handle, settings.immediate ? 1 : 0)
        pcap_set_promisc(handle, settings.promiscuous ? 1 : 0)
        pcap_set_timeout(handle, settings.bufferTimeout)
        _ = pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(handle)
        if status < 0 {
            let message = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw InputError(.cannotOpen, file: interface, message.isEmpty ? "cannot capture (libpcap status \(status))" : message)
        }
        if let filter = settings.filter {
            var program = bpf_program()
            guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                let message = String(cString: pcap_geterr(handle))
                pcap_close(handle)
                throw InputError(.unsupported, file: interface, "bad filter \"\(filter)\": \(message)")
            }
            defer { pcap_freecode(&program) }
            guard pcap_setfilter(handle, &program) == 0 else {
                let message = String(cString: pcap_geterr(handle))
                pcap_close(handle)
                throw InputError(.unsupported, file: interface, "cannot set the filter: \(message)")
            }
        }
        self.handle = handle
        link = LinkType(rawValue: UInt32(bitPattern: pcap_datalink(handle)))
        self.settings = settings
    }

    private let settings: Settings

    deinit { pcap_close(handle) }

    /// Asks `run` to return (from any thread or a signal handler's dispatch source).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        pcap_breakloop(handle)
    }

    /// The counters so far.
    public var counters: Counters {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return Counters() }
        return Counters(received: UInt64(stats.ps_recv), dropped: UInt64(stats.ps_drop), interfaceDropped: UInt64(stats.ps_ifdrop))
    }

    /// The longest wait for packets before the flags, the limits and `tick` are looked at:
    /// a quiet interface still stops on time.
    public static let tickInterval: Duration = .milliseconds(100)
    /// Packets handed out per call into libpcap at most.
    static let dispatchBatch: Int32 = 1024

    /// Reads packets until stopped, the packet limit or the duration, giving each to `body`
    /// with its time and number (from 1). `tick` is called after each wait for packets — at
    /// least every `tickInterval`, traffic or not — so that the caller can flush what it holds.
    public func run(
        _ body: (_ bytes: UnsafeRawBufferPointer, _ link: LinkType, _ nanoseconds: Int64, _ number: UInt64) -> Void,
        tick: () -> Void = {}
    ) throws(InputError) {
        var error = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard pcap_setnonblock(handle, 1, &error) == 0 else {
            throw InputError(
                .readFailed, file: interface, String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let descriptor = pcap_get_selectable_fd(handle)
        let deadline = settings.duration.map { ContinuousClock.now + .milliseconds(Int64(($0 * 1000).rounded())) }
        try withoutActuallyEscaping(body) { (body) throws(InputError) in
            let receiver = Receiver(link: link, body: body)
            let context = Unmanaged.passUnretained(receiver).toOpaque().assumingMemoryBound(to: UInt8.self)
            var hadPackets = false
            while !stopping.load(ordering: .relaxed) {
                var batch = Self.dispatchBatch
                if let limit = settings.packetLimit {
                    guard receiver.number < limit else { break }
                    batch = Int32(clamping: min(UInt64(batch), limit - receiver.number))
                }
                var wait = Self.tickInterval
                if let deadline {
                    let left = deadline - ContinuousClock.now
                    guard left > .zero else { break }
                    wait = min(wait, left)
                }
                if descriptor >= 0 && !hadPackets {
                    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                    let milliseconds = Int32(clamping: wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
                    _ = poll(&poller, 1, max(1, milliseconds))
                }
                let status = pcap_dispatch(
                    handle, batch,
                    { user, header, data in
                        guard let user, let header, let data else { return }
                        Unmanaged<Receiver>.fromOpaque(UnsafeRawPointer(user)).takeUnretainedValue().receive(header, data)
                    }, context)
                if status == PCAP_ERROR_BREAK { break }
                if status < 0 { throw InputError(.readFailed, file: interface, String(cString: pcap_geterr(handle))) }
                // While packets come, they are taken without waiting on the descriptor first.
                hadPackets = status > 0
                if descriptor < 0 && status == 0 { usleep(10_000) }  // no descriptor to wait on
                tick()
            }
        }
    }

    /// Hands libpcap's packets to the caller's closure (libpcap's callback is a C function
    /// that gets this object through its user pointer).
    private final class Receiver {
        let link: LinkType
        let body: (UnsafeRawBufferPointer, LinkType, Int64, UInt64) -> Void
        var number: UInt64 = 0

        init(link: LinkType, body: @escaping (UnsafeRawBufferPointer, LinkType, Int64, UInt64) -> Void) {
            self.link = link
            self.body = body
        }

        func receive(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>) {
            number += 1
            let stamp = header.pointee.ts
            // With nanosecond precision, tv_usec holds nanoseconds.
            let nanoseconds = Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_usec)
            body(UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen)), link, nanoseconds, number)
        }
    }
}
