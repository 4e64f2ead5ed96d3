import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

/// A program that declares its durable schedules at every start-up (the README's example) keeps
/// one job per key across real restarts: the child process (`KairosCrashChild --declare`) is run
/// three times on one state file, each time a new process that opens, restores, declares and exits.
@Suite("Declared schedules across real restarts", .serialized, .timeLimit(.minutes(1)))
struct DeclaredSchedulesRestartTests {
    /// Runs the child once and returns its output lines.
    static func runChild(_ child: String, mode: String = "--declare", stateFile: String, extra: [String] = []) async throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: child)
        process.arguments = [mode, stateFile] + extra
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = try await blockingWork {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(process.terminationStatus == 0, "\(text)")
        return text.split(separator: "\n").map(String.init)
    }

    @Test func declaringTheSameSchedulesAtEveryStartKeepsOneJobPerKeyWithItsCountersAndDueDates() async throws {
        let child = try #require(builtExecutable("KairosCrashChild"), "the KairosCrashChild executable is built by swift test")
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stateFile = directory + "/schedule.json"

        let first = try await Self.runChild(child, stateFile: stateFile, extra: ["--run-manual"])
        #expect(first.last == "COUNT 3", "\(first)")
        #expect(first.contains { $0.hasPrefix("J on-demand ") && $0.hasSuffix(" 1") }, "the manual job ran once: \(first)")
        #expect(first.contains { $0.hasPrefix("J hourly-sync ") && !$0.contains(" - ") }, "the interval job has a next due date: \(first)")
        for restart in 1...2 {
            let again = try await Self.runChild(child, stateFile: stateFile)
            #expect(again == first, "restart \(restart): the jobs, their IDs, counters and next due dates are unchanged")
        }
        let store = try StateStore(path: stateFile)
        defer { store.close() }
        #expect(store.document.jobs.count == 3)
        #expect(Set(store.document.jobKeys.keys) == ["weekly-report", "hourly-sync", "on-demand"])
    }

    /// The same for a durable DAG declared by key (`--declare-dag`): the first process declares
    /// extract → clean → load and runs one DAG run; each restart finds the same jobs, IDs, edges
    /// and run history, and adds nothing.
    @Test func declaringTheSameDAGAtEveryStartKeepsOneDAGJobPerKeyWithItsEdgesAndRuns() async throws {
        let child = try #require(builtExecutable("KairosCrashChild"), "the KairosCrashChild executable is built by swift test")
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stateFile = directory + "/dag.json"

        let first = try await Self.runChild(child, mode: "--declare-dag", stateFile: stateFile, extra: ["--fire"])
        #expect(first.last == "COUNT 3", "\(first)")
        #expect(first.filter { $0.hasPrefix("D ") && $0.contains("succeeded@") }.count == 3, "the DAG run ran every job: \(first)")
        for restart in 1...2 {
            let again = try await Self.runChild(child, mode: "--declare-dag", stateFile: stateFile)
            #expect(again == first, "restart \(restart): the DAG jobs, their IDs, edges and runs are unchanged")
        }
        let store = try StateStore(path: stateFile)
        defer { store.close() }
        #expect(store.document.dag.jobs.count == 3)
        #expect(Set(store.document.jobKeys.keys) == ["etl.extract", "etl.clean", "etl.load"])
    }
}
