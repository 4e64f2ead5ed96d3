import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

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
        /// The acknowledgements the rounds killed in the work waited for before killing: a floor
        /// for what is checked, the same on a slow machine as on a fast one.
        var awaitedAcknowledgements = 0
        var loads: [Double] = []
    }

    /// When a round kills its child, timed from what the child wrote rather than from a
    /// wall-clock budget, so that a slow build (TSan) is killed at the same points as a fast one.
    enum KillPoint {
        /// During start-up (opening, restoring): `delay` seconds after launch, less than the last
        /// child took to write `READY`.
        case startUp(delay: TimeInterval)
        /// In the loop of changes: after the `acknowledgements`-th acknowledged change following
        /// `READY`, plus `fraction` (0..<1) of the mean time between two acknowledgements, so the
        /// kill lands anywhere in the next operation, not only between two.
        case work(acknowledgements: Int, fraction: Double)
    }

    /// What a killed child wrote, and how long it took to get ready.
    struct ChildLog {
        var text: String
        var readyAfter: TimeInterval?
    }

    /// The acknowledgement lines of the child's protocol (see `Tests/KairosCrashChild`).
    static let acknowledgementOperations: Set<Substring> = ["S", "C", "P", "R", "D", "A", "N", "L", "X", "G"]

    /// Reads the child's output as it comes, kills the child with SIGKILL at `point`, and returns
    /// everything it wrote. Blocking: run it through `blockingWork`.
    static func kill(_ process: Process, launchedAt launch: Date, output: Pipe, at point: KillPoint) -> ChildLog {
        let descriptor = output.fileHandleForReading.fileDescriptor
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var lineStart = 0
        var readyAt: Date?
        var acknowledged = 0
        var killed = false
        if case .startUp(let delay) = point {
            usleep(UInt32(delay * 1_000_000))
            Foundation.kill(process.processIdentifier, SIGKILL)
            killed = true
        }
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: buffer[0..<count])
            while let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: bytes[lineStart..<newline], as: UTF8.self)
                lineStart = newline + 1
                if readyAt == nil, line == "READY" { readyAt = Date() }
                guard readyAt != nil, let operation = line.split(separator: " ").first,
                    acknowledgementOperations.contains(operation)
                else { continue }
                acknowledged += 1
                guard !killed, case .work(let target, let fraction) = point, acknowledged >= target, let readyAt else { continue }
                let meanGap = Date().timeIntervalSince(readyAt) / Double(acknowledged)
                usleep(UInt32(min(fraction * meanGap, 1) * 1_000_000))
                Foundation.kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        // End of output without a kill: the child exited on its own (the caller reports it).
        process.waitUntilExit()
        return ChildLog(text: String(decoding: bytes, as: UTF8.self), readyAfter: readyAt.map { $0.timeIntervalSince(launch) })
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
        var lastReadyAfter: TimeInterval?

        for round in 0..<kills {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: child)
            process.arguments = [path, String(UInt64.random(in: 0..<UInt64.max, using: &generator))]
            let output = Pipe()
            process.standardOutput = output
            // One kill in eight lands in start-up (opening and restoring the state), timed as a
            // part of the last start-up; the others after 1 to 12 acknowledged changes.
            let point: KillPoint
            if let lastReadyAfter, Int.random(in: 0..<8, using: &generator) == 0 {
                point = .startUp(delay: Double.random(in: 0..<1, using: &generator) * lastReadyAfter)
            } else {
                let target = Int.random(in: 1...12, using: &generator)
                figures.awaitedAcknowledgements += target
                point = .work(acknowledgements: target, fraction: Double.random(in: 0..<1, using: &generator))
            }
            let launch = Date()
            try process.run()
            let childLog = try await blockingWork { Self.kill(process, launchedAt: launch, output: output, at: point) }
            let log = childLog.text
            lastReadyAfter = childLog.readyAfter ?? lastReadyAfter
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
                    #expect(
                        job.history.contains { $0.dueDate == due && $0.state == .succeeded },
                        "round \(round): root \(root) ran for \(due) (acknowledged) but its history does not say so")
                }
            }
        }
        let loads = figures.loads.sorted()
        print(
            """
            crash test: \(figures.kills) SIGKILLs, \(figures.killedBeforeReady) before the child was ready, \
            \(figures.awaitedAcknowledgements) acknowledgements awaited before a kill, \
            \(figures.acknowledged) acknowledged changes checked, \(model.count) jobs tracked, \
            \(figures.acknowledgedDAG) acknowledged DAG changes, \(dagModel.count) DAG jobs and \(finishedDAGRuns.count) DAG runs tracked; \
            state load after kill: median \(String(format: "%.1f", loads[loads.count / 2] * 1000)) ms, \
            max \(String(format: "%.1f", (loads.last ?? 0) * 1000)) ms
            """)
        #expect(figures.kills == kills)
        #expect(
            figures.acknowledged + figures.acknowledgedDAG >= figures.awaitedAcknowledgements,
            "every kill in the work came after the acknowledgements it waited for")
        #expect(figures.acknowledged > 0, "the children changed jobs")
        #expect(figures.acknowledgedDAG > 0, "the children changed the graph")
    }
}
