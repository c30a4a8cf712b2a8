import BeianCore
import Foundation

extension HandlingReport {
    /// The report as one self-contained HTML page: sites by handling status (an SVG bar
    /// chart), then every site with its result. The reporter's contact details are not shown.
    public var html: String {
        let chart = ReportPage.BarChart(bars: byStatus.map { (label: "\($0.status.id) \($0.status.name)", value: $0.count) })
        let provider = rows.first?.providerName ?? "接入商 \(unit)"
        let context: [String: Any] = [
            "style": ReportPage.style,
            "provider": provider,
            "unit": unit,
            "generated": Timestamp(secondsSince1970: generated).text(.china),
            "sites": rows.count,
            "handled": rows.filter(\.handled).count,
            "pending": rows.filter { !$0.handled }.count,
            "upload": fit.count,
            "files": (fit.count + Self.recordsPerFile - 1) / Self.recordsPerFile,
            "hasRows": !rows.isEmpty,
            "chart": chart.svg(id: "status-chart", label: "按处理结果统计"),
            "statuses": byStatus.map { ["id": $0.status.id, "name": $0.status.name, "count": $0.count] as [String: Any] },
            "omitted": omitted.sorted { $0.key < $1.key }.map { ["reason": Self.unfitText($0.key), "count": $0.value] as [String: Any] },
            "rows": rows.map { row -> [String: Any] in
                [
                    "domain": row.domain, "address": row.address, "province": row.province ?? "—",
                    "operator": row.operatorName ?? row.operatorID.map(String.init) ?? "—", "status": row.status,
                    "statusName": row.statusName, "opinion": row.opinion, "listed": row.listed, "deadline": row.deadline,
                    "handledAt": row.handledAt.map { Self.day($0) } ?? "—", "state": Self.stateName(row.state),
                    "unfit": Self.unfitText(row.unfit),
                ]
            },
        ]
        return ReportPage.render(Self.template, context)
    }

    static func stateName(_ state: String) -> String {
        switch state {
        case "new": "新发现"
        case "persisting": "持续存在"
        case "resolved": "不再发现"
        case "handled": "已处理"
        default: state
        }
    }

    static let template = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <title>{{provider}} 未备案网站处理结果</title>
        {{{style}}}
        </head>
        <body>
        <h1>{{provider}} 未备案网站处理结果</h1>
        <p class="meta">接入商ID {{unit}} · 未备案网站 {{sites}} 个，已处理 {{handled}} 个，未处理 {{pending}} 个 · 生成于 {{generated}}</p>

        <h2>按处理结果统计</h2>
        {{#hasRows}}
        {{{chart}}}
        <table id="statuses">
        <thead><tr><th>处理结果ID</th><th class="name">处理结果</th><th>网站数</th></tr></thead>
        <tbody>
        {{#statuses}}
        <tr><td>{{id}}</td><td class="name">{{name}}</td><td>{{count}}</td></tr>
        {{/statuses}}
        </tbody>
        </table>
        {{/hasRows}}
        {{^hasRows}}
        <p id="rows-empty">检测历史中没有该接入商的未备案网站。</p>
        {{/hasRows}}

        <h2>逐站处理结果</h2>
        <table id="sites">
        <thead><tr><th class="name">域名</th><th>IP地址</th><th>省份</th><th class="name">运营商</th><th>处理结果ID</th><th class="name">处理结果</th><th class="name">处理意见</th><th>入表时间</th><th>处理时限</th><th>处理时间</th><th>检测状态</th></tr></thead>
        <tbody>
        {{#rows}}
        <tr><td class="name">{{domain}}</td><td>{{address}}</td><td>{{province}}</td><td class="name">{{operator}}</td><td>{{status}}</td><td class="name">{{statusName}}</td><td class="name">{{opinion}}</td><td>{{listed}}</td><td>{{deadline}}</td><td>{{handledAt}}</td><td>{{state}}</td></tr>
        {{/rows}}
        </tbody>
        </table>

        <p class="note" id="upload">上报文件（WBACLJG）：{{upload}} 条记录，{{files}} 个文件（每个文件不超过 1000 条）。
        {{#omitted}}{{reason}}：{{count}} 个。{{/omitted}}</p>
        <footer>“检测状态”为检测历史中的状态：已处理的网站若再次被检测到，状态变为“持续存在”。本报告由 beian 根据检测历史生成。</footer>
        </body>
        </html>
        """
}
