// A libFuzzer target (issue 17): built with `BEIAN_FUZZ=1 swift build --sanitize=fuzzer
// --sanitize=address --product fuzz-snapshot --scratch-path .build-fuzz`, run by `Benchmarks/fuzz.sh`.
import BeianCore
import BeianIndex
import FuzzSupport

/// The snapshot loader: a damaged snapshot is refused, never read past its end. The first
/// byte odd: the checksums are made right again first (`SnapshotFuzzing.resealed`), as in a
/// snapshot crafted on purpose, so that damage reaches the tables. What loads is asked a host
/// and an address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshot(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzBytes(data, size)
    let reseal = input.byte() % 2 == 1
    let bytes = reseal ? SnapshotFuzzing.resealed(Array(input.rest)) : Array(input.rest)
    bytes.withUnsafeBytes { bytes in
        FuzzInput.withFile(bytes, suffix: ".beianidx") { path in
            guard let index = try? RegistryIndex(path: path) else { return }
            if let host = try? DomainName("www.example.com.cn") { _ = index.filedSites(forHost: host) }
            _ = index.allocationLinks(.v4(IPv4Address(0x3C01_010A)))
            _ = index.filedAccess(at: .v4(IPv4Address(0x3C01_010A)))
        }
    }
    return 0
}
