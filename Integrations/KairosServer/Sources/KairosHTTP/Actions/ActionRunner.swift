import AsyncHTTPClient
import Foundation
import Kairos

/// Why a shell or webhook action's run failed, as its run record and events say.
struct ActionFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs the server's own actions: registers `kairos.shell` and `kairos.webhook` on the backend,
/// retries as the action's policy says, and reports each attempt to the run records.
struct ActionRunner: Sendable {
    let backend: any ScheduleBackend
    let records: ServerRecords
    let allowedWebhookHosts: Set<String>?
    let outputTailBytes: Int
    let httpClient: HTTPClient

    func register(shell: Bool, webhooks: Bool) async throws {
        if shell {
            try await backend.register(ActionSpec.shellFunction) { context, arguments in
                await learnSchedule(of: context.jobID)
                try await runShell(context, ShellCommand(stored: arguments), retry: RetrySpec(stored: arguments[member: "retry"]))
            }
        }
        if webhooks {
            try await backend.register(ActionSpec.webhookFunction) { context, arguments in
                await learnSchedule(of: context.jobID)
                try await runWebhook(context, WebhookRequest(stored: arguments), retry: RetrySpec(stored: arguments[member: "retry"]))
            }
        }
    }

    /// Reads the keys of the backend's jobs when `job` is not one this server knows: a store
    /// shared by several servers runs jobs that another server created.
    private func learnSchedule(of job: JobID) async {
        guard records.schedule(of: job) == nil, let keys = try? await backend.keyedJobs() else { return }
        records.setSchedules(keys)
    }

    /// The variables every shell action gets besides the server's environment and its own.
    func runEnvironment(_ context: JobContext, attempt: Int) -> [String: String] {
        [
            "KAIROS_JOB_ID": context.jobID.description,
            "KAIROS_SCHEDULE_ID": records.schedule(of: context.jobID) ?? "",
            "KAIROS_IDEMPOTENCY_KEY": context.idempotencyKey,
            "KAIROS_DUE_DATE": ISO8601.format(context.dueDate),
            "KAIROS_ATTEMPT": String(attempt),
        ]
    }

    private func runShell(_ context: JobContext, _ command: ShellCommand, retry: RetrySpec?) async throws {
        try await attempts(context, retry: retry) { attempt in
            let environment = ProcessInfo.processInfo.environment
                .merging(command.environment) { $1 }
                .merging(runEnvironment(context, attempt: attempt)) { $1 }
            let result = try await ShellProcess.run(
                command: command.command, workingDirectory: command.workingDirectory, environment: environment, tailLimit: outputTailBytes)
            records.report(
                ActionReport(attempt: attempt, exitStatus: result.exitStatus, outputTail: result.outputTail),
                job: context.jobID, dueDate: context.dueDate)
            return result.exitStatus == 0 ? nil : "exit status \(result.exitStatus)"
        }
    }

    private func runWebhook(_ context: JobContext, _ request: WebhookRequest, retry: RetrySpec?) async throws {
        do {
            try WebhookRequest.checkURL(request.url, field: "action.url", allowedHosts: allowedWebhookHosts)
        } catch {
            throw ActionFailure(description: error.detail)
        }
        try await attempts(context, retry: retry) { attempt in
            let headers = [
                ("Kairos-Job-ID", context.jobID.description), ("Kairos-Due-Date", ISO8601.format(context.dueDate)),
                ("Kairos-Attempt", String(attempt)),
            ]
            do {
                let result = try await WebhookCall.send(
                    request, idempotencyKey: context.idempotencyKey, extraHeaders: headers, client: httpClient, tailLimit: outputTailBytes)
                records.report(
                    ActionReport(attempt: attempt, httpStatus: result.status, outputTail: result.bodyTail), job: context.jobID,
                    dueDate: context.dueDate)
                return (200..<300).contains(result.status) ? nil : "HTTP status \(result.status)"
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                records.report(ActionReport(attempt: attempt), job: context.jobID, dueDate: context.dueDate)
                if Task.isCancelled { throw CancellationError() }
                return "request failed: \(error)"
            }
        }
    }

    /// Runs `attempt` until it succeeds (returns `nil`) or the policy's attempts are spent; throws
    /// the last failure.
    private func attempts(_ context: JobContext, retry: RetrySpec?, _ attempt: (Int) async throws -> String?) async throws {
        let count = retry?.maxAttempts ?? 1
        var failure = ""
        for index in 0..<count {
            try Task.checkCancellation()
            guard let reason = try await attempt(context.attempt + index) else { return }
            failure = reason
            try Task.checkCancellation()
            if index + 1 < count, let delay = retry?.delay, delay > .zero { try await backend.sleep(for: delay) }
        }
        throw ActionFailure(description: count > 1 ? "\(failure) (after \(count) attempts)" : failure)
    }
}
