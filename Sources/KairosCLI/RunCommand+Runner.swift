import Foundation
import Kairos
import KairosPlatform
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The long-running part of `kairos run`: schedules a crontab's jobs, runs their commands, and
/// stops gracefully on SIGTERM or SIGINT.
final class CrontabRunner: Sendable {
    struct Settings: Sendable {
        var crontabPath: String
        var statePath: String?
        var overlapping: Bool
        var stopTimeout: Duration
        var timeZone: TimeZone
        /// Reap orphaned processes (``OrphanReaper``), as a child subreaper unless PID 1.
        var reapOrphans = false
    }

    private struct State {
        /// The current crontab's job lines, by job key (several identical lines share a key).
        var entries: [String: Crontab.Entry] = [:]
        var environment: [String: String] = [:]
        /// The scheduled jobs of each key.
        var jobs: [String: [JobID]] = [:]
    }

    /// The persisted function every crontab job runs; its argument is `{"key": <job key>}`.
    static let functionName = "crontab.command"

    private let settings: Settings
    private let log: RunLog
    private let persistent: PersistentScheduler?
    private let scheduler: Scheduler
    private let state = LockedState(State())
    private let reaper: OrphanReaper?

    init(settings: Settings, log: RunLog) throws(PersistentSchedulerError) {
        self.settings = settings
        self.log = log
        reaper = settings.reapOrphans ? OrphanReaper() : nil
        let configuration = Scheduler.Configuration(
            maxConcurrentJobs: 1024, defaultOverlap: settings.overlapping ? .allowAll(limit: 1024) : .skip)
        if let statePath = settings.statePath {
            let persistent = try PersistentScheduler(stateFile: statePath, configuration: .init(scheduler: configuration))
            self.persistent = persistent
            scheduler = persistent.scheduler
        } else {
            persistent = nil
            scheduler = Scheduler(configuration: configuration)
        }
    }

    /// The identity of a job across restarts and reloads.
    private func key(of entry: Crontab.Entry) -> String {
        entry.key + (settings.overlapping ? "\toverlapping" : "")
    }

    // MARK: Running

    /// Starts the crontab's jobs, runs until SIGTERM or SIGINT, stops gracefully; returns the exit
    /// status.
    func run(_ crontab: Crontab) -> Int32 {
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] { signal(signalNumber, SIG_IGN) }
        SpawnedShell.closeInheritedDescriptorsOnExec()
        let stopped = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "kairos.run.signals")
        let stopOnce = LockedState(false)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [self] in
                let first = stopOnce.withLock { stopping -> Bool in
                    defer { stopping = true }
                    return !stopping
                }
                guard first else { return }
                let name = signalNumber == SIGTERM ? "SIGTERM" : "SIGINT"
                log.event("kairos", "\(name): stopping; waiting up to \(settings.stopTimeout) for running commands")
                Task {
                    let finished = await scheduler.stop(timeout: settings.stopTimeout)
                    if !finished { log.event("kairos", "stop timeout reached: running commands were killed") }
                    // Let killed commands be reaped and their last output logged.
                    for _ in 0..<100 where scheduler.stats.activeRuns > 0 { try? await Task.sleep(for: .milliseconds(10)) }
                    persistent?.close()
                    log.event("kairos", "stopped")
                    stopped.signal()
                }
            }
            source.resume()
            sources.append(source)
        }
        let reload = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        reload.setEventHandler { [self] in self.reload() }
        reload.resume()
        sources.append(reload)
        if let reaper {
            if getpid() == 1 {
                log.event("kairos", "reaping orphaned processes (PID 1)")
            } else if OrphanReaper.becomeChildSubreaper() {
                log.event("kairos", "reaping orphaned processes (child subreaper)")
            } else {
                log.error("kairos", "--reap-orphans: cannot become a child subreaper (Linux only); only orphans re-parented to kairos are reaped")
            }
            sources.append(reaper.start(queue: queue))
        }

        do {
            try start(crontab)
        } catch {
            log.error("kairos", "\(error)")
            return 1
        }
        stopped.wait()
        for source in sources { source.cancel() }
        return 0
    }

    private func start(_ crontab: Crontab) throws(PersistentSchedulerError) {
        state.withLock { state in
            state.environment = crontab.environment
            for entry in crontab.entries { state.entries[key(of: entry)] = entry }
        }
        // Before the scheduler starts: a restart's catch-up reports its missed fires at once.
        _ = scheduler.onEvent { [weak self] event in self?.logFiresNotRun(event) }
        var wanted = wantedCounts(crontab)
        if let persistent {
            // Keep the persisted jobs whose line is still in the crontab; drop the others.
            for job in persistent.persistedJobs where job.function == Self.functionName {
                if case .object(let arguments) = job.arguments, case .string(let key)? = arguments["key"],
                    let count = wanted[key], count > 0
                {
                    wanted[key] = count - 1
                    state.withLock { $0.jobs[key, default: []].append(job.id) }
                } else {
                    try persistent.discardPersistedJob(job.id)
                }
            }
            persistent.register(Self.functionName) { [weak self] context, arguments in
                guard case .object(let object) = arguments, case .string(let key)? = object["key"] else { return }
                try await self?.runJob(key: key, context: context)
            }
            persistent.start()
            let restored = state.withLock { $0.jobs.values.reduce(0) { $0 + $1.count } }
            if restored > 0 { log.event("kairos", "restored \(restored) job(s) from \(persistent.stateFile)") }
        } else {
            scheduler.start()
        }
        for entry in crontab.entries {
            switch entry.schedule {
            case .reboot:
                try schedule(entry, trigger: ManualTrigger(), options: JobOptions(maxRuns: 1, runOnStart: true), persisted: false)
            case .cron:
                let key = key(of: entry)
                guard let count = wanted[key], count > 0 else { continue }
                wanted[key] = count - 1
                try scheduleCron(entry)
            }
        }
        let jobCount = crontab.entries.count
        log.event("kairos", "running \(jobCount) job(s) from \(settings.crontabPath)")
    }

    /// How many jobs each key should have (identical lines give several).
    private func wantedCounts(_ crontab: Crontab) -> [String: Int] {
        var wanted: [String: Int] = [:]
        for entry in crontab.entries where entry.schedule != .reboot { wanted[key(of: entry), default: 0] += 1 }
        return wanted
    }

    private func scheduleCron(_ entry: Crontab.Entry) throws(PersistentSchedulerError) {
        guard case .cron(let expression) = entry.schedule else { return }
        try schedule(entry, trigger: CronTrigger(expression, timeZone: entry.timeZone), options: JobOptions(), persisted: true)
    }

    private func schedule(_ entry: Crontab.Entry, trigger: any Trigger, options: JobOptions, persisted: Bool) throws(PersistentSchedulerError) {
        let key = key(of: entry)
        let id: JobID
        do {
            if let persistent, persisted {
                id = try persistent.schedule(
                    name: entry.label, function: Self.functionName, arguments: ["key": .string(key)],
                    trigger: trigger, options: options)
            } else {
                let body: @Sendable (JobContext) async throws -> Void = { [weak self] context in
                    try await self?.runJob(entry: entry, context: context)
                }
                if let persistent {
                    id = try persistent.scheduleUnpersisted(name: entry.label, trigger: trigger, options: options, body)
                } else {
                    id = try scheduler.schedule(name: entry.label, trigger: trigger, options: options, body)
                }
            }
        } catch let error as PersistentSchedulerError {
            throw error
        } catch let error as SchedulerError {
            throw .scheduler(error)
        } catch {
            throw .scheduler(.invalidOption(option: "trigger", reason: "\(error)"))
        }
        if persisted { state.withLock { $0.jobs[key, default: []].append(id) } }
    }

    private func runJob(key: String, context: JobContext) async throws {
        guard let entry = state.withLock({ $0.entries[key] }) else { return }
        try await runJob(entry: entry, context: context)
    }

    private func runJob(entry: Crontab.Entry, context: JobContext) async throws {
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in state.withLock({ $0.environment }) { environment[name] = value }
        let attempt = context.attempt > 1 ? ", attempt \(context.attempt)" : ""
        log.event(entry.label, "start: \(entry.command) (due \(ISO8601Timestamp.string(for: context.dueDate, in: .gmt))\(attempt))")
        let start = ContinuousClock.now
        let termination = await ShellCommand.run(entry.command, environment: environment, label: entry.label, log: log, reaper: reaper)
        let seconds = (ContinuousClock.now - start).timeInterval
        log.event(entry.label, "\(termination) after \(String(format: "%.3f", seconds)) s")
        if !termination.succeeded { throw CommandFailed(termination: termination) }
    }

    /// Logs the fires that did not run: skipped because the job's previous run was still going
    /// (overlap), or missed (past due by more than the misfire threshold, as after a restart).
    private func logFiresNotRun(_ event: SchedulerEvent) {
        let fires = event.count == 1 ? "1 fire" : "\(event.count) fires"
        let due = event.dueDate.map { ISO8601Timestamp.string(for: $0, in: .gmt) } ?? "?"
        switch event.kind {
        case .overlapSkipped:
            log.event(label(of: event), "skipped \(fires) due \(due): the previous run is still going")
        case .missed:
            log.event(label(of: event), "missed \(fires), the first due \(due): not run")
        default:
            break
        }
    }

    /// The label of the event's job in the current crontab (its line may have moved since the
    /// job was persisted under its old name).
    private func label(of event: SchedulerEvent) -> String {
        state.withLock { state in
            state.jobs.first { $0.value.contains(event.jobID) }.flatMap { state.entries[$0.key]?.label }
        } ?? event.jobName
    }

    // MARK: Reloading

    /// Re-reads the crontab (SIGHUP): new lines are scheduled, removed lines cancelled, changed
    /// environment used from the next run. A crontab with errors is ignored (logged).
    private func reload() {
        let crontab: Crontab
        do {
            let text = try Crontab.read(atPath: settings.crontabPath)
            crontab = try Crontab.parse(text, timeZone: settings.timeZone)
        } catch {
            log.error("kairos", "SIGHUP: the crontab was not reloaded: \(error)")
            return
        }
        var wanted = wantedCounts(crontab)
        let surplus = state.withLock { state -> [JobID] in
            state.environment = crontab.environment
            state.entries = [:]
            for entry in crontab.entries { state.entries[key(of: entry)] = entry }
            var surplus: [JobID] = []
            for (key, ids) in state.jobs {
                let keep = min(ids.count, wanted[key] ?? 0)
                surplus += ids[keep...]
                state.jobs[key] = keep == 0 ? nil : Array(ids[..<keep])
                wanted[key] = (wanted[key] ?? 0) - keep
            }
            return surplus
        }
        for id in surplus {
            if let persistent { _ = try? persistent.cancel(id) } else { scheduler.cancel(id) }
        }
        var added = 0
        for entry in crontab.entries where entry.schedule != .reboot {
            let key = key(of: entry)
            guard let count = wanted[key], count > 0 else { continue }
            wanted[key] = count - 1
            do {
                try scheduleCron(entry)
                added += 1
            } catch {
                log.error(entry.label, "not scheduled: \(error)")
            }
        }
        log.event("kairos", "SIGHUP: reloaded \(settings.crontabPath): \(added) job(s) added, \(surplus.count) removed")
    }
}
