import BeianTestSupport
import Foundation
import Testing

@Suite struct DatagenTests {
    @Test func sampleIsReproducedByteForByte() throws {
        let directory = try Fixtures.temporaryDirectory("beian-datagen")
        let result = try Tool.run("beian-datagen", ["--preset", "sample", "--seed", "1", "--out", directory.path])
        #expect(result.status == 0)
        let committed = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")
        let files = try #require(FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String])
        let generated = files.filter { file in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }
        #expect(generated.contains("registry/xml/icp.xml"))
        for file in generated.sorted() {
            let fresh = try Data(contentsOf: directory.appendingPathComponent(file))
            let kept = try Data(contentsOf: committed.appendingPathComponent(file))
            #expect(fresh == kept, "Datasets/sample/\(file) differs from what beian-datagen writes: regenerate it")
        }
    }

    @Test func anotherSeedGivesAnotherWorld() throws {
        let a = try Fixtures.temporaryDirectory("beian-datagen")
        let b = try Fixtures.temporaryDirectory("beian-datagen")
        _ = try Tool.run("beian-datagen", ["--sponsors", "20", "--seed", "1", "--out", a.path])
        _ = try Tool.run("beian-datagen", ["--sponsors", "20", "--seed", "2", "--out", b.path])
        let first = try Data(contentsOf: a.appendingPathComponent("registry/jsonl/registry.jsonl"))
        let second = try Data(contentsOf: b.appendingPathComponent("registry/jsonl/registry.jsonl"))
        #expect(first != second)
        let check = try Tool.run("beian", ["registry", "validate", b.appendingPathComponent("registry/jsonl/registry.jsonl").path])
        #expect(check.status == 0)
        #expect(check.stdout.contains("rejected 0"))
    }
}
