import BeianCore

/// Entry points for the fuzz targets (`Fuzz/`): log lines read as `LogReader` reads a file.
package enum LogFuzzing {
    /// Reads `bytes` as a log of `format` (detected when nil), handed over in two chunks split
    /// at `split` (a line may straddle them). Returns the observations made and the lines
    /// counted read and rejected.
    package static func read(_ bytes: UnsafeRawBufferPointer, format: LogFormat?, split: Int) -> (
        observations: Int, read: Int, rejected: Int
    ) {
        var options = LogOptions()
        options.format = format
        options.year = 2026
        options.vhost = "fuzz.example.cn"
        options.server = .v4(IPv4Address(0x0A00_0001))
        if format == .mapped { options.mapping = try? FieldMapping(parsing: "host=domain,ip=server,time=ts,port=port,client=client") }
        var feed = LineFeed(path: "fuzz.log", options: options)
        var observations: [Observation] = []
        var made = 0
        let cut = min(max(split, 0), bytes.count)
        feed.feed(UnsafeRawBufferPointer(rebasing: bytes[..<cut]), into: &observations, every: 64) { batch in
            made += batch.count
            batch.removeAll(keepingCapacity: true)
        }
        feed.feed(UnsafeRawBufferPointer(rebasing: bytes[cut...]), into: &observations, every: 64) { batch in
            made += batch.count
            batch.removeAll(keepingCapacity: true)
        }
        feed.finish(into: &observations)
        made += observations.count
        let report = feed.tally.finished
        return (made, feed.lineNumber, report.rejected.total)
    }
}
