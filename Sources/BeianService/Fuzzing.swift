import BeianCore
package import BeianIndex

/// What the check service reads from a request, for its libFuzzer target (`Fuzz/Service`):
/// a batch body as `POST /v1/check` reads and answers it, and a query string as
/// `/isp_querybeianstatus` decodes it. Package-internal; not part of the library's API.
package enum ServiceFuzzing {
    /// Checks `body` as the route does (small segments, a line limit), answers every segment
    /// against `index`; the lines counted and answered.
    package static func batch(_ body: UnsafeRawBufferPointer, index: RegistryIndex) -> (lines: Int, answered: Int) {
        guard case .success(let batch) = Verdicts.check(body, segmentLines: 7, maximumLines: 10_000) else { return (0, 0) }
        var answered = 0
        for segment in batch.segments {
            var verdicts = Verdicts(index: index, geo: nil, at: Timestamp(secondsSince1970: 1_770_000_000))
            verdicts.answer(lines: UnsafeRawBufferPointer(rebasing: body[segment.range]), firstLine: segment.firstLine)
            answered += verdicts.answered
            _ = verdicts.take()
        }
        return (batch.lines, answered)
    }

    /// The `domain` of a query string, decoded as the V3.0 query route decodes it.
    package static func queryDomain(_ query: String) -> String? {
        CheckService.rawQueryValue(query, key: "domain").map(CheckService.decodeQueryText)
    }
}
