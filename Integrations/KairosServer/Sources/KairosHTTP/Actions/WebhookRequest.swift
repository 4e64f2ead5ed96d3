import Foundation
import Kairos

/// A webhook action: one HTTP request per attempt; a 2xx answer is success.
struct WebhookRequest: Sendable, Hashable {
    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    /// The largest body accepted, in bytes.
    static let maximumBodyLength = 256 * 1024
    /// The timeout of a request that names none.
    static let defaultTimeout = Duration.seconds(30)

    var method: String
    var url: String
    var headers: [String: String]
    var body: String?
    var timeout: Duration

    static func parse(_ fields: inout JSONFields, allowedHosts: Set<String>?) throws(Problem) -> WebhookRequest {
        let method = (try fields.string("method") ?? "POST").uppercased()
        guard methods.contains(method) else {
            throw .invalid(fields.name("method"), "\"\(method)\" is not one of \(methods.sorted().joined(separator: ", "))")
        }
        let url = try fields.requiredString("url")
        try checkURL(url, field: fields.name("url"), allowedHosts: allowedHosts)
        var headers = try fields.stringMap("headers")
        for (name, value) in headers where !isToken(name) || value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            throw .invalid(fields.name("headers.\(name)"), "is not a valid HTTP header (a token name; no CR, LF or NUL in the value)")
        }
        var body: String?
        switch fields.anyValue("body") {
        case nil, .null?: break
        case .string(let text)?: body = text
        case let json?:
            body = String(decoding: JSONResponse.encode(json), as: UTF8.self)
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) { headers["Content-Type"] = "application/json" }
        }
        if let body, body.utf8.count > maximumBodyLength {
            throw .invalid(fields.name("body"), "is longer than \(maximumBodyLength) bytes")
        }
        let timeout = try fields.duration("timeout") ?? defaultTimeout
        guard timeout > .zero else { throw .invalid(fields.name("timeout"), "must be longer than zero") }
        return WebhookRequest(method: method, url: url, headers: headers, body: body, timeout: timeout)
    }

    /// Refuses a URL that is not absolute http(s), or whose host is not allowed.
    static func checkURL(_ text: String, field: String, allowedHosts: Set<String>?) throws(Problem) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { throw .invalid(field, "\"\(text)\" is not an absolute http or https URL") }
        if let allowedHosts, !allowedHosts.contains(host.lowercased()) {
            throw .invalid(field, "the host \"\(host)\" is not in the server's webhook allow-list")
        }
    }

    private static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && $0.value < 127 && !"()<>@,;:\\\"/[]?={}".unicodeScalars.contains($0) }
    }

    init(method: String, url: String, headers: [String: String], body: String?, timeout: Duration) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    init(stored value: JSONValue) {
        method = value[member: "method"]?.stringValue ?? "POST"
        url = value[member: "url"]?.stringValue ?? ""
        headers = value[member: "headers"]?.stringMembers ?? [:]
        body = value[member: "body"]?.stringValue
        let milliseconds = value[member: "timeoutMilliseconds"]?.integerValue
        timeout = milliseconds.map { .milliseconds(max(1, $0)) } ?? Self.defaultTimeout
    }

    var stored: [String: JSONValue] {
        var object: [String: JSONValue] = [
            "method": .string(method), "url": .string(url),
            "timeoutMilliseconds": .integer(Int((timeout.inSeconds * 1000).rounded())),
        ]
        if !headers.isEmpty { object["headers"] = .object(headers.mapValues { .string($0) }) }
        if let body { object["body"] = .string(body) }
        return object
    }

    var rendered: JSONValue {
        var object: [String: JSONValue] = [
            "type": "webhook", "method": .string(method), "url": .string(url),
            "headers": .object(headers.mapValues { .string($0) }), "timeout": .string(DurationText.format(timeout)),
        ]
        if let body { object["body"] = .string(body) }
        return .object(object)
    }
}
