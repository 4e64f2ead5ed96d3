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
    let signInThrottle: SignInThrottle

    /// Creates the dashboard over `api`.
    ///
    /// - Parameter clock: the clock that sessions expire and sign-in tries come back by (a test
    ///   passes a `ManualClock` and moves it).
    public init(
        api: KairosAPI, configuration: DashboardConfiguration = DashboardConfiguration(), clock: some Clock<Duration> & Sendable = ContinuousClock()
    ) {
        self.api = api
        self.configuration = configuration
        let now = Self.elapsedTime(on: clock)
        sessions = SessionStore(lifetime: configuration.sessionLifetime, capacity: configuration.maximumSessions, now: now)
        signInThrottle = SignInThrottle(limit: configuration.signInLimit, now: now)
    }

    /// The time elapsed on `clock` since now.
    private static func elapsedTime<C: Clock<Duration> & Sendable>(on clock: C) -> @Sendable () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }

    /// The name of the cookie that holds the session ID.
    static let sessionCookie = "kairos_session"
    /// The name of the cookie that holds the sign-in form's token.
    static let signInCookie = "kairos_signin"
    /// The largest form body read.
    static let maximumFormBytes = 16 * 1024

    /// Adds the pages to `router` under ``DashboardConfiguration/path``; every page answers HEAD
    /// as well as GET.
    ///
    /// Mount it on a router of ``DashboardRequestContext`` (or another context that knows the
    /// client's address) so that the sign-in limit counts each client apart.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let base = configuration.path
        let group = router.group(RouterPath(base))
        Self.get("", in: group) { _, _ in Self.redirect(to: base + "/schedules") }
        Self.get("sign-in", in: group) { request, _ in self.signInPage(request, message: nil) }
        group.post("sign-in") { request, context in
            try await self.signIn(request, from: ClientAddress((context as? any RemoteAddressRequestContext)?.remoteAddress))
        }
        group.post("sign-out") { request, _ in try await self.signOut(request) }
        Self.get("schedules", in: group) { request, _ in try await self.page(request) { try await self.schedules(request, $0) } }
        Self.get("schedules/{id}", in: group) { request, context in
            try await self.page(request) { try await self.schedule(request, id: Self.id(context), $0) }
        }
        group.post("schedules/{id}/{action}") { request, context in try await self.act(request, context) }
        Self.get("runs", in: group) { request, _ in try await self.page(request) { try await self.runs($0) } }
        Self.get("activity", in: group) { request, _ in try await self.page(request) { try await self.activity($0) } }
        Self.get("nodes", in: group) { request, _ in try await self.page(request) { try await self.nodes($0) } }
        Self.get("events", in: group) { request, _ in
            guard self.session(of: request) != nil else {
                return Self.text(.unauthorized, "sign in at \(base)/sign-in first\n")
            }
            return try self.api.eventStream(request)
        }
        Self.get("assets/dashboard.css", in: group) { _, _ in Self.asset(DashboardAssets.styleSheet, type: "text/css; charset=utf-8") }
        Self.get("assets/dashboard.js", in: group) { _, _ in Self.asset(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
    }

    /// Adds `handler` at `path` for GET, and for HEAD with the same status and headers and no
    /// body (a router made with `.autoGenerateHeadEndpoints` would do it, but the dashboard does
    /// not make the router it is mounted on).
    private static func get<Context: RequestContext>(
        _ path: RouterPath, in group: RouterGroup<Context>, _ handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) {
        group.get(path, use: handler)
        group.head(path) { request, context in try await handler(request, context).createHeadResponse() }
    }

    static func id(_ context: some RequestContext) -> String {
        let raw = context.parameters.get("id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
