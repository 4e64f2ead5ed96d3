import Foundation
import HTTPTypes
import Kairos
import NIOCore
import Testing

@testable import KairosDashboard

@Suite(.timeLimit(.minutes(1)))
struct DashboardSignInLimitTests {
    /// A throttle on a `ManualClock`.
    struct Subject {
        let clock = ManualClock()
        let throttle: SignInThrottle

        init(_ limit: SignInLimit) {
            let clock = clock
            let start = clock.now
            throttle = SignInThrottle(limit: limit, now: { start.duration(to: clock.now) })
        }

        func advance(by duration: Duration) { clock.advance(by: duration) }

        /// Whether a try was granted; a granted try stays spent (a failed sign-in).
        func fail(_ client: ClientAddress) -> Bool { throttle.reserveTry(for: client) == nil }
    }

    static let alice = ClientAddress(try? SocketAddress(ipAddress: "192.0.2.1", port: 50_000))
    static let bob = ClientAddress(try? SocketAddress(ipAddress: "192.0.2.2", port: 50_000))

    // MARK: The bucket

    @Test func aClientGetsItsTriesAtOnceThenOneAnIntervalAndIsForgottenOnceFull() {
        let subject = Subject(SignInLimit(attempts: 3, interval: .seconds(60)))
        #expect((0..<3).map { _ in subject.fail(Self.alice) } == [true, true, true])
        #expect(subject.throttle.reserveTry(for: Self.alice) == .seconds(60))
        subject.advance(by: .seconds(45))
        #expect(subject.throttle.reserveTry(for: Self.alice) == .seconds(15))
        subject.advance(by: .seconds(15))
        #expect(subject.fail(Self.alice))
        #expect(!subject.fail(Self.alice))
        #expect(subject.fail(Self.bob), "another address has its own tries")
        subject.advance(by: .seconds(240))
        #expect(subject.throttle.reserveTry(for: ClientAddress(try? SocketAddress(ipAddress: "192.0.2.3", port: 1))) == nil)
        #expect(subject.throttle.trackedClients == 3)
        subject.throttle.giveBackTry(of: ClientAddress(try? SocketAddress(ipAddress: "192.0.2.3", port: 1)))
        #expect(subject.throttle.trackedClients == 2)
        #expect((0..<3).map { _ in subject.fail(Self.alice) } == [true, true, true], "a full bucket again after 3 intervals")
    }

    @Test func aSuccessfulSignInSpendsNoTryAndGivesBackNoMore() {
        let subject = Subject(SignInLimit(attempts: 3, interval: .seconds(60)))
        #expect(subject.fail(Self.alice) && subject.fail(Self.alice))
        for _ in 0..<10 {
            #expect(subject.throttle.reserveTry(for: Self.alice) == nil)
            subject.throttle.giveBackTry(of: Self.alice)
        }
        #expect(subject.fail(Self.alice))
        #expect(!subject.fail(Self.alice), "two failures and ten successes leave one try, not more")
    }

    @Test func triesSentAllAtOnceCannotTogetherExceedTheLimit() async {
        let subject = Subject(SignInLimit(attempts: 5, interval: .seconds(60)))
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 { group.addTask { subject.fail(Self.alice) } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 5)
    }

    @Test func theTrackedClientsAreCappedByForgettingTheOneClosestToFull() {
        let subject = Subject(SignInLimit(attempts: 5, interval: .seconds(60), maximumClients: 2))
        #expect(subject.fail(Self.alice) && subject.fail(Self.alice))
        subject.advance(by: .seconds(1))
        #expect(subject.fail(Self.bob))
        let carol = ClientAddress(try? SocketAddress(ipAddress: "192.0.2.3", port: 1))
        #expect(subject.fail(carol))
        #expect(subject.throttle.trackedClients == 2)
        // Bob (full again first) was forgotten; Alice keeps her spent tries.
        #expect((0..<3).map { _ in subject.fail(Self.alice) } == [true, true, true])
        #expect(!subject.fail(Self.alice))
    }

    // MARK: Client addresses

    @Test(arguments: [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
    ])
    func clientsAreCountedByIPv4AddressOrIPv6Network(address: String, client: String) throws {
        #expect(ClientAddress(try SocketAddress(ipAddress: address, port: 443)).description == client)
    }

    @Test func aConnectionWithoutAnAddressIsTheUnknownClient() throws {
        #expect(ClientAddress(nil).description == "unknown")
        #expect(ClientAddress(try SocketAddress(unixDomainSocketPath: "/tmp/kairos.sock")).description == "unknown")
    }

    // MARK: Over HTTP

    @Test func failedSignInsAreAnswered429WithRetryAfterUntilATryComesBack() async throws {
        let server = try TestServer()
        let limit = SignInLimit(attempts: 3, interval: .seconds(60))
        try await server.runWithDashboard(DashboardConfiguration(signInLimit: limit)) { client in
            var browser = DashboardBrowser(client)
            for token in ["rw-tokem", "", "guess"] {
                #expect(try await browser.signIn(token).status == .unauthorized)
            }
            let throttled = try await browser.signIn(TestServer.writeToken)
            #expect(throttled.status == .tooManyRequests, "the right token waits too, or guessing would go on")
            #expect(throttled.headers[.retryAfter] == "60")
            #expect(throttled.text.contains("Too many failed sign-ins from your address. Try again in 1 min."))
            #expect(throttled.text.contains("<form method=\"post\" action=\"/ui/sign-in\""))
            #expect(browser.cookies["kairos_session"] == nil)

            server.clock.advance(by: .seconds(59))
            #expect(try await browser.signIn(TestServer.writeToken).headers[.retryAfter] == "1")
            server.clock.advance(by: .seconds(1))
            #expect(try await browser.signIn(TestServer.writeToken).status == .seeOther)
            #expect(try await browser.get("/ui/schedules").status == .ok)
            // The success gave its try back: one more failure is heard, the next is not.
            #expect(try await Self.signIn(client, "guess").status == .unauthorized)
            #expect(try await Self.signIn(client, "guess").status == .tooManyRequests)
        }
    }

    @Test func successfulSignInsAreNeverThrottled() async throws {
        let limit = SignInLimit(attempts: 2, interval: .seconds(3600))
        try await TestServer().runWithDashboard(DashboardConfiguration(signInLimit: limit)) { client async throws in
            #expect(try await Self.signIn(client, "guess").status == .unauthorized)
            for _ in 0..<10 {
                #expect(try await Self.signIn(client, TestServer.readToken).status == .seeOther)
            }
        }
    }

    /// Signs in with `token` from a browser of its own.
    static func signIn(_ client: Client, _ token: String) async throws -> DashboardPage {
        var browser = DashboardBrowser(client)
        return try await browser.signIn(token)
    }
}
