import Foundation

/// Headless Chromium (Debian `chromium`): a page's DOM after it was loaded, and what the page
/// said on the console.
public enum Browser {
    public static func dumpDOM(_ page: String) throws -> (dom: String, console: [String]) {
        let chromium = Process()
        chromium.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        chromium.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--dump-dom",
            URL(fileURLWithPath: page).absoluteString,
        ]
        let out = Pipe()
        let err = Pipe()
        chromium.standardOutput = out
        chromium.standardError = err
        try chromium.run()
        nonisolated(unsafe) var errors = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errors = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        group.wait()
        chromium.waitUntilExit()
        let console = String(decoding: errors, as: UTF8.self).split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (dom, console)
    }
}
