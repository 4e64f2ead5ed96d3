import Foundation
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct SignalHubTests {
    private let job = SignalWaiter(kind: .job, id: "1", name: "j")
    private let run = SignalWaiter(kind: .pipelineRun, id: "r1", name: "p")

    @Test func sendReachesWaitersAndRemovesOneShots() {
        let hub = SignalHub()
        _ = hub.subscribe("deploy", waiter: job, once: false) { _ in }
        _ = hub.subscribe("deploy", waiter: run, once: true) { _ in }
        #expect(hub.send("deploy") == [job, run])
        #expect(hub.send("deploy") == [job])
        #expect(hub.send("other").isEmpty)
    }

    @Test func handlersRunInRegistrationOrderWithThePayload() {
        let hub = SignalHub()
        let received = Recorder<String>()
        for index in 0..<5 {
            let waiter = SignalWaiter(kind: .job, id: "\(index)", name: "job-\(index)")
            _ = hub.subscribe("sku", waiter: waiter, once: false) { payload in
                received.append("\(index):\(payload?["sku"]?.stringValue ?? "none")")
            }
        }
        let reached = hub.send("sku", payload: ["sku": "A-17"])
        #expect(reached.map(\.id) == ["0", "1", "2", "3", "4"])
        #expect(received.all == ["0:A-17", "1:A-17", "2:A-17", "3:A-17", "4:A-17"])
        _ = hub.send("sku")
        #expect(received.all.suffix(5) == ["0:none", "1:none", "2:none", "3:none", "4:none"])
    }

    @Test func unsubscribeRemovesOnlyThatRegistrationAndIsIdempotent() {
        let hub = SignalHub()
        let first = hub.subscribe("deploy", waiter: job, once: false) { _ in }
        _ = hub.subscribe("deploy", waiter: run, once: false) { _ in }
        hub.unsubscribe(first)
        #expect(hub.waiters(for: "deploy") == [run])
        hub.unsubscribe(first)
        #expect(hub.send("deploy") == [run])
    }

    @Test func waitersForAKeyAreListedUntilTheLastOneLeaves() {
        let hub = SignalHub()
        let subscription = hub.subscribe("a", waiter: job, once: false) { _ in }
        _ = hub.subscribe("b", waiter: run, once: true) { _ in }
        #expect(hub.waiters(for: "a") == [job] && hub.waiters(for: "b") == [run])
        _ = hub.send("b")
        #expect(hub.waiters(for: "b").isEmpty)
        hub.unsubscribe(subscription)
        #expect(hub.waiters(for: "a").isEmpty && hub.send("a").isEmpty)
    }

    @Test func handlerMaySubscribeAgainWhileBeingDelivered() {
        let hub = SignalHub()
        let deliveries = Recorder<Int>()
        _ = hub.subscribe("tick", waiter: run, once: true) { _ in
            deliveries.append(1)
            _ = hub.subscribe("tick", waiter: run, once: true) { _ in deliveries.append(2) }
        }
        #expect(hub.send("tick") == [run])
        #expect(hub.send("tick") == [run])
        #expect(deliveries.all == [1, 2])
    }
}
