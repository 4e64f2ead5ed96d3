import Foundation
import Testing

@testable import Kairos

@Suite("Stored JSON values: job arguments kept as their bytes", .timeLimit(.minutes(1)))
struct StoredJSONValueTests {
    static func snapshot(arguments: String) -> Data {
        let job = #"{"id":1,"name":"j","function":"f","arguments":\#(arguments),"trigger":{"kind":"manual"},"status":"pending"}"#
        return Data(#"{"format":"kairos-state","version":1,"sequence":0,"nextJobID":2,"jobs":[\#(job)]}"#.utf8)
    }

    /// Arguments are not built when read, but they are checked as strictly as any other value:
    /// damaged ones make the snapshot corrupt, with the byte where the problem is.
    @Test(arguments: [
        #"{"a":1,}"#, "[1 2]", #""\x""#, "1e999", #""\uD800""#, "\"a\u{01}\"", "tru", "{\"a\"", "-",
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func damagedArgumentsAreRefused(arguments: String) {
        #expect {
            _ = try StateFileFormat.decodeSnapshot(Self.snapshot(arguments: arguments), file: "s.json")
        } throws: { error in
            guard case .corruptSnapshot(_, let reason) = error as? PersistenceError else { return false }
            return reason.hasPrefix("at byte ")
        }
    }

    @Test func argumentsReadAsBytesAreTheValueTheyHold() throws {
        let text = #" { "to" : [ "ops@example.com", "\u00e9\n" ], "n": -1.5e3, "ok": true, "none": null } "#
        let document = try StateFileFormat.decodeSnapshot(Self.snapshot(arguments: text), file: "s.json")
        let job = try #require(document.jobs[JobID(rawValue: 1)])
        let expected: JSONValue = ["to": ["ops@example.com", "é\n"], "n": -1500, "ok": true, "none": nil]
        #expect(job.arguments == expected)
        #expect(job.storedArguments == StoredJSONValue(expected))
        #expect(job.storedArguments.hashValue == StoredJSONValue(expected).hashValue)
        // Written back as read, and read again to the same value.
        let again = try StateFileFormat.decodeSnapshot(StateFileFormat.encodeSnapshot(document), file: "s.json")
        #expect(again == document)
        #expect(again.jobs[JobID(rawValue: 1)]?.arguments == expected)
    }

    @Test func equalValuesAreEqualWhateverTheirBytes() throws {
        let spaced = try StateFileFormat.decodeSnapshot(Self.snapshot(arguments: #"{ "a": 1, "b": [2] }"#), file: "s.json")
        let compact = try StateFileFormat.decodeSnapshot(Self.snapshot(arguments: #"{"b":[2.0],"a":1}"#), file: "s.json")
        let other = try StateFileFormat.decodeSnapshot(Self.snapshot(arguments: #"{"a":1,"b":[3]}"#), file: "s.json")
        let id = JobID(rawValue: 1)
        #expect(spaced.jobs[id]?.storedArguments == compact.jobs[id]?.storedArguments)
        #expect(spaced.jobs[id]?.storedArguments.hashValue == compact.jobs[id]?.storedArguments.hashValue)
        #expect(spaced.jobs[id]?.storedArguments != other.jobs[id]?.storedArguments)
    }

    /// A restored job's run gets the arguments the state file holds.
    @Test func aRestoredJobRunsWithItsStoredArguments() async throws {
        let directory = NSTemporaryDirectory() + "kairos-stored-arguments-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let arguments: JSONValue = ["customer": 42, "report": "weekly", "tags": ["a", "b"]]
        do {
            let first = try PersistentScheduler(stateFile: path)
            first.register("work") { _, _ in }
            try first.schedule(name: "job", function: "work", arguments: arguments, trigger: ManualTrigger())
            try first.store.compact()
            first.close()
        }
        let second = try PersistentScheduler(stateFile: path)
        let received = AsyncStream<JSONValue>.makeStream()
        second.register("work") { _, arguments in received.continuation.yield(arguments) }
        second.start()
        let id = try #require(second.jobs().first?.id)
        _ = try await second.scheduler.runNow(id)
        var iterator = received.stream.makeAsyncIterator()
        #expect(await iterator.next() == arguments)
        await second.stop()
        second.close()
    }
}
