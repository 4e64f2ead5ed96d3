import Foundation

/// A stored trigger or stored job options that cannot be read back: what was wrong, in words a
/// user can act on (`unknown overlap policy "sometimes"`).
public struct StoredFormError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong, naming the member.
    public var description: String

    /// Describes an unreadable stored form.
    public init(_ description: String) { self.description = description }
}

extension TriggerDescription {
    /// The trigger's stored JSON form, as the state file and the PostgreSQL store keep it:
    /// `{"kind":"interval","seconds":60,"start":T}`, `{"kind":"cron","expression":"0 2 * * *","timeZone":"Europe/Paris"}`,
    /// ... (dates are seconds since 1970; SPEC §"State file format" lists every kind).
    public var jsonValue: JSONValue { SchedulerValueCoding.json(self) }

    /// Reads a trigger's stored JSON form.
    ///
    /// - Throws: ``StoredFormError`` naming the missing or malformed member.
    public init(jsonValue: JSONValue) throws(StoredFormError) {
        do { self = try SchedulerValueCoding.trigger(jsonValue) } catch { throw StoredFormError(error.description) }
    }
}

extension JobOptions {
    /// The options' stored JSON form, as the state file and the PostgreSQL store keep it:
    /// `{"maxRuns":3,"overlap":{"kind":"allowAll","limit":2},"misfire":{"window":60,"mode":"runAll"},"timeout":30}`;
    /// defaults are left out, and `startPaused` (which applies only at creation) is not stored.
    public var jsonValue: JSONValue { SchedulerValueCoding.json(self) }

    /// Reads options' stored JSON form; `null` is the default options.
    ///
    /// - Throws: ``StoredFormError`` naming the missing or malformed member.
    public init(jsonValue: JSONValue) throws(StoredFormError) {
        do { self = try SchedulerValueCoding.options(jsonValue) } catch { throw StoredFormError(error.description) }
    }
}
