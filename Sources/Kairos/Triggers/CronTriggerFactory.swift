import Foundation

extension TriggerDescription {
    /// Placeholder until the cron engine is merged: cron triggers cannot be rebuilt yet.
    static func makeCronTrigger(_ expression: String, _ timeZone: String, _ start: Date?, _ end: Date?) throws(TriggerError) -> any Trigger {
        throw TriggerError(parameter: "expression", reason: "cron triggers are not available in this build")
    }
}
