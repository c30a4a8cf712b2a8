import BeianCore
import Foundation

extension AnnualReport {
    /// The review as one self-contained HTML page: findings by provider (bars), the scans'
    /// month-by-month trend (lines), the mix of kinds (a stacked bar), the review table, and
    /// the evidence behind every number, provider by provider. Printable on A4.
    public var html: String {
        let shownProviders = providers.prefix(15)
        let bars = ReportPage.BarChart(bars: shownProviders.map { (label: Self.providerName($0), value: $0.total) })
        let trend = ReportPage.LineChart(
            labels: (1...12).map { "\($0)月" },
            series: kinds.enumerated().compactMap { index, kind in
                let values = monthly.map { $0[index] }
                return values.contains(where: { $0 > 0 }) ? (name: kind.chineseName, values: values) : nil
            })
        let mix = ReportPage.MixChart(parts: zip(kinds, totals).map { (label: $0.chineseName, value: $1) })
        let context: [String: Any] = [
            "style": ReportPage.style,
            "year": year,
            "scope": province.map { "（\($0)）" } ?? "",
            "registryAt": String(Timestamp(secondsSince1970: registryAt).text(.china).prefix(10)),
            "generated": Timestamp.now.text(.china),
            "runCount": runs.count,
            "providerCount": providers.count,
            "findingCount": items.count,
            "hasFindings": !items.isEmpty,
            "hasMoreProviders": providers.count > shownProviders.count,
            "moreProviders": providers.count - shownProviders.count,
            "bars": bars.svg(id: "provider-chart", label: "各接入商问题数"),
            "hasTrend": !trend.series.isEmpty,
            "trend": trend.context,
            "mix": mix.context,
            "kinds": kinds.map { ["name": $0.chineseName, "code": $0.rawValue] },
            "providers": providers.map { row -> [String: Any] in
                [
                    "anchor": "p\(row.providerID.map(String.init) ?? "none")", "provider": Self.providerName(row),
                    "providerID": row.providerID.map(String.init) ?? "—", "counts": row.counts.map { ["count": $0] },
                    "total": row.total, "new": row.new, "resolved": row.resolved, "handled": row.handled,
                ]
            },
            "totals": totals.map { ["count": $0] },
            "total": providers.reduce(0) { $0 + $1.total },
            "totalNew": providers.reduce(0) { $0 + $1.new },
            "totalResolved": providers.reduce(0) { $0 + $1.resolved },
            "totalHandled": providers.reduce(0) { $0 + $1.handled },
            "evidence": providers.map { row -> [String: Any] in
                [
                    "anchor": "p\(row.providerID.map(String.init) ?? "none")", "provider": Self.providerName(row),
                    "items": items(of: row.providerID).map { item -> [String: Any] in
                        [
                            "kind": item.kind.chineseName, "source": Self.sourceName(item.source), "site": item.site ?? "—",
                            "address": item.address ?? "—",
                            "seen": item.lastSeen.map { String(Timestamp(secondsSince1970: $0).text(.china).prefix(10)) } ?? "—",
                            "count": item.count, "state": item.state == "registry" ? "备案数据" : HandlingReport.stateName(item.state),
                            "detail": item.detail, "evidence": Self.evidenceText(item.evidence),
                        ]
                    },
                ]
            },
        ]
        return ReportPage.render(Self.template, context)
    }

    static let template = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <title>{{year}} 年度接入商核查{{scope}}</title>
        {{{style}}}
        </head>
        <body>
        <h1>{{year}} 年度接入商核查{{scope}}</h1>
        <p class="meta">{{runCount}} 次检测 · 备案数据核查截至 {{registryAt}} · {{providerCount}} 个接入商，{{findingCount}} 项问题 · 生成于 {{generated}}</p>
        {{#hasFindings}}
        <h2>各接入商问题数</h2>
        {{{bars}}}
        {{#hasMoreProviders}}<p class="note">另有 {{moreProviders}} 个接入商见下表。</p>{{/hasMoreProviders}}

        <h2>检测问题月度趋势</h2>
        {{#hasTrend}}
        <svg id="trend-chart" role="img" aria-label="检测问题月度趋势" width="{{trend.width}}" height="{{trend.height}}" viewBox="0 0 {{trend.width}} {{trend.height}}">
        {{#trend.yTicks}}
        <line class="grid" x1="{{x1}}" y1="{{y}}" x2="{{x2}}" y2="{{y}}"></line>
        <text x="{{trend.axisX}}" y="{{textY}}" text-anchor="end">{{label}}</text>
        {{/trend.yTicks}}
        {{#trend.xLabels}}
        <text x="{{x}}" y="{{trend.labelY}}" text-anchor="middle">{{label}}</text>
        {{/trend.xLabels}}
        {{#trend.series}}
        <polyline class="series" points="{{points}}" stroke="{{color}}"><title>{{name}}</title></polyline>
        {{#dots}}<circle cx="{{x}}" cy="{{y}}" r="3" fill="{{color}}"><title>{{name}} {{label}}：{{value}}</title></circle>{{/dots}}
        {{/trend.series}}
        </svg>
        <p class="legend">{{#trend.series}}<span><i style="background: {{color}}"></i>{{name}}</span>{{/trend.series}}</p>
        {{/hasTrend}}
        {{^hasTrend}}<p class="note">本年没有检测发现的问题。</p>{{/hasTrend}}

        <h2>问题类型构成</h2>
        <svg id="mix-chart" role="img" aria-label="问题类型构成" width="{{mix.width}}" height="28" viewBox="0 0 {{mix.width}} 28">
        {{#mix.segments}}
        <rect class="segment" x="{{x}}" y="0" width="{{width}}" height="28" fill="{{color}}"><title>{{label}}：{{value}}（{{percent}}%）</title></rect>
        {{/mix.segments}}
        </svg>
        <p class="legend">{{#mix.segments}}<span><i style="background: {{color}}"></i>{{label}} {{value}}（{{percent}}%）</span>{{/mix.segments}}</p>
        {{/hasFindings}}

        <h2>核查结果</h2>
        <table id="review" class="wide">
        <thead><tr><th class="name">接入商</th><th>接入商ID</th>{{#kinds}}<th title="{{code}}">{{name}}</th>{{/kinds}}<th>合计</th><th>本年新发现</th><th>本年已处置</th><th>已反馈处理结果</th></tr></thead>
        <tbody>
        {{#providers}}
        <tr><td class="name provider"><a href="#{{anchor}}">{{provider}}</a></td><td>{{providerID}}</td>{{#counts}}<td>{{count}}</td>{{/counts}}<td>{{total}}</td><td>{{new}}</td><td>{{resolved}}</td><td>{{handled}}</td></tr>
        {{/providers}}
        </tbody>
        <tfoot><tr><td class="name">合计</td><td></td>{{#totals}}<td>{{count}}</td>{{/totals}}<td>{{total}}</td><td>{{totalNew}}</td><td>{{totalResolved}}</td><td>{{totalHandled}}</td></tr></tfoot>
        </table>
        {{^hasFindings}}<p id="review-empty">本年没有发现问题。</p>{{/hasFindings}}

        <h2>证据</h2>
        {{#evidence}}
        <h3 id="{{anchor}}">{{provider}}</h3>
        <table class="evidence wide">
        <thead><tr><th class="name">类型</th><th class="name">来源</th><th class="name">网站</th><th>IP地址</th><th>最近发现</th><th>次数</th><th>状态</th><th class="name">说明</th><th class="name">证据</th></tr></thead>
        <tbody>
        {{#items}}
        <tr><td class="name">{{kind}}</td><td class="name">{{source}}</td><td class="name">{{site}}</td><td>{{address}}</td><td>{{seen}}</td><td>{{count}}</td><td>{{state}}</td><td class="name">{{detail}}</td><td class="name">{{evidence}}</td></tr>
        {{/items}}
        </tbody>
        </table>
        {{/evidence}}
        <footer>问题按类型、独立域名与地址计，检测与备案数据核查同时发现的只计一次。“本年已处置”指后续检测在其覆盖范围内不再发现；
        “已反馈处理结果”指接入商已反馈未备案网站处理结果。月度趋势按检测见到该问题的月份统计。本报告由 beian 根据检测历史与备案数据生成。</footer>
        </body>
        </html>
        """
}
