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
        /// Names of the steps below the record element, `/`-joined (`Wz_xx/Jr_xx/Ip_xx/Qsip`).
        var key: String
        /// 1-based position of each step among its same-named siblings (first eight steps).
        var ordinals: SIMD8<Int32>
        var text: String
        var line: Int
    }

    let kind: XMLRecordKind
    /// Path of the record element (`DownloadData/ICP/BASJ/Baxx[12]`).
    let path: String
    let line: Int
    let depth: Int
    var leaves: [Leaf] = []
    var tooLarge = false

    init(kind: XMLRecordKind, path: String, line: Int, depth: Int) {
        self.kind = kind
        self.path = path
        self.line = line
        self.depth = depth
    }

    func path(ofLeaf index: Int) -> String {
        guard index >= 0 && index < leaves.count else { return path }
        let leaf = leaves[index]
        var result = path
        for (step, name) in leaf.key.split(separator: "/").enumerated() {
            result += step < 8 ? "/\(name)[\(leaf.ordinals[step])]" : "/\(name)"
        }
        return result
    }

    /// The path of the `count` first steps of `leaf` (`…/Baxx[3]/Wz_xx[2]`).
    func path(ofLeaf index: Int, steps count: Int) -> String {
        guard index >= 0 && index < leaves.count else { return path }
        let leaf = leaves[index]
        var result = path
        for (step, name) in leaf.key.split(separator: "/").prefix(count).enumerated() {
            result += "/\(name)[\(leaf.ordinals[min(step, 7)])]"
        }
        return result
    }
}

/// Streams MIIT V3.0 XML through libxml2's SAX2 push parser, one record element at a time:
/// memory holds one record, whatever the file size.
final class XMLRegistryReader: PushReader {
    private struct Frame {
        var name: String
        var ordinal: Int32
        var key: String
        var childCounts: [String: Int32] = [:]
        var hasChildren = false
        var containsRecord = false
        var line: Int
    }

    private let sink: RecordSink
    private var context: xmlParserCtxtPtr?
    private var handler = xmlSAXHandler()
    private var frames: [Frame] = []
    private var record: XMLRecord?
    private var text: [UInt8] = []
    private var collecting = false
    private var names: [UnsafeRawPointer: String] = [:]
    private var pendingError: (any Error)?
    private var rootChecked = false
    private var stopped = false
    private var requestingUnit: String?
    private var deferred: [RegistryRow] = []
    private let ignoreDeclaredEncoding: Bool
    private let encoding: TextEncoding
    private var fed = false

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
        handler.endElementNs = { ctx, localname, _, _ in
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

    private func name(_ localname: UnsafePointer<xmlChar>) -> String {
        // libxml2 interns names in its dictionary: the pointer identifies the name.
        let key = UnsafeRawPointer(localname)
        if let known = names[key] { return known }
        let name = String(cString: localname)
        names[key] = name
        return name
    }

    // MARK: SAX callbacks

    private func start(_ localname: UnsafePointer<xmlChar>) {
        guard !stopped else { return }
        let name = self.name(localname)
        let depth = frames.count + 1
        if !rootChecked {
            rootChecked = true
            guard name == "DownloadData" || name == "UploadData" else {
                stop(fatal: "not a MIIT V3.0 export: the root element is <\(name)>, not <DownloadData> or <UploadData>")
                return
            }
        }
        var ordinal: Int32 = 1
        if !frames.isEmpty {
            frames[frames.count - 1].hasChildren = true
            ordinal = frames[frames.count - 1].childCounts[name, default: 0] + 1
            frames[frames.count - 1].childCounts[name] = ordinal
        }
        var key = ""
        if let record {
            if depth == record.depth + 1 {
                key = name
            } else if let parent = frames.last {
                key = parent.key + "/" + name
            }
        } else if frames.count >= 2 {
            let parent = frames[frames.count - 1].name
            let grandparent = frames[frames.count - 2].name
            if let kind = XMLRecordKind.starts[parent + "/" + name] ?? XMLRecordKind.starts[grandparent + "/" + parent + "/" + name] {
                var path = frames.map { $0.ordinal > 1 ? "\($0.name)[\($0.ordinal)]" : $0.name }.joined(separator: "/")
                path += "/\(name)[\(ordinal)]"
                record = XMLRecord(kind: kind, path: path, line: line, depth: depth)
            }
        }
        frames.append(Frame(name: name, ordinal: ordinal, key: key, line: line))
        text.removeAll(keepingCapacity: true)
        collecting = record != nil ? !XMLRegistryReader.bulky.contains(name) : name == "Qqdwid"
    }

    private func characters(_ bytes: UnsafePointer<xmlChar>, _ length: Int) {
        guard collecting, text.count <= RegistryLimits.maximumFieldBytes else { return }
        text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: min(length, RegistryLimits.maximumFieldBytes + 1)))
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
                } else {
                    var ordinals = SIMD8<Int32>(repeating: 1)
                    var step = 0
                    for index in (record.depth)..<frames.count where step < 8 {
                        ordinals[step] = frames[index].ordinal
                        step += 1
                    }
                    if step < 8 { ordinals[step] = frame.ordinal }
                    let value = String(decoding: text, as: UTF8.self)
                    record.leaves.append(XMLRecord.Leaf(key: frame.key, ordinals: ordinals, text: value, line: frame.line))
                }
            }
            text.removeAll(keepingCapacity: true)
            return
        }
        // Outside records: remember the requesting unit of uploads; count what is skipped.
        if frame.name == "Qqdwid" && !frame.hasChildren {
            requestingUnit = String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return
        }
        if frame.containsRecord {
            if !frames.isEmpty { markContainsRecord() }
        } else if depth == 4 || (depth == 3 && !frame.hasChildren) {
            sink.skip((frames.map(\.name) + [frame.name]).joined(separator: "/"))
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
            record(
                issue: RegistryIssue(.warning, at: RecordLocation(file: sink.currentName, line: line), kind: nil, "XML error: \(message)"))
        }
    }

    private func stop(fatal reason: String, line: Int? = nil) {
        stopped = true
        sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: sink.currentName, line: line ?? self.line), kind: nil, reason))
        if let context { xmlStopParser(context) }
    }

    private func record(issue: RegistryIssue) {
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
        let columns = record.kind.columns
        var enterpriseID: (String, ValueOrigin)?
        for (index, leaf) in record.leaves.enumerated() {
            let origin = ValueOrigin(line: leaf.line, leaf: index)
            if leaf.key == "IspId" {
                enterpriseID = (leaf.text, origin)
            } else if let column = columns[leaf.key] {
                row.append(leaf.text, to: column, origin: origin)
            }
        }
        if let idColumn = RegistrySchema.columns(of: kind).first(where: { $0.name.hasSuffix("_id") })?.name,
            [.ipSource, .ipAllocation, .ipSelfBrought, .domainRegistration].contains(record.kind),
            !row.has(idColumn), let (value, origin) = enterpriseID
        {
            row.append(value, to: idColumn, origin: origin)
        }
        if [.ipSource, .ipAllocation, .ipSelfBrought].contains(record.kind) && !row.has("unit_id") {
            if let requestingUnit {
                row.append(requestingUnit, to: "unit_id")
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
            if let requestingUnit { row.append(requestingUnit, to: "unit_id") }
            try sink.accept(row)
        }
    }

    private func processFiling(_ record: XMLRecord) throws {
        var sponsor = RegistryRow(kind: .sponsor, location: location(record, element: record.path + "/Zt_xx[1]"), paths: record)
        var sites: [(ordinal: Int32, row: RegistryRow)] = []
        var accesses: [(site: Int32, ordinal: Int32, row: RegistryRow)] = []
        var ranges: [SIMD4<Int32>: (start: String?, end: String?, origin: ValueOrigin)] = [:]
        var rangeOrder: [SIMD4<Int32>] = []

        func siteIndex(_ ordinal: Int32, leaf: Int, line: Int) -> Int {
            if let index = sites.lastIndex(where: { $0.ordinal == ordinal }) { return index }
            let element = record.path(ofLeaf: leaf, steps: 1)
            sites.append((ordinal, RegistryRow(kind: .site, location: location(record, line: line, element: element), paths: record)))
            return sites.count - 1
        }
        func accessIndex(_ site: Int32, _ ordinal: Int32, leaf: Int, line: Int) -> Int {
            if let index = accesses.lastIndex(where: { $0.site == site && $0.ordinal == ordinal }) { return index }
            let element = record.path(ofLeaf: leaf, steps: 2)
            accesses.append(
                (site, ordinal, RegistryRow(kind: .access, location: location(record, line: line, element: element), paths: record)))
            return accesses.count - 1
        }

        for (index, leaf) in record.leaves.enumerated() {
            let origin = ValueOrigin(line: leaf.line, leaf: index)
            let key = leaf.key
            if key.hasPrefix("Zt_xx/") {
                if let column = XMLRecordKind.sponsorColumns[String(key.dropFirst(6))] {
                    sponsor.append(leaf.text, to: column, origin: origin)
                }
            } else if key.hasPrefix("Wz_xx/") {
                let rest = key.dropFirst(6)
                let site = leaf.ordinals[0]
                if rest.hasPrefix("Jr_xx/") {
                    let accessRest = rest.dropFirst(6)
                    let access = leaf.ordinals[1]
                    if accessRest == "Ip_xx/Qsip" || accessRest == "Ip_xx/Zzip" {
                        let rangeKey = SIMD4<Int32>(site, access, leaf.ordinals[2], 0)
                        _ = accessIndex(site, access, leaf: index, line: leaf.line)
                        var entry = ranges[rangeKey] ?? (nil, nil, origin)
                        if accessRest.hasSuffix("Qsip") { entry.start = leaf.text } else { entry.end = leaf.text }
                        if ranges[rangeKey] == nil { rangeOrder.append(rangeKey) }
                        ranges[rangeKey] = entry
                    } else if let column = XMLRecordKind.accessColumns[String(accessRest)] {
                        accesses[accessIndex(site, access, leaf: index, line: leaf.line)].row.append(leaf.text, to: column, origin: origin)
                    }
                } else if let column = XMLRecordKind.siteColumns[String(rest)] {
                    sites[siteIndex(site, leaf: index, line: leaf.line)].row.append(leaf.text, to: column, origin: origin)
                }
            }
        }
        for rangeKey in rangeOrder {
            guard let entry = ranges[rangeKey],
                let access = accesses.firstIndex(where: { $0.site == rangeKey[0] && $0.ordinal == rangeKey[1] })
            else { continue }
            let start = entry.start?.trimmingCharacters(in: .whitespaces) ?? ""
            let end = entry.end?.trimmingCharacters(in: .whitespaces) ?? ""
            let value = start.isEmpty || end.isEmpty ? (start.isEmpty ? "(no Qsip)-\(end)" : "\(start)-(no Zzip)") : "\(start)-\(end)"
            accesses[access].row.append(value, to: "ranges", origin: entry.origin)
        }

        let sponsorRecord = try sink.accept(sponsor)
        let sponsorID = sponsor.values(of: "sponsor_id").first ?? ""
        var sponsorNumber: FilingNumber?
        if case .sponsor(let s) = sponsorRecord { sponsorNumber = s.number }
        for (ordinal, var site) in sites {
            site.set(sponsorID, for: "sponsor_id")
            var mismatch: String?
            if let sponsorNumber, let text = site.values(of: "site_number").first, let number = try? FilingNumber.parse(text),
                number.sponsorNumber != sponsorNumber
            {
                mismatch = "site number \(number) does not belong to its sponsor \(sponsorNumber)"
            }
            let siteRecord = try sink.accept(
                site, parentRefused: sponsorRecord == nil ? "its sponsor (Zt_xx) was refused" : nil, refuse: mismatch)
            let siteID = site.values(of: "site_id").first ?? ""
            for var access in accesses.filter({ $0.site == ordinal }).map(\.row) {
                access.set(siteID, for: "site_id")
                try sink.accept(access, parentRefused: siteRecord == nil ? "its site (Wz_xx) was refused" : nil)
            }
        }
    }
}
