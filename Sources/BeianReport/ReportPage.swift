public import BeianCore
import Foundation
import Mustache

/// A report's three renderings: JSON, CSV (BOM, Chinese headers), one HTML page.
public protocol RenderedReport {
    var json: JSONObject { get }
    var csv: [UInt8] { get }
    var html: String { get }
}

extension MonthlyReport: RenderedReport {}
extension AnnualReport: RenderedReport {}
extension HandlingReport: RenderedReport {}

/// What the HTML reports share: their style sheet (screen and A4 print) and the SVG charts
/// they draw. Values reach the page through the template engine, which escapes them.
enum ReportPage {
    /// `template` (a constant of this module) with `context`; a template error — a bug — is
    /// said in the page.
    static func render(_ template: String, _ context: [String: Any]) -> String {
        do { return try MustacheTemplate(string: template).render(context) } catch {
            return "<!DOCTYPE html><title>beian</title><p>report template error: \(error)</p>"
        }
    }

    /// Series colours, in order; each chart's legend names them.
    static let palette = [
        "#c8102e", "#1f6feb", "#2da44e", "#bf8700", "#8250df", "#0a7ea4", "#e16f24", "#6e7781", "#f778ba", "#1b7c83", "#953800",
        "#4c2889", "#79c0ff", "#a40e26", "#3fb950", "#d29922", "#0550ae",
    ]

    /// The style sheet every report page carries inline.
    static let style = """
        <style>
        @page { size: A4; margin: 15mm; }
        body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; color: #1b1f24; margin: 24px; font-size: 14px; }
        h1 { font-size: 22px; margin: 0 0 4px; }
        h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 2px solid #c8102e; padding-bottom: 4px; }
        .meta { color: #57606a; margin: 0 0 16px; }
        table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
        th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: right; white-space: nowrap; }
        th { background: #f6f8fa; font-weight: 600; }
        td.name, th.name { text-align: left; white-space: normal; }
        table.wide { font-size: 12px; }
        table.wide th { white-space: normal; }
        table.wide td.provider { white-space: nowrap; }
        h3 { font-size: 15px; margin: 20px 0 6px; }
        tr { page-break-inside: avoid; }
        tfoot td { font-weight: 600; background: #f6f8fa; }
        svg text { font-size: 13px; fill: #1b1f24; }
        svg rect.bar { fill: #c8102e; }
        svg line.grid { stroke: #d0d7de; stroke-width: 1; }
        svg polyline { fill: none; stroke-width: 2; }
        .legend span { display: inline-block; margin-right: 14px; }
        .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
        .note { color: #57606a; font-size: 13px; }
        footer { margin-top: 32px; color: #57606a; font-size: 12px; }
        </style>
        """

    /// A horizontal bar chart's geometry: one bar a row, the longest the full width.
    struct BarChart {
        let bars: [(label: String, value: Int)]
        static let labelWidth = 260
        static let barWidth = 360
        static let row = 28

        var context: [String: Any] {
            let largest = max(1, bars.map(\.value).max() ?? 1)
            return [
                "width": Self.labelWidth + Self.barWidth + 60,
                "height": max(1, bars.count) * Self.row + 10,
                "bars": bars.enumerated().map { index, bar in
                    let length = max(2, bar.value * Self.barWidth / largest)
                    let y = index * Self.row + 5
                    return [
                        "label": bar.label, "value": bar.value, "labelX": Self.labelWidth - 8, "textY": y + 17, "x": Self.labelWidth,
                        "y": y, "length": length, "valueX": Self.labelWidth + length + 6,
                    ] as [String: Any]
                },
            ]
        }

        /// The chart as SVG markup (values escaped by the template engine), for a page's
        /// template to take whole (`{{{…}}}`).
        func svg(id: String, label: String) -> String {
            var context = self.context
            context["id"] = id
            context["label"] = label
            return ReportPage.render(Self.template, context)
        }

        static let template = """
            <svg id="{{id}}" role="img" aria-label="{{label}}" width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}">
            {{#bars}}
            <text x="{{labelX}}" y="{{textY}}" text-anchor="end">{{label}}</text>
            <rect class="bar" x="{{x}}" y="{{y}}" width="{{length}}" height="20"><title>{{label}}：{{value}}</title></rect>
            <text x="{{valueX}}" y="{{textY}}">{{value}}</text>
            {{/bars}}
            </svg>
            """
    }

    /// Lines over a few points in time (months): one polyline a series, gridlines with values.
    struct LineChart {
        let labels: [String]
        let series: [(name: String, values: [Int])]
        static let width = 640
        static let height = 240
        static let left = 44
        static let bottom = 28
        static let top = 10

        var context: [String: Any] {
            let largest = max(1, series.flatMap(\.values).max() ?? 1)
            // A round top for the axis: 1, 2 or 5 times a power of ten.
            var scale = 1
            while scale * 10 < largest { scale *= 10 }
            let ceiling = [1, 2, 5, 10].map { $0 * scale }.first { $0 >= largest } ?? largest
            let plotWidth = Self.width - Self.left - 16
            let plotHeight = Self.height - Self.bottom - Self.top
            func x(_ index: Int) -> Int { Self.left + (labels.count > 1 ? index * plotWidth / (labels.count - 1) : plotWidth / 2) }
            func y(_ value: Int) -> Int { Self.top + plotHeight - value * plotHeight / ceiling }
            return [
                "width": Self.width, "height": Self.height, "axisX": Self.left - 6, "labelY": Self.height - 8,
                "xLabels": labels.enumerated().map { ["x": x($0.offset), "label": $0.element] as [String: Any] },
                "yTicks": stride(from: 0, through: ceiling, by: max(1, ceiling / 5)).map { value -> [String: Any] in
                    return ["y": y(value), "textY": y(value) + 4, "label": value, "x1": Self.left, "x2": Self.width - 16]
                },
                "series": series.enumerated().map { index, line -> [String: Any] in
                    [
                        "name": line.name, "color": palette[index % palette.count],
                        "points": line.values.enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " "),
                        "dots": line.values.enumerated().map {
                            ["x": x($0.offset), "y": y($0.element), "value": $0.element, "label": labels[$0.offset]] as [String: Any]
                        },
                    ]
                },
            ]
        }
    }

    /// Shares of a whole as one stacked bar, a segment per part, with a legend.
    struct MixChart {
        let parts: [(label: String, value: Int)]
        static let width = 640

        var context: [String: Any] {
            let total = max(1, parts.reduce(0) { $0 + $1.value })
            var x = 0
            return [
                "width": Self.width, "total": parts.reduce(0) { $0 + $1.value },
                "segments": parts.enumerated().map { index, part -> [String: Any] in
                    let start = x
                    x += part.value
                    let from = start * Self.width / total
                    let to = x * Self.width / total
                    return [
                        "x": from, "width": max(1, to - from), "color": palette[index % palette.count], "label": part.label,
                        "value": part.value, "percent": String(format: "%.1f", Double(part.value) * 100 / Double(total)),
                    ]
                },
            ]
        }
    }
}
