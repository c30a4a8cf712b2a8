public import BeianCore
import Foundation
internal import GRDB

/// The findings of every scan, kept across runs in one SQLite database (`--history FILE`,
/// through GRDB): each run with what it read (inputs and their digests, the index's build and
/// sources, scope, coverage, the time its observations span), and each finding — by its key
/// (kind, independent domain, address) — with first and last seen across runs, counts, the
/// runs it was seen in, and its state:
///
/// - `new`: seen in the last run that saw it for the first time (or again after it was
///   resolved);
/// - `persisting`: seen again;
/// - `resolved`: absent from a later run that would have seen it — a run whose coverage holds
///   its address, whose scope includes its access provider, and whose observations all come
///   after it was last seen; findings made over the coverage as a whole at the end of a run
///   (over-reported access, empty shells) resolve when a run with coverage no longer makes
///   them. A run without coverage resolves nothing: absence from a capture says nothing of
///   addresses the capture did not see.
///
/// Every run is recorded in one transaction: killed at any moment, the history holds the run
/// whole or not at all. WAL mode: reports read while a scan writes. A history written by a
/// newer beian (migrations this one does not know) is refused.
public final class FindingsHistory: Sendable {
    public enum State: String, Sendable, CaseIterable {
        case new, persisting, resolved
        /// An unfiled site with a handling result recorded (`beian history handle`), not seen
        /// by a run since (seen again, it is `persisting`; the result is kept).
        case handled
    }

    /// A handling result an access provider recorded for an unfiled site (the V3.0 `WBACLJG`
    /// record's `Cljg` and `Clyj`).
    public struct Handling: Sendable, Hashable {
        /// The unfiled site's independent domain; the address when the result is for one
        /// address only (nil: every address the site was seen on).
        public var domain: String
        public var address: String?
        /// The handling status's id in the registry's handling-status table (`Wbacl_dms`).
        public var status: Int
        /// The handling opinion (`Clyj`).
        public var opinion: String
        /// When it was handled (seconds since 1970).
        public var handledAt: Int64
        /// Where the result came from: `command`, or the file and line it was imported from.
        public var source: String

        public init(domain: String, address: String? = nil, status: Int, opinion: String, handledAt: Int64, source: String) {
            self.domain = domain
            self.address = address
            self.status = status
            self.opinion = opinion
            self.handledAt = handledAt
            self.source = source
        }
    }

    /// What a run was: when, over what, seeing what.
    public struct RunRecord: Sendable {
        public var startedAt: Int64
        public var endedAt: Int64
        /// The inputs read: path, size, `sha256:…` digest.
        public var inputs: [(path: String, bytes: Int64, digest: String)] = []
        public var indexPath = ""
        public var indexBuilt: Int64 = 0
        /// The registry files the index was built from, with their digests.
        public var indexSources: [(path: String, bytes: Int64, digest: String)] = []
        /// `all`, or `own UNIT`.
        public var scope = "all"
        /// The access provider of an `own` scope.
        public var scopeUnit: Int64?
        /// Prefixes and ranges the inputs saw in full.
        public var coverage: [IPRange] = []
        /// The earliest and latest observation time (seconds since 1970).
        public var window: ClosedRange<Int64>?
        /// Sites checked (distinct independent domains on domestic addresses) by province.
        public var sitesChecked: [String: Int] = [:]

        public init(startedAt: Int64, endedAt: Int64) {
            self.startedAt = startedAt
            self.endedAt = endedAt
        }
    }

    /// A recorded run and what merging it did.
    public struct Run: Sendable, Hashable {
        public var id: Int64
        public var startedAt: Int64
        public var endedAt: Int64
        public var scope: String
        public var coverage: [String]
        public var window: ClosedRange<Int64>?
        public var indexPath: String
        public var indexBuilt: Int64
        public var inputs: [String]
        /// Findings seen in the run; of them new; findings the run resolved.
        public var findings: Int
        public var new: Int
        public var resolved: Int
        /// Sites the run checked, by province (empty for runs that did not count them).
        public var sitesChecked: [String: Int]
    }

    /// A finding as the history knows it.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var kind: String
        public var host: String?
        public var independentDomain: String?
        public var address: String?
        public var providerID: Int64?
        public var providerName: String?
        public var operatorID: Int64?
        public var operatorName: String?
        public var siteNumber: String?
        public var province: String?
        public var firstSeen: Int64?
        public var lastSeen: Int64?
        /// Sightings over every run; runs it was seen in.
        public var count: Int
        public var runs: Int
        public var firstRun: Int64
        public var lastRun: Int64
        public var state: State
        public var resolvedRun: Int64?
        public var detail: String
        /// The finding's evidence as the last run gave it (a JSON array of up to
        /// `evidenceKept` items: source, location, seen).
        public var evidence: String
    }

    /// Evidence items kept per finding: enough to find the packet, line or record again.
    public static let evidenceKept = 3

    public struct HistoryError: Error, CustomStringConvertible {
        public let description: String
    }

    public let path: String
    private let database: DatabasePool

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("history-v1") { db in
            try db.create(table: "run") { table in
                table.primaryKey("id", .integer)
                table.column("started_at", .integer).notNull()
                table.column("ended_at", .integer).notNull()
                table.column("recorded_at", .integer).notNull()
                table.column("scope", .text).notNull()
                table.column("scope_unit", .integer)
                table.column("coverage", .text).notNull()
                table.column("window_start", .integer)
                table.column("window_end", .integer)
                table.column("index_path", .text).notNull()
                table.column("index_built", .integer).notNull()
                table.column("index_sources", .text).notNull()
                table.column("inputs", .text).notNull()
                table.column("findings", .integer).notNull()
                table.column("new", .integer).notNull()
                table.column("resolved", .integer).notNull()
            }
            try db.create(table: "finding") { table in
                table.primaryKey("id", .integer)
                table.column("key", .text).notNull().unique()
                table.column("kind", .text).notNull()
                table.column("host", .text)
                table.column("independent_domain", .text)
                table.column("address", .text)
                // The address as sortable bytes (family, then big-endian bits) for coverage queries.
                table.column("address_key", .blob)
                table.column("provider_id", .integer)
                table.column("provider_name", .text)
                table.column("province", .text)
                table.column("first_seen", .integer)
                table.column("last_seen", .integer)
                table.column("count", .integer).notNull()
                table.column("runs", .integer).notNull()
                table.column("first_run", .integer).notNull()
                table.column("last_run", .integer).notNull()
                table.column("state", .text).notNull()
                table.column("resolved_run", .integer)
                table.column("detail", .text).notNull()
            }
            try db.create(index: "finding_address", on: "finding", columns: ["address_key"])
            try db.create(table: "sighting") { table in
                table.column("run", .integer).notNull()
                table.column("finding", .integer).notNull()
                table.column("count", .integer).notNull()
                table.column("first_seen", .integer)
                table.column("last_seen", .integer)
                table.primaryKey(["run", "finding"])
            }
            try db.create(index: "sighting_finding", on: "sighting", columns: ["finding"])
        }
        migrator.registerMigration("history-v2") { db in
            // Findings merged by a 64-bit hash of their key — an integer index a fraction of
            // the text key's size, which a national history's merges touch all over — and
            // what the annual review and the handling report show of them (operator, site
            // number, evidence); the sites each run checked; handling results. SQLite cannot
            // drop the text key's unique index: the table is made again, rows and ids kept.
            try db.execute(
                sql: """
                    CREATE TABLE finding_v2 (id INTEGER PRIMARY KEY, key_hash INTEGER, key TEXT NOT NULL, kind TEXT NOT NULL,
                        host TEXT, independent_domain TEXT, address TEXT, address_key BLOB, provider_id INTEGER, provider_name TEXT,
                        operator_id INTEGER, operator_name TEXT, site_number TEXT, province TEXT, first_seen INTEGER,
                        last_seen INTEGER, count INTEGER NOT NULL, runs INTEGER NOT NULL, first_run INTEGER NOT NULL,
                        last_run INTEGER NOT NULL, state TEXT NOT NULL, resolved_run INTEGER, detail TEXT NOT NULL,
                        evidence TEXT NOT NULL DEFAULT '[]');
                    INSERT INTO finding_v2 (id, key, kind, host, independent_domain, address, address_key, provider_id,
                        provider_name, province, first_seen, last_seen, count, runs, first_run, last_run, state, resolved_run, detail)
                    SELECT id, key, kind, host, independent_domain, address, address_key, provider_id, provider_name, province,
                        first_seen, last_seen, count, runs, first_run, last_run, state, resolved_run, detail FROM finding;
                    DROP TABLE finding;
                    ALTER TABLE finding_v2 RENAME TO finding;
                    CREATE TABLE sighting_v2 (run INTEGER NOT NULL, finding INTEGER NOT NULL, count INTEGER NOT NULL,
                        first_seen INTEGER, last_seen INTEGER, PRIMARY KEY (run, finding)) WITHOUT ROWID;
                    INSERT INTO sighting_v2 SELECT run, finding, count, first_seen, last_seen FROM sighting;
                    DROP TABLE sighting;
                    ALTER TABLE sighting_v2 RENAME TO sighting;
                    CREATE INDEX sighting_finding ON sighting(finding);
                    """)
            var taken = Set<Int64>()
            let update = try db.makeStatement(sql: "UPDATE finding SET key_hash = ? WHERE id = ?")
            for (id, key) in try Row.fetchAll(db, sql: "SELECT id, key FROM finding ORDER BY id").map({ ($0[0] as Int64, $0[1] as String) })
            {
                var attempt = 0
                while !taken.insert(keyHash(key, attempt: attempt)).inserted { attempt += 1 }
                try update.execute(arguments: [keyHash(key, attempt: attempt), id])
            }
            try db.execute(
                sql: """
                    CREATE UNIQUE INDEX finding_key_hash ON finding(key_hash);
                    CREATE INDEX finding_address ON finding(address_key);
                    CREATE INDEX finding_domain ON finding(independent_domain);
                    """)
            try db.alter(table: "run") { table in table.add(column: "sites_checked", .text).notNull().defaults(to: "{}") }
            try db.create(table: "handling") { table in
                table.primaryKey("id", .integer)
                table.column("domain", .text).notNull()
                table.column("address", .text)
                table.column("status", .integer).notNull()
                table.column("opinion", .text).notNull()
                table.column("handled_at", .integer).notNull()
                table.column("recorded_at", .integer).notNull()
                table.column("source", .text).notNull()
            }
            try db.create(index: "handling_domain", on: "handling", columns: ["domain"])
        }
        return migrator
    }

    /// Opens (or creates) the history at `path`.
    public convenience init(path: String) throws {
        try self.init(path: path, keyHashBits: 64)
    }

    /// Bits of the key hash a new history merges by: fewer only in tests, where keys must
    /// share hashes to show they are told apart.
    let keyHashMask: UInt64

    package init(path: String, keyHashBits: Int) throws {
        self.path = path
        keyHashMask = keyHashBits >= 64 ? .max : (1 << UInt64(keyHashBits)) - 1
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A national history's indexes are hundreds of megabytes: merging touches them all
            // over, which SQLite's default 2 MB cache turns into page reads.
            try db.execute(sql: "PRAGMA cache_size = -262144")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            let migrator = Self.migrator
            if try database.read({ try migrator.hasBeenSuperseded($0) }) {
                throw HistoryError(description: "\(path) was written by a newer beian (its schema has migrations this one does not know)")
            }
            try migrator.migrate(database)
        } catch let error as HistoryError {
            throw error
        } catch let error as DatabaseError where error.resultCode != .SQLITE_NOTADB && error.resultCode != .SQLITE_CORRUPT {
            // A full disk, a read-only folder, a lock: the history may well be fine.
            throw HistoryError(description: "\(path): cannot open or write the findings history (\(error))")
        } catch {
            throw HistoryError(description: "\(path): not a findings history (\(error))")
        }
    }

    /// The key a finding is merged by: kind, independent domain (or host), address.
    public static func key(of finding: Finding) -> String {
        "\(finding.kind.rawValue)|\(finding.independentDomain ?? finding.host ?? "")|\(finding.address ?? "")"
    }

    /// The 64-bit hash a finding is merged by: FNV-1a of its key — and, for the rare key whose
    /// hash another key already holds, of the key and the attempt (`probe`).
    static func keyHash(_ key: String, attempt: Int = 0, mask: UInt64 = .max) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        if attempt > 0 {
            for byte in withUnsafeBytes(of: UInt64(attempt).littleEndian, Array.init) {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        return Int64(bitPattern: hash & mask)
    }

    /// The hash `key` is (or will be) stored under: the first attempt whose hash the history
    /// holds for this key, or holds for no key and `taken` (this run's) does not hold.
    static func probe(_ key: String, in db: Database, taken: Set<Int64>, mask: UInt64) throws -> Int64 {
        var attempt = 0
        while true {
            let hash = keyHash(key, attempt: attempt, mask: mask)
            let holder = try String.fetchOne(db, sql: "SELECT key FROM finding WHERE key_hash = ?", arguments: [hash])
            if holder == key || (holder == nil && !taken.contains(hash)) { return hash }
            attempt += 1
        }
    }

    /// Sortable bytes of an address: its family, then its bits big-endian.
    static func addressKey(_ address: IPAddress) -> [UInt8] {
        switch address {
        case .v4(let a): [4] + withUnsafeBytes(of: a.value.bigEndian) { Array($0) }
        case .v6(let a): [6] + withUnsafeBytes(of: a.value.bigEndian) { Array($0) }
        }
    }

    /// Records a run and merges its findings, in one transaction; the run as recorded.
    @discardableResult
    public func record(_ run: RunRecord, findings: [Finding]) throws -> Run {
        do {
            return try database.write { db in try Self.record(run, findings: findings, in: db, mask: keyHashMask) }
        } catch let error as HistoryError {
            throw error
        } catch {
            throw HistoryError(description: "\(path): the run could not be recorded (\(error))")
        }
    }

    private static func record(_ run: RunRecord, findings: [Finding], in db: Database, mask: UInt64) throws -> Run {
        let now = Timestamp.now.secondsSince1970
        func json(_ value: JSONValue) -> String { value.text() }
        let sources = JSONValue.array(
            run.indexSources.map { ["path": JSONValue($0.path), "bytes": JSONValue($0.bytes), "digest": JSONValue($0.digest)] })
        let inputs = JSONValue.array(
            run.inputs.map { ["path": JSONValue($0.path), "bytes": JSONValue($0.bytes), "digest": JSONValue($0.digest)] })
        try db.execute(
            sql: """
                INSERT INTO run (started_at, ended_at, recorded_at, scope, scope_unit, coverage, window_start, window_end,
                    index_path, index_built, index_sources, inputs, findings, new, resolved, sites_checked)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?)
                """,
            arguments: [
                run.startedAt, run.endedAt, now, run.scope, run.scopeUnit, json(JSONValue(run.coverage.map(\.description))),
                run.window?.lowerBound, run.window?.upperBound, run.indexPath, run.indexBuilt, json(sources), json(inputs),
                json(.object(JSONObject(run.sitesChecked.mapValues { JSONValue($0) }))),
            ])
        let id = db.lastInsertedRowID

        // Merge: one upsert per finding (its sightings summed if a run lists a key twice).
        var merged: [String: Finding] = [:]
        merged.reserveCapacity(findings.count)
        for finding in findings {
            let key = key(of: finding)
            if var known = merged[key] {
                known.count += finding.count
                known.firstSeen = [known.firstSeen, finding.firstSeen].compactMap { $0 }.min()
                known.lastSeen = [known.lastSeen, finding.lastSeen].compactMap { $0 }.max()
                merged[key] = known
            } else {
                merged[key] = finding
            }
        }
        // The run's findings go to a temporary table, then merge set-wise: inserted new, or
        // merged into what is known (new again when it had been resolved).
        try db.execute(
            sql: """
                CREATE TEMP TABLE IF NOT EXISTS incoming (row INTEGER PRIMARY KEY, key_hash INTEGER, key TEXT, kind TEXT, host TEXT,
                    independent_domain TEXT, address TEXT, address_key BLOB, provider_id INTEGER, provider_name TEXT,
                    operator_id INTEGER, operator_name TEXT, site_number TEXT, province TEXT, first_seen INTEGER, last_seen INTEGER,
                    count INTEGER, detail TEXT, evidence TEXT);
                DELETE FROM incoming;
                """)
        // Hashes: a key that shares its hash with another key of the run is probed now; one
        // that shares it with a finding of the history, after staging (both are rare: about
        // one run in ten million at national scale).
        var hashes: [String: Int64] = [:]
        hashes.reserveCapacity(merged.count)
        var taken = Set<Int64>(minimumCapacity: merged.count)
        var collided: [String] = []
        for key in merged.keys {
            let hash = keyHash(key, mask: mask)
            if taken.insert(hash).inserted { hashes[key] = hash } else { collided.append(key) }
        }
        for key in collided {
            let hash = try probe(key, in: db, taken: taken, mask: mask)
            taken.insert(hash)
            hashes[key] = hash
        }
        let stage = try db.makeStatement(sql: "INSERT INTO incoming VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for (key, finding) in merged {
            var sortable: [UInt8]?
            if let text = finding.address, let address = try? IPAddress.parse(text).unmapped { sortable = Self.addressKey(address) }
            try RawBinding.insert(
                stage,
                [
                    .integer(hashes[key] ?? 0), .text(key), .text(finding.kind.rawValue), .text(finding.host),
                    .text(finding.independentDomain), .text(finding.address), .blob(sortable), .integer(finding.provider?.id),
                    .text(finding.provider?.name), .integer(finding.operatorUnit?.id), .text(finding.operatorUnit?.name),
                    .text(finding.siteNumber), .text(finding.province), .integer(finding.firstSeen?.secondsSince1970),
                    .integer(finding.lastSeen?.secondsSince1970), .integer(Int64(finding.count)), .text(finding.detail),
                    .text(Self.evidenceText(finding.evidence)),
                ])
        }
        // One look at what the history holds of the run's findings: how many are new (or
        // back after being resolved), and whether any was staged under a hash the history
        // holds for another key.
        let looked = try Row.fetchOne(
            db,
            sql: """
                SELECT COALESCE(SUM(finding.id IS NULL OR finding.state = 'resolved'), 0), COALESCE(SUM(finding.key != incoming.key), 0)
                FROM incoming LEFT JOIN finding USING (key_hash)
                """)
        var new: Int = looked?[0] ?? 0
        let clashing: Int = looked?[1] ?? 0
        // Rows staged under another key's hash move to their own; until all have moved two
        // rows may share a hash (the table does not ask for unique ones).
        let clashes =
            clashing == 0
            ? []
            : try Row.fetchAll(
                db, sql: "SELECT incoming.row, incoming.key FROM incoming JOIN finding USING (key_hash) WHERE finding.key != incoming.key")
        for clash in clashes {
            let key: String = clash[1]
            let hash = try probe(key, in: db, taken: taken, mask: mask)
            taken.insert(hash)
            try db.execute(sql: "UPDATE incoming SET key_hash = ? WHERE row = ?", arguments: [hash, clash[0] as Int64])
        }
        if !clashes.isEmpty {
            new =
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM incoming LEFT JOIN finding USING (key_hash) WHERE finding.id IS NULL OR finding.state = 'resolved'"
                ) ?? 0
        }
        try db.execute(
            sql: """
                INSERT INTO finding (key_hash, key, kind, host, independent_domain, address, address_key, provider_id,
                    provider_name, operator_id, operator_name, site_number, province, first_seen, last_seen, count, runs, first_run,
                    last_run, state, detail, evidence)
                SELECT key_hash, key, kind, host, independent_domain, address, address_key, provider_id, provider_name, operator_id,
                    operator_name, site_number, province, first_seen, last_seen, count, 1, ?1, ?1, 'new', detail, evidence
                FROM incoming WHERE true ORDER BY key_hash
                ON CONFLICT(key_hash) DO UPDATE SET
                    first_seen = MIN(COALESCE(first_seen, excluded.first_seen), COALESCE(excluded.first_seen, first_seen)),
                    last_seen = MAX(COALESCE(last_seen, excluded.last_seen), COALESCE(excluded.last_seen, last_seen)),
                    count = count + excluded.count, runs = runs + 1, last_run = excluded.last_run,
                    state = CASE WHEN state = 'resolved' THEN 'new' ELSE 'persisting' END, resolved_run = NULL,
                    detail = excluded.detail, host = COALESCE(excluded.host, host),
                    provider_id = COALESCE(excluded.provider_id, provider_id),
                    provider_name = COALESCE(excluded.provider_name, provider_name),
                    operator_id = COALESCE(excluded.operator_id, operator_id),
                    operator_name = COALESCE(excluded.operator_name, operator_name),
                    site_number = COALESCE(excluded.site_number, site_number), evidence = excluded.evidence
                """,
            arguments: [id])
        try db.execute(
            sql: """
                INSERT INTO sighting (run, finding, count, first_seen, last_seen)
                SELECT ?, finding.id, incoming.count, incoming.first_seen, incoming.last_seen
                FROM incoming JOIN finding USING (key_hash)
                """,
            arguments: [id])
        try db.execute(sql: "DELETE FROM incoming")

        // Resolve: open findings this run did not see though it would have — their address in
        // its coverage (and scope), last seen before its first observation. Findings judged
        // over the coverage as a whole at the end of a run (over-reported access, empty shells:
        // never "seen" at a time) resolve when a later run with coverage no longer makes them.
        var resolved = 0
        if let window = run.window, !run.coverage.isEmpty {
            let resolve = try db.makeStatement(
                sql: """
                    UPDATE finding SET state = 'resolved', resolved_run = ?1
                    WHERE state IN ('new', 'persisting') AND address_key BETWEEN ?2 AND ?3 AND last_run != ?1
                        AND (last_seen < ?4 OR (last_seen IS NULL AND (SELECT window_end FROM run WHERE run.id = finding.last_run) < ?4))
                        AND (?5 IS NULL OR provider_id = ?5)
                    """)
            for range in run.coverage {
                try resolve.execute(arguments: [
                    id, Data(addressKey(range.first.unmapped)), Data(addressKey(range.last.unmapped)), window.lowerBound, run.scopeUnit,
                ])
                resolved += db.changesCount
            }
            try db.execute(
                sql: """
                    UPDATE finding SET state = 'resolved', resolved_run = ?1
                    WHERE state IN ('new', 'persisting') AND address_key IS NULL AND last_seen IS NULL AND last_run != ?1
                        AND (SELECT window_end FROM run WHERE run.id = finding.last_run) < ?3 AND (?2 IS NULL OR provider_id = ?2)
                    """,
                arguments: [id, run.scopeUnit, window.lowerBound])
            resolved += db.changesCount
        }
        try db.execute(
            sql: "UPDATE run SET findings = ?, new = ?, resolved = ? WHERE id = ?", arguments: [merged.count, new, resolved, id])
        guard let recorded = try fetchRuns(db, where: "id = ?", [id]).first else {
            throw HistoryError(description: "the run just recorded cannot be read back")
        }
        return recorded
    }

    // MARK: Reading

    /// Every run, oldest first.
    public func runs() throws -> [Run] {
        try database.read { db in try Self.fetchRuns(db, where: "1", []) }
    }

    public func run(_ id: Int64) throws -> Run? {
        try database.read { db in try Self.fetchRuns(db, where: "id = ?", [id]).first }
    }

    private static func fetchRuns(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [Run] {
        try Row.fetchAll(db, sql: "SELECT * FROM run WHERE \(condition) ORDER BY id", arguments: arguments).map { row in
            let start: Int64? = row["window_start"]
            let end: Int64? = row["window_end"]
            return Run(
                id: row["id"], startedAt: row["started_at"], endedAt: row["ended_at"], scope: row["scope"],
                coverage: strings(row["coverage"]), window: start.flatMap { start in end.map { start...max(start, $0) } },
                indexPath: row["index_path"], indexBuilt: row["index_built"], inputs: paths(row["inputs"]), findings: row["findings"],
                new: row["new"], resolved: row["resolved"], sitesChecked: counts(row["sites_checked"]))
        }
    }

    /// The findings as they stand now (optionally only those in `states`), ordered by kind,
    /// independent domain and address.
    public func entries(states: Set<State> = Set(State.allCases)) throws -> [Entry] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM finding ORDER BY key").map(Self.entry).filter { states.contains($0.state) }
        }
    }

    /// The findings seen in run `id`, as they stand now.
    public func entries(seenIn id: Int64) throws -> [Entry] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT finding.* FROM finding JOIN sighting ON sighting.finding = finding.id WHERE sighting.run = ? ORDER BY key",
                arguments: [id]
            ).map(Self.entry)
        }
    }

    /// The findings seen between `start` and `end` (seconds since 1970, end excluded): a
    /// sighting last seen then — or, for findings judged over a whole run (never seen at a
    /// time), made by a run whose observations ended then.
    public func entries(seenFrom start: Int64, to end: Int64) throws -> [Entry] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM finding WHERE id IN (
                        SELECT sighting.finding FROM sighting JOIN run ON run.id = sighting.run
                        WHERE (sighting.last_seen >= ?1 AND sighting.last_seen < ?2)
                            OR (sighting.last_seen IS NULL AND run.window_end >= ?1 AND run.window_end < ?2))
                    ORDER BY key
                    """, arguments: [start, end]
            ).map(Self.entry)
        }
    }

    /// Every sighting of a run whose observations overlap `start` ..< `end`: the finding's key
    /// and the time it was seen in the run (first and last; for findings judged over a whole
    /// run, the run's span).
    public func sightings(from start: Int64, to end: Int64) throws -> [(key: String, first: Int64, last: Int64)] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT finding.key AS key, COALESCE(sighting.first_seen, run.window_end) AS first,
                        COALESCE(sighting.last_seen, run.window_end) AS last
                    FROM sighting JOIN run ON run.id = sighting.run JOIN finding ON finding.id = sighting.finding
                    WHERE run.window_start < ?2 AND run.window_end >= ?1
                    """, arguments: [start, end]
            ).compactMap { row in
                guard let first: Int64 = row["first"], let last: Int64 = row["last"] else { return nil }
                return (row["key"], first, max(first, last))
            }
        }
    }

    /// The findings resolved by a run whose observations began between `start` and `end`.
    public func entries(resolvedFrom start: Int64, to end: Int64) throws -> [Entry] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT finding.* FROM finding JOIN run ON run.id = finding.resolved_run
                    WHERE run.window_start >= ? AND run.window_start < ? ORDER BY key
                    """, arguments: [start, end]
            ).map(Self.entry)
        }
    }

    /// The runs whose observations overlap `start` ..< `end`.
    public func runs(from start: Int64, to end: Int64) throws -> [Run] {
        try database.read { db in try Self.fetchRuns(db, where: "window_start < ? AND window_end >= ?", [end, start]) }
    }

    /// The findings run `id` resolved.
    public func entries(resolvedBy id: Int64) throws -> [Entry] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM finding WHERE resolved_run = ? ORDER BY key", arguments: [id]).map(Self.entry)
        }
    }

    /// What differs between two runs: findings only the first saw, only the second saw, both saw.
    public func diff(_ first: Int64, _ second: Int64) throws -> (onlyFirst: [Entry], onlySecond: [Entry], both: [Entry]) {
        let a = try entries(seenIn: first)
        let b = try entries(seenIn: second)
        let inA = Set(a.map(\.key))
        let inB = Set(b.map(\.key))
        return (a.filter { !inB.contains($0.key) }, b.filter { !inA.contains($0.key) }, a.filter { inB.contains($0.key) })
    }

    private static func entry(_ row: Row) -> Entry {
        Entry(
            key: row["key"], kind: row["kind"], host: row["host"], independentDomain: row["independent_domain"], address: row["address"],
            providerID: row["provider_id"], providerName: row["provider_name"], operatorID: row["operator_id"],
            operatorName: row["operator_name"], siteNumber: row["site_number"], province: row["province"], firstSeen: row["first_seen"],
            lastSeen: row["last_seen"], count: row["count"], runs: row["runs"], firstRun: row["first_run"], lastRun: row["last_run"],
            state: State(rawValue: row["state"] ?? "") ?? .persisting, resolvedRun: row["resolved_run"], detail: row["detail"],
            evidence: row["evidence"] ?? "[]")
    }

    static func evidenceText(_ evidence: [Finding.Evidence]) -> String {
        JSONValue.array(
            evidence.prefix(evidenceKept).map { item in
                var object = JSONObject()
                object["source"] = JSONValue(item.source)
                object["location"] = item.location.map { JSONValue($0) }
                object["seen"] = item.seen.map { JSONValue($0) }
                return .object(object)
            }
        ).text()
    }

    // MARK: Handling results

    /// Records handling results in one transaction: the open unfiled-site findings of each
    /// result's domain (at its address, when one is given) become `handled`. A result for a
    /// domain the history has no unfiled-site finding for is refused (returned, not
    /// recorded): a typo must not vanish into the store.
    @discardableResult
    public func handle(_ results: [Handling]) throws -> (recorded: Int, unknown: [Handling]) {
        do {
            return try database.write { db in
                let now = Timestamp.now.secondsSince1970
                var unknown: [Handling] = []
                var recorded = 0
                let insert = try db.makeStatement(
                    sql:
                        "INSERT INTO handling (domain, address, status, opinion, handled_at, recorded_at, source) VALUES (?, ?, ?, ?, ?, ?, ?)"
                )
                for result in results {
                    let known =
                        try Int.fetchOne(
                            db,
                            sql: """
                                SELECT COUNT(*) FROM finding WHERE independent_domain = ?1 AND kind = 'unfiled-site'
                                    AND (?2 IS NULL OR address = ?2)
                                """, arguments: [result.domain, result.address]) ?? 0
                    guard known > 0 else {
                        unknown.append(result)
                        continue
                    }
                    try insert.execute(arguments: [
                        result.domain, result.address, result.status, result.opinion, result.handledAt, now, result.source,
                    ])
                    try db.execute(
                        sql: """
                            UPDATE finding SET state = 'handled' WHERE independent_domain = ?1 AND kind = 'unfiled-site'
                                AND (?2 IS NULL OR address = ?2) AND state IN ('new', 'persisting')
                            """, arguments: [result.domain, result.address])
                    recorded += 1
                }
                return (recorded, unknown)
            }
        } catch let error as HistoryError {
            throw error
        } catch {
            throw HistoryError(description: "\(path): the handling results could not be recorded (\(error))")
        }
    }

    /// The latest handling result of every unfiled site (by domain, and address where one
    /// was given), in the order they were recorded.
    public func handlingResults() throws -> [Handling] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM handling WHERE id IN (SELECT MAX(id) FROM handling GROUP BY domain, COALESCE(address, ''))
                    ORDER BY id
                    """
            ).map { row in
                Handling(
                    domain: row["domain"], address: row["address"], status: row["status"], opinion: row["opinion"],
                    handledAt: row["handled_at"], source: row["source"])
            }
        }
    }

    private static func strings(_ text: String?) -> [String] {
        guard let data = text?.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data) as? [String] else { return [] }
        return array
    }

    private static func counts(_ text: String?) -> [String: Int] {
        guard let data = text?.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int] else {
            return [:]
        }
        return object
    }

    private static func paths(_ text: String?) -> [String] {
        guard let data = text?.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            return []
        }
        return array.compactMap { $0["path"] as? String }
    }
}
