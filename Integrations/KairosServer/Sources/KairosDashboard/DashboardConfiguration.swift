import Foundation

/// How the dashboard is served: where, to which origin, and how long a sign-in lasts.
public struct DashboardConfiguration: Sendable {
    /// The path the pages are mounted under, without a trailing slash. Default `/ui`.
    public var path: String
    /// The origin people reach the server at (`https://kairos.example.com`) when a proxy stands in
    /// front of it: form posts must come from it, and an `https` origin makes the session cookie
    /// `Secure`. `nil`: the origin of the request's `Host` header.
    public var publicOrigin: String?
    /// Whether the application serves these pages over TLS itself (the session cookie is then
    /// `Secure`). Default `false`.
    public var servedOverTLS: Bool
    /// How long a sign-in lasts. Default 8 hours.
    public var sessionLifetime: Duration
    /// The most sessions kept at once; signing in beyond it ends the oldest. Default 10,000.
    public var maximumSessions: Int
    /// How many failed sign-ins a client address may make before it must wait. Default: 5 at
    /// once, then one a minute.
    public var signInLimit: SignInLimit

    /// Creates a configuration; see each property.
    public init(
        path: String = "/ui", publicOrigin: String? = nil, servedOverTLS: Bool = false, sessionLifetime: Duration = .seconds(8 * 3600),
        maximumSessions: Int = 10_000, signInLimit: SignInLimit = SignInLimit()
    ) {
        var path = path.hasPrefix("/") ? path : "/" + path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        self.path = path
        self.publicOrigin = publicOrigin.map { origin in
            var origin = origin.lowercased()
            while origin.hasSuffix("/") { origin.removeLast() }
            return origin
        }
        self.servedOverTLS = servedOverTLS
        self.sessionLifetime = sessionLifetime
        self.maximumSessions = max(1, maximumSessions)
        self.signInLimit = signInLimit
    }

    /// Whether the session cookie gets `Secure`.
    var securesCookies: Bool { servedOverTLS || publicOrigin?.hasPrefix("https://") == true }
}
