import Foundation
import Hummingbird
import Kairos
import Testing

@testable import KairosHTTP

@Suite(.timeLimit(.minutes(1)))
struct OpenAPIDocumentTests {
    @Test func theDocumentNamesEveryRouteWithItsMethod() throws {
        let server = try TestServer()
        let router = Router()
        server.api.addRoutes(to: router.group())
        let document = try JSONDecoder().decode(JSONValue.self, from: OpenAPIDocument.data)
        #expect(document[member: "openapi"] == "3.1.0")
        let paths = try #require(document[member: "paths"])
        var routed: Set<String> = []
        for route in router.routes {
            let path = route.path.description.hasPrefix("/") ? route.path.description : "/" + route.path.description
            let method = route.method.rawValue.lowercased()
            routed.insert("\(method) \(path)")
            let operations = try #require(paths[member: path], "\(path) is not in openapi.json")
            // A method the document does not list must be one answered with 405.
            if operations[member: method] == nil {
                #expect(KairosAPI.refusedMethods.contains(route.method), "\(route.method) \(path) is not in openapi.json")
            }
        }
        guard case .object(let documented) = paths else { throw CancellationError() }
        for (path, operations) in documented {
            guard case .object(let methods) = operations else { continue }
            for method in methods.keys { #expect(routed.contains("\(method) \(path)"), "\(method) \(path) is documented but not routed") }
        }
        #expect(routed.count >= 16)
        server.scheduler.close()
    }

    @Test func theServerServesIt() async throws {
        try await TestServer().run { client in
            let reply = try await client.send(.get, "/openapi.json", token: nil)
            #expect(reply.status == .ok)
            #expect(reply["info"]?[member: "title"] == "Kairos server")
            let trace = try await client.send(.trace, "/v1/schedules")
            #expect(trace.status == .methodNotAllowed)
            #expect(trace.headers[.allow] == "POST, GET")
        }
    }
}
