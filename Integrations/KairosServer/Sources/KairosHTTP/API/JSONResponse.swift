import Foundation
import HTTPTypes
import Hummingbird
import Kairos

/// JSON responses: the API's values are `JSONValue`s, written with sorted keys (``JSONText``).
enum JSONResponse {
    static func encode(_ value: JSONValue) -> [UInt8] { JSONText.bytes(of: value) }

    static func make(_ status: HTTPResponse.Status, _ value: JSONValue, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: encode(value))))
    }

    static func ok(_ value: JSONValue, headers: HTTPFields = [:]) -> Response { make(.ok, value, headers: headers) }
}

extension JSONValue {
    init(_ date: Date?) { self = date.map { .string(ISO8601.format($0)) } ?? .null }
}
