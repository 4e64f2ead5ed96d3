import Foundation
import KairosTestSupport
import Testing

@testable import Kairos

/// The per-key locks of keyed declarations: one key at a time, different keys side by side.
@Suite(.timeLimit(.minutes(1)))
struct KeyLocksTests {
    /// Holds `key` on a thread of its own until `release` is signalled; returns once it holds it.
    private static func hold(_ key: String, in locks: KeyLocks, until release: DispatchSemaphore) {
        let holding = DispatchSemaphore(value: 0)
        Thread {
            locks.withLock(key) {
                holding.signal()
                release.wait()
            }
        }.start()
        holding.wait()
    }

    @Test func anotherKeyIsTakenWhileOneIsHeld() async throws {
        let locks = KeyLocks()
        let release = DispatchSemaphore(value: 0)
        try await blockingWork { Self.hold("a", in: locks, until: release) }
        // With one lock for every key, this would wait for `release`, which comes only after it.
        let ran = try await blockingWork { locks.withLock("b") { true } }
        #expect(ran)
        release.signal()
        // "a" is free again once its holder ends.
        #expect(try await blockingWork { locks.withLock("a") { true } })
    }

    @Test func oneKeyIsHeldByOneCallerAtATime() async {
        let locks = KeyLocks()
        // Not atomic: only the lock keeps the increments apart (TSan reports a race otherwise).
        final class Counter: @unchecked Sendable { var value = 0 }
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1_000 {
                        locks.withLock("k") {
                            let seen = counter.value
                            counter.value = seen + 1
                        }
                    }
                }
            }
        }
        #expect(counter.value == 8_000)
    }
}
