import BeianCore
internal import CLibXML2
import Foundation

extension RegistryLimits {
    /// Most leaf elements in one XML record (a `Baxx` with all its sites); beyond it the record
    /// is refused.
    public static let maximumLeavesPerRecord = 100_000
    /// Records of an `UploadData` IP file held back until its `Qqdwid` (the reporting unit,
    /// which may come last) is read. The interface allows 1,000 records per upload.
    public static let maximumDeferredRecords = 10_000
}

/// The record elements of V3.0 exports that beian reads.
enum XMLRecordKind {
    case icpFiling, cancellation, sponsorBlacklist, siteBlacklist, illegalAccess, unfiledSite, reportingUnit, province
    case ipSource, ipAllocation, ipSelfBrought, domainRegistration

    /// Record elements by their last two or three path names.
    static let starts: [String: XMLRecordKind] = [
        "BASJ/Baxx": .icpFiling, "SJTB/ICP/Baxx": .icpFiling,
        "ZXSJ/Zxxx": .cancellation, "ZXBA/Zx_xx": .cancellation,
        "HMDLB/Zthmdxxs": .sponsorBlacklist, "HMDLB/Wzhmdxxs": .siteBlacklist,
        "FFJRHMD/Ffjrxx": .illegalAccess, "WBAWZLB/Wbawz_xx": .unfiledSite,
        "Bbdwlb/Bbdw": .reportingUnit, "Gj_dms/Gj_dm_xx": .province,
        "Iply/Lyxx": .ipSource, "Xzly/Ly": .ipSource, "Xgly/Ly_xx": .ipSource,
        "Ipfp/Fpxx": .ipAllocation, "Xzfp/Fpsy": .ipAllocation, "Xgfp/Fpsy": .ipAllocation,
        "Zdip/Zdxx": .ipSelfBrought, "XgZd/Zdxx": .ipSelfBrought,
        "SJTB/YM/Ymxx": .domainRegistration, "YM/XZBA/Xzxx": .domainRegistration, "YM/XGBA/Xzxx": .domainRegistration,
    ]

    var rowKind: RecordKind {
        switch self {
        case .icpFiling: .sponsor
        case .cancellation: .cancellation
        case .sponsorBlacklist: .sponsorBlacklist
        case .siteBlacklist: .siteBlacklist
        case .illegalAccess: .illegalAccess
        case .unfiledSite: .unfiledSite
        case .reportingUnit: .reportingUnit
        case .province: .province
        case .ipSource: .ipSource
        case .ipAllocation: .ipAllocation
        case .ipSelfBrought: .ipSelfBrought
        case .domainRegistration: .domainRegistration
        }
    }

    /// Element path under the record → column. `IspId` fills the id column only when `Id` is
    /// absent (upload files carry only the enterprise id).
    var columns: [String: String] {
        switch self {
        case .icpFiling: [:]
        case .cancellation: ["Zxlb": "target", "Jlid": "cancelled_record", "Zxsj": "cancelled"]
        case .sponsorBlacklist:
            [
                "Zt_xx/Dwmc": "blacklisted_sponsor", "Zt_xx/Dwxz": "nature", "Zt_xx/Zj/Zjlx": "id_type", "Zt_xx/Zj/Zjhm": "id_number",
                "Czlx": "operation",
            ]
        case .siteBlacklist:
            ["Wz_xx/Wzmc": "blacklisted_site_names", "Wz_xx/Ym_xx/Ym": "domains", "Wz_xx/Syurl": "homepage", "Czlx": "operation"]
        case .illegalAccess:
            ["Id": "illegal_access_id", "Ym": "domain", "Ip": "address", "Zjjrz": "provider_id", "Szs": "province", "Dqjcsj": "detected"]
        case .unfiledSite:
            [
                "Id": "unfiled_id", "Wzym_mc": "domain", "IP": "address", "Dqjcsj": "last_detected", "Jccs": "detections",
                "Sssh": "province", "Scjcsj": "first_detected", "Jrs": "provider_id", "Yys": "operator_id",
            ]
        case .reportingUnit:
            [
                "Id": "unit_id", "Dwmc": "unit_name", "Dwfl": "unit_class", "Dwhyfl": "industry", "Jyxkzbh": "licence",
                "Shengid": "province", "Shiid": "city", "Sfyx": "valid",
            ]
        case .province: ["Shengid": "province_code", "Shengjc": "abbreviation", "Mc": "name"]
        case .ipSource: ["Id": "source_id", "Bbdwid": "unit_id", "Qsip": "start", "Zzip": "end", "Lydw": "source_unit_id"]
        case .ipAllocation:
            [
                "Id": "allocation_id", "Bbdwid": "unit_id", "Qsip": "start", "Zzip": "end", "Fpfs": "mode", "Fpdx": "target_unit_id",
                "Syfs": "usage", "Fprq": "allocated", "Sfymtz": "redirect", "Dwmc": "user_name", "Dwxz": "user_nature",
                "Dwfl": "user_class", "Dwhyfl": "user_industry", "Shengid": "province", "Shiid": "city", "Xianid": "county",
                "Xxdz": "address", "Lxrxm": "contact_name", "Lxrdh": "phone", "Lxrdzyj": "email",
            ]
        case .ipSelfBrought:
            [
                "Id": "self_brought_id", "Bbdwid": "unit_id", "Qsip": "start", "Zzip": "end", "Syfs": "usage", "Fprq": "allocated",
                "Sfymtz": "redirect", "Dwmc": "user_name", "Dwxz": "user_nature", "Shengid": "province", "Shiid": "city",
                "Xianid": "county", "Xxdz": "address", "Lxrxm": "contact_name", "Lxrdh": "phone", "Lxrdzyj": "email",
                "Ly_dwlx": "source_unit_type", "Lydw/Ly_dwid": "source_unit_id", "Lydw/Ly_dwmc": "source_unit_name",
            ]
        case .domainRegistration:
            [
                "Id": "registration_id", "Ym": "registered_domain", "Ymlx": "domain_type", "Zcsj": "registered",
                "Zcr_mc": "registrant_name", "Zcr_zz": "registrant_organisation", "Zcr_shengid": "registrant_province",
                "Zcr_dzyj": "registrant_email", "Zcr_dhhm": "registrant_phone", "Zcr_txdz": "registrant_address",
                "Ym_zcs": "registrar", "Ym_fwq": "name_servers", "Yxrq": "expires",
            ]
        }
    }

    static let sponsorColumns: [String: String] = [
        "Ztid": "sponsor_id", "Baxh": "sponsor_number", "Dwmc": "name", "Dwxz": "nature", "Txdz/Shengid": "province",
        "Txdz/Xxdz": "address", "Zj/Zjlx": "id_type", "Zj/Zjhm": "id_number", "Fzr/Fzr_xm": "contact_name",
        "Fzr/Fzr_dhhm": "phone", "Fzr/Fzr_sjhm": "phone", "Fzr/Fzr_dzyj": "email", "Scbbsj": "first_filed",
        "Zjxgsj": "updated", "Shsj": "approved",
    ]
    static let siteColumns: [String: String] = [
        "Wzid": "site_id", "Baxh": "site_number", "Wzmc": "names", "Ym_xx/Ym": "domains", "Syurl": "homepage",
        "Scbbsj": "first_filed", "Zjxgsj": "updated",
    ]
    static let accessColumns: [String: String] = [
        "Jrid": "access_id", "Ispid": "provider_id", "Wzfb/Fbdd": "placements", "Wzjrfs/Jrfs": "methods",
    ]
}

/// One record element's leaves, and the element paths of each, built on demand.
final class XMLRecord: ElementPaths {
    struct Leaf {
        /// Interned path of names below the record element.
        var key: Int32
        /// 1-based position of each step among its same-named siblings (first eight steps).
        var ordinals: SIMD8<Int32>
        /// The leaf's text in `text`.
        var start: Int32
        var end: Int32
        var line: Int32
    }

    let kind: XMLRecordKind
    /// Path of the record element (`DownloadData/ICP/BASJ/Baxx[12]`).
    let path: String
    let line: Int
    let depth: Int
    /// Path strings of the interned keys (`Wz_xx/Jr_xx/Ip_xx/Qsip`), shared with the reader.
    let keyNames: KeyNames
    var leaves: [Leaf] = []
    /// The UTF-8 text of every leaf, back to back.
    var text: [UInt8] = []
    var tooLarge = false

    init(kind: XMLRecordKind, path: String, line: Int, depth: Int, keyNames: KeyNames) {
        self.kind = kind
        self.path = path
        self.line = line
        self.depth = depth
        self.keyNames = keyNames
    }

    func path(ofLeaf index: Int) -> String {
        path(ofLeaf: index, steps: Int.max)
    }

    /// The path of the `count` first steps of `leaf` (`…/Baxx[3]/Wz_xx[2]`).
    func path(ofLeaf index: Int, steps count: Int) -> String {
        guard index >= 0 && index < leaves.count else { return path }
        let leaf = leaves[index]
        var result = path
        for (step, name) in keyNames.name(leaf.key).split(separator: "/").prefix(count).enumerated() {
            result += step < 8 ? "/\(name)[\(leaf.ordinals[step])]" : "/\(name)"
        }
        return result
    }
}

/// The interned element paths of one file (`Zt_xx/Txdz/Shengid`…).
final class KeyNames {
    private(set) var names: [String] = []

    func add(_ name: String) -> Int32 {
        names.append(name)
        return Int32(names.count - 1)
    }

    func name(_ key: Int32) -> String { key >= 0 && Int(key) < names.count ? names[Int(key)] : "" }
}

/// Where the value of a leaf goes.
enum XMLTarget {
    case ignored
    case column(Int)
    /// `IspId`: the record id when `Id` is absent.
    case enterpriseID
    case sponsor(Int)
    case site(Int)
    case access(Int)
    case rangeStart
    case rangeEnd
}

/// Streams MIIT V3.0 XML through libxml2's SAX2 push parser, one record element at a time:
/// memory holds one record, whatever the file size.
///
/// Element names are interned by libxml2's dictionary pointer and element paths by
/// (parent path, name), so the hot path compares integers and copies text bytes once.
final class XMLRegistryReader: PushReader {
    private struct Frame {
        var name: Int32
        var ordinal: Int32
        var key: Int32
        var hasChildren = false
        var containsRecord = false
        var line: Int32
    }

    private let sink: RecordSink
    private var context: xmlParserCtxtPtr?
    private var handler = xmlSAXHandler()
    private var frames: [Frame] = []
    private var record: XMLRecord?
    /// Committed length of the record's text: text after it belongs to no leaf yet.
    private var textMark = 0
    private var collecting = false
    private var outsideText: [UInt8] = []
    private var nameIDs: [UnsafeRawPointer: Int32] = [:]
    /// A direct-mapped cache in front of `nameIDs`.
    private var nameCache = [(UnsafeRawPointer?, Int32)](repeating: (nil, 0), count: 1024)
    private var nameStrings: [String] = []
    /// Child key by parent key (+1) and name: the interned element paths.
    private var childKeys: [[Int32]] = [[]]
    private let keyNames = KeyNames()
    /// Where each key's value goes, by record kind and key.
    private var targets: [[XMLTarget?]] = Array(repeating: [], count: 12)
    /// Counts of children by name, per depth of the open elements (reused, never freed).
    private var childCounts: [[(name: Int32, count: Int32)]] = []
    private var pendingError: (any Error)?
    private var rootChecked = false
    private var stopped = false
    private var requestingUnit: String?
    private var deferred: [RegistryRow] = []
    private let ignoreDeclaredEncoding: Bool
    private let encoding: TextEncoding
    private var fed = false
    private var bulkyNames: Set<Int32> = []
    private var qqdwidName: Int32 = -1

    /// Element names whose text is never kept (scanned attachments, base64).
    private static let bulky: Set<String> = ["Spwj", "Fjnr"]

    init(sink: RecordSink, ignoreDeclaredEncoding: Bool, encoding: TextEncoding) {
        self.sink = sink
        self.ignoreDeclaredEncoding = ignoreDeclaredEncoding
        self.encoding = encoding
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = { ctx, localname, _, _, _, _, _, _, _ in
            guard let ctx, let localname else { return }
            Unmanaged<XMLRegistryReader>.fromOpaque(ctx).takeUnretainedValue().start(localname)
        }
        handler.endElementNs = { ctx, _, _, _ in
            guard let ctx else { return }
            Unmanaged<XMLRegistryReader>.fromOpaque(ctx).takeUnretainedValue().end()
        }
        handler.characters = { ctx, bytes, length in
            guard let ctx, let bytes else { return }
            Unmanaged<XMLRegistryReader>.fromOpaque(ctx).takeUnretainedValue().characters(bytes, Int(length))
        }
        handler.cdataBlock = handler.characters
        handler.serror = { ctx, error in
            guard let ctx, let error else { return }
            Unmanaged<XMLRegistryReader>.fromOpaque(ctx).takeUnretainedValue().libraryError(error)
        }
    }

    deinit {
        if let context {
            xmlFreeParserCtxt(context)
        }
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard !stopped, bytes.count > 0 else { return }
        if context == nil { try create() }
        var offset = 0
        while offset < bytes.count && !stopped {
            // xmlParseChunk takes an Int32 length.
            let length = min(bytes.count - offset, 1 << 24)
            let pointer = bytes.baseAddress.map { UnsafeRawPointer($0 + offset).assumingMemoryBound(to: CChar.self) }
            xmlParseChunk(context, pointer, Int32(length), 0)
            offset += length
            fed = true
            try rethrowPending()
        }
    }

    func finish() throws {
        if context == nil {
            sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: sink.currentName, line: 1), kind: nil, "empty file"))
            return
        }
        if !stopped {
            xmlParseChunk(context, nil, 0, 1)
            try rethrowPending()
        }
        if !stopped && !rootChecked {
            sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: sink.currentName, line: 1), kind: nil, "no XML element found"))
        }
        try flushDeferred()
    }

    private func create() throws {
        let name = sink.currentName
        context = xmlCreatePushParserCtxt(&handler, Unmanaged.passUnretained(self).toOpaque(), nil, 0, name)
        guard let context else {
            throw RegistryError(code: .unreadable, message: "\(name): libxml2 cannot create a parser", report: nil)
        }
        var options = XML_PARSE_NONET.rawValue | XML_PARSE_NOBLANKS.rawValue
        if ignoreDeclaredEncoding {
            options |= XML_PARSE_IGNORE_ENC.rawValue
            xmlSwitchEncoding(context, XML_CHAR_ENCODING_UTF8)
        }
        xmlCtxtUseOptions(context, Int32(options))
    }

    private func rethrowPending() throws {
        if let error = pendingError {
            pendingError = nil
            throw error
        }
    }

    private var line: Int { context.map { Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer($0))) } ?? 0 }

    private func nameID(_ localname: UnsafePointer<xmlChar>) -> Int32 {
        // libxml2 interns names in its dictionary: the pointer identifies the name.
        let pointer = UnsafeRawPointer(localname)
        let slot = Int(bitPattern: pointer) >> 3 & 1023
        if nameCache[slot].0 == pointer { return nameCache[slot].1 }
        if let known = nameIDs[pointer] {
            nameCache[slot] = (pointer, known)
            return known
        }
        let name = String(cString: localname)
        let id = Int32(nameStrings.count)
        nameStrings.append(name)
        nameIDs[pointer] = id
        if XMLRegistryReader.bulky.contains(name) { bulkyNames.insert(id) }
        if name == "Qqdwid" { qqdwidName = id }
        return id
    }

    /// The interned path of `name` below `parent` (-1 for the record element's children).
    private func key(parent: Int32, name: Int32) -> Int32 {
        let row = Int(parent + 1)
        if Int(name) < childKeys[row].count, childKeys[row][Int(name)] >= 0 { return childKeys[row][Int(name)] }
        let text = parent < 0 ? nameStrings[Int(name)] : keyNames.name(parent) + "/" + nameStrings[Int(name)]
        let id = keyNames.add(text)
        while childKeys.count <= Int(id) + 1 { childKeys.append([]) }
        if childKeys[row].count <= Int(name) {
            childKeys[row].append(contentsOf: repeatElement(-1, count: Int(name) + 1 - childKeys[row].count))
        }
        childKeys[row][Int(name)] = id
        return id
    }

    // MARK: SAX callbacks

    private func start(_ localname: UnsafePointer<xmlChar>) {
        guard !stopped else { return }
        let name = nameID(localname)
        let depth = frames.count + 1
        if !rootChecked {
            rootChecked = true
            let rootName = nameStrings[Int(name)]
            guard rootName == "DownloadData" || rootName == "UploadData" else {
                stop(fatal: "not a MIIT V3.0 export: the root element is <\(rootName)>, not <DownloadData> or <UploadData>")
                return
            }
        }
        var ordinal: Int32 = 1
        if !frames.isEmpty {
            frames[frames.count - 1].hasChildren = true
            let parent = frames.count - 1
            if let index = childCounts[parent].lastIndex(where: { $0.name == name }) {
                childCounts[parent][index].count += 1
                ordinal = childCounts[parent][index].count
            } else {
                childCounts[parent].append((name, 1))
            }
        }
        // The counts of this element's children start empty.
        if childCounts.count <= frames.count { childCounts.append([]) }
        childCounts[frames.count].removeAll(keepingCapacity: true)
        var key: Int32 = -1
        if let record {
            key = self.key(parent: depth == record.depth + 1 ? -1 : frames[frames.count - 1].key, name: name)
            // Text of a parent that turned out to have children belongs to no leaf.
            record.text.removeSubrange(textMark...)
        } else if frames.count >= 2 {
            let parent = nameStrings[Int(frames[frames.count - 1].name)]
            let grandparent = nameStrings[Int(frames[frames.count - 2].name)]
            let own = nameStrings[Int(name)]
            if let kind = XMLRecordKind.starts[parent + "/" + own] ?? XMLRecordKind.starts[grandparent + "/" + parent + "/" + own] {
                var path = frames.map { $0.ordinal > 1 ? "\(nameStrings[Int($0.name)])[\($0.ordinal)]" : nameStrings[Int($0.name)] }.joined(
                    separator: "/")
                path += "/\(own)[\(ordinal)]"
                record = XMLRecord(kind: kind, path: path, line: line, depth: depth, keyNames: keyNames)
                textMark = 0
            }
        }
        frames.append(Frame(name: name, ordinal: ordinal, key: key, line: Int32(truncatingIfNeeded: line)))
        if record != nil {
            collecting = !bulkyNames.contains(name)
        } else {
            collecting = name == qqdwidName
            outsideText.removeAll(keepingCapacity: true)
        }
    }

    private func characters(_ bytes: UnsafePointer<xmlChar>, _ length: Int) {
        guard collecting else { return }
        if let record {
            let room = RegistryLimits.maximumFieldBytes + 1 - (record.text.count - textMark)
            guard room > 0 else { return }
            record.text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: min(length, room)))
        } else if outsideText.count < 64 {
            outsideText.append(contentsOf: UnsafeBufferPointer(start: bytes, count: min(length, 64)))
        }
    }

    private func end() {
        guard !stopped, let frame = frames.popLast() else { return }
        collecting = false
        let depth = frames.count + 1
        if let record {
            if depth == record.depth {
                self.record = nil
                if !frames.isEmpty { markContainsRecord() }
                process(record)
            } else if !frame.hasChildren {
                if record.leaves.count >= RegistryLimits.maximumLeavesPerRecord {
                    record.tooLarge = true
                    record.text.removeSubrange(textMark...)
                } else {
                    var ordinals = SIMD8<Int32>(repeating: 1)
                    var step = 0
                    for index in record.depth..<frames.count where step < 8 {
                        ordinals[step] = frames[index].ordinal
                        step += 1
                    }
                    if step < 8 { ordinals[step] = frame.ordinal }
                    record.leaves.append(
                        XMLRecord.Leaf(
                            key: frame.key, ordinals: ordinals, start: Int32(textMark), end: Int32(record.text.count), line: frame.line))
                    textMark = record.text.count
                }
            } else {
                record.text.removeSubrange(textMark...)
            }
            return
        }
        // Outside records: remember the requesting unit of uploads; count what is skipped.
        if frame.name == qqdwidName && !frame.hasChildren {
            requestingUnit = String(decoding: outsideText, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return
        }
        if frame.containsRecord {
            if !frames.isEmpty { markContainsRecord() }
        } else if depth == 4 || (depth == 3 && !frame.hasChildren) {
            sink.skip((frames.map { nameStrings[Int($0.name)] } + [nameStrings[Int(frame.name)]]).joined(separator: "/"))
        }
    }

    private func markContainsRecord() {
        frames[frames.count - 1].containsRecord = true
    }

    private func libraryError(_ error: xmlErrorPtr) {
        let level = error.pointee.level
        guard level == XML_ERR_FATAL || level == XML_ERR_ERROR else { return }
        var message = error.pointee.message.map { String(cString: $0) } ?? "malformed XML"
        message = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if error.pointee.code == XML_ERR_INVALID_CHAR.rawValue || message.contains("not proper UTF-8") {
            message += encoding == .utf8 ? " (is the file GBK? pass --encoding gb18030)" : ""
        }
        let line = Int(error.pointee.line)
        if level == XML_ERR_FATAL || !fed {
            stop(fatal: "malformed XML: \(message); the rest of the file was not read", line: line)
        } else {
            note(RegistryIssue(.warning, at: RecordLocation(file: sink.currentName, line: line), kind: nil, "XML error: \(message)"))
        }
    }

    private func stop(fatal reason: String, line: Int? = nil) {
        stopped = true
        sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: sink.currentName, line: line ?? self.line), kind: nil, reason))
        if let context { xmlStopParser(context) }
    }

    private func note(_ issue: RegistryIssue) {
        do {
            try sink.note(issue)
        } catch {
            fail(error)
        }
    }

    private func fail(_ error: any Error) {
        if pendingError == nil { pendingError = error }
        stopped = true
        if let context { xmlStopParser(context) }
    }

    // MARK: Records to rows

    /// Where the value of `key` goes in records of `kind` (computed once per pair).
    private func target(_ kind: XMLRecordKind, _ key: Int32) -> XMLTarget {
        if Int(key) < targets[kind.ordinal].count, let known = targets[kind.ordinal][Int(key)] { return known }
        let path = keyNames.name(key)
        let target: XMLTarget
        if kind == .icpFiling {
            target = XMLRecordKind.filingTarget(path)
        } else if path == "IspId" {
            target = .enterpriseID
        } else if let column = kind.columns[path], let index = RegistrySchema.index(of: kind.rowKind)[column] {
            target = .column(index)
        } else {
            target = .ignored
        }
        if targets[kind.ordinal].count <= Int(key) {
            targets[kind.ordinal].append(contentsOf: repeatElement(nil, count: Int(key) + 1 - targets[kind.ordinal].count))
        }
        targets[kind.ordinal][Int(key)] = target
        return target
    }

    private func process(_ record: XMLRecord) {
        do {
            if record.tooLarge {
                try sink.refuse(
                    record.kind.rowKind, at: RecordLocation(file: sink.currentName, line: record.line, element: record.path),
                    "more than \(RegistryLimits.maximumLeavesPerRecord) elements")
                return
            }
            if record.kind == .icpFiling {
                try processFiling(record)
            } else {
                try processSimple(record)
            }
        } catch {
            fail(error)
        }
    }

    private func location(_ record: XMLRecord, line: Int? = nil, element: String? = nil) -> RecordLocation {
        RecordLocation(file: sink.currentName, line: line ?? record.line, element: element ?? record.path)
    }

    private func processSimple(_ record: XMLRecord) throws {
        let kind = record.kind.rowKind
        var row = RegistryRow(kind: kind, location: location(record), paths: record)
        var enterpriseID: Int?
        record.text.withUnsafeBufferPointer { text in
            for (index, leaf) in record.leaves.enumerated() {
                let bytes = UnsafeBufferPointer(rebasing: text[Int(leaf.start)..<Int(leaf.end)])
                switch target(record.kind, leaf.key) {
                case .column(let column): row.append(column, utf8: bytes, line: Int(leaf.line), leaf: index)
                case .enterpriseID: enterpriseID = index
                default: break
                }
            }
        }
        // Upload files carry only the enterprise id (`IspId`).
        if let enterpriseID, record.kind.usesEnterpriseID, !row.has(0) {
            let leaf = record.leaves[enterpriseID]
            record.text.withUnsafeBufferPointer { text in
                row.append(
                    0, utf8: UnsafeBufferPointer(rebasing: text[Int(leaf.start)..<Int(leaf.end)]), line: Int(leaf.line), leaf: enterpriseID)
            }
        }
        if record.kind.isIPRecord && !row.has(1) {
            // The reporting unit of an upload is its `Qqdwid`, which may come last.
            if let requestingUnit {
                row.append(1, requestingUnit)
            } else if deferred.count < RegistryLimits.maximumDeferredRecords {
                deferred.append(row)
                return
            }
        }
        try sink.accept(row)
    }

    /// Rows of an upload that waited for its `Qqdwid`.
    private func flushDeferred() throws {
        let rows = deferred
        deferred = []
        for var row in rows {
            if let requestingUnit { row.append(1, requestingUnit) }
            try sink.accept(row)
        }
    }

    private func processFiling(_ record: XMLRecord) throws {
        var sponsor = RegistryRow(kind: .sponsor, location: location(record, element: record.path + "/Zt_xx[1]"), paths: record)
        var sites: [(ordinal: Int32, row: RegistryRow)] = []
        var accesses: [(site: Int32, ordinal: Int32, row: RegistryRow)] = []
        struct RangeParts {
            var site: Int32
            var access: Int32
            var ip: Int32
            var start: Int?
            var end: Int?
            var leaf: Int
        }
        var ranges: [RangeParts] = []

        let file = sink.currentName
        func siteIndex(_ ordinal: Int32, leaf: Int, line: Int32) -> Int {
            if let index = sites.lastIndex(where: { $0.ordinal == ordinal }) { return index }
            sites.append((ordinal, RegistryRow(kind: .site, file: file, line: Int(line), paths: record, leaf: leaf, steps: 1)))
            return sites.count - 1
        }
        func accessIndex(_ site: Int32, _ ordinal: Int32, leaf: Int, line: Int32) -> Int {
            if let index = accesses.lastIndex(where: { $0.site == site && $0.ordinal == ordinal }) { return index }
            accesses.append((site, ordinal, RegistryRow(kind: .access, file: file, line: Int(line), paths: record, leaf: leaf, steps: 2)))
            return accesses.count - 1
        }

        record.text.withUnsafeBufferPointer { text in
            for (index, leaf) in record.leaves.enumerated() {
                let bytes = UnsafeBufferPointer(rebasing: text[Int(leaf.start)..<Int(leaf.end)])
                let line = Int(leaf.line)
                switch target(.icpFiling, leaf.key) {
                case .sponsor(let column):
                    sponsor.append(column, utf8: bytes, line: line, leaf: index)
                case .site(let column):
                    sites[siteIndex(leaf.ordinals[0], leaf: index, line: leaf.line)].row.append(
                        column, utf8: bytes, line: line, leaf: index)
                case .access(let column):
                    accesses[accessIndex(leaf.ordinals[0], leaf.ordinals[1], leaf: index, line: leaf.line)].row.append(
                        column, utf8: bytes, line: line, leaf: index)
                case .rangeStart, .rangeEnd:
                    _ = accessIndex(leaf.ordinals[0], leaf.ordinals[1], leaf: index, line: leaf.line)
                    let position = ranges.lastIndex {
                        $0.site == leaf.ordinals[0] && $0.access == leaf.ordinals[1] && $0.ip == leaf.ordinals[2]
                    }
                    var parts =
                        position.map { ranges[$0] }
                        ?? RangeParts(site: leaf.ordinals[0], access: leaf.ordinals[1], ip: leaf.ordinals[2], leaf: index)
                    if case .rangeStart = target(.icpFiling, leaf.key) { parts.start = index } else { parts.end = index }
                    if let position { ranges[position] = parts } else { ranges.append(parts) }
                default:
                    break
                }
            }
            let rangesColumn = AccessColumn.ranges.rawValue
            for parts in ranges {
                guard let access = accesses.firstIndex(where: { $0.site == parts.site && $0.ordinal == parts.access }) else { continue }
                let leaf = record.leaves[parts.leaf]
                accesses[access].row.append(rangesColumn, line: Int(leaf.line), leaf: parts.leaf) { out in
                    func part(_ index: Int?, missing: String) {
                        if let index {
                            let piece = record.leaves[index]
                            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[Int(piece.start)..<Int(piece.end)]))
                        } else {
                            out.append(contentsOf: Array(missing.utf8))
                        }
                    }
                    part(parts.start, missing: "(no Qsip)")
                    out.append(0x2D)
                    part(parts.end, missing: "(no Zzip)")
                }
            }
        }

        let sponsorRecord = try sink.accept(sponsor)
        let sponsorID = sponsor.first(SponsorColumn.sponsorID.rawValue).map(sponsor.string) ?? ""
        var sponsorNumber: FilingNumber?
        if case .sponsor(let s) = sponsorRecord { sponsorNumber = s.number }
        for (ordinal, var site) in sites {
            site.set(SiteColumn.sponsorID.rawValue, sponsorID)
            var mismatch: String?
            if let sponsorNumber, let span = site.first(SiteColumn.siteNumber.rawValue),
                let number = try? site.withBytes(
                    span, { (bytes) throws(ValueError) -> FilingNumber in try FilingNumber.parse(utf8: bytes) }),
                number.sponsorNumber != sponsorNumber
            {
                mismatch = "site number \(number) does not belong to its sponsor \(sponsorNumber)"
            }
            let siteRecord = try sink.accept(
                site, parentRefused: sponsorRecord == nil ? "its sponsor (Zt_xx) was refused" : nil, refuse: mismatch)
            let siteID = site.first(SiteColumn.siteID.rawValue).map(site.string) ?? ""
            for var access in accesses.filter({ $0.site == ordinal }).map(\.row) {
                access.set(AccessColumn.siteID.rawValue, siteID)
                try sink.accept(access, parentRefused: siteRecord == nil ? "its site (Wz_xx) was refused" : nil)
            }
        }
    }
}

extension XMLRecordKind {
    var ordinal: Int {
        switch self {
        case .icpFiling: 0
        case .cancellation: 1
        case .sponsorBlacklist: 2
        case .siteBlacklist: 3
        case .illegalAccess: 4
        case .unfiledSite: 5
        case .reportingUnit: 6
        case .province: 7
        case .ipSource: 8
        case .ipAllocation: 9
        case .ipSelfBrought: 10
        case .domainRegistration: 11
        }
    }

    /// Records whose id may come as `IspId` only (uploads).
    var usesEnterpriseID: Bool { self == .ipSource || self == .ipAllocation || self == .ipSelfBrought || self == .domainRegistration }

    /// IP filing records, whose unit may come from the upload's `Qqdwid`.
    var isIPRecord: Bool { self == .ipSource || self == .ipAllocation || self == .ipSelfBrought }

    /// Where a leaf of a `Baxx` goes.
    static func filingTarget(_ path: String) -> XMLTarget {
        if path.hasPrefix("Zt_xx/") {
            if let column = sponsorColumns[String(path.dropFirst(6))], let index = RegistrySchema.index(of: .sponsor)[column] {
                return .sponsor(index)
            }
        } else if path.hasPrefix("Wz_xx/Jr_xx/") {
            let rest = String(path.dropFirst(12))
            if rest == "Ip_xx/Qsip" { return .rangeStart }
            if rest == "Ip_xx/Zzip" { return .rangeEnd }
            if let column = accessColumns[rest], let index = RegistrySchema.index(of: .access)[column] { return .access(index) }
        } else if path.hasPrefix("Wz_xx/") {
            if let column = siteColumns[String(path.dropFirst(6))], let index = RegistrySchema.index(of: .site)[column] {
                return .site(index)
            }
        }
        return .ignored
    }
}
