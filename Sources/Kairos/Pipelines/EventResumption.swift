/// The output of a wait-for-event step: the value that flowed into the step, and the event that
/// resumed the run.
///
/// ```swift
/// .waitForEvent("approved")
/// .step("publish") { resumed, _ in try await publish(resumed.value, note: resumed.payload) }
/// ```
public struct EventResumption<Value: Codable & Sendable>: Sendable, Codable {
    /// The previous stage's output, passed through the wait unchanged.
    public var value: Value
    /// The event key the run waited for.
    public var event: String
    /// The payload posted with the event, if any.
    public var payload: JSONValue?

    /// Creates a resumption record.
    public init(value: Value, event: String, payload: JSONValue?) {
        self.value = value
        self.event = event
        self.payload = payload
    }
}

extension EventResumption: Equatable where Value: Equatable {}
extension EventResumption: Hashable where Value: Hashable {}
