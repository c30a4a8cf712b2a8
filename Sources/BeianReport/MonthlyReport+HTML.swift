import BeianCore
import BeianHistory
import Foundation

extension MonthlyReport {
    /// The report as one self-contained HTML page (inline CSS, an SVG bar chart of the
    /// ranking; Chinese labels; printable on A4), rendered from a Mustache template — every
    /// value escaped by the template engine.
    public var html: String {
        ReportPage.render(Self.template, context)
    }

    /// The values the template shows.
    var context: [String: Any] {
        let chart = ReportPage.BarChart(bars: ranking.map { (label: Self.label($0), value: $0.unfiledSites) })
        let kinds = Finding.Kind.allCases
        return [
            "style": ReportPage.style,
            "month": month,
            "from": String(Timestamp(secondsSince1970: start).text(.china).prefix(10)),
            "to": String(Timestamp(secondsSince1970: end - 1).text(.china).prefix(10)),
            "generated": Timestamp.now.text(.china),
            "runCount": runs.count,
            "runs": runs.map { ["id": $0.id, "findings": $0.findings, "inputs": $0.inputs.count] },
            "hasRanking": !ranking.isEmpty,
            "ranking": ranking.enumerated().map { place, entry in
                [
                    "place": place + 1, "provider": entry.providerName ?? "（无接入商记录）",
                    "providerID": entry.providerID.map(String.init) ?? "—", "unfiled": entry.unfiledSites, "new": entry.newSites,
                ] as [String: Any]
            },
            "chart": chart.svg(id: "ranking-chart", label: "未备案网站数量前十的接入商"),
            "provinceNames": provinces.map { ["name": Self.name(of: $0.province)] },
            "provinces": provinces.map { row in
                [
                    "province": Self.name(of: row.province), "checked": row.sitesChecked, "unfiled": row.unfiledSites,
                    "new": row.newSites, "resolved": row.resolvedSites, "handled": row.handledSites,
                    "findings": row.byKind.reduce(0) { $0 + $1.count },
                ] as [String: Any]
            },
            // Kinds as rows, provinces as columns: only kinds found somewhere.
            "kinds": kinds.compactMap { kind -> [String: Any]? in
                let counts = provinces.map { row in row.byKind.first { $0.kind == kind.rawValue }?.count ?? 0 }
                guard counts.contains(where: { $0 > 0 }) else { return nil }
                return ["name": kind.chineseName, "code": kind.rawValue, "counts": counts.map { ["count": $0] }]
            },
            "totalFindings": provinces.reduce(0) { $0 + $1.byKind.reduce(0) { $0 + $1.count } },
            "totalUnfiled": provinces.reduce(0) { $0 + $1.unfiledSites },
            "totalNew": provinces.reduce(0) { $0 + $1.newSites },
            "totalResolved": provinces.reduce(0) { $0 + $1.resolvedSites },
            "totalChecked": provinces.reduce(0) { $0 + $1.sitesChecked },
            "totalHandled": provinces.reduce(0) { $0 + $1.handledSites },
        ]
    }

    static func name(of province: String) -> String { province == "unknown" ? "未知" : province }

    static func label(_ entry: Ranked) -> String {
        entry.providerName ?? "（无接入商记录）"
    }

    static let template = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <title>{{month}} 未备案网站月报</title>
        {{{style}}}
        </head>
        <body>
        <h1>{{month}} 未备案网站月报</h1>
        <p class="meta">统计期间 {{from}} 至 {{to}}（北京时间） · {{runCount}} 次检测 · 生成于 {{generated}}</p>

        <h2>未备案网站数量前十的接入商</h2>
        {{#hasRanking}}
        {{{chart}}}
        <table id="ranking">
        <thead><tr><th>名次</th><th class="name">接入商</th><th>接入商ID</th><th>未备案网站数</th><th>其中本月新发现</th></tr></thead>
        <tbody>
        {{#ranking}}
        <tr><td>{{place}}</td><td class="name">{{provider}}</td><td>{{providerID}}</td><td>{{unfiled}}</td><td>{{new}}</td></tr>
        {{/ranking}}
        </tbody>
        </table>
        {{/hasRanking}}
        {{^hasRanking}}
        <p id="ranking-empty">本月未发现未备案网站。</p>
        {{/hasRanking}}

        <h2>分省统计</h2>
        <table id="provinces">
        <thead><tr><th class="name">省份</th><th>检测网站数</th><th>未备案网站</th><th>其中本月新发现</th><th>本月已处置（不再发现）</th><th>已反馈处理结果</th><th>各类问题合计</th></tr></thead>
        <tbody>
        {{#provinces}}
        <tr><td class="name">{{province}}</td><td>{{checked}}</td><td>{{unfiled}}</td><td>{{new}}</td><td>{{resolved}}</td><td>{{handled}}</td><td>{{findings}}</td></tr>
        {{/provinces}}
        </tbody>
        <tfoot><tr><td class="name">合计</td><td>{{totalChecked}}</td><td>{{totalUnfiled}}</td><td>{{totalNew}}</td><td>{{totalResolved}}</td><td>{{totalHandled}}</td><td>{{totalFindings}}</td></tr></tfoot>
        </table>

        <h2>各类问题数量</h2>
        <table id="kinds">
        <thead><tr><th class="name">问题类型</th>{{#provinceNames}}<th>{{name}}</th>{{/provinceNames}}</tr></thead>
        <tbody>
        {{#kinds}}
        <tr><td class="name" title="{{code}}">{{name}}</td>{{#counts}}<td>{{count}}</td>{{/counts}}</tr>
        {{/kinds}}
        </tbody>
        </table>

        <footer>未备案网站指以独立域名计，同一网站多个地址只计一次。本报告由 beian 根据检测历史生成；
        “已处置”指后续检测在其覆盖范围内不再发现；“已反馈处理结果”指接入商已反馈处理结果（WBACLJG）。
        检测网站数为本月各次检测所见境内地址上的独立域名数之和（按地址所属省统计）。</footer>
        </body>
        </html>
        """
}
