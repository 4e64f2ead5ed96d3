/// What a read-write session can do to a schedule from its page.
enum DashboardAction: String, Sendable, CaseIterable {
    case pause, resume, trigger, delete

    /// The confirming button's label.
    var label: String {
        switch self {
        case .pause: "Pause"
        case .resume: "Resume"
        case .trigger: "Trigger now"
        case .delete: "Delete"
        }
    }

    /// The line shown on the schedule's page (or the list, after a delete) once it is done.
    var doneNotice: String {
        switch self {
        case .pause: "Paused."
        case .resume: "Resumed."
        case .trigger: "Triggered: a run starts now."
        case .delete: "Deleted."
        }
    }
}
