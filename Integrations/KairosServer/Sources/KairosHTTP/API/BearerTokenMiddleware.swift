import HTTPTypes
import Hummingbird

/// Lets a request through only with `Authorization: Bearer <token>` of a configured token; a
/// read-only token only for `GET` and `HEAD`. 401 with `WWW-Authenticate` without a known token,
/// 403 for a read-only token on a change.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: AccessTokens

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if tokens.isEmpty { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw Problem(status: .unauthorized, title: "Unauthorized", detail: "send Authorization: Bearer <token>", field: "Authorization")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem(status: .unauthorized, title: "Unauthorized", detail: "the Authorization header must be \"Bearer <token>\"", field: "Authorization")
        }
        guard let scope = tokens.scope(of: parts[1].drop { $0 == " " }) else {
            throw Problem(status: .unauthorized, title: "Unauthorized", detail: "the bearer token is not one of the server's tokens", field: "Authorization")
        }
        if scope == .readOnly, request.method != .get, request.method != .head {
            throw Problem(status: .forbidden, title: "Forbidden", detail: "this token is read-only; \(request.method) needs a read-write token", field: "Authorization")
        }
        return try await next(request, context)
    }
}
