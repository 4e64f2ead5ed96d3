import Foundation
import Testing
@testable import Kairos
import KairosTestSupport

/// Real crashes: a child process (`Tests/KairosCrashChild`) schedules, cancels, pauses, resumes
/// and completes jobs on a real state file and is killed with SIGKILL at a random moment, over
/// and over on the same file. After each kill the state must load and hold every change the
/// child had acknowledged (logged after the call returned).
@Suite("Crash test with SIGKILL", .serialized, .timeLimit(.minutes(10)))
struct PersistenceCrashTests {
    /// What the acknowledged changes say of one job.
    enum Expected: Equatable {
        case absent
        /// Present; `paused` and `completed` are checked only when known.
        case present(paused: Bool?, completed: Bool)
        /// An operation on it was under way at the kill: it may or may not have happened.
        case uncertain
    }

    /// What the acknowledged changes say of one DAG job.
    enum ExpectedDAGJob: Equatable {
        case absent
        /// Present, with at least these upstream jobs.
        case present(upstream: Set<JobID>)
        case uncertain
    }

    struct Figures {
        var kills = 0
        var acknowledged = 0
        var acknowledgedDAG = 0
        var killedBeforeReady = 0
        var loads: [Double] = []
    }

    @Test func everyAcknowledgedChangeSurvivesSIGKILL() async throws {
        let kills = Int(ProcessInfo.processInfo.environment["KAIROS_CRASH_KILLS"] ?? "") ?? 200
        let child = try #require(builtExecutable("KairosCrashChild"), "the KairosCrashChild executable is built by swift test")
        let directory = StateFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        var model: [JobID: Expected] = [:]
        var dagModel: [JobID: ExpectedDAGJob] = [:]
        var finishedDAGRuns: [(root: JobID, due: Date)] = []
        var figures = Figures()
        var generator = SystemRandomNumberGenerator()

        for round in 0..<kills {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: child)
            process.arguments = [path, String(UInt64.random(in: 0..<UInt64.max, using: &generator))]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            // Kill at a random moment: during start-up, restore or the loop of changes.
            let delay = UInt32.random(in: 2_000...120_000, using: &generator)
            let log = try await blockingWork {
                usleep(delay)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            }
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): the child exited on its own: \(log.suffix(300))")
            figures.kills += 1

            let lines = log.split(separator: "\n").map(String.init)
            if !lines.contains("READY") { figures.killedBeforeReady += 1 }
            #expect(!lines.contains { $0.hasPrefix("E ") }, "round \(round): \(lines.filter { $0.hasPrefix("E ") })")
            var pendingOperation: (String, JobID?)?
            for line in lines {
                let words = line.split(separator: " ").map(String.init)
                guard let operation = words.first else { continue }
                if operation == "B" {
                    pendingOperation = (words[1], words.count > 2 ? JobID(rawValue: UInt64(words[2])!) : nil)
                    continue
                }
                if ["A", "N", "L", "X", "G"].contains(operation), words.count >= 2, let number = UInt64(words[1]) {
                    let id = JobID(rawValue: number)
                    let other = words.count > 2 ? UInt64(words[2]).map(JobID.init(rawValue:)) : nil
                    figures.acknowledgedDAG += 1
                    switch operation {
                    case "A":
                        dagModel[id] = .present(upstream: [])
                        // A "G" operation goes on after its root is acknowledged.
                        if pendingOperation?.0 != "G" { pendingOperation = nil }
                        continue
                    case "N": dagModel[id] = .present(upstream: [other!])
                    case "L":
                        if case .present(let upstream) = dagModel[id] { dagModel[id] = .present(upstream: upstream.union([other!])) }
                    case "X": dagModel[id] = .absent
                    default: finishedDAGRuns.append((id, Date(timeIntervalSince1970: Double(words[2])!)))
                    }
                    pendingOperation = nil
                    continue
                }
                guard ["S", "C", "P", "R", "D"].contains(operation), words.count == 2, let number = UInt64(words[1]) else { continue }
                let id = JobID(rawValue: number)
                figures.acknowledged += 1
                pendingOperation = nil
                switch operation {
                case "S": model[id] = .present(paused: false, completed: false)
                case "C": model[id] = .absent
                case "P": model[id] = .present(paused: true, completed: false)
                case "R": model[id] = .present(paused: false, completed: false)
                default: model[id] = .present(paused: nil, completed: true)
                }
            }
            if let (operation, id) = pendingOperation {
                if ["L", "X"].contains(operation), let id { dagModel[id] = .uncertain } else if let id { model[id] = .uncertain }
            }

            let start = Date()
            let store: StateStore
            do {
                store = try StateStore(path: path)
            } catch {
                Issue.record("round \(round): the state does not load after SIGKILL: \(error)")
                return
            }
            figures.loads.append(Date().timeIntervalSince(start))
            let document = store.document
            store.close()
            for (id, expected) in model {
                let job = document.jobs[id]
                switch expected {
                case .absent:
                    #expect(job == nil, "round \(round): job \(id) was cancelled (acknowledged) but is in the state")
                case .present(let paused, let completed):
                    guard let job else {
                        Issue.record("round \(round): job \(id) was acknowledged but is missing")
                        continue
                    }
                    if let paused { #expect((job.status == "paused") == paused, "round \(round): job \(id) status \(job.status)") }
                    if completed {
                        #expect(job.status == "completed" && job.counters.runs >= 1, "round \(round): job \(id) completed but is \(job.status)")
                    }
                case .uncertain:
                    // Whatever the restart recovered is now the truth.
                    model[id] = job == nil ? .absent : .present(paused: nil, completed: false)
                }
            }
            // Jobs whose scheduling was under way at a kill, recovered: known from now on.
            for id in document.jobs.keys where model[id] == nil { model[id] = .present(paused: nil, completed: false) }
            for (id, expected) in dagModel {
                let job = document.dag.jobs[id]
                switch expected {
                case .absent:
                    #expect(job == nil, "round \(round): DAG job \(id) was removed (acknowledged) but is in the state")
                case .present(let upstream):
                    guard let job else {
                        Issue.record("round \(round): DAG job \(id) was acknowledged but is missing")
                        continue
                    }
                    #expect(Set(job.upstream).isSuperset(of: upstream), "round \(round): DAG job \(id) lost an edge")
                case .uncertain:
                    dagModel[id] = job.map { .present(upstream: Set($0.upstream)) } ?? .absent
                }
            }
            for id in document.dag.jobs.keys where dagModel[id] == nil { dagModel[id] = .present(upstream: Set(document.dag.jobs[id]!.upstream)) }
            for (root, due) in finishedDAGRuns {
                #expect(document.dag.runs[due] == nil, "round \(round): the DAG run for \(due) finished (acknowledged) but is in progress")
                if let job = document.dag.jobs[root] {
                    #expect(job.history.contains { $0.dueDate == due && $0.state == .succeeded },
                            "round \(round): root \(root) ran for \(due) (acknowledged) but its history does not say so")
                }
            }
        }
        let loads = figures.loads.sorted()
        print("""
            crash test: \(figures.kills) SIGKILLs, \(figures.killedBeforeReady) before the child was ready, \
            \(figures.acknowledged) acknowledged changes checked, \(model.count) jobs tracked, \
            \(figures.acknowledgedDAG) acknowledged DAG changes, \(dagModel.count) DAG jobs and \(finishedDAGRuns.count) DAG runs tracked; \
            state load after kill: median \(String(format: "%.1f", loads[loads.count / 2] * 1000)) ms, \
            max \(String(format: "%.1f", (loads.last ?? 0) * 1000)) ms
            """)
        #expect(figures.kills == kills)
        #expect(figures.acknowledged > kills, "the children got work done between kills")
        #expect(figures.acknowledgedDAG > 0, "the children changed the graph")
    }
}
