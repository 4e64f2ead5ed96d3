import Foundation
import Testing

@testable import Kairos

/// Triggers decoded through `Codable` are checked as the initializers check them: a stored value
/// out of range is a `DecodingError` naming the parameter, never a trigger that cannot fire.
@Suite(.timeLimit(.minutes(1)))
struct TriggerDecodingTests {
    static let start = Date(timeIntervalSinceReferenceDate: 800_000_000)

    /// `trigger` encoded to JSON, with `change` applied to its top-level object.
    static func json<T: Encodable>(_ trigger: T, _ change: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(trigger)) as? [String: Any])
        change(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// Decodes `data` as `T`, expecting a `DecodingError` whose underlying `TriggerError` names
    /// `parameter`.
    static func expectRefused<T: Decodable>(
        _ type: T.Type, _ data: Data, parameter: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try JSONDecoder().decode(type, from: data)
            Issue.record("decoded an invalid \(type)", sourceLocation: sourceLocation)
        } catch DecodingError.dataCorrupted(let context) {
            let error = context.underlyingError as? TriggerError
            #expect(error?.parameter == parameter, sourceLocation: sourceLocation)
            #expect(context.debugDescription.contains("'\(parameter)'"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aDecodedCronTriggerWithUntilBeforeStartingAtIsRefused() throws {
        let trigger = try CronTrigger("0 * * * *", timeZone: .gmt, startingAt: Self.start, until: Self.start.addingTimeInterval(3600))
        #expect(try JSONDecoder().decode(CronTrigger.self, from: JSONEncoder().encode(trigger)) == trigger)
        let data = try Self.json(trigger) { $0["end"] = Self.start.addingTimeInterval(-1).timeIntervalSinceReferenceDate }
        Self.expectRefused(CronTrigger.self, data, parameter: "until")
    }

    @Test func aDecodedIntervalTriggerWithUntilBeforeStartingAtIsRefused() throws {
        let trigger = try IntervalTrigger(every: .seconds(60), startingAt: Self.start, until: Self.start.addingTimeInterval(600))
        #expect(try JSONDecoder().decode(IntervalTrigger.self, from: JSONEncoder().encode(trigger)) == trigger)
        let data = try Self.json(trigger) { $0["end"] = Self.start.addingTimeInterval(-1).timeIntervalSinceReferenceDate }
        Self.expectRefused(IntervalTrigger.self, data, parameter: "until")
    }

    @Test(arguments: [0.0, -60.0])
    func aDecodedIntervalTriggerWithANonPositiveIntervalIsRefused(seconds: Double) throws {
        let data = try Self.json(try IntervalTrigger(every: .seconds(60))) { $0["interval"] = seconds }
        Self.expectRefused(IntervalTrigger.self, data, parameter: "every")
    }

    @Test(arguments: [0, -3])
    func aDecodedIntervalTriggerWithARepeatCountBelowOneIsRefused(count: Int) throws {
        let data = try Self.json(try IntervalTrigger(every: .seconds(60), repeatCount: 2)) { $0["repeatCount"] = count }
        Self.expectRefused(IntervalTrigger.self, data, parameter: "repeatCount")
    }
}
