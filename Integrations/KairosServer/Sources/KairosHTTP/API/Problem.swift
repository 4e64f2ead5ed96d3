import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem document (`application/problem+json`): what every refused request gets.
///
/// `field` names the offending part of the request as a JSON path (`trigger.expression`,
/// `options.timeout`) or a header or query name; `detail` says what was wrong with it.
public struct Problem: Error, Sendable, Hashable, HTTPResponseError {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A short, stable summary of the problem type (`Invalid request`, `Not found`).
    public var title: String
    /// What was wrong, for a person to act on.
    public var detail: String
    /// The request field, header or query parameter at fault, if one is.
    public var field: String?

    /// Creates a problem; see each property.
    public init(status: HTTPResponse.Status, title: String, detail: String, field: String? = nil) {
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
    }

    /// A 422 naming the field whose value was refused.
    static func invalid(_ field: String, _ detail: String) -> Problem {
        Problem(status: .unprocessableContent, title: "Invalid request", detail: detail, field: field)
    }

    /// A 400 for a body or parameter that could not be read at all.
    static func malformed(_ field: String?, _ detail: String) -> Problem {
        Problem(status: .badRequest, title: "Malformed request", detail: detail, field: field)
    }

    static func notFound(_ what: String) -> Problem {
        Problem(status: .notFound, title: "Not found", detail: what)
    }

    static func conflict(_ detail: String, field: String? = nil) -> Problem {
        Problem(status: .conflict, title: "Conflict", detail: detail, field: field)
    }

    static func unavailable(_ detail: String) -> Problem {
        Problem(status: .serviceUnavailable, title: "Store unavailable", detail: detail)
    }

    /// The document's JSON, `type` left as `about:blank` (the status says the type).
    var document: Data {
        var object: [String: JSONValueForProblem] = [
            "type": .string("about:blank"), "title": .string(title), "status": .int(Int(status.code)),
            "detail": .string(detail),
        ]
        if let field { object["field"] = .string(field) }
        return (try? Self.encoder.encode(object)) ?? Data()
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Writes the problem as `application/problem+json`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="kairos""# }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: document)))
    }
}

/// The two value types a problem document holds.
private enum JSONValueForProblem: Encodable {
    case string(String)
    case int(Int)

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        }
    }
}
