import BeianCore
import Foundation
import Testing

/// A selective parse keeps only the chosen members and passes over the rest uncopied; it must
/// accept and refuse exactly what the full parse does, and give each chosen key the values of
/// its last member there.
struct FlatJSONObjectTests {
    static let keys = ["ts", "id.orig_h", "server_name", "answers", "", "\u{1F600}", "a\"b", "x"]

    /// The values of the last member of each key in a full parse, as text.
    static func lastValues(_ object: FlatJSONObject) -> [String: [String]] {
        var values: [String: [String]] = [:]
        for member in object.members {
            let key = String(decoding: object.scratch[member.key], as: UTF8.self)
            values[key] = object.values[member.values].map { String(decoding: object.scratch[$0], as: UTF8.self) }
        }
        return values
    }

    static func check(_ text: [UInt8], _ selective: inout FlatJSONObject, _ full: inout FlatJSONObject) {
        let (selectiveError, fullError) = text.withUnsafeBytes { (selective.parse($0), full.parse($0)) }
        #expect(selectiveError == fullError, "\(String(decoding: text, as: UTF8.self))")
        // What Foundation's reader takes as an object, this one takes too, with the same strings.
        // (Foundation also takes a comma before `}` or `]`, and may take a lone surrogate
        // escape, both of which this reader refuses: such texts are left out.)
        let compact = text.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        let trailingComma = zip(compact, compact.dropFirst()).contains { $0 == 0x2C && ($1 == 0x7D || $1 == 0x5D) }
        let surrogate = String(decoding: text, as: UTF8.self).lowercased().contains("\\ud")
        if !trailingComma, !surrogate, let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] {
            #expect(fullError == nil, "\(String(decoding: text, as: UTF8.self))")
            let values = lastValues(full)
            for (key, value) in object {
                guard let string = value as? String else { continue }
                #expect(values[key] == [string], "\(key) in \(String(decoding: text, as: UTF8.self))")
            }
        }
        guard selectiveError == nil, fullError == nil else { return }
        let expected = lastValues(full)
        for (index, key) in keys.enumerated() {
            let got = selective.selected[index].map { range in
                selective.values[range].map { String(decoding: selective.scratch[$0], as: UTF8.self) }
            }
            #expect(got == expected[key], "\(key) in \(String(decoding: text, as: UTF8.self))")
        }
        #expect(selective.members.isEmpty)
    }

    @Test func selectedMembersAreTheFullParsesLastOnes() {
        var selective = FlatJSONObject(selecting: Self.keys)
        var full = FlatJSONObject()
        let records = [
            #"{"ts":1772380500.059012,"uid":"CUA3d5","id.orig_h":"183.128.100.21","id.orig_p":49629,"server_name":"silk15.com","resumed":false,"cert_chain_fps":[]}"#,
            #"{"ts":"2026-03-01T12:00:00Z","answers":["1.2.3.4","alias.example.com",5,true,null],"answers":["9.9.9.9"]}"#,
            #"{"server_name":"first.cn","server_name":"second.cn","x":{"nested":["a",{"b":"\u00e9"}]},"x":1.50}"#,
            #"{"id\u002eorig_h":"10.0.0.1","\ud83d\ude00":"smile","a\"b":"quote","":"empty key","s\\erver_name":"not it"}"#,
            #"{"uid":"esc\n\t\"\\\/\b\f\r\u4e2d","ts":-12,"x":false,"y":1e5,"answers":[]}"#,
            #" { } "#, #"{}"#, #"{"ts":1,}"#, #"{"ts":"unterminated}"#, #"{"x":"\ud800"}"#, #"{"x":"\q"}"#, #"{"x":tru}"#,
            #"{"server_name":"ok","ts":01.0.0}"#, #"{"answers":[[1],{"a":[}]}"#, "{\"x\":\"control\u{01}\"}", #"{"x":1} trailing"#,
            #"{"x":"a"  ,  "ts" : [ 1 , "2" ] }"#, #"{"ts":"\u00"}"#, #"{"ts"}"#, #"["not an object"]"#, "",
        ]
        for record in records { Self.check(Array(record.utf8), &selective, &full) }
    }

    @Test func randomDamageIsRefusedOrReadAlike() {
        var selective = FlatJSONObject(selecting: Self.keys)
        var full = FlatJSONObject()
        let base = Array(
            #"{"ts":1772380500.059012,"id.orig_h":"183.128.100.21","x":[1,"\u00e9\n",null],"server_name":"a\"b.cn","answers":["1.2.3.4"],"y":{"z":[true]},"x":"a long value, read eight bytes at a time: 0123456789abcdef"}"#
                .utf8)
        let alphabet = Array(#"{}[]",:\u0123456789.-eEtrfalsn x"#.utf8) + [0x01, 0x1F, 0x7F, 0x80, 0xE4]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var text = base
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 0..<text.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: text[at] = alphabet.randomElement(using: &generator) ?? 0x20
                case 1: text.remove(at: at)
                default: text.insert(alphabet.randomElement(using: &generator) ?? 0x20, at: at)
                }
                if text.isEmpty { text = [0x7B] }
            }
            Self.check(text, &selective, &full)
        }
    }
}
