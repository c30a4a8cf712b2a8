public import BeianCore

/// `/cert/bazs.cert`, the electronic verification mark of a filing: a DER attribute
/// certificate whose private extension (OID 1.2.156.901372.310.5.1) carries the ICP number in
/// GBK (docs/findings.md, "Homepages").
public struct BazsCertificate: Sendable, Hashable {
    /// The DER of 1.2.156.901372.310.5.1.
    static let extensionOID: [UInt8] = [0x2A, 0x81, 0x1C, 0xB7, 0x81, 0x7C, 0x82, 0x36, 0x05, 0x01]
    /// Largest certificate read.
    public static let maximumLength = 64 << 10
    /// Deepest nesting of DER elements followed.
    static let maximumDepth = 32

    /// The text of the extension, decoded.
    public var text: String
    /// The number recognised in it, when one is.
    public var number: FilingNumber?

    /// Reads the certificate; throws with the reason when it is not one or has no ICP number.
    public init(der: [UInt8]) throws(ValueError) {
        guard der.count <= Self.maximumLength else {
            throw ValueError(.tooLong, "bazs.cert of \(der.count) bytes, over the limit of \(Self.maximumLength)")
        }
        guard let value = Self.find(der[...], depth: 0) else {
            throw ValueError(.invalidValue, "no DER element with the ICP extension (1.2.156.901372.310.5.1)")
        }
        var content = Array(value)
        // Some issuers wrap the text in a string type inside the octet string.
        if let first = content.first, [0x0C, 0x13, 0x16, 0x1E].contains(first), let inner = Self.element(content[...]),
            inner.rest.isEmpty
        {
            content = Array(inner.content)
        }
        let utf8 = content.withUnsafeBytes { firstInvalidUTF8(in: $0, allowTruncatedEnd: false) } == nil
        text =
            utf8
            ? String(decoding: content, as: UTF8.self) : String(decoding: TextConverter(from: .gb18030).convert(content), as: UTF8.self)
        number = FilingNumberRecognizer.matches(in: text).compactMap(\.number).first
    }

    /// One DER element at the start of `bytes`: tag, content, what follows.
    static func element(_ bytes: ArraySlice<UInt8>) -> (tag: UInt8, content: ArraySlice<UInt8>, rest: ArraySlice<UInt8>)? {
        var i = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let tag = bytes[i]
        i += 1
        var length = Int(bytes[i])
        i += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 3, i + count <= bytes.endIndex else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[i])
                i += 1
            }
        }
        guard length <= bytes.endIndex - i else { return nil }
        return (tag, bytes[i..<(i + length)], bytes[(i + length)...])
    }

    /// The octet string that follows the extension OID in a SEQUENCE, searched depth first.
    static func find(_ bytes: ArraySlice<UInt8>, depth: Int) -> ArraySlice<UInt8>? {
        guard depth < maximumDepth else { return nil }
        var rest = bytes
        while let (tag, content, next) = element(rest) {
            if tag == 0x30, let (first, body, after) = element(content), first == 0x06, body.elementsEqual(extensionOID) {
                // OID, optional critical BOOLEAN, OCTET STRING.
                var tail = after
                while let (t, c, n) = element(tail) {
                    if t == 0x04 { return c }
                    tail = n
                }
            }
            // Constructed elements (and context tags) are searched inside.
            if tag & 0x20 != 0, let inner = find(content, depth: depth + 1) { return inner }
            rest = next
        }
        return nil
    }
}
