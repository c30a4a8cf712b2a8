public import BeianCore
import Foundation
internal import GRDB

/// What a long-running watch keeps across restarts, in one SQLite database (`state.sqlite` in
/// the state directory, through GRDB): the findings already reported (so that a restart
/// reports nothing twice, and counts go on from where they were), the read positions of
/// followed files (by device and inode), and the outbox of numbered events with how far
/// each destination has taken them.
///
/// Every change is one transaction (`commit`): findings, events and positions move
/// together, so a process killed at any moment leaves the state of the last commit. The
/// database runs in WAL mode with `synchronous = NORMAL`: a committed transaction survives
/// the process being killed (a power loss may take the last ones back). A database written
/// by a newer beian (migrations this one does not know) is refused with a message.
///
/// SQLite was chosen over files of our own because a watch's state is small rows changed in
/// place many times a second, read back by key, that must change together: what a
/// transactional store is for, with a format other tools (`sqlite3`) can inspect.
public final class WatchStore: Sendable {
    /// A finding already reported: its key (kind, independent domain, address) and what was
    /// last said of it.
    public struct Reported: Sendable, Hashable {
        public var key: String
        public var kind: String
        public var firstSeen: Int64?
        public var lastSeen: Int64?
        public var count: Int
        /// When it was first reported (seconds since 1970).
        public var reportedAt: Int64
        /// The last event about it, and when.
        public var lastEvent: Int64
        public var lastEventAt: Int64

        public init(
            key: String, kind: String, firstSeen: Int64?, lastSeen: Int64?, count: Int, reportedAt: Int64, lastEvent: Int64,
            lastEventAt: Int64
        ) {
            self.key = key
            self.kind = kind
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.count = count
            self.reportedAt = reportedAt
            self.lastEvent = lastEvent
            self.lastEventAt = lastEventAt
        }
    }

    /// Where a followed file was read to.
    public typealias Position = FilePosition

    /// An event in the outbox: its number and its JSON line.
    public struct Event: Sendable, Hashable {
        public var sequence: Int64
        public var line: String

        public init(sequence: Int64, line: String) {
            self.sequence = sequence
            self.line = line
        }
    }

    /// One transaction's worth of changes.
    public struct Commit: Sendable {
        public var reported: [Reported] = []
        public var events: [Event] = []
        public var positions: [Position] = []
        public init() {}
        public var isEmpty: Bool { reported.isEmpty && events.isEmpty && positions.isEmpty }
    }

    public struct StoreError: Error, CustomStringConvertible {
        public let description: String
    }

    public let path: String
    private let database: DatabasePool

    /// The schema's migrations, in order. A database that has applied one not listed here was
    /// written by a newer beian.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("watch-v1") { db in
            try db.create(table: "reported") { table in
                table.primaryKey("key", .text)
                table.column("kind", .text).notNull()
                table.column("first_seen", .integer)
                table.column("last_seen", .integer)
                table.column("count", .integer).notNull()
                table.column("reported_at", .integer).notNull()
                table.column("last_event", .integer).notNull()
                table.column("last_event_at", .integer).notNull()
            }
            try db.create(table: "position") { table in
                table.column("device", .integer).notNull()
                table.column("inode", .integer).notNull()
                table.column("path", .text).notNull()
                table.column("offset", .integer).notNull()
                table.column("line", .integer).notNull()
                table.column("witness", .integer).notNull()
                table.primaryKey(["device", "inode"])
            }
            try db.create(table: "outbox") { table in
                table.primaryKey("sequence", .integer)
                table.column("line", .text).notNull()
            }
            try db.create(table: "delivery") { table in
                table.primaryKey("destination", .text)
                table.column("sequence", .integer).notNull()
            }
        }
        return migrator
    }

    /// Opens (or creates) the store in `directory`.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("state.sqlite")
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            let migrator = Self.migrator
            if try database.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError(description: "\(path) was written by a newer beian (its schema has migrations this one does not know)")
            }
            try migrator.migrate(database)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(description: "\(path): \(error)")
        }
    }

    /// Every finding reported so far, by key.
    public func reported() throws -> [String: Reported] {
        try database.read { db in
            var all: [String: Reported] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM reported")
            while let row = try rows.next() {
                let item = Reported(
                    key: row["key"], kind: row["kind"], firstSeen: row["first_seen"], lastSeen: row["last_seen"], count: row["count"],
                    reportedAt: row["reported_at"], lastEvent: row["last_event"], lastEventAt: row["last_event_at"])
                all[item.key] = item
            }
            return all
        }
    }

    /// The positions of followed files.
    public func positions() throws -> [Position] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM position ORDER BY path").map { row in
                Position(
                    path: row["path"], device: UInt64(bitPattern: row["device"]), inode: UInt64(bitPattern: row["inode"]),
                    offset: row["offset"], line: row["line"], witness: UInt64(bitPattern: row["witness"]))
            }
        }
    }

    /// The highest event number given so far (0 for none).
    public func lastSequence() throws -> Int64 {
        try database.read { db in
            let waiting = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM outbox") ?? 0
            let taken = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM delivery") ?? 0
            return max(waiting, taken)
        }
    }

    /// Writes `commit` in one transaction.
    public func commit(_ commit: Commit) throws {
        guard !commit.isEmpty else { return }
        try database.write { db in
            for item in commit.reported {
                try db.execute(
                    sql: """
                        INSERT INTO reported (key, kind, first_seen, last_seen, count, reported_at, last_event, last_event_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(key) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen,
                            count = excluded.count, last_event = excluded.last_event, last_event_at = excluded.last_event_at
                        """,
                    arguments: [
                        item.key, item.kind, item.firstSeen, item.lastSeen, item.count, item.reportedAt, item.lastEvent, item.lastEventAt,
                    ])
            }
            for event in commit.events {
                try db.execute(sql: "INSERT INTO outbox (sequence, line) VALUES (?, ?)", arguments: [event.sequence, event.line])
            }
            for position in commit.positions {
                try db.execute(
                    sql: """
                        INSERT INTO position (device, inode, path, offset, line, witness) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT(device, inode) DO UPDATE SET path = excluded.path, offset = excluded.offset, line = excluded.line,
                            witness = excluded.witness
                        """,
                    arguments: [
                        Int64(bitPattern: position.device), Int64(bitPattern: position.inode), position.path, position.offset,
                        position.line, Int64(bitPattern: position.witness),
                    ])
            }
        }
    }

    /// Forgets the positions of files no longer followed (gone, rotated away and finished).
    public func keepPositions(of files: [(device: UInt64, inode: UInt64)]) throws {
        try database.write { db in
            let kept = Set(files.map { "\(Int64(bitPattern: $0.device))/\(Int64(bitPattern: $0.inode))" })
            let rows = try Row.fetchAll(db, sql: "SELECT device, inode FROM position")
            for row in rows where !kept.contains("\(row["device"] as Int64)/\(row["inode"] as Int64)") {
                try db.execute(sql: "DELETE FROM position WHERE device = ? AND inode = ?", arguments: [row["device"], row["inode"]])
            }
        }
    }

    /// Events after `sequence`, in order, at most `limit`.
    public func events(after sequence: Int64, limit: Int = 1000) throws -> [Event] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT sequence, line FROM outbox WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [sequence, limit]
            )
            .map { Event(sequence: $0["sequence"], line: $0["line"]) }
        }
    }

    /// How far `destination` (the events file, the webhook) has taken the events.
    public func delivered(to destination: String) throws -> Int64 {
        try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT sequence FROM delivery WHERE destination = ?", arguments: [destination]) ?? 0
        }
    }

    /// Notes that `destination` has taken the events up to `sequence`; events every
    /// destination has taken leave the outbox.
    public func markDelivered(to destination: String, upTo sequence: Int64, destinations: [String]) throws {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO delivery (destination, sequence) VALUES (?, ?)
                    ON CONFLICT(destination) DO UPDATE SET sequence = MAX(sequence, excluded.sequence)
                    """,
                arguments: [destination, sequence])
            var lowest = Int64.max
            for name in destinations {
                let taken = try Int64.fetchOne(db, sql: "SELECT sequence FROM delivery WHERE destination = ?", arguments: [name]) ?? 0
                lowest = min(lowest, taken)
            }
            if lowest != .max { try db.execute(sql: "DELETE FROM outbox WHERE sequence <= ?", arguments: [lowest]) }
        }
    }

    /// Events waiting for `destination`.
    public func undelivered(to destination: String) throws -> Int {
        let taken = try delivered(to: destination)
        return try database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE sequence > ?", arguments: [taken]) ?? 0
        }
    }
}
