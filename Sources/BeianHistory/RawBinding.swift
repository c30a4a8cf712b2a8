import GRDB
import GRDBSQLite

/// Binding a row's values straight through SQLite's C interface: staging a national run's
/// findings is a hundred thousand inserts, where building GRDB's `StatementArguments` for
/// each cost more than SQLite's own work.
enum RawBinding {
    enum Value {
        case integer(Int64?)
        case text(String?)
        case blob([UInt8]?)
    }

    /// SQLite copies what it is given (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Runs `statement` (an INSERT or UPDATE) once with `values` bound in order.
    static func insert(_ statement: Statement, _ values: [Value]) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let number?): code = sqlite3_bind_int64(handle, index, number)
            case .text(let text?): code = sqlite3_bind_text(handle, index, text, -1, transient)
            case .blob(let bytes?):
                code = bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
            case .integer(nil), .text(nil), .blob(nil): code = sqlite3_bind_null(handle, index)
            }
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding value \(index)") }
        }
        let step = sqlite3_step(handle)
        guard step == SQLITE_DONE else {
            let message = sqlite3_errmsg(sqlite3_db_handle(handle)).map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: step), message: message)
        }
    }
}
