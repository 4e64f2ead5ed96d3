import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends a webhook action's request and reads the start of the answer.
enum WebhookCall {
    struct Result: Sendable {
        var status: Int
        var bodyTail: String
    }

    static func send(
        _ request: WebhookRequest, idempotencyKey: String, extraHeaders: [(String, String)], client: HTTPClient, tailLimit: Int
    ) async throws -> Result {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) { outgoing.headers.add(name: name, value: value) }
        outgoing.headers.replaceOrAdd(name: "Idempotency-Key", value: idempotencyKey)
        for (name, value) in extraHeaders { outgoing.headers.replaceOrAdd(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(outgoing, timeout: .milliseconds(Int64(request.timeout.inSeconds * 1000)))
        var tail: [UInt8] = []
        for try await part in response.body {
            tail.append(contentsOf: part.readableBytesView)
            if tail.count > 2 * tailLimit { tail.removeFirst(tail.count - tailLimit) }
        }
        if tail.count > tailLimit { tail.removeFirst(tail.count - tailLimit) }
        return Result(status: Int(response.status.code), bodyTail: String(decoding: tail, as: UTF8.self))
    }
}
