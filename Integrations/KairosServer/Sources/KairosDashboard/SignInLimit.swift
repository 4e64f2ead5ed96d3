/// How many failed sign-ins one client address may make before the dashboard makes it wait.
///
/// A token bucket per address: an address holds ``attempts`` tries, each failed sign-in spends
/// one, and one try comes back every ``interval``. With the bucket empty, every sign-in from the
/// address, right token or not, is answered 429 with a `Retry-After` until a try comes back — a
/// correct guess must not get through while guessing is throttled. A sign-in that succeeds spends
/// nothing (and gives nothing back: a read-only token must not buy more guesses at a read-write
/// one).
///
/// With the defaults, a guesser gets 5 tries at once and then one a minute; a person who mistypes
/// a token twice is not slowed at all.
public struct SignInLimit: Sendable, Equatable {
    /// The failed sign-ins an address may make in a row. Default 5; at least 1.
    public var attempts: Int
    /// How long it takes for one more try to come back. Default 1 minute.
    public var interval: Duration
    /// The most addresses tracked at once. An address is forgotten once its bucket is full again;
    /// beyond this many, a failure from a new address makes room by forgetting the address closest
    /// to being forgotten anyway. Default 10,000; at least 1.
    public var maximumClients: Int

    /// Creates a limit; see each property.
    public init(attempts: Int = 5, interval: Duration = .seconds(60), maximumClients: Int = 10_000) {
        self.attempts = max(1, attempts)
        self.interval = max(.zero, interval)
        self.maximumClients = max(1, maximumClients)
    }
}
