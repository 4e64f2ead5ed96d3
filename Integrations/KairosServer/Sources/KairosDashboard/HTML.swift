/// A fragment of HTML whose interpolated strings are escaped: `"<td>\(name)</td>"` is safe
/// whatever `name` holds; only another `HTML` value is inserted as it is.
///
/// Attribute values must be written in double quotes (`title="\(text)"`), which the escaping
/// covers.
struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    private(set) var text: String

    init(stringLiteral value: String) { text = value }

    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    private init(raw: String) { text = raw }

    var description: String { text }

    /// Nothing.
    static let empty = HTML(raw: "")

    /// The fragments one after another.
    init(joining parts: some Sequence<HTML>) { text = parts.map(\.text).joined() }

    struct Interpolation: StringInterpolationProtocol {
        fileprivate(set) var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }

        mutating func appendLiteral(_ literal: String) { text += literal }

        /// Text, escaped.
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }

        /// Text, escaped; nothing for `nil`.
        mutating func appendInterpolation(_ value: String?) { text += value.map(HTML.escape) ?? "" }

        /// A fragment, as it is.
        mutating func appendInterpolation(_ value: HTML) { text += value.text }

        /// Fragments, one after another.
        mutating func appendInterpolation(_ values: [HTML]) { for value in values { text += value.text } }

        /// A number.
        mutating func appendInterpolation(_ value: Int) { text += String(value) }
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` as character references.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
