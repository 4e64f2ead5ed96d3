import Hummingbird
import NIOCore

/// A request context that keeps the address of the client's connection, which the dashboard's
/// sign-in limit counts failed sign-ins by (``SignInLimit``).
///
/// Use it for the router the dashboard is mounted on: `Router(context: DashboardRequestContext.self)`.
/// With a context that is not a `RemoteAddressRequestContext`, the dashboard cannot tell clients
/// apart and every client shares one limit. Behind a proxy, the address is the proxy's.
public struct DashboardRequestContext: RequestContext, RemoteAddressRequestContext {
    /// The storage every request context has.
    public var coreContext: CoreRequestContextStorage
    /// The address of the client's end of the connection.
    public let remoteAddress: SocketAddress?

    /// Creates the context of a request arriving on `source`'s channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
