import HTTPTypes
import Testing

@testable import KairosHTTP

@Suite(.timeLimit(.minutes(1)))
struct AuthTests {
    @Test func aRequestWithoutATokenIsRefusedWithWWWAuthenticate() async throws {
        try await TestServer().run { client in
            let reply = try await client.send(.get, "/v1/schedules", token: nil)
            #expect(reply.status == .unauthorized)
            #expect(reply.headers[.wwwAuthenticate] == #"Bearer realm="kairos""#)
            #expect(reply.headers[.contentType] == "application/problem+json")
            #expect(reply.problemField == "Authorization")
        }
    }

    @Test func anUnknownTokenOrSchemeIsRefused() async throws {
        try await TestServer().run { client in
            #expect(try await client.send(.get, "/v1/schedules", token: "rw-tokem").status == .unauthorized)
            let basic = try await client.send(.get, "/v1/schedules", token: nil, headers: [.authorization: "Basic cnctdG9rZW4="])
            #expect(basic.status == .unauthorized)
        }
    }

    @Test func aReadOnlyTokenReadsButCannotChange() async throws {
        try await TestServer().run { client in
            #expect(try await client.send(.get, "/v1/schedules", token: TestServer.readToken).status == .ok)
            let refused = try await client.send(.post, "/v1/schedules", token: TestServer.readToken, json: cronSchedule)
            #expect(refused.status == .forbidden)
            #expect(try await client.send(.get, "/v1/schedules", token: TestServer.readToken)["schedules"]?.arrayValue.isEmpty == true)
        }
    }

    @Test func operationsRoutesNeedNoToken() async throws {
        try await TestServer().run { client in
            let health = try await client.send(.get, "/healthz", token: nil)
            let ready = try await client.send(.get, "/readyz", token: nil)
            #expect(health.status == .ok)
            #expect(ready.status == .ok)
        }
    }

    @Test func tokenFilesGiveScopesAndNameABadLine() throws {
        var tokens = AccessTokens()
        try tokens.add(fileContents: "# ops\nrw:alpha\nro:beta\n\ngamma\n", file: "t")
        #expect(tokens.scope(of: "alpha") == .readWrite)
        #expect(tokens.scope(of: "beta") == .readOnly)
        #expect(tokens.scope(of: "gamma") == .readWrite)
        #expect(tokens.scope(of: "delta") == nil)
        var refused: TokenFileError?
        do {
            try tokens.add(fileContents: "ok\nro:\n", file: "t")
        } catch {
            refused = error
        }
        #expect(refused?.line == 2)
        #expect(refused?.file == "t")
    }
}
