import Foundation
import Testing

@testable import Kairos

/// The policy and status types are structs that can grow without breaking clients: the spellings
/// of the enums they replace still compile and match, and their coded forms are unchanged.
@Suite(.timeLimit(.minutes(1))) struct ExtensiblePolicyTests {
    /// What a client's `switch` written against the former enum still does.
    private func describe(_ policy: OverlapPolicy) -> String {
        switch policy {
        case .skip: "skip"
        case .bufferAll(limit: 3): "three buffered"
        case .cancelOther: "cancel"
        default: "other \(policy)"
        }
    }

    @Test func aSwitchMatchesTheStaticMembers() {
        #expect(describe(.skip) == "skip")
        #expect(describe(.bufferAll(limit: 3)) == "three buffered")
        #expect(describe(.bufferAll(limit: 4)) == "other bufferAll(limit: 4)")
        #expect(describe(.cancelOther) == "cancel")
        #expect(describe(.allowAll(limit: 2)) == "other allowAll(limit: 2)")
        let mode: MisfirePolicy.Mode = .runAll
        switch mode {
        case .runLatest, .runEarliest: Issue.record("matched the wrong mode")
        case .runAll: break
        default: Issue.record("matched no mode")
        }
    }

    /// The JSON that `Codable` wrote for the former enums, which stored options may hold.
    static let codedForms: [(OverlapPolicy, String)] = [
        (.skip, #"{"skip":{}}"#), (.bufferOne, #"{"bufferOne":{}}"#), (.bufferAll(limit: 3), #"{"bufferAll":{"limit":3}}"#),
        (.cancelOther, #"{"cancelOther":{}}"#), (.allowAll(limit: 7), #"{"allowAll":{"limit":7}}"#),
    ]

    @Test(arguments: codedForms)
    func anOverlapPolicyKeepsItsCodedForm(_ policy: OverlapPolicy, json: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(policy), as: UTF8.self) == json)
        #expect(try JSONDecoder().decode(OverlapPolicy.self, from: Data(json.utf8)) == policy)
        #expect(OverlapPolicy(name: policy.name, limit: policy.limit) == policy)
    }

    @Test(arguments: [#"{"sometimes":{}}"#, #"{"bufferAll":{}}"#, #"{}"#, #"{"skip":{},"bufferOne":{}}"#])
    func anUnknownOrIncompleteOverlapPolicyIsADecodingError(_ json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OverlapPolicy.self, from: Data(json.utf8)) }
    }

    @Test func modesAndStatusesAreCodedAsTheirNames() throws {
        let policy = MisfirePolicy(catchUpWindow: .seconds(5), mode: .runEarliest)
        let json = String(decoding: try JSONEncoder().encode(policy), as: UTF8.self)
        #expect(json.contains(#""mode":"runEarliest""#))
        #expect(try JSONDecoder().decode(MisfirePolicy.self, from: Data(json.utf8)) == policy)
        #expect(["runLatest", "runEarliest", "runAll"].compactMap(MisfirePolicy.Mode.init(rawValue:)) == [.runLatest, .runEarliest, .runAll])
        #expect(MisfirePolicy.Mode(rawValue: "runSometimes") == nil)
        #expect(String(decoding: try JSONEncoder().encode([JobStatus.paused]), as: UTF8.self) == #"["paused"]"#)
        #expect(try JSONDecoder().decode([JobStatus].self, from: Data(#"["failed"]"#.utf8)) == [.failed])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([JobStatus].self, from: Data(#"["lost"]"#.utf8)) }
        #expect(JobStatus.allCases.map(\.rawValue) == ["pending", "running", "paused", "completed", "failed", "cancelled"])
        #expect(JobStatus.allCases.filter(\.isFinished) == [.completed, .failed, .cancelled])
    }

    /// Event kinds keep the former enum's spellings, names and order.
    @Test func eventKindsMatchAndNameAsTheFormerEnum() {
        func describe(_ kind: SchedulerEvent.Kind) -> String {
            switch kind {
            case .fired: "fired"
            case .missed, .overlapSkipped: "not run"
            default: "other \(kind)"
            }
        }
        #expect(describe(.fired) == "fired")
        #expect(describe(.overlapSkipped) == "not run")
        #expect(describe(.timedOut) == "other timedOut")
        #expect(SchedulerEvent.Kind(rawValue: "runCancelled") == .runCancelled)
        #expect(SchedulerEvent.Kind(rawValue: "exploded") == nil)
        #expect(
            SchedulerEvent.Kind.allCases.map(\.rawValue) == [
                "scheduled", "fired", "started", "succeeded", "failed", "timedOut", "runCancelled", "missed", "overlapSkipped",
                "bufferDropped", "paused", "resumed", "rescheduled", "completed", "cancelled",
            ])
    }
}
