public import BeianIndex
public import BeianRegistry
import Foundation

/// Builds an index snapshot from registry files into a temporary directory; returns its path
/// and the records read.
public func buildIndex(_ files: [String], options: IndexBuildOptions = IndexBuildOptions()) throws -> (
    path: String, records: [RegistryRecord]
) {
    let builder = IndexBuilder(options: options)
    let reader = RegistryReader()
    var records: [RegistryRecord] = []
    for file in files {
        _ = try reader.read(file) { record in
            records.append(record)
            builder.add(record)
        }
        builder.noteSource(path: file)
    }
    let path = try Fixtures.temporaryDirectory("beian-index").appendingPathComponent("test.beianidx").path
    try builder.write(to: path)
    return (path, records)
}

/// The sample registry's files of one format (`xml`, `csv`, `jsonl`).
public func sampleRegistry(_ format: String = "xml") throws -> [String] {
    let directory = Fixtures.packageRoot.appendingPathComponent("Datasets/sample/registry/\(format)")
    return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map { directory.appendingPathComponent($0).path }
}
