import BeianCore
import Foundation
public import Logging
import Synchronization

/// A swift-log handler writing one line per message to a file descriptor: JSON objects (the
/// access log: `{"at":…,"level":…,"message":…, metadata…}`) or text (`beian serve: message
/// key=value…` for people). Lines are buffered and written when 64 KiB gather, at least every
/// quarter second, and at once for warnings and errors, so that a busy service pays one
/// write(2) per many requests.
public struct LineLogHandler: LogHandler {
    public enum Style: Sendable { case json, text }

    /// Where lines go: one per file, shared by every logger writing there. (Unchecked: the
    /// timer is set up in `init` and cancelled in `deinit`, the buffer is behind its mutex.)
    public final class Output: @unchecked Sendable {
        private let descriptor: Int32
        private let ownsDescriptor: Bool
        private let buffer = Mutex<[UInt8]>([])
        private let flusher: any DispatchSourceTimer
        static let flushBytes = 64 << 10

        /// Standard error.
        public static let standardError = Output(descriptor: 2, owns: false)

        init(descriptor: Int32, owns: Bool) {
            self.descriptor = descriptor
            ownsDescriptor = owns
            flusher = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
            flusher.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
            flusher.setEventHandler { [weak self] in self?.flush() }
            flusher.resume()
        }

        /// A file, created or appended to (`-` is standard error).
        public convenience init(path: String) throws {
            if path == "-" {
                self.init(descriptor: 2, owns: false)
                return
            }
            let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else { throw ServiceError("\(path): cannot be written (\(String(cString: strerror(errno))))") }
            self.init(descriptor: descriptor, owns: true)
        }

        deinit {
            flusher.cancel()
            flush()
            if ownsDescriptor { close(descriptor) }
        }

        func append(_ line: [UInt8], urgent: Bool) {
            let full = buffer.withLock { pending -> [UInt8] in
                pending.append(contentsOf: line)
                return urgent || pending.count >= Self.flushBytes ? Self.take(&pending) : []
            }
            Self.write(full, to: descriptor)
        }

        /// Writes what is buffered now.
        public func flush() {
            Self.write(buffer.withLock { Self.take(&$0) }, to: descriptor)
        }

        private static func take(_ pending: inout [UInt8]) -> [UInt8] {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }

        private static func write(_ bytes: [UInt8], to descriptor: Int32) {
            guard !bytes.isEmpty else { return }
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let written = Glibc.write(descriptor, raw.baseAddress! + done, raw.count - done)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }
                    done += written
                }
            }
        }
    }

    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let style: Style
    private let output: Output

    public init(label: String, style: Style, output: Output) {
        self.label = label
        self.style = style
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line: [UInt8]
        switch style {
        case .json: line = Self.json(event, merged)
        case .text: line = Self.text(label, event, merged)
        }
        output.append(line, urgent: event.level >= .warning)
    }

    static func json(_ event: LogEvent, _ metadata: Logger.Metadata) -> [UInt8] {
        var out = JSONWriter(capacity: 256)
        out.beginObject()
        out.member("at", Timestamp.now.iso8601)
        out.member("level", event.level.rawValue)
        out.member("message", event.message.description)
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            out.key(key)
            write(value, into: &out)
        }
        out.endObject()
        out.endLine()
        return out.bytes
    }

    private static func write(_ value: Logger.MetadataValue, into out: inout JSONWriter) {
        switch value {
        case .string(let text):
            // Numbers logged as strings (status, bytes, microseconds) stay numbers.
            if let number = Int64(text), text.utf8.count < 19 { out.integer(number) } else { out.string(text) }
        case .stringConvertible(let value):
            let text = value.description
            if let number = Int64(text), text.utf8.count < 19 { out.integer(number) } else { out.string(text) }
        case .array(let values):
            out.beginArray()
            for value in values { write(value, into: &out) }
            out.endArray()
        case .dictionary(let members):
            out.beginObject()
            for key in members.keys.sorted() {
                guard let value = members[key] else { continue }
                out.key(key)
                write(value, into: &out)
            }
            out.endObject()
        }
    }

    static func text(_ label: String, _ event: LogEvent, _ metadata: Logger.Metadata) -> [UInt8] {
        var line = "\(label): "
        if event.level >= .warning { line += "\(event.level.rawValue): " }
        line += event.message.description
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            line += " \(key)=\(value)"
        }
        line += "\n"
        return Array(line.utf8)
    }
}
