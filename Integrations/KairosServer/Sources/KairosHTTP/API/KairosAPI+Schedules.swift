import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Kairos

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}

/// The schedule routes.
extension KairosAPI {
    /// The most next fire times a `GET` shows.
    static let maximumNextFireTimes = 100
    /// The largest page of a list.
    static let maximumPageSize = 500

    func create(_ request: Request) async throws -> Response {
        guard let body = try await jsonBody(request) else { throw Problem.invalid("body", "is required: a schedule as JSON") }
        let idempotencyKey = try Self.idempotencyKey(request)
        let schedule = try ScheduleRequest.create(body, now: backend.now, allowedWebhookHosts: configuration.allowedWebhookHosts)
        try checkAllowed(schedule.action)
        guard let idempotencyKey else {
            let id = "s-" + UUID().uuidString.lowercased()
            return try await declareNew(schedule, id: id)
        }
        let digest = Self.digest(body)
        let id = "i-" + idempotencyKey
        return try await gate.withGate(id) {
            if let stored = idempotency.digest(forKey: idempotencyKey), stored != digest {
                throw Problem(
                    status: .unprocessableContent, title: "Idempotency-Key reused",
                    detail: "this Idempotency-Key was used with a different request", field: "Idempotency-Key")
            }
            if try await backend.jobID(forKey: id) != nil {
                var response = JSONResponse.make(.ok, try await resource(id).json)
                response.headers[.idempotentReplayed] = "true"
                response.headers[.location] = "/v1/schedules/\(id)"
                return response
            }
            if idempotency.digest(forKey: idempotencyKey) != nil {
                throw Problem.conflict("the schedule created with this Idempotency-Key was deleted", field: "Idempotency-Key")
            }
            if let failure = idempotency.failure { throw failure }
            // The schedule first: a crash before the digest is durable leaves a schedule that a
            // replay finds (and answers with), never a digest whose replay would say "deleted".
            let response = try await declareNew(schedule, id: id)
            try await idempotency.record(digest, forKey: idempotencyKey)
            return response
        }
    }

    private func declareNew(_ schedule: ScheduleRequest, id: String) async throws -> Response {
        let job = try await backend.declare(
            key: id, name: schedule.name, function: schedule.action.function,
            arguments: schedule.action.arguments(retry: schedule.options.retry), trigger: try schedule.jobTrigger(),
            options: schedule.jobOptions)
        records.setSchedule(id, for: job)
        let created = try await resource(id).rendered
        var headers = HTTPFields()
        headers[.location] = "/v1/schedules/\(id)"
        headers[.eTag] = created.etag
        return JSONResponse.make(.created, created.json, headers: headers)
    }

    func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var status: JobStatus?
        if let text = query["status"].map(String.init) {
            guard let parsed = JobStatus(rawValue: text) else {
                throw Problem.invalid("status", "\"\(text)\" is not one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        let limit = try Self.integer(query["limit"].map(String.init), "limit", in: 1...Self.maximumPageSize) ?? 50
        var after: String?
        if let cursor = query["cursor"].map(String.init) {
            guard let data = Data(base64URL: cursor), let key = String(data: data, encoding: .utf8) else {
                throw Problem.invalid("cursor", "is not a cursor this server returned")
            }
            after = key
        }
        let keys = try await backend.keyedJobs()
        records.setSchedules(keys)
        var page: [JSONValue] = []
        var last: String?
        var more = false
        for key in keys.keys.sorted() where after.map({ key > $0 }) ?? true {
            guard let found = try? await resource(key, nextCount: 1) else { continue }
            if let status, found.state?.status != status { continue }
            if page.count == limit {
                more = true
                break
            }
            page.append(found.json)
            last = key
        }
        var object: [String: JSONValue] = ["schedules": .array(page)]
        object["nextCursor"] = more ? .string(Data(last!.utf8).base64URL) : .null
        return JSONResponse.ok(.object(object))
    }

    func get(_ request: Request, id: String) async throws -> Response {
        let count = try Self.integer(request.uri.queryParameters["next"].map(String.init), "next", in: 0...Self.maximumNextFireTimes) ?? 5
        let found = try await resource(id, nextCount: count).rendered
        var headers = HTTPFields()
        headers[.eTag] = found.etag
        return JSONResponse.ok(found.json, headers: headers)
    }

    func update(_ request: Request, id: String) async throws -> Response {
        guard let body = try await jsonBody(request) else { throw Problem.invalid("body", "is required: the fields to change") }
        return try await gate.withGate(id) {
            let current = try await resource(id)
            guard let state = current.state else {
                throw Problem.conflict("the schedule's function \"\(current.declaration.function)\" is not registered here, so it cannot be changed")
            }
            var schedule = try ScheduleRequest(declaration: current.declaration, state: state)
            try schedule.update(with: body, now: backend.now, allowedWebhookHosts: configuration.allowedWebhookHosts)
            if let condition = request.headers[.ifMatch], !Self.matches(condition, current.etag) {
                throw Problem(
                    status: .preconditionFailed, title: "Precondition failed",
                    detail: "the schedule changed since that ETag (now \(current.etag)); read it again", field: "If-Match")
            }
            try checkAllowed(schedule.action)
            var options = schedule.jobOptions
            options.startPaused = false
            let job = try await backend.declare(
                key: id, name: schedule.name, function: schedule.action.function,
                arguments: schedule.action.arguments(retry: schedule.options.retry), trigger: try schedule.jobTrigger(), options: options)
            records.setSchedule(id, for: job)
            let updated = try await resource(id).rendered
            var headers = HTTPFields()
            headers[.eTag] = updated.etag
            return JSONResponse.ok(updated.json, headers: headers)
        }
    }

    func delete(id: String) async throws -> Response {
        try await deleteSchedule(id)
        return Response(status: .noContent)
    }

    func pause(_ request: Request, id: String) async throws -> Response {
        var note: String?
        if let body = try await jsonBody(request) {
            var fields = try JSONFields(body, path: "")
            note = try fields.string("note")
            try fields.finish()
        }
        try await pauseSchedule(id, note: note)
        return JSONResponse.ok(try await resource(id).json)
    }

    func resume(_ request: Request, id: String) async throws -> Response {
        var catchUp = true
        if let body = try await jsonBody(request) {
            var fields = try JSONFields(body, path: "")
            catchUp = try fields.bool("catchUp") ?? true
            try fields.finish()
        }
        try await resumeSchedule(id, catchingUp: catchUp)
        return JSONResponse.ok(try await resource(id).json)
    }

    func trigger(id: String) async throws -> Response {
        let job = try await triggerSchedule(id)
        return JSONResponse.make(.accepted, ["schedule": .string(id), "jobID": .string(job.description)])
    }

    func runs(_ request: Request, id: String) async throws -> Response {
        guard let job = try await backend.jobID(forKey: id) else { throw Problem.notFound("no schedule with ID \"\(id)\"") }
        let limit = try Self.integer(request.uri.queryParameters["limit"].map(String.init), "limit", in: 1...Self.maximumPageSize) ?? 50
        guard let stored = try await backend.storedRuns(of: job, schedule: id, limit: limit) else {
            let finished = records.history(of: id).prefix(limit)
            return JSONResponse.ok([
                "runs": .array(finished.map(\.json)), "active": .array(records.activeRuns(of: id).map(\.json)),
            ])
        }
        let runs = records.addingActionReports(to: stored)
        return JSONResponse.ok([
            "runs": .array(runs.filter { $0.outcome != .running }.map(\.json)),
            "active": .array(runs.filter { $0.outcome == .running }.map(\.json)),
        ])
    }

    func activeRuns() async throws -> Response {
        let runs = try await backend.storedActiveRuns().map(records.addingActionReports) ?? records.activeRuns()
        return JSONResponse.ok(["runs": .array(runs.map(\.json))])
    }

    func postEvent(_ request: Request, key: String) async throws -> Response {
        guard !key.isEmpty, key.utf8.count <= 256 else { throw Problem.invalid("key", "must be 1 to 256 bytes long") }
        let payload = try await jsonBody(request)
        let reached = try await backend.send(signal: key, payload: payload)
        return JSONResponse.ok([
            "reached": .array(reached.map { ["kind": .string($0.kind.rawValue), "id": .string($0.id), "name": .string($0.name)] })
        ])
    }

    func ready() async throws -> Response {
        do {
            try await backend.checkReady()
        } catch {
            throw Problem.unavailable("not ready: \(error)")
        }
        return JSONResponse.ok(["status": "ready"])
    }

    // MARK: Helpers

    /// The schedule under `id` with its declaration, state and next `nextCount` fire times.
    func resource(_ id: String, nextCount: Int = 5) async throws -> ScheduleResource {
        guard let declaration = try await backend.storedDeclaration(forKey: id), let job = try await backend.jobID(forKey: id) else {
            throw Problem.notFound("no schedule with ID \"\(id)\"")
        }
        let state = try await backend.state(of: job)
        let next = state == nil || nextCount == 0 ? [] : (try? await backend.nextFireDates(of: job, count: nextCount)) ?? []
        return ScheduleResource(id: id, declaration: declaration, state: state, note: records.note(of: id), nextFireTimes: next)
    }

    func restoredJob(_ id: String) async throws -> JobID {
        guard let job = try await backend.jobID(forKey: id) else { throw Problem.notFound("no schedule with ID \"\(id)\"") }
        guard try await backend.state(of: job) != nil else {
            throw Problem.conflict("the schedule's function is not registered here, so it does not run in this server")
        }
        return job
    }

    private func checkAllowed(_ action: ActionSpec) throws(Problem) {
        switch action {
        case .shell where !configuration.allowsShellActions:
            throw .invalid("action.type", "this server does not run shell actions")
        case .webhook where !configuration.allowsWebhookActions:
            throw .invalid("action.type", "this server does not call webhooks")
        default: break
        }
    }

    static func idempotencyKey(_ request: Request) throws(Problem) -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard IdempotencyJournal.isValidKey(key) else {
            throw .invalid("Idempotency-Key", "must be 1 to \(IdempotencyJournal.maximumKeyLength) characters of A-Z, a-z, 0-9, \"-\", \".\", \"_\", \"~\" (a UUID fits)")
        }
        return key
    }

    static func digest(_ body: JSONValue) -> String {
        SHA256.hash(data: JSONResponse.encode(body)).hexadecimal
    }

    static func integer(_ text: String?, _ name: String, in range: ClosedRange<Int>) throws(Problem) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalid(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound) (got \"\(text)\")")
        }
        return value
    }

    /// Whether an `If-Match` value names `etag` (or is `*`).
    static func matches(_ condition: String, _ etag: String) -> Bool {
        condition.split(separator: ",").contains { tag in
            let trimmed = tag.trimmingCharacters(in: .whitespaces)
            return trimmed == "*" || trimmed == etag || trimmed == "W/" + etag
        }
    }
}

extension Data {
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }

    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
