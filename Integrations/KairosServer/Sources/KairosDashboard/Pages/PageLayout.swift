import Foundation
import KairosHTTP

/// The frame of every page: the head (the served style sheet and script, nothing from elsewhere),
/// a skip link, the navigation, who is signed in, the main landmark, and the live-status line.
struct PageLayout {
    /// The dashboard's path (`/ui`).
    var base: String
    /// The signed-in session, or `nil` on the sign-in page.
    var session: Session?

    /// The sections of the navigation.
    enum Section: CaseIterable {
        case schedules, runs, activity, nodes

        var title: String {
            switch self {
            case .schedules: "Schedules"
            case .runs: "Runs in progress"
            case .activity: "Activity"
            case .nodes: "Nodes"
            }
        }

        var path: String {
            switch self {
            case .schedules: "/schedules"
            case .runs: "/runs"
            case .activity: "/activity"
            case .nodes: "/nodes"
            }
        }
    }

    /// A whole page.
    ///
    /// - Parameters:
    ///   - current: the navigation's section to mark as the current page.
    ///   - events: the event stream whose events refresh the page's `data-live` regions.
    ///   - notice: a line shown above the content (the outcome of an action).
    func page(title: String, current: Section?, events: String? = nil, notice: String? = nil, _ content: HTML) -> HTML {
        let navigation = HTML(
            joining: Section.allCases.map { section -> HTML in
                let mark: HTML = section == current ? " aria-current=\"page\"" : .empty
                return "<li><a href=\"\(base + section.path)\"\(mark)>\(section.title)</a></li>"
            })
        var account = HTML.empty
        if let session {
            let scope: HTML = session.scope == .readOnly ? "<span class=\"badge badge-readonly\">Read-only</span>" : .empty
            account = """
                <div class="account">\(scope)<form method="post" action="\(base)/sign-out">\
                <input type="hidden" name="csrf" value="\(session.formToken)">\
                <button type="submit" class="link-button">Sign out</button></form></div>
                """
        }
        let header: HTML =
            session == nil
            ? "<header class=\"top\"><span class=\"brand\">Kairos</span></header>"
            : """
            <header class="top"><a class="brand" href="\(base)/schedules">Kairos</a>\
            <nav aria-label="Main"><ul>\(navigation)</ul></nav>\(account)</header>
            """
        let eventsAttribute: HTML = events.map { "data-events=\"\($0)\"" } ?? .empty
        let noticeLine: HTML = notice.map { "<p class=\"notice\" role=\"status\">\($0)</p>" } ?? .empty
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Kairos</title>
            <link rel="stylesheet" href="\(base)/assets/dashboard.css">
            <script src="\(base)/assets/dashboard.js" defer></script>
            </head>
            <body \(eventsAttribute)>
            <a class="skip-link" href="#main">Skip to content</a>
            \(header)
            <main id="main" tabindex="-1">
            <h1>\(title)</h1>
            \(noticeLine)
            \(content)
            </main>
            <p id="live-status" class="live-status" role="status" aria-live="polite"></p>
            </body>
            </html>
            """
    }

    /// The hidden field that carries the session's form token.
    var formTokenField: HTML {
        guard let session else { return .empty }
        return "<input type=\"hidden\" name=\"csrf\" value=\"\(session.formToken)\">"
    }

    /// The path of a schedule's page (its ID percent-encoded).
    func schedulePath(_ id: String) -> String { base + "/schedules/" + Self.pathSegment(id) }

    static func pathSegment(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
