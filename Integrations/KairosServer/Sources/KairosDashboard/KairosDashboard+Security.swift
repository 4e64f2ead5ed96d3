import Foundation
import HTTPTypes
import Hummingbird
import KairosHTTP

extension HTTPField.Name {
    static let secFetchSite = Self("Sec-Fetch-Site")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}

/// Sessions, cookies and the checks every post passes.
extension KairosDashboard {
    /// Why a post is refused.
    enum Refusal: Error {
        /// No session, or an expired one.
        case signedOut
        /// From another origin, or without the session's form token.
        case forgery(String)
        /// A read-only session asked for a change.
        case readOnly
    }

    /// The cookies of the request by name (the first of a name wins).
    static func cookies(_ request: Request) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = parts[0].trimmingCharacters(in: .whitespaces)
                if cookies[name] == nil { cookies[name] = parts[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        return cookies
    }

    /// The session ID the request's cookie holds and its session, if it is signed in.
    func session(of request: Request) -> (id: String, session: Session)? {
        guard let id = Self.cookies(request)[Self.sessionCookie], let session = sessions.session(id) else { return nil }
        return (id, session)
    }

    /// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, scoped to the dashboard's path,
    /// `Secure` when the configuration says the pages are reached over TLS; `maxAge` 0 clears it.
    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        var cookie = "\(name)=\(value); Path=\(configuration.path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict"
        if configuration.securesCookies { cookie += "; Secure" }
        return cookie
    }

    /// Whether a post comes from the dashboard's own origin: a browser's `Sec-Fetch-Site` must
    /// not say another site, and its `Origin` (or else `Referer`) must be the configured public
    /// origin or, without one, the request's own host. A request with neither header (not a
    /// browser's) passes this check; the form token still guards it.
    func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite], site != "same-origin", site != "none" { return false }
        var origin = request.headers[.origin]?.lowercased()
        if origin == nil, let referer = request.headers[.referer], let url = URL(string: referer), let scheme = url.scheme, let host = url.host {
            origin = "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
            origin = origin?.lowercased()
        }
        guard let origin else { return true }
        if let expected = configuration.publicOrigin { return origin == expected }
        guard let authority = request.head.authority?.lowercased() else { return false }
        let scheme = configuration.securesCookies ? "https://" : "http://"
        return origin == scheme + authority
    }

    /// Checks a post that changes something: a session, the same origin, the session's form
    /// token, and (when `needsWrite`) a read-write token behind the session.
    func checkPost(_ request: Request, fields: FormFields, needsWrite: Bool) throws(Refusal) -> (id: String, session: Session) {
        guard let signedIn = session(of: request) else { throw .signedOut }
        guard isSameOrigin(request) else { throw .forgery("The request came from another site.") }
        guard let given = fields["csrf"], SessionStore.matches(given, signedIn.session.formToken) else {
            throw .forgery("The form's security token is missing or wrong. Reload the page and try again.")
        }
        if needsWrite, signedIn.session.scope != .readWrite { throw .readOnly }
        return signedIn
    }

    /// The body of a form post.
    static func form(_ request: Request) async throws -> FormFields {
        var request = request
        let buffer = try await request.collectBody(upTo: maximumFormBytes)
        return FormFields(String(buffer: buffer))
    }

    /// The page that says why a post was refused, with its status.
    func refusal(_ refusal: Refusal, session: Session?) -> Response {
        let layout = PageLayout(base: configuration.path, session: session)
        switch refusal {
        case .signedOut:
            return Self.html(.forbidden, MessagePage(layout: layout, title: "Signed out", message: "Your sign-in has ended. Sign in again.").html)
        case .forgery(let reason):
            return Self.html(.forbidden, MessagePage(layout: layout, title: "Refused", message: reason).html)
        case .readOnly:
            return Self.html(
                .forbidden, MessagePage(layout: layout, title: "Read-only", message: "You signed in with a read-only token: it cannot change schedules.").html)
        }
    }
}

/// Responses.
extension KairosDashboard {
    /// The headers of every page: no caching, no framing, scripts and styles from the dashboard
    /// only.
    static func pageHeaders() -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "same-origin"
        return headers
    }

    static func html(_ status: HTTPResponse.Status, _ page: HTML, cookies: [String] = []) -> Response {
        var headers = pageHeaders()
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page.text)))
    }

    static func redirect(to location: String, cookies: [String] = []) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ data: Data, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "max-age=300"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
