import Foundation
import KairosHTTP

/// The sign-in form: an API token, sent with the sign-in form's own token (the cookie set with
/// the page), so that another site cannot sign a browser in.
struct SignInPage {
    var layout: PageLayout
    var formToken: String
    var message: String?

    var html: HTML {
        let error: HTML = message.map { "<p class=\"error\" role=\"alert\" id=\"sign-in-error\">\($0)</p>" } ?? .empty
        let described: HTML = message == nil ? .empty : " aria-describedby=\"sign-in-error\""
        return layout.page(
            title: "Sign in", current: nil,
            """
            \(error)
            <form method="post" action="\(layout.base)/sign-in" class="sign-in">
            <input type="hidden" name="signin" value="\(formToken)">
            <div class="field"><label for="token">API token</label>\
            <input id="token" name="token" type="password" autocomplete="off" required autofocus\(described)></div>
            <p class="muted">A token of the server's (<code>--token</code>, <code>--read-token</code>, <code>--token-file</code>). \
            A read-only token shows the pages without their actions.</p>
            <button type="submit">Sign in</button>
            </form>
            """)
    }
}

/// The confirmation of an action: what will happen, the form that does it, and a way back.
struct ConfirmPage {
    var layout: PageLayout
    var schedule: KairosAPI.ScheduleOverview
    var action: DashboardAction
    /// The fields the action was asked with, carried to the confirming form.
    var note: String?
    var catchUp: Bool

    var html: HTML {
        let path = layout.schedulePath(schedule.id)
        let name = schedule.declaration.name
        let question: String
        var fields: HTML = layout.formTokenField
        switch action {
        case .pause:
            question = note.map { "Pause “\(name)” with the note “\($0)”?" } ?? "Pause “\(name)”? It will not fire until resumed."
            if let note { fields = "\(fields)<input type=\"hidden\" name=\"note\" value=\"\(note)\">" }
        case .resume:
            question =
                catchUp
                ? "Resume “\(name)”, catching up: the dates missed while paused go to its misfire policy?"
                : "Resume “\(name)” from now, skipping the dates missed while paused?"
            fields = "\(fields)<input type=\"hidden\" name=\"mode\" value=\"\(catchUp ? "catch-up" : "from-now")\">"
        case .trigger: question = "Run “\(name)” now, besides its trigger's runs?"
        case .delete: question = "Delete “\(name)”? Its job is cancelled and its run history forgotten; this cannot be undone."
        }
        return layout.page(
            title: "Confirm", current: .schedules,
            """
            <form method="post" action="\(path)/\(action.rawValue)" class="confirm">
            \(fields)<input type="hidden" name="confirm" value="yes">
            <p>\(question)</p>
            <div class="buttons"><button type="submit" class="\(action == .delete ? "danger" : "")" autofocus>\(action.label)</button>\
            <a href="\(path)">Cancel</a></div>
            </form>
            """)
    }
}

/// A refusal or failure: what went wrong and where to go.
struct MessagePage {
    var layout: PageLayout
    var title: String
    var message: String

    var html: HTML {
        let back: HTML =
            layout.session == nil
            ? "<p><a href=\"\(layout.base)/sign-in\">Sign in</a></p>" : "<p><a href=\"\(layout.base)/schedules\">Back to the schedules</a></p>"
        return layout.page(title: title, current: nil, "<p class=\"error\" role=\"alert\">\(message)</p>\(back)")
    }
}
