import NIOCore

/// The client a sign-in is counted against: its IPv4 address, or the /64 network of its IPv6
/// address (one host is usually given a whole /64, so counting single IPv6 addresses would let it
/// change address at every try). An IPv4 client reaching an IPv6 socket (`::ffff:a.b.c.d`) counts
/// by its IPv4 address.
struct ClientAddress: Hashable, Sendable, CustomStringConvertible {
    let description: String

    /// The client of a connection from `address`; every connection whose address is unknown (a
    /// request context without one, a Unix socket) is one client, `unknown`.
    init(_ address: SocketAddress?) {
        switch address {
        case .v4?:
            description = address?.ipAddress ?? "unknown"
        case .v6(let v6)?:
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                description = bytes[12...].map(String.init).joined(separator: ".")
            } else {
                let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                description = groups.joined(separator: ":") + "::/64"
            }
        case .unixDomainSocket?, nil:
            description = "unknown"
        }
    }
}
