import BeianCore
import Foundation

/// Writes a registry world in the three exchange formats, with writers of its own (they
/// share nothing with beian's readers, so that each checks the other).
struct RegistryEmitter {
    let world: RegistryWorld

    /// Files written, relative to the output directory. Each file is streamed in chunks (the
    /// national preset's XML alone is many gigabytes), and the files are written in parallel.
    func write(to directory: URL) throws -> [String] {
        let csvKinds = [
            "sponsor", "site", "access", "cancellation", "ip_source", "ip_allocation", "ip_self_brought", "domain_registration",
            "sponsor_blacklist", "site_blacklist", "illegal_access", "unfiled_site", "reporting_unit", "province",
        ]
        let jobs: [(files: [String], run: @Sendable () throws -> Void)] = [
            (["registry/xml/icp.xml"], { try TextFile.write(directory, "registry/xml/icp.xml", .gbk) { icpXML(into: $0) } }),
            (["registry/xml/sync.xml"], { try TextFile.write(directory, "registry/xml/sync.xml", .gbk) { syncXML(into: $0) } }),
            (["registry/xml/codes.xml"], { try TextFile.write(directory, "registry/xml/codes.xml", .utf8) { codesXML(into: $0) } }),
            (csvKinds.map { "registry/csv/\($0).csv" }, { try csvFiles(directory) }),
            (
                ["registry/jsonl/registry.jsonl"],
                { try TextFile.write(directory, "registry/jsonl/registry.jsonl", .utf8) { jsonLines(into: $0) } }
            ),
        ]
        let failures = FailureBox()
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            do { try jobs[index].run() } catch { failures.record(error) }
        }
        if let error = failures.first { throw error }
        return jobs.flatMap(\.files)
    }

    // MARK: XML

    private func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) else {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

    private func element(_ name: String, _ value: String?) -> String {
        guard let value, !value.isEmpty else { return "" }
        return "<\(name)>\(escape(value))</\(name)>"
    }

    private func icpXML(into x: TextFile) {
        x += "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<DownloadData>\n<ICP>\n<BASJ>\n"
        var sitesBySponsor = [[Int]](repeating: [], count: world.sponsors.count)
        for (index, site) in world.sites.enumerated() { sitesBySponsor[site.sponsor].append(index) }
        var accessesBySite = [[Int]](repeating: [], count: world.sites.count)
        for (index, access) in world.accesses.enumerated() { accessesBySite[access.site].append(index) }
        for (s, sponsor) in world.sponsors.enumerated() {
            x += "<Baxx>\n<Zt_xx>"
            x += element("Ztid", String(sponsor.id)) + element("Dwmc", sponsor.name) + element("Dwxz", String(sponsor.nature))
            x += "<Txdz>" + element("Shengid", String(sponsor.province.registryCode)) + element("Xxdz", sponsor.address) + "</Txdz>"
            x +=
                "<Zj>" + element("Zjlx", String(sponsor.idType)) + element("Zjhm", sponsor.idNumber) + element("Zjzs", sponsor.address)
                + "</Zj>"
            x += "<Fzr>" + element("Fzr_xm", sponsor.contactName) + element("Fzr_dhhm", sponsor.phone) + element("Fzr_sjhm", sponsor.mobile)
            x += element("Fzr_dzyj", sponsor.email) + "</Fzr>"
            x += element("Baxh", sponsor.number) + element("Bbyhlx", "1") + element("Scbbsj", sponsor.firstFiled)
            x += element("Zjxgsj", sponsor.updated) + element("Shsj", sponsor.approved) + "</Zt_xx>\n"
            for siteIndex in sitesBySponsor[s] {
                let site = world.sites[siteIndex]
                x += "<Wz_xx>" + element("Wzid", String(site.id)) + element("Wzmc", site.names.joined(separator: ";"))
                x += "<Yylb>" + element("Yylb_id", "1") + "</Yylb>"
                for (d, domain) in site.domains.enumerated() {
                    x += "<Ym_xx>" + element("Ymid", String(site.id * 10 + Int64(d))) + element("Ym", domain.written) + "</Ym_xx>"
                }
                for accessIndex in accessesBySite[siteIndex] {
                    let access = world.accesses[accessIndex]
                    x += "<Jr_xx>" + element("Jrid", String(access.id)) + element("Ispid", String(access.provider))
                    x +=
                        "<Wzfb>" + element("Fbdd", String(access.placement)) + "</Wzfb><Wzjrfs>" + element("Jrfs", String(access.method))
                        + "</Wzjrfs>"
                    for (r, range) in access.ranges.enumerated() {
                        x += "<Ip_xx>" + element("Ipid", String(access.id * 10 + Int64(r)))
                        x += element("Qsip", range.first.registryText) + element("Zzip", range.last.registryText) + "</Ip_xx>"
                    }
                    x += "</Jr_xx>"
                }
                x += "<Wz_Fzr>" + element("Fzr_xm", sponsor.contactName) + "</Wz_Fzr>"
                x += element("Syurl", site.homepage) + element("Scbbsj", site.firstFiled) + element("Zjxgsj", site.updated)
                x += element("Baxh", "\(sponsor.number)-\(site.index)") + "</Wz_xx>\n"
            }
            x += "</Baxx>\n"
        }
        x += "</BASJ>\n<ZXSJ>\n"
        for c in world.cancellations {
            x += "<Zxxx>" + element("Zxlb", String(c.target)) + element("Jlid", String(c.recordID)) + element("Zxsj", c.date) + "</Zxxx>\n"
        }
        x += "</ZXSJ>\n<HMDLB>\n"
        for entry in world.sponsorBlacklist {
            x += "<Zthmdxxs><Zt_xx>" + element("Dwmc", entry.name) + element("Dwxz", String(entry.nature))
            x +=
                "<Zj>" + element("Zjlx", String(entry.idType)) + element("Zjhm", entry.idNumber) + "</Zj></Zt_xx>" + element("Czlx", "0")
                + "</Zthmdxxs>\n"
        }
        for entry in world.siteBlacklist {
            x += "<Wzhmdxxs><Wz_xx>" + element("Wzmc", entry.names.joined(separator: ";"))
            for domain in entry.domains { x += "<Ym_xx>" + element("Ym", domain.written) + "</Ym_xx>" }
            x += element("Syurl", entry.homepage) + "</Wz_xx>" + element("Czlx", "0") + "</Wzhmdxxs>\n"
        }
        x += "</HMDLB>\n<FFJRHMD>\n"
        for entry in world.illegalAccess {
            x +=
                "<Ffjrxx>" + element("Id", String(entry.id)) + element("Ym", entry.domain.written)
                + element("Ip", entry.address.registryText)
            x +=
                element("Zjjrz", String(entry.provider)) + element("Szs", String(world.province.registryCode))
                + element("Dqjcsj", entry.detected) + "</Ffjrxx>\n"
        }
        x += "</FFJRHMD>\n<WBAWZLB>\n"
        for entry in world.unfiled {
            x +=
                "<Wbawz_xx>" + element("Id", String(entry.id)) + element("Wzym_mc", entry.domain.written) + "<Yylb>"
                + element("Yylb_id", "1") + "</Yylb>"
            x += element("IP", entry.address.registryText) + element("Dqjcsj", entry.last) + element("Jccs", String(entry.count))
            x +=
                element("Sssh", String(world.province.registryCode)) + element("Scjcsj", entry.first)
                + element("Jrs", String(entry.provider))
            x += element("Yys", String(entry.operatorUnit)) + "</Wbawz_xx>\n"
        }
        x += "</WBAWZLB>\n</ICP>\n</DownloadData>\n"
    }

    private func syncXML(into x: TextFile) {
        x += "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<DownloadData>\n<SJTB>\n<IP>\n<Iply>\n"
        for s in world.sources {
            x += "<Lyxx>" + element("Id", String(s.id)) + element("Bbdwid", String(s.unit)) + element("Qsip", s.block.first.registryText)
            x += element("Zzip", s.block.last.registryText) + element("Lydw", String(s.sourceUnit)) + "</Lyxx>\n"
        }
        x += "</Iply>\n<Ipfp>\n"
        for a in world.allocations {
            x += "<Fpxx>" + element("Id", String(a.id)) + element("Bbdwid", String(a.unit)) + element("Qsip", a.block.first.registryText)
            x += element("Zzip", a.block.last.registryText) + element("Fpfs", String(a.mode)) + element("Fpdx", a.target.map { String($0) })
            x += element("Syfs", String(a.usage)) + element("Fprq", a.date) + element("Sfymtz", "0") + element("Dwmc", a.userName)
            x +=
                element("Dwxz", String(a.userNature)) + element("Shengid", String(a.province.registryCode))
                + element("Shiid", String(a.city))
            x +=
                element("Xxdz", a.address) + element("Lxrxm", a.contactName) + element("Lxrdh", a.phone) + element("Lxrdzyj", a.email)
                + "</Fpxx>\n"
        }
        x += "</Ipfp>\n<Zdip>\n"
        for z in world.selfBrought {
            x += "<Zdxx>" + element("Id", String(z.id)) + element("Bbdwid", String(z.unit)) + element("Qsip", z.block.first.registryText)
            x += element("Zzip", z.block.last.registryText) + element("Fprq", z.date) + element("Dwmc", z.userName)
            x +=
                element("Shengid", String(z.province.registryCode)) + element("Ly_dwlx", "0") + "<Lydw>"
                + element("Ly_dwmc", z.sourceUnitName) + "</Lydw></Zdxx>\n"
        }
        x += "</Zdip>\n</IP>\n<YM>\n"
        for r in world.registrations {
            x +=
                "<Ymxx>" + element("Id", String(r.id)) + element("Ym", r.domain.written) + element("Ymlx", "1")
                + element("Zcsj", r.registered)
            x +=
                element("Zcr_mc", r.registrant) + element("Zcr_zz", r.organisation) + element("Zcr_dzyj", r.email)
                + element("Zcr_dhhm", r.phone)
            x +=
                element("Ym_zcs", r.registrar) + element("Ym_fwq", r.nameServers.joined(separator: ";")) + element("Yxrq", r.expires)
                + "</Ymxx>\n"
        }
        x += "</YM>\n</SJTB>\n</DownloadData>\n"
    }

    private func codesXML(into x: TextFile) {
        x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DownloadData>\n<JCDM>\n<Bbdwlb>\n"
        for u in world.units {
            x += "<Bbdw>" + element("Id", String(u.id)) + element("Dwmc", u.name) + element("Dwfl", String(u.unitClass))
            x += element("Dwhyfl", String(u.industry)) + element("Jyxkzbh", u.licence) + element("Shengid", String(u.province.registryCode))
            x += element("Sfyx", "1") + "</Bbdw>\n"
        }
        x += "</Bbdwlb>\n<Jcdm_xx>\n<Gj_dms>\n"
        for (i, p) in Province.all.enumerated() {
            x += "<Gj_dm_xx>" + element("Id", String(i + 1)) + element("Bm", String(p.code)) + element("Mc", p.name)
            x += element("Shengid", String(p.registryCode)) + element("Shengjc", String(p.plate)) + element("Sfyx", "1") + "</Gj_dm_xx>\n"
        }
        x += "</Gj_dms>\n<Wbacl_dms>\n"
        for (id, name, note) in Self.handlingStatuses {
            x += "<Wbacl_xx>" + element("Id", String(id)) + element("Ztmc", name) + element("Bz", note) + "</Wbacl_xx>\n"
        }
        x += "</Wbacl_dms>\n</Jcdm_xx>\n</JCDM>\n</DownloadData>\n"
    }

    /// The sample's handling-status table for unfiled sites (`Wbacl_dms`): the codes an access
    /// provider's handling result uses.
    static let handlingStatuses: [(Int, String, String?)] = [
        (1, "未处理", "已下发，接入商尚未反馈"), (2, "已关闭网站", nil), (3, "已停止接入", nil), (4, "已完成备案", "网站已取得备案号"),
        (5, "非本单位接入", "IP地址不属于本单位"), (6, "网站无法访问", nil), (9, "其他", "在处理意见中说明"),
    ]

    // MARK: CSV

    private func csv(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",")
    }

    private func range(_ block: RegistryWorld.Block) -> String { "\(block.first.text)-\(block.last.text)" }

    private func csvFiles(_ directory: URL) throws {
        try TextFile.write(directory, "registry/csv/sponsor.csv", .gbk, newline: "\r\n") { lines in
            lines.line(
                "sponsor_id,sponsor_number,name,nature,province,id_type,id_number,contact_name,phone,email,address,first_filed,updated,approved"
            )
            for s in world.sponsors {
                lines.line(
                    csv([
                        String(s.id), s.number, s.name, String(s.nature), String(s.province.registryCode), String(s.idType), s.idNumber,
                        s.contactName,
                        "\(s.phone);\(s.mobile)", s.email, s.address, s.firstFiled, s.updated, s.approved,
                    ]))
            }
        }
        try TextFile.write(directory, "registry/csv/site.csv", .utf8WithBOM) { lines in
            lines.line("site_id,sponsor_id,site_number,names,domains,homepage,first_filed,updated")
            for site in world.sites {
                let sponsor = world.sponsors[site.sponsor]
                lines.line(
                    csv([
                        String(site.id), String(sponsor.id), "\(sponsor.number)-\(site.index)", site.names.joined(separator: ";"),
                        site.domains.map(\.ascii).joined(separator: ";"), site.homepage, site.firstFiled, site.updated,
                    ]))
            }
        }
        try TextFile.write(directory, "registry/csv/access.csv", .utf8) { lines in
            lines.line("access_id,site_id,provider_id,ranges,placements,methods")
            for a in world.accesses {
                lines.line(
                    csv([
                        String(a.id), String(world.sites[a.site].id), String(a.provider), a.ranges.map(range).joined(separator: ";"),
                        String(a.placement),
                        String(a.method),
                    ]))
            }
        }
        try TextFile.write(directory, "registry/csv/cancellation.csv", .utf8) { lines in
            lines.line("cancelled_record,target,cancelled")
            for c in world.cancellations { lines.line(csv([String(c.recordID), ["sponsor", "site", "access"][c.target], c.date])) }
        }
        try TextFile.write(directory, "registry/csv/ip_source.csv", .utf8) { lines in
            lines.line("source_id,unit_id,start,end,source_unit_id")
            for s in world.sources {
                lines.line(csv([String(s.id), String(s.unit), s.block.first.text, s.block.last.text, String(s.sourceUnit)]))
            }
        }
        try TextFile.write(directory, "registry/csv/ip_allocation.csv", .utf8) { lines in
            lines.line(
                "allocation_id,unit_id,start,end,mode,target_unit_id,usage,allocated,redirect,user_name,user_nature,province,city,address,contact_name,phone,email"
            )
            for a in world.allocations {
                lines.line(
                    csv([
                        String(a.id), String(a.unit), a.block.first.text, a.block.last.text, String(a.mode),
                        a.target.map { String($0) } ?? "",
                        String(a.usage),
                        a.date, "0", a.userName, String(a.userNature), String(a.province.registryCode), String(a.city), a.address,
                        a.contactName, a.phone,
                        a.email,
                    ]))
            }
        }
        try TextFile.write(directory, "registry/csv/ip_self_brought.csv", .utf8) { lines in
            lines.line("self_brought_id,unit_id,start,end,allocated,user_name,province,source_unit_type,source_unit_name")
            for z in world.selfBrought {
                lines.line(
                    csv([
                        String(z.id), String(z.unit), z.block.first.text, z.block.last.text, z.date, z.userName,
                        String(z.province.registryCode), "0", z.sourceUnitName,
                    ]))
            }
        }
        try TextFile.write(directory, "registry/csv/domain_registration.csv", .utf8) { lines in
            lines.line(
                "registered_domain,registration_id,domain_type,registered,expires,registrant_name,registrant_organisation,registrar,name_servers,registrant_email,registrant_phone"
            )
            for r in world.registrations {
                lines.line(
                    csv([
                        r.domain.ascii, String(r.id), "1", r.registered, r.expires, r.registrant, r.organisation, r.registrar,
                        r.nameServers.joined(separator: ";"),
                        r.email, r.phone,
                    ]))
            }
        }
        try TextFile.write(directory, "registry/csv/sponsor_blacklist.csv", .utf8) { lines in
            lines.line("blacklisted_sponsor,nature,id_type,id_number,operation")
            for e in world.sponsorBlacklist { lines.line(csv([e.name, String(e.nature), String(e.idType), e.idNumber, "add"])) }
        }
        try TextFile.write(directory, "registry/csv/site_blacklist.csv", .utf8) { lines in
            lines.line("blacklisted_site_names,domains,homepage,operation")
            for e in world.siteBlacklist {
                lines.line(csv([e.names.joined(separator: ";"), e.domains.map(\.ascii).joined(separator: ";"), e.homepage, "0"]))
            }
        }
        try TextFile.write(directory, "registry/csv/illegal_access.csv", .utf8) { lines in
            lines.line("illegal_access_id,domain,address,provider_id,province,detected")
            for e in world.illegalAccess {
                lines.line(
                    csv([String(e.id), e.domain.ascii, e.address.text, String(e.provider), String(world.province.registryCode), e.detected])
                )
            }
        }
        try TextFile.write(directory, "registry/csv/unfiled_site.csv", .utf8) { lines in
            lines.line("unfiled_id,domain,address,first_detected,last_detected,detections,province,provider_id,operator_id")
            for e in world.unfiled {
                lines.line(
                    csv([
                        String(e.id), e.domain.ascii, e.address.text, e.first, e.last, String(e.count), String(world.province.registryCode),
                        String(e.provider),
                        String(e.operatorUnit),
                    ]))
            }
        }
        try TextFile.write(directory, "registry/csv/reporting_unit.csv", .utf8) { lines in
            lines.line("unit_id,unit_name,unit_class,industry,licence,province,valid")
            for u in world.units {
                lines.line(
                    csv([
                        String(u.id), u.name, String(u.unitClass), String(u.industry), u.licence ?? "", String(u.province.registryCode),
                        "1",
                    ]))
            }
        }
        try TextFile.write(directory, "registry/csv/province.csv", .utf8) { lines in
            lines.line("province_code,abbreviation,name")
            for p in Province.all { lines.line(csv([String(p.registryCode), String(p.plate), p.name])) }
        }
    }

    // MARK: JSON Lines

    private func json(_ value: String) -> String {
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + value + "\""
        }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private func object(_ kind: String, _ fields: [(String, Any?)]) -> String {
        var parts = ["\"kind\":\(json(kind))"]
        for (key, value) in fields {
            switch value {
            case let text as String where !text.isEmpty: parts.append("\(json(key)):\(json(text))")
            case let number as Int64: parts.append("\(json(key)):\(number)")
            case let number as Int: parts.append("\(json(key)):\(number)")
            case let flag as Bool: parts.append("\(json(key)):\(flag)")
            case let list as [String]: parts.append("\(json(key)):[\(list.map(json).joined(separator: ","))]")
            default: continue
            }
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    private func jsonLines(into lines: TextFile) {
        for u in world.units {
            lines.line(
                object(
                    "reporting_unit",
                    [
                        ("unit_id", u.id), ("unit_name", u.name), ("unit_class", u.unitClass), ("industry", u.industry),
                        ("licence", u.licence), ("province", u.province.code), ("valid", true),
                    ]))
        }
        for p in Province.all {
            lines.line(
                object("province", [("province_code", p.registryCode), ("abbreviation", String(p.abbreviation)), ("name", p.name)]))
        }
        for s in world.sponsors {
            lines.line(
                object(
                    "sponsor",
                    [
                        ("sponsor_number", s.number), ("sponsor_id", s.id), ("name", s.name), ("nature", s.nature),
                        ("province", String(s.province.abbreviation)),
                        ("id_type", s.idType), ("id_number", s.idNumber), ("contact_name", s.contactName), ("phone", [s.phone, s.mobile]),
                        ("email", s.email),
                        ("address", s.address), ("first_filed", s.firstFiled), ("updated", s.updated), ("approved", s.approved),
                    ]))
        }
        for site in world.sites {
            let sponsor = world.sponsors[site.sponsor]
            lines.line(
                object(
                    "site",
                    [
                        ("site_number", "\(sponsor.number)-\(site.index)"), ("site_id", site.id), ("sponsor_id", sponsor.id),
                        ("names", site.names),
                        ("domains", site.domains.map(\.written)), ("homepage", site.homepage), ("first_filed", site.firstFiled),
                        ("updated", site.updated),
                    ]))
        }
        for a in world.accesses {
            let ranges = a.ranges.map { $0.first == $0.last ? $0.first.text : range($0) }
            lines.line(
                object(
                    "access",
                    [
                        ("access_id", a.id), ("site_id", world.sites[a.site].id), ("provider_id", a.provider), ("ranges", ranges),
                        ("placements", [String(a.placement)]), ("methods", [String(a.method)]),
                    ]))
        }
        for c in world.cancellations {
            lines.line(object("cancellation", [("cancelled_record", c.recordID), ("target", String(c.target)), ("cancelled", c.date)]))
        }
        for s in world.sources {
            lines.line(
                object(
                    "ip_source",
                    [
                        ("source_id", s.id), ("unit_id", s.unit), ("start", s.block.first.text), ("end", s.block.last.text),
                        ("source_unit_id", s.sourceUnit),
                    ]))
        }
        for a in world.allocations {
            lines.line(
                object(
                    "ip_allocation",
                    [
                        ("allocation_id", a.id), ("unit_id", a.unit), ("start", a.block.first.text), ("end", a.block.last.text),
                        ("mode", a.mode),
                        ("target_unit_id", a.target), ("usage", a.usage), ("allocated", a.date), ("redirect", false),
                        ("user_name", a.userName),
                        ("user_nature", a.userNature), ("province", a.province.registryCode), ("city", a.city), ("address", a.address),
                        ("contact_name", a.contactName), ("phone", a.phone), ("email", a.email),
                    ]))
        }
        for z in world.selfBrought {
            lines.line(
                object(
                    "ip_self_brought",
                    [
                        ("self_brought_id", z.id), ("unit_id", z.unit), ("start", z.block.first.text), ("end", z.block.last.text),
                        ("allocated", z.date),
                        ("user_name", z.userName), ("province", z.province.registryCode), ("source_unit_type", 0),
                        ("source_unit_name", z.sourceUnitName),
                    ]))
        }
        for r in world.registrations {
            lines.line(
                object(
                    "domain_registration",
                    [
                        ("registered_domain", r.domain.written), ("registration_id", r.id), ("domain_type", 1),
                        ("registered", r.registered),
                        ("expires", r.expires), ("registrant_name", r.registrant), ("registrant_organisation", r.organisation),
                        ("registrar", r.registrar),
                        ("name_servers", r.nameServers), ("registrant_email", r.email), ("registrant_phone", r.phone),
                    ]))
        }
        for e in world.sponsorBlacklist {
            lines.line(
                object(
                    "sponsor_blacklist",
                    [
                        ("blacklisted_sponsor", e.name), ("nature", e.nature), ("id_type", e.idType), ("id_number", e.idNumber),
                        ("operation", "add"),
                    ]))
        }
        for e in world.siteBlacklist {
            lines.line(
                object(
                    "site_blacklist",
                    [
                        ("blacklisted_site_names", e.names), ("domains", e.domains.map(\.written)), ("homepage", e.homepage),
                        ("operation", 0),
                    ]))
        }
        for e in world.illegalAccess {
            lines.line(
                object(
                    "illegal_access",
                    [
                        ("illegal_access_id", e.id), ("domain", e.domain.written), ("address", e.address.text), ("provider_id", e.provider),
                        ("province", world.province.registryCode), ("detected", e.detected),
                    ]))
        }
        for e in world.unfiled {
            lines.line(
                object(
                    "unfiled_site",
                    [
                        ("unfiled_id", e.id), ("domain", e.domain.written), ("address", e.address.text), ("first_detected", e.first),
                        ("last_detected", e.last), ("detections", e.count), ("province", world.province.registryCode),
                        ("provider_id", e.provider),
                        ("operator_id", e.operatorUnit),
                    ]))
        }
    }

    // MARK: GBK

    /// The text in GBK (GB18030, which agrees with GBK on every character the generator uses).
    static func gbk(_ text: String) throws -> Data { Data(GB18030Encoder.encode(text)) }
}

struct DatagenError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
