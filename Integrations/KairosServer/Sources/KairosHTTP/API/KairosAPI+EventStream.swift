import Foundation
import HTTPTypes
import Hummingbird
import Kairos
import ServiceLifecycle

/// `GET /v1/events`: the scheduler's events as server-sent events, of one schedule with
/// `?schedule=ID`.
extension KairosAPI {
    /// The events a stream holds for a slow reader before it drops the oldest.
    static let eventStreamBuffer = 1000

    package func eventStream(_ request: Request) throws -> Response {
        let schedule = request.uri.queryParameters["schedule"].map(String.init)
        let records = self.records
        let (stream, continuation) = AsyncStream<ScheduleEvent>.makeStream(bufferingPolicy: .bufferingNewest(Self.eventStreamBuffer))
        let subscription = backend.onEvent { event in
            if let schedule, records.schedule(of: event.jobID) != schedule { return }
            continuation.yield(event)
        }
        continuation.onTermination = { _ in subscription.cancel() }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                // A comment first, so that a client sees the stream open before any event.
                try await writer.write(ByteBuffer(string: ": kairos events\n\n"))
                for await event in stream.cancelOnGracefulShutdown() {
                    try await writer.write(ByteBuffer(string: Self.serverSentEvent(event, schedule: records.schedule(of: event.jobID))))
                }
                continuation.finish()
                try await writer.finish(nil)
            })
    }

    static func serverSentEvent(_ event: ScheduleEvent, schedule: String?) -> String {
        var object: [String: JSONValue] = [
            "kind": .string(event.kind.rawValue), "jobID": .string(event.jobID.description), "jobName": .string(event.jobName),
            "date": JSONValue(event.date), "schedule": schedule.map { .string($0) } ?? .null,
        ]
        if let due = event.dueDate { object["dueDate"] = JSONValue(due) }
        if let duration = event.duration { object["durationSeconds"] = .number(duration.inSeconds) }
        if let error = event.error { object["error"] = .string(error) }
        if event.kind == .missed { object["count"] = .integer(event.count) }
        let data = String(decoding: JSONResponse.encode(.object(object)), as: UTF8.self)
        return "event: \(event.kind.rawValue)\ndata: \(data)\n\n"
    }
}
