import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Kairos
import Logging
import Synchronization

/// The Kairos HTTP API over a durable scheduler: schedules, runs and events under `/v1`, and
/// `/healthz`, `/readyz`, `/metrics` and `/openapi.json` beside it.
///
/// Mount it on a Hummingbird router over your own `PersistentScheduler`: the functions you
/// registered on it become `function` actions, beside `shell` and `webhook` ones. Run
/// ``service`` in the same `ServiceGroup` as the application, so that the scheduler starts and
/// drains with it.
///
/// ```swift
/// let scheduler = try PersistentScheduler(stateFile: "/var/lib/app/schedule.json")
/// scheduler.register("report.send") { context, arguments in try await Reports.send(arguments) }
/// let api = KairosAPI(backend: scheduler, configuration: .init(tokens: tokens))
/// let router = Router()
/// api.addRoutes(to: router.group())
/// let app = Application(router: router)
/// try await ServiceGroup(services: [api.service, app], gracefulShutdownSignals: [.sigterm],
///                        logger: logger).run()
/// ```
///
/// Every refused request gets an RFC 9457 problem document naming the field at fault.
public final class KairosAPI: Sendable {
    /// The store the API drives.
    public let backend: any ScheduleBackend
    /// How the API behaves.
    public let configuration: KairosAPIConfiguration
    let records: ServerRecords
    let metrics: ServerMetrics
    let idempotency: IdempotencyJournal
    /// Held by schedule ID around a create with an `Idempotency-Key` and a conditional update.
    let gate = KeyedAsyncGate()
    let logger: Logger
    let httpClient: HTTPClient
    let eventSubscription: ScheduleEventSubscription
    private let started = Mutex(false)

    /// Creates the API over `backend`; nothing runs until ``service`` runs (or ``start()``).
    ///
    /// - Parameters:
    ///   - httpClient: the client of webhook actions; the shared one by default.
    public init(
        backend: any ScheduleBackend, configuration: KairosAPIConfiguration = KairosAPIConfiguration(),
        logger: Logger = Logger(label: "kairos.http"), httpClient: HTTPClient = .shared
    ) {
        self.backend = backend
        self.configuration = configuration
        self.logger = logger
        self.httpClient = httpClient
        let records = ServerRecords(file: configuration.recordsFile, historyLimit: max(1, configuration.historyLimit))
        self.records = records
        let idempotency = IdempotencyJournal(file: configuration.recordsFile.map { $0 + ".idempotency" }, importing: records.legacyDigests)
        self.idempotency = idempotency
        for line in idempotency.droppedLines { logger.warning("Idempotency-Key journal: dropped \(line)") }
        if let failure = idempotency.failure {
            logger.error("\(failure.description): creates with an Idempotency-Key will be refused")
        } else {
            records.forgetLegacyDigests()
        }
        let metrics = ServerMetrics()
        self.metrics = metrics
        eventSubscription = backend.onEvent { event in
            records.record(event)
            metrics.record(event)
        }
    }

    deinit { eventSubscription.cancel() }

    /// A service that starts the scheduler (with the server's actions registered) and, at
    /// graceful shutdown, stops it, waiting up to `drainTimeout` for the runs going.
    public func service(drainTimeout: Duration = .seconds(30)) -> SchedulerService {
        SchedulerService(api: self, drainTimeout: drainTimeout)
    }

    /// Registers the server's actions on the backend and starts it; later calls do nothing.
    ///
    /// Call it before the HTTP server takes requests (`Application.beforeServerStarts`), so
    /// that no request finds the server's actions unregistered; ``service`` calls it too.
    public func start() async throws {
        guard
            started.withLock({ started in
                defer { started = true }
                return !started
            })
        else { return }
        let runner = ActionRunner(
            backend: backend, records: records, allowedWebhookHosts: configuration.allowedWebhookHosts,
            outputTailBytes: configuration.outputTailBytes, httpClient: httpClient)
        try await runner.register(shell: configuration.allowsShellActions, webhooks: configuration.allowsWebhookActions)
        // Started before its keys are read: a store that must first be connected and migrated
        // (PostgreSQL) has none to read until then. A run that starts first finds its schedule
        // when it ends (and its action looks it up).
        try await backend.start()
        records.setSchedules(try await backend.keyedJobs())
    }

    /// The run records of a schedule, newest first (what `GET /v1/schedules/{id}/runs` shows).
    public func runs(of schedule: String) -> [RunRecord] { records.history(of: schedule) }

    /// The methods answered with 405 where a path does not take them (so that a client learns
    /// the path exists; `Allow` lists what it takes).
    static let refusedMethods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .options, .trace, HTTPRequest.Method("QUERY")!]

    /// Adds the routes to `group`: `/v1/...` behind the bearer tokens, and the operations routes.
    public func addRoutes<Context: RequestContext>(to group: RouterGroup<Context>) {
        let v1 = group.group("v1").add(middleware: BearerTokenMiddleware<Context>(tokens: configuration.tokens))
        var methods: [String: [HTTPRequest.Method]] = [:]
        func add(
            _ group: RouterGroup<Context>, _ prefix: String, _ method: HTTPRequest.Method, _ path: String,
            _ handler: @escaping @Sendable (Request, Context) async throws -> Response
        ) {
            methods[prefix + path, default: []].append(method)
            group.on(RouterPath(path), method: method) { request, context in try await self.handle { try await handler(request, context) } }
        }
        add(v1, "v1/", .post, "schedules") { request, _ in try await self.create(request) }
        add(v1, "v1/", .get, "schedules") { request, _ in try await self.list(request) }
        add(v1, "v1/", .get, "schedules/{id}") { request, context in try await self.get(request, id: try Self.id(context)) }
        add(v1, "v1/", .patch, "schedules/{id}") { request, context in try await self.update(request, id: try Self.id(context)) }
        add(v1, "v1/", .delete, "schedules/{id}") { _, context in try await self.delete(id: try Self.id(context)) }
        add(v1, "v1/", .post, "schedules/{id}/pause") { request, context in try await self.pause(request, id: try Self.id(context)) }
        add(v1, "v1/", .post, "schedules/{id}/resume") { request, context in try await self.resume(request, id: try Self.id(context)) }
        add(v1, "v1/", .post, "schedules/{id}/trigger") { _, context in try await self.trigger(id: try Self.id(context)) }
        add(v1, "v1/", .get, "schedules/{id}/runs") { request, context in try await self.runs(request, id: try Self.id(context)) }
        add(v1, "v1/", .get, "runs") { _, _ in try await self.activeRuns() }
        add(v1, "v1/", .post, "events/{key}") { request, context in try await self.postEvent(request, key: try Self.parameter(context, "key")) }
        add(v1, "v1/", .get, "events") { request, _ in try self.eventStream(request) }
        add(group, "", .get, "healthz") { _, _ in JSONResponse.ok(["status": "ok"]) }
        add(group, "", .get, "readyz") { _, _ in try await self.ready() }
        add(group, "", .get, "metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let gauges = try? await self.backend.gauges()
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.text(gauges: gauges))))
        }
        add(group, "", .get, "openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.data)))
        }
        for (path, taken) in methods {
            let allowed = taken.map(\.rawValue).joined(separator: ", ")
            let target = path.hasPrefix("v1/") ? v1 : group
            let relative = path.hasPrefix("v1/") ? String(path.dropFirst(3)) : path
            for method in Self.refusedMethods where !taken.contains(method) {
                target.on(RouterPath(relative), method: method) { request, context in
                    let problem = Problem(status: .methodNotAllowed, title: "Method not allowed", detail: "\(request.method) is not allowed here; use \(allowed)")
                    var response = try problem.response(from: request, context: context)
                    response.headers[.allow] = allowed
                    return response
                }
            }
        }
    }

    /// Runs a handler, turning whatever it throws into a problem document (never a 500 for a
    /// refused request).
    func handle(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch {
            let problem = Problem.from(error)
            if problem.status.code >= 500 { logger.error("request failed: \(problem.detail)") }
            throw problem
        }
    }

    static func parameter(_ context: some RequestContext, _ name: String) throws(Problem) -> String {
        guard let raw = context.parameters.get(name) else { throw .malformed(name, "is missing") }
        return raw.removingPercentEncoding ?? raw
    }

    static func id(_ context: some RequestContext) throws(Problem) -> String { try parameter(context, "id") }

    /// Reads the body as JSON, up to the configured size; an empty body is `nil`.
    func jsonBody(_ request: Request) async throws -> JSONValue? {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maximumBodyBytes)
        } catch {
            throw Problem(
                status: .contentTooLarge, title: "Request too large",
                detail: "the body is larger than \(configuration.maximumBodyBytes) bytes", field: "body")
        }
        if buffer.readableBytes == 0 { return nil }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw Problem(status: .unsupportedMediaType, title: "Unsupported media type", detail: "send application/json (got \(type))", field: "Content-Type")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))
        } catch {
            throw Problem.malformed("body", "is not valid JSON: \(Self.describe(error))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription)
        }
        return "\(error)"
    }
}
