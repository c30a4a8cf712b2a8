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

    /// Element path under the record → the position of its column. `IspId` fills the id column only when `Id` is
    /// absent (upload files carry only the enterprise id).
    var columns: [String: Int] {
        switch self {
        case .icpFiling: [:]
        case .cancellation: Self.positions(CancellationColumn.self, ["Zxlb": .target, "Jlid": .cancelledRecord, "Zxsj": .cancelled])
        case .sponsorBlacklist:
            Self.positions(
                SponsorBlacklistColumn.self,
                [
                    "Zt_xx/Dwmc": .blacklistedSponsor, "Zt_xx/Dwxz": .nature, "Zt_xx/Zj/Zjlx": .idType, "Zt_xx/Zj/Zjhm": .idNumber,
                    "Czlx": .operation,
                ])
        case .siteBlacklist:
            Self.positions(
                SiteBlacklistColumn.self,
                ["Wz_xx/Wzmc": .blacklistedSiteNames, "Wz_xx/Ym_xx/Ym": .domains, "Wz_xx/Syurl": .homepage, "Czlx": .operation])
        case .illegalAccess:
            Self.positions(
                IllegalAccessColumn.self,
                ["Id": .illegalAccessID, "Ym": .domain, "Ip": .address, "Zjjrz": .providerID, "Szs": .province, "Dqjcsj": .detected])
        case .unfiledSite:
            Self.positions(
                UnfiledColumn.self,
                [
                    "Id": .unfiledID, "Wzym_mc": .domain, "IP": .address, "Dqjcsj": .lastDetected, "Jccs": .detections,
                    "Sssh": .province, "Scjcsj": .firstDetected, "Jrs": .providerID, "Yys": .operatorID,
                ])
        case .reportingUnit:
            Self.positions(
                UnitColumn.self,
                [
                    "Id": .unitID, "Dwmc": .unitName, "Dwfl": .unitClass, "Dwhyfl": .industry, "Jyxkzbh": .licence,
                    "Shengid": .province, "Shiid": .city, "Sfyx": .valid,
                ])
        case .province: Self.positions(ProvinceColumn.self, ["Shengid": .provinceCode, "Shengjc": .abbreviation, "Mc": .name])
        case .ipSource:
            Self.positions(SourceColumn.self, ["Id": .sourceID, "Bbdwid": .unitID, "Qsip": .start, "Zzip": .end, "Lydw": .sourceUnitID])
        case .ipAllocation:
            Self.positions(
                AllocationColumn.self,
                [
                    "Id": .allocationID, "Bbdwid": .unitID, "Qsip": .start, "Zzip": .end, "Fpfs": .mode, "Fpdx": .targetUnitID,
                    "Syfs": .usage, "Fprq": .allocated, "Sfymtz": .redirect, "Dwmc": .userName, "Dwxz": .userNature,
                    "Dwfl": .userClass, "Dwhyfl": .userIndustry, "Shengid": .province, "Shiid": .city, "Xianid": .county,
                    "Xxdz": .address, "Lxrxm": .contactName, "Lxrdh": .phone, "Lxrdzyj": .email,
                ])
        case .ipSelfBrought:
            Self.positions(
                SelfBroughtColumn.self,
                [
                    "Id": .selfBroughtID, "Bbdwid": .unitID, "Qsip": .start, "Zzip": .end, "Syfs": .usage, "Fprq": .allocated,
                    "Sfymtz": .redirect, "Dwmc": .userName, "Dwxz": .userNature, "Shengid": .province, "Shiid": .city,
                    "Xianid": .county, "Xxdz": .address, "Lxrxm": .contactName, "Lxrdh": .phone, "Lxrdzyj": .email,
                    "Ly_dwlx": .sourceUnitType, "Lydw/Ly_dwid": .sourceUnitID, "Lydw/Ly_dwmc": .sourceUnitName,
                ])
        case .domainRegistration:
            Self.positions(
                RegistrationColumn.self,
                [
                    "Id": .registrationID, "Ym": .registeredDomain, "Ymlx": .domainType, "Zcsj": .registered,
                    "Zcr_mc": .registrantName, "Zcr_zz": .registrantOrganisation, "Zcr_shengid": .registrantProvince,
                    "Zcr_dzyj": .registrantEmail, "Zcr_dhhm": .registrantPhone, "Zcr_txdz": .registrantAddress,
                    "Ym_zcs": .registrar, "Ym_fwq": .nameServers, "Yxrq": .expires,
                ])
        }
    }

    static let sponsorColumns = positions(
        SponsorColumn.self,
        [
            "Ztid": .sponsorID, "Baxh": .sponsorNumber, "Dwmc": .name, "Dwxz": .nature, "Txdz/Shengid": .province,
            "Txdz/Xxdz": .address, "Zj/Zjlx": .idType, "Zj/Zjhm": .idNumber, "Fzr/Fzr_xm": .contactName,
            "Fzr/Fzr_dhhm": .phone, "Fzr/Fzr_sjhm": .phone, "Fzr/Fzr_dzyj": .email, "Scbbsj": .firstFiled,
            "Zjxgsj": .updated, "Shsj": .approved,
        ])
    static let siteColumns = positions(
        SiteColumn.self,
        [
            "Wzid": .siteID, "Baxh": .siteNumber, "Wzmc": .names, "Ym_xx/Ym": .domains, "Syurl": .homepage,
            "Scbbsj": .firstFiled, "Zjxgsj": .updated,
        ])
    static let accessColumns = positions(
        AccessColumn.self,
        [
            "Jrid": .accessID, "Ispid": .providerID, "Wzfb/Fbdd": .placements, "Wzjrfs/Jrfs": .methods,
        ])

    /// Element paths to the positions of their columns.
    static func positions<C: RowColumn>(_ kind: C.Type, _ pairs: KeyValuePairs<String, C>) -> [String: Int] {
        Dictionary(pairs.map { ($0.key, $0.value.rawValue) }, uniquingKeysWith: { first, _ in first })
    }
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
    /// Path of the record's parent (shared by the records of one section) and its own step.
    let parentPath: String
    let name: String
    let ordinal: Int32
    let line: Int
    let depth: Int
    /// Path strings of the interned keys (`Wz_xx/Jr_xx/Ip_xx/Qsip`), shared with the reader.
    let keyNames: KeyNames
    let leaves: [Leaf]
    /// The UTF-8 text of every leaf, back to back.
    let text: [UInt8]
    let tooLarge: Bool

    init(
        kind: XMLRecordKind, parentPath: String, name: String, ordinal: Int32, line: Int, depth: Int, keyNames: KeyNames, leaves: [Leaf],
        text: [UInt8], tooLarge: Bool
    ) {
        self.kind = kind
        self.parentPath = parentPath
        self.name = name
        self.ordinal = ordinal
        self.line = line
        self.depth = depth
        self.keyNames = keyNames
        self.leaves = leaves
        self.text = text
        self.tooLarge = tooLarge
    }

    /// Path of the record element (`DownloadData/ICP/BASJ/Baxx[12]`).
    var path: String { "\(parentPath)/\(name)[\(ordinal)]" }

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
/// (parent path, name), so the hot path compares integers and copies text bytes once. The
/// parse state is one struct, so each callback costs one exclusive access, not one per field.
final class XMLRegistryReader: PushReader {
    private var context: xmlParserCtxtPtr?
    private var handler = xmlSAXHandler()
    private var state: XMLParseState
    private let ignoreDeclaredEncoding: Bool

    init(sink: RecordSink, ignoreDeclaredEncoding: Bool, encoding: TextEncoding) {
        state = XMLParseState(sink: sink, encoding: encoding)
        self.ignoreDeclaredEncoding = ignoreDeclaredEncoding
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = { ctx, localname, _, _, _, _, _, _, _ in
            guard let ctx, let localname else { return }
            // The reader outlives the parse: no retain per callback.
            Unmanaged<XMLRegistryReader>.fromOpaque(ctx)._withUnsafeGuaranteedRef { reader in
                reader.state.start(localname)
                reader.stopIfAsked()
            }
        }
        handler.endElementNs = { ctx, _, _, _ in
            guard let ctx else { return }
            Unmanaged<XMLRegistryReader>.fromOpaque(ctx)._withUnsafeGuaranteedRef { reader in
                reader.state.end()
                reader.stopIfAsked()
            }
        }
        handler.characters = { ctx, bytes, length in
            guard let ctx, let bytes else { return }
            Unmanaged<XMLRegistryReader>.fromOpaque(ctx)._withUnsafeGuaranteedRef { $0.state.characters(bytes, Int(length)) }
        }
        handler.cdataBlock = handler.characters
        handler.serror = { ctx, error in
            guard let ctx, let error else { return }
            let reader = Unmanaged<XMLRegistryReader>.fromOpaque(ctx).takeUnretainedValue()
            reader.state.libraryError(error)
            reader.stopIfAsked()
        }
    }

    deinit {
        if let context {
            xmlFreeParserCtxt(context)
        }
    }

    private func stopIfAsked() {
        if state.stopped, let context { xmlStopParser(context) }
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard !state.stopped, bytes.count > 0 else { return }
        if context == nil { try create() }
        var offset = 0
        while offset < bytes.count && !state.stopped {
            // xmlParseChunk takes an Int32 length.
            let length = min(bytes.count - offset, 1 << 24)
            let pointer = bytes.baseAddress.map { UnsafeRawPointer($0 + offset).assumingMemoryBound(to: CChar.self) }
            xmlParseChunk(context, pointer, Int32(length), 0)
            offset += length
            state.fed = true
            try rethrowPending()
        }
    }

    func finish() throws {
        if context == nil {
            state.sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: state.sink.currentName, line: 1), kind: nil, "empty file"))
            return
        }
        if !state.stopped {
            xmlParseChunk(context, nil, 0, 1)
            try rethrowPending()
        }
        if !state.stopped && !state.rootChecked {
            state.sink.fatal(
                RegistryIssue(.fatal, at: RecordLocation(file: state.sink.currentName, line: 1), kind: nil, "no XML element found"))
        }
        try state.flushDeferred()
    }

    private func create() throws {
        let name = state.sink.currentName
        context = xmlCreatePushParserCtxt(&handler, Unmanaged.passUnretained(self).toOpaque(), nil, 0, name)
        guard let context else {
            throw RegistryError(code: .unreadable, message: "\(name): libxml2 cannot create a parser", report: nil)
        }
        state.context = context
        var options = XML_PARSE_NONET.rawValue | XML_PARSE_NOBLANKS.rawValue
        if ignoreDeclaredEncoding {
            options |= XML_PARSE_IGNORE_ENC.rawValue
            xmlSwitchEncoding(context, XML_CHAR_ENCODING_UTF8)
        }
        xmlCtxtUseOptions(context, Int32(options))
    }

    private func rethrowPending() throws {
        if let error = state.pendingError {
            state.pendingError = nil
            throw error
        }
    }
}

/// The state of one XML parse, changed by the SAX callbacks.
struct XMLParseState {
    struct Frame {
        var name: Int32
        var ordinal: Int32
        var key: Int32
        /// Unique per element, to recognise the same parent again.
        var serial: Int
        var hasChildren = false
        var containsRecord = false
        var line: Int32
    }

    let sink: RecordSink
    /// The parser, for line numbers.
    var context: xmlParserCtxtPtr?
    var frames: [Frame] = []
    var serial = 0
    /// The record element being read, if any.
    var record: OpenRecord?
    /// Leaves and text of the open record (moved into its `XMLRecord` at its end).
    var leaves: [XMLRecord.Leaf] = []
    var text: [UInt8] = []
    /// The path of the last records' parent, by the parent's serial.
    var parentPathCache: (serial: Int, path: String) = (-1, "")
    /// Committed length of the record's text: text after it belongs to no leaf yet.
    var textMark = 0
    var collecting = false
    var outsideText: [UInt8] = []
    var nameIDs: [UnsafeRawPointer: Int32] = [:]
    /// A direct-mapped cache in front of `nameIDs`.
    var nameCache = [(UnsafeRawPointer?, Int32)](repeating: (nil, 0), count: 1024)
    var nameStrings: [String] = []
    /// Child key by parent key (+1) and name: the interned element paths.
    var childKeys: [[Int32]] = [[]]
    let keyNames = KeyNames()
    /// Where each key's value goes, by record kind and key.
    var targets: [[XMLTarget?]] = Array(repeating: [], count: 12)
    /// Counts of children by name, per depth of the open elements (reused, never freed).
    var childCounts: [[(name: Int32, count: Int32)]] = []
    var pendingError: (any Error)?
    var rootChecked = false
    var stopped = false
    var requestingUnit: String?
    var deferred: [RegistryRow] = []
    let encoding: TextEncoding
    var fed = false
    var bulkyNames: Set<Int32> = []
    var qqdwidName: Int32 = -1

    /// Element names whose text is never kept (scanned attachments, base64).
    static let bulky: Set<String> = ["Spwj", "Fjnr"]

    /// What is known of a record element while it is read.
    struct OpenRecord {
        var kind: XMLRecordKind
        var parentPath: String
        var name: String
        var ordinal: Int32
        var line: Int
        var depth: Int
        var tooLarge = false
    }

    init(sink: RecordSink, encoding: TextEncoding) {
        self.sink = sink
        self.encoding = encoding
    }

    var line: Int { context.map { Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer($0))) } ?? 0 }

    mutating func nameID(_ localname: UnsafePointer<xmlChar>) -> Int32 {
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
        if XMLParseState.bulky.contains(name) { bulkyNames.insert(id) }
        if name == "Qqdwid" { qqdwidName = id }
        return id
    }

    /// The interned path of `name` below `parent` (-1 for the record element's children).
    mutating func key(parent: Int32, name: Int32) -> Int32 {
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

    mutating func start(_ localname: UnsafePointer<xmlChar>) {
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
            text.removeSubrange(textMark...)
        } else if frames.count >= 2 {
            let parent = nameStrings[Int(frames[frames.count - 1].name)]
            let grandparent = nameStrings[Int(frames[frames.count - 2].name)]
            let own = nameStrings[Int(name)]
            if let kind = XMLRecordKind.starts[parent + "/" + own] ?? XMLRecordKind.starts[grandparent + "/" + parent + "/" + own] {
                let parentSerial = frames[frames.count - 1].serial
                if parentPathCache.serial != parentSerial {
                    let path = frames.map { $0.ordinal > 1 ? "\(nameStrings[Int($0.name)])[\($0.ordinal)]" : nameStrings[Int($0.name)] }
                    parentPathCache = (parentSerial, path.joined(separator: "/"))
                }
                record = OpenRecord(kind: kind, parentPath: parentPathCache.path, name: own, ordinal: ordinal, line: line, depth: depth)
                leaves.removeAll(keepingCapacity: true)
                text.removeAll(keepingCapacity: true)
                textMark = 0
            }
        }
        serial += 1
        frames.append(Frame(name: name, ordinal: ordinal, key: key, serial: serial, line: Int32(truncatingIfNeeded: line)))
        if record != nil {
            collecting = !bulkyNames.contains(name)
        } else {
            collecting = name == qqdwidName
            outsideText.removeAll(keepingCapacity: true)
        }
    }

    mutating func characters(_ bytes: UnsafePointer<xmlChar>, _ length: Int) {
        guard collecting else { return }
        if record != nil {
            let room = RegistryLimits.maximumFieldBytes + 1 - (text.count - textMark)
            guard room > 0 else { return }
            text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: min(length, room)))
        } else if outsideText.count < 64 {
            outsideText.append(contentsOf: UnsafeBufferPointer(start: bytes, count: min(length, 64)))
        }
    }

    mutating func end() {
        guard !stopped, let frame = frames.popLast() else { return }
        collecting = false
        let depth = frames.count + 1
        if let open = record {
            if depth == open.depth {
                record = nil
                if !frames.isEmpty { markContainsRecord() }
                let closed = XMLRecord(
                    kind: open.kind, parentPath: open.parentPath, name: open.name, ordinal: open.ordinal, line: open.line,
                    depth: open.depth,
                    keyNames: keyNames, leaves: leaves, text: text, tooLarge: open.tooLarge)
                // The record owns these arrays now; the next one starts with fresh ones.
                leaves = []
                leaves.reserveCapacity(closed.leaves.count)
                text = []
                text.reserveCapacity(closed.text.count)
                process(closed)
            } else if !frame.hasChildren {
                if leaves.count >= RegistryLimits.maximumLeavesPerRecord {
                    record?.tooLarge = true
                    text.removeSubrange(textMark...)
                } else {
                    var ordinals = SIMD8<Int32>(repeating: 1)
                    var step = 0
                    for index in open.depth..<frames.count where step < 8 {
                        ordinals[step] = frames[index].ordinal
                        step += 1
                    }
                    if step < 8 { ordinals[step] = frame.ordinal }
                    leaves.append(
                        XMLRecord.Leaf(key: frame.key, ordinals: ordinals, start: Int32(textMark), end: Int32(text.count), line: frame.line)
                    )
                    textMark = text.count
                }
            } else {
                text.removeSubrange(textMark...)
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

    mutating func markContainsRecord() {
        frames[frames.count - 1].containsRecord = true
    }

    mutating func libraryError(_ error: xmlErrorPtr) {
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

    mutating func stop(fatal reason: String, line: Int? = nil) {
        stopped = true
        sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: sink.currentName, line: line ?? self.line), kind: nil, reason))
    }

    mutating func note(_ issue: RegistryIssue) {
        do {
            try sink.note(issue)
        } catch {
            fail(error)
        }
    }

    mutating func fail(_ error: any Error) {
        if pendingError == nil { pendingError = error }
        stopped = true
    }

    // MARK: Records to rows

    /// Where the value of `key` goes in records of `kind` (computed once per pair).
    mutating func target(_ kind: XMLRecordKind, _ key: Int32) -> XMLTarget {
        if Int(key) < targets[kind.ordinal].count, let known = targets[kind.ordinal][Int(key)] { return known }
        let path = keyNames.name(key)
        let target: XMLTarget
        if kind == .icpFiling {
            target = XMLRecordKind.filingTarget(path)
        } else if path == "IspId" {
            target = .enterpriseID
        } else if let index = kind.columns[path] {
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

    mutating func process(_ record: XMLRecord) {
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

    func location(_ record: XMLRecord, line: Int? = nil, element: String? = nil) -> RecordLocation {
        RecordLocation(file: sink.currentName, line: line ?? record.line, element: element ?? record.path)
    }

    mutating func processSimple(_ record: XMLRecord) throws {
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
    mutating func flushDeferred() throws {
        let rows = deferred
        deferred = []
        for var row in rows {
            if let requestingUnit { row.append(1, requestingUnit) }
            try sink.accept(row)
        }
    }

    mutating func processFiling(_ record: XMLRecord) throws {
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

        let sponsorAccepted = try sink.accept(sponsor)
        let sponsorID = sponsor.first(SponsorColumn.sponsorID.rawValue).map(sponsor.string) ?? ""
        var sponsorNumber: FilingNumber?
        if sponsorAccepted, let span = sponsor.first(SponsorColumn.sponsorNumber.rawValue) {
            sponsorNumber = try? sponsor.withBytes(span) { (bytes) throws(ValueError) -> FilingNumber in try FilingNumber.parse(utf8: bytes)
            }
        }
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
            let siteAccepted = try sink.accept(
                site, parentRefused: sponsorAccepted ? nil : "its sponsor (Zt_xx) was refused", refuse: mismatch)
            let siteID = site.first(SiteColumn.siteID.rawValue).map(site.string) ?? ""
            for var access in accesses.filter({ $0.site == ordinal }).map(\.row) {
                access.set(AccessColumn.siteID.rawValue, siteID)
                try sink.accept(access, parentRefused: siteAccepted ? nil : "its site (Wz_xx) was refused")
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
            if let index = sponsorColumns[String(path.dropFirst(6))] { return .sponsor(index) }
        } else if path.hasPrefix("Wz_xx/Jr_xx/") {
            let rest = String(path.dropFirst(12))
            if rest == "Ip_xx/Qsip" { return .rangeStart }
            if rest == "Ip_xx/Zzip" { return .rangeEnd }
            if let index = accessColumns[rest] { return .access(index) }
        } else if path.hasPrefix("Wz_xx/") {
            if let index = siteColumns[String(path.dropFirst(6))] { return .site(index) }
        }
        return .ignored
    }
}
