import BeianCore
import BeianRegistry
import Foundation
import Synchronization

/// A progress line on standard error for the commands that read registry exports or parts
/// (`index build`, `registry validate|convert`, `merge`): what is being read, records and MB
/// so far, the rate, and the time left over every input whose size is known. Only on a
/// terminal: nothing is written when standard error is a file or a pipe.
final class ReadingProgress: Sendable {
    private struct State {
        var shownAt = -1.0
        var any = false
        var current = ""
        /// Bytes of the files read to their end whose size is known; bytes read from every
        /// file before the current one.
        var completed: Int64 = 0
        var readBefore: Int64 = 0
        var lastBytes: Int64 = 0
    }

    private let enabled: Bool
    /// Seconds before the first line (`BEIAN_PROGRESS_AFTER`, 0.5 by default): a quick job
    /// shows none.
    private let after: Double
    private let files: [String]
    private let sizes: [String: Int64]
    private let total: Int64
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(files: [String], enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.enabled = enabled
        after = ProcessInfo.processInfo.environment["BEIAN_PROGRESS_AFTER"].flatMap(Double.init) ?? 0.5
        self.files = files
        var sizes: [String: Int64] = [:]
        for file in files where !file.lowercased().hasSuffix(".gz") { sizes[file] = InputFile.size(of: file) }
        self.sizes = sizes
        total = sizes.values.reduce(0, +)
    }

    private var seconds: Double { (ContinuousClock.now - started).seconds }

    /// A chunk of a registry file was read.
    func reading(_ progress: RegistryReadProgress) {
        guard enabled else { return }
        let now = seconds
        let line: String? = state.withLock { state in
            if state.current != progress.file {
                state.completed += sizes[state.current] ?? 0
                state.readBefore += state.lastBytes
                state.current = progress.file
            }
            state.lastBytes = progress.bytes
            guard now >= after, now - state.shownAt >= 0.5 else { return nil }
            state.shownAt = now
            state.any = true
            let rate = Double(state.readBefore + progress.bytes) / max(now, 1e-3)
            let position = (files.firstIndex(of: progress.file) ?? 0) + 1
            var text = String(
                format: "reading %@ (%d/%d): %.0f MB, %.0f MB/s, %d records", (progress.file as NSString).lastPathComponent, position,
                files.count, Double(progress.bytes) / 1e6, rate / 1e6, progress.records)
            let done = state.completed + (progress.fileBytes == nil ? 0 : progress.bytes)
            if sizes.count == files.count, rate > 0, total > done {
                text += String(format: ", ~%.0f s of reading left", Double(total - done) / rate)
            }
            return text
        }
        if let line { show(line) }
    }

    /// A stage of the work after reading began.
    func stage(_ name: String) {
        let now = seconds
        guard enabled, now >= after else { return }
        state.withLock { $0.any = true }
        show(String(format: "%@ (%.0f s so far)", name, now))
    }

    private func show(_ line: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// Ends the line, if one was shown.
    func finish() {
        guard enabled, state.withLock({ $0.any }) else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
