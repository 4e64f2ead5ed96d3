/// The output of a wait-for-signal step: the value that flowed into the step, and the signal that
/// resumed the run.
///
/// ```swift
/// .waitForSignal("approved")
/// .step("publish") { resumed, _ in try await publish(resumed.value, note: resumed.payload) }
/// ```
///
/// Its `Codable` form (in checkpoints) names the key `event`, as before the rename.
public struct SignalResumption<Value: Codable & Sendable>: Sendable, Codable {
    /// The previous stage's output, passed through the wait unchanged.
    public var value: Value
    /// The signal key the run waited for.
    public var signal: String
    /// The payload sent with the signal, if any.
    public var payload: JSONValue?

    private enum CodingKeys: String, CodingKey {
        case value, signal = "event", payload
    }

    /// Creates a resumption record.
    public init(value: Value, signal: String, payload: JSONValue?) {
        self.value = value
        self.signal = signal
        self.payload = payload
    }
}

extension SignalResumption: Equatable where Value: Equatable {}
extension SignalResumption: Hashable where Value: Hashable {}
