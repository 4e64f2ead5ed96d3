import Foundation
import HTTPTypes
import Hummingbird
import KairosHTTP

/// Sign-in, sign-out and the actions on a schedule.
extension KairosDashboard {
    /// How long the sign-in form's token lasts, in seconds.
    static let signInFormLifetime = 900

    /// The sign-in form, with a fresh form token in a cookie of its own.
    func signInPage(_ request: Request, message: String?, status: HTTPResponse.Status = .ok) -> Response {
        if message == nil, session(of: request) != nil { return Self.redirect(to: configuration.path + "/schedules") }
        let token = SessionStore.randomToken()
        let page = SignInPage(layout: PageLayout(base: configuration.path, session: nil), formToken: token, message: message)
        return Self.html(status, page.html, cookies: [cookie(Self.signInCookie, token, maxAge: Self.signInFormLifetime)])
    }

    /// Checks the token and starts a session: a new random ID in the cookie, never the token. A
    /// client that failed too often gets a 429 with `Retry-After` instead, whatever the token.
    func signIn(_ request: Request, from client: ClientAddress) async throws -> Response {
        let fields = try await Self.form(request)
        guard isSameOrigin(request), let formToken = fields["signin"], let expected = Self.cookies(request)[Self.signInCookie],
            SessionStore.matches(formToken, expected)
        else {
            return signInPage(request, message: "The sign-in form expired or came from another site. Try again.", status: .forbidden)
        }
        if let wait = signInThrottle.reserveTry(for: client) {
            let seconds = wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0)
            let message = "Too many failed sign-ins from your address. Try again in \(DisplayText.duration(.seconds(seconds)))."
            var response = signInPage(request, message: message, status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        let token = fields["token"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let tokens = api.configuration.tokens
        let scope: AccessTokens.Scope?
        if tokens.isEmpty {
            scope = .readWrite
        } else {
            scope = token.isEmpty ? nil : tokens.scope(of: Substring(token))
        }
        guard let scope else {
            return signInPage(request, message: "That token is not one of the server's tokens.", status: .unauthorized)
        }
        signInThrottle.giveBackTry(of: client)
        if let previous = session(of: request) { sessions.end(previous.id) }
        let started = sessions.start(scope: scope)
        let lifetime = Int(configuration.sessionLifetime.components.seconds)
        return Self.redirect(
            to: configuration.path + "/schedules",
            cookies: [cookie(Self.sessionCookie, started.id, maxAge: lifetime), cookie(Self.signInCookie, "", maxAge: 0)])
    }

    func signOut(_ request: Request) async throws -> Response {
        let fields = try await Self.form(request)
        let signedIn: (id: String, session: Session)
        do {
            signedIn = try checkPost(request, fields: fields, needsWrite: false)
        } catch {
            return refusal(error, session: session(of: request)?.session)
        }
        sessions.end(signedIn.id)
        return Self.redirect(to: configuration.path + "/sign-in", cookies: [cookie(Self.sessionCookie, "", maxAge: 0)])
    }

    /// Pause, resume, trigger or delete: checked (session, origin, form token, read-write), then
    /// a confirmation page unless the form says `confirm=yes`, then done through the API.
    func act(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let id = Self.id(context)
        guard let action = DashboardAction(rawValue: context.parameters.get("action") ?? "") else {
            return Self.text(.notFound, "no such action\n")
        }
        let fields = try await Self.form(request)
        let signedIn: (id: String, session: Session)
        do {
            signedIn = try checkPost(request, fields: fields, needsWrite: true)
        } catch {
            return refusal(error, session: session(of: request)?.session)
        }
        let layout = PageLayout(base: configuration.path, session: signedIn.session)
        let note = fields["note"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        let catchUp = fields["mode"] != "from-now"
        do {
            guard fields["confirm"] == "yes" else {
                let schedule = try await api.scheduleOverview(id, nextCount: 0)
                return Self.html(.ok, ConfirmPage(layout: layout, schedule: schedule, action: action, note: note, catchUp: catchUp).html)
            }
            switch action {
            case .pause: try await api.pauseSchedule(id, note: note)
            case .resume: try await api.resumeSchedule(id, catchingUp: catchUp)
            case .trigger: try await api.triggerSchedule(id)
            case .delete:
                try await api.deleteSchedule(id)
                return Self.redirect(to: configuration.path + "/schedules?done=delete")
            }
            return Self.redirect(to: layout.schedulePath(id) + "?done=" + action.rawValue)
        } catch {
            let failure = KairosAPI.failure(error)
            return Self.html(failure.status, MessagePage(layout: layout, title: "\(action.label) failed", message: failure.detail).html)
        }
    }
}
