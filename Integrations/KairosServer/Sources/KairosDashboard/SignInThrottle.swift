import Synchronization

/// The failed sign-ins of each client, limited by a ``SignInLimit``.
///
/// Each client's token bucket is kept as one instant, when the bucket is full again (the generic
/// cell rate algorithm): a try spends `interval` by moving that instant forward, and the bucket is
/// empty while the instant lies more than `interval × (attempts − 1)` ahead. A client whose
/// instant has passed is forgotten. A try is reserved before the token is checked and given back
/// when the sign-in succeeds, so that sign-ins sent all at once cannot together exceed the limit.
final class SignInThrottle: Sendable {
    private let limit: SignInLimit
    private let now: @Sendable () -> Duration
    private let fullAgain = Mutex<[ClientAddress: Duration]>([:])

    /// - Parameter now: the time, as the time elapsed since a fixed start.
    init(limit: SignInLimit, now: @escaping @Sendable () -> Duration) {
        self.limit = limit
        self.now = now
    }

    /// Reserves one of `client`'s tries, or returns how long it must wait for one.
    func reserveTry(for client: ClientAddress) -> Duration? {
        let now = now()
        let limit = limit
        return fullAgain.withLock { table in
            let full = max(table[client] ?? now, now)
            let wait = full - now - limit.interval * (limit.attempts - 1)
            if wait > .zero { return wait }
            if table[client] == nil, table.count >= limit.maximumClients { Self.makeRoom(in: &table, below: limit.maximumClients, now: now) }
            table[client] = full + limit.interval
            return nil
        }
    }

    /// Gives back the try reserved for a sign-in that succeeded.
    func giveBackTry(of client: ClientAddress) {
        let now = now()
        let interval = limit.interval
        fullAgain.withLock { table in
            guard let full = table[client] else { return }
            table[client] = full - interval > now ? full - interval : nil
        }
    }

    /// How many clients are tracked.
    var trackedClients: Int { fullAgain.withLock { $0.count } }

    /// Forgets the clients whose bucket is full again and, if that leaves `maximum` or more, the
    /// one closest to it.
    private static func makeRoom(in table: inout [ClientAddress: Duration], below maximum: Int, now: Duration) {
        table = table.filter { $0.value > now }
        if table.count >= maximum, let first = table.min(by: { $0.value < $1.value }) {
            table[first.key] = nil
        }
    }
}
