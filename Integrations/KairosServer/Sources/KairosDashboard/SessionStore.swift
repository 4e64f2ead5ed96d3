import Crypto
import Foundation
import KairosHTTP
import Synchronization

/// A signed-in browser: what its token may do and the token its forms must carry.
struct Session: Sendable {
    /// The scope of the token it signed in with (the token itself is not kept).
    var scope: AccessTokens.Scope
    /// The synchronizer token every form of this session carries, checked on every post.
    var formToken: String
    /// When the sign-in ends, as time elapsed on the dashboard's clock.
    var expires: Duration
}

/// The sessions of signed-in browsers, in memory, by the random ID their cookie holds.
///
/// IDs and form tokens are 32 random bytes from the system's generator. The store keeps the
/// SHA-256 digest of each ID, not the ID, and drops expired sessions as it goes; beyond its
/// capacity, a new sign-in ends the session that expires first.
final class SessionStore: Sendable {
    private let sessions = Mutex<[String: Session]>([:])
    private let lifetime: Duration
    private let capacity: Int
    private let now: @Sendable () -> Duration

    /// - Parameter now: the time, as the time elapsed since a fixed start.
    init(lifetime: Duration, capacity: Int, now: @escaping @Sendable () -> Duration) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.now = now
    }

    /// Starts a session and returns its ID (for the cookie) and the session.
    func start(scope: AccessTokens.Scope) -> (id: String, session: Session) {
        let id = Self.randomToken()
        let now = now()
        let session = Session(scope: scope, formToken: Self.randomToken(), expires: now + lifetime)
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            while sessions.count >= capacity, let first = sessions.min(by: { $0.value.expires < $1.value.expires }) {
                sessions[first.key] = nil
            }
            sessions[Self.digest(id)] = session
        }
        return (id, session)
    }

    /// The session of `id`, if it exists and has not expired.
    func session(_ id: String) -> Session? {
        let key = Self.digest(id)
        let now = now()
        return sessions.withLock { sessions in
            guard let session = sessions[key] else { return nil }
            guard session.expires > now else {
                sessions[key] = nil
                return nil
            }
            return session
        }
    }

    /// Ends the session of `id`.
    func end(_ id: String) {
        let key = Self.digest(id)
        sessions.withLock { $0[key] = nil }
    }

    /// 32 random bytes as 64 hexadecimal digits.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    private static func digest(_ id: String) -> String {
        SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether two tokens are equal, comparing every byte whatever differs.
    static func matches(_ given: String, _ expected: String) -> Bool {
        let left = Array(SHA256.hash(data: Data(given.utf8)))
        let right = Array(SHA256.hash(data: Data(expected.utf8)))
        var difference: UInt8 = 0
        for index in 0..<left.count { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
