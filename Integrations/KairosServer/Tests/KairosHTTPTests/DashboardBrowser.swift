import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import KairosDashboard

/// A page as a browser gets it.
struct DashboardPage {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    var setCookies: [String] { headers[values: .setCookie] }
    var location: String? { headers[.location] }

    /// The value of the hidden field `name` in the page's first form that has it.
    func hiddenField(_ name: String) -> String? {
        guard let range = text.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// A browser's side of the dashboard over real HTTP: it keeps the cookies it is given and sends
/// them back, as a browser does on its own site.
struct DashboardBrowser {
    let client: Client
    var cookies: [String: String] = [:]

    init(_ client: Client) { self.client = client }

    mutating func get(_ path: String, headers: HTTPFields = [:]) async throws -> DashboardPage {
        try await send(.get, path, body: nil, headers: headers)
    }

    mutating func head(_ path: String) async throws -> DashboardPage {
        try await send(.head, path, body: nil, headers: [:])
    }

    mutating func post(_ path: String, _ fields: [(String, String)], headers: HTTPFields = [:]) async throws -> DashboardPage {
        let allowed = CharacterSet.alphanumerics
        let body = fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(.post, path, body: body, headers: headers)
    }

    private mutating func send(_ method: HTTPRequest.Method, _ path: String, body: String?, headers: HTTPFields) async throws -> DashboardPage {
        var headers = headers
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0)=\($1)" }.sorted().joined(separator: "; ") }
        let page = try await client.client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
            DashboardPage(status: $0.status, headers: $0.headers, text: String(buffer: $0.body))
        }
        for cookie in page.setCookies {
            let pair = cookie.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            if cookie.contains("Max-Age=0") { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = String(pair[1]) }
        }
        return page
    }

    /// Signs in with `token` through the sign-in form; returns the answer to the post.
    @discardableResult
    mutating func signIn(_ token: String) async throws -> DashboardPage {
        let form = try await get("/ui/sign-in")
        #expect(form.status == .ok)
        return try await post("/ui/sign-in", [("signin", form.hiddenField("signin") ?? ""), ("token", token)])
    }

    /// The session's form token, read from a page.
    mutating func formToken() async throws -> String {
        try await get("/ui/schedules").hiddenField("csrf") ?? ""
    }
}

extension TestServer {
    /// Runs `body` against the API and the dashboard on a free loopback port, on a router of
    /// `DashboardRequestContext` as `kairos-server`'s, with the dashboard's time on the server's
    /// `ManualClock`.
    func runWithDashboard(_ configuration: DashboardConfiguration = DashboardConfiguration(), _ body: @Sendable (Client) async throws -> Void) async throws {
        let dashboard = KairosDashboard(api: api, configuration: configuration, clock: clock)
        try await run(context: DashboardRequestContext.self, mount: { dashboard.addRoutes(to: $0) }, body)
    }
}
