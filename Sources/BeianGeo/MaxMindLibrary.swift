internal import CMaxMindDB

/// Facts about the libmaxminddb this build links against.
public enum MaxMindLibrary {
    /// libmaxminddb's version (`1.7.1`).
    public static var version: String {
        String(cString: MMDB_lib_version())
    }
}
