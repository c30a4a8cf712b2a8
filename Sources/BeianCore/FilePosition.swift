#if canImport(Glibc)
    import Glibc
#endif

/// Where reading of a followed file stands: which file (device and inode, and the name it had),
/// bytes of complete lines read, lines read, and a witness of the bytes before the offset —
/// what a watcher keeps to resume after a restart.
public struct FilePosition: Sendable, Hashable, Codable {
    /// The name the file had when last seen.
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    /// Bytes of complete lines read.
    public var offset: Int64
    /// Lines read.
    public var line: Int
    /// A hash of the bytes just before `offset` (0: not known): a file truncated and
    /// written again past the offset while nobody watched shows other bytes there.
    public var witness: UInt64

    public init(path: String, device: UInt64, inode: UInt64, offset: Int64, line: Int, witness: UInt64 = 0) {
        self.path = path
        self.device = device
        self.inode = inode
        self.offset = offset
        self.line = line
        self.witness = witness
    }
}

/// A file by device, inode, size and modification time: what changes when it is replaced.
public struct FileIdentity: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modified: Int64

    public init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }
}
