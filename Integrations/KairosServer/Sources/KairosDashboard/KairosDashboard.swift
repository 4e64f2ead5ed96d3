import Foundation
import HTTPTypes
import Hummingbird
import KairosHTTP

/// The Kairos dashboard: server-rendered pages over a ``KairosHTTP/KairosAPI`` — its schedules,
/// their next fire times and run history, the runs going, the last hour's activity — with
/// pause, resume, trigger and delete for a read-write token.
///
/// Mount it beside the API, on the same router:
///
/// ```swift
/// let api = KairosAPI(backend: scheduler, configuration: .init(tokens: tokens))
/// let dashboard = KairosDashboard(api: api)
/// let router = Router()
/// api.addRoutes(to: router.group())
/// dashboard.addRoutes(to: router)          // under /ui
/// ```
///
/// It reads and acts through the API's backend and run records (no second store). People sign
/// in with one of the API's tokens; the browser then holds only a random session ID, in an
/// `HttpOnly`, `SameSite=Strict` cookie (`Secure` over TLS or behind an `https`
/// ``DashboardConfiguration/publicOrigin``). Every post must carry the session's form token and
/// come from the dashboard's own origin. Pages are plain HTML with one small script that
/// refreshes them when the scheduler's events arrive; the style sheet and the script are served
/// by the dashboard itself.
public final class KairosDashboard: Sendable {
    /// The API whose backend and records the pages show.
    public let api: KairosAPI
    /// Where and how the pages are served.
    public let configuration: DashboardConfiguration
    let sessions: SessionStore

    /// Creates the dashboard over `api`.
    public init(api: KairosAPI, configuration: DashboardConfiguration = DashboardConfiguration()) {
        self.api = api
        self.configuration = configuration
        sessions = SessionStore(lifetime: configuration.sessionLifetime, capacity: configuration.maximumSessions)
    }

    /// The name of the cookie that holds the session ID.
    static let sessionCookie = "kairos_session"
    /// The name of the cookie that holds the sign-in form's token.
    static let signInCookie = "kairos_signin"
    /// The largest form body read.
    static let maximumFormBytes = 16 * 1024

    /// Adds the pages to `router` under ``DashboardConfiguration/path``.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let base = configuration.path
        let group = router.group(RouterPath(base))
        group.get { _, _ in Self.redirect(to: base + "/schedules") }
        group.get("sign-in") { request, _ in self.signInPage(request, message: nil) }
        group.post("sign-in") { request, _ in try await self.signIn(request) }
        group.post("sign-out") { request, _ in try await self.signOut(request) }
        group.get("schedules") { request, _ in try await self.page(request) { try await self.schedules(request, $0) } }
        group.get("schedules/{id}") { request, context in
            try await self.page(request) { try await self.schedule(request, id: Self.id(context), $0) }
        }
        group.post("schedules/{id}/{action}") { request, context in try await self.act(request, context) }
        group.get("runs") { request, _ in try await self.page(request) { try await self.runs($0) } }
        group.get("activity") { request, _ in try await self.page(request) { try await self.activity($0) } }
        group.get("nodes") { request, _ in try await self.page(request) { try await self.nodes($0) } }
        group.get("events") { request, _ in
            guard self.session(of: request) != nil else {
                return Self.text(.unauthorized, "sign in at \(base)/sign-in first\n")
            }
            return try self.api.eventStream(request)
        }
        group.get("assets/dashboard.css") { _, _ in Self.asset(DashboardAssets.styleSheet, type: "text/css; charset=utf-8") }
        group.get("assets/dashboard.js") { _, _ in Self.asset(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
    }

    static func id(_ context: some RequestContext) -> String {
        let raw = context.parameters.get("id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
