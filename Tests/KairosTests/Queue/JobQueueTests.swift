import KairosTestSupport
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct JobQueueTests {
    @Test func popsByDateThenHigherPriorityThenInsertionOrder() {
        var queue = JobQueue()
        queue.insert(slot: 0, date: 5, priority: 0)
        queue.insert(slot: 1, date: 3, priority: 0)
        queue.insert(slot: 2, date: 3, priority: 9)
        queue.insert(slot: 3, date: 3, priority: 0)
        queue.insert(slot: 4, date: 1, priority: -4)
        queue._checkInvariants()
        var order: [UInt32] = []
        while let entry = queue.popMin() { order.append(entry.slot) }
        #expect(order == [4, 2, 1, 3, 0])
    }

    @Test func insertReportsWhenTheHeadChanges() {
        var queue = JobQueue()
        let first = queue.insert(slot: 0, date: 10, priority: 0)
        let later = queue.insert(slot: 1, date: 20, priority: 0)
        let moved = queue.insert(slot: 1, date: 5, priority: 0)
        #expect(first && !later && moved)
        #expect(queue.min?.slot == 1)
    }

    @Test func popMinDueAtOrBeforeStopsAtTheFirstFutureEntry() {
        var queue = JobQueue()
        for slot in 0..<5 { queue.insert(slot: UInt32(slot), date: Double(slot), priority: 0) }
        var popped: [UInt32] = []
        while let entry = queue.popMin(dueAtOrBefore: 2) { popped.append(entry.slot) }
        #expect(popped == [0, 1, 2])
        #expect(queue.count == 2)
    }

    @Test func equalDatesAndPrioritiesStayFirstInFirstOutAcrossTheSequencesEnd() {
        // 3 entries queued before the 32-bit sequence ends, 4 after it: the renumbering keeps
        // their order.
        var queue = JobQueue(nextSequence: .max - 3)
        for slot in 0..<7 { queue.insert(slot: UInt32(slot), date: slot == 1 ? 9 : 5, priority: slot == 5 ? 2 : 0) }
        queue._checkInvariants()
        queue.insert(slot: 7, date: 5, priority: 0)
        queue._checkInvariants()
        var order: [UInt32] = []
        while let entry = queue.popMin() { order.append(entry.slot) }
        #expect(order == [5, 0, 2, 3, 4, 6, 7, 1])
    }

    @Test func prioritiesOtherThanZeroAreKeptPerSlot() {
        var queue = JobQueue()
        queue.insert(slot: 3, date: 1, priority: 0)
        #expect(queue.priority(slot: 3) == 0 && queue.priority(slot: 40) == 0)
        queue.insert(slot: 40, date: 1, priority: -7)
        queue.insert(slot: 2, date: 1, priority: 0)
        queue.insert(slot: 100, date: 1, priority: 4)
        queue._checkInvariants()
        #expect(queue.priority(slot: 40) == -7 && queue.priority(slot: 100) == 4 && queue.priority(slot: 3) == 0)
        var order: [UInt32] = []
        while let entry = queue.popMin() { order.append(entry.slot) }
        #expect(order == [100, 3, 2, 40])
    }

    @Test(arguments: zip([1, 2, 3, 4] as [UInt64], [0, 0, 0, UInt32.max - 5_000] as [UInt32]))
    func randomOperationsMatchASortedReference(seed: UInt64, sequence: UInt32) {
        var generator = SplitMix(seed: seed)
        var queue = JobQueue(nextSequence: sequence)
        var reference: [UInt32: (date: Double, priority: Int32, order: Int)] = [:]
        var order = 0
        for step in 0..<20_000 {
            let slot = UInt32(generator.next() % 500)
            switch generator.next() % 4 {
            case 0, 1:
                let date = Double(generator.next() % 1000)
                let priority = Int32(generator.next() % 3)
                order += 1
                queue.insert(slot: slot, date: date, priority: priority)
                reference[slot] = (date, priority, order)
            case 2:
                let removed = queue.remove(slot: slot)
                let known = reference.removeValue(forKey: slot)
                #expect((removed != nil) == (known != nil))
            default:
                let expected = reference.min { a, b in
                    if a.value.date != b.value.date { return a.value.date < b.value.date }
                    if a.value.priority != b.value.priority { return a.value.priority > b.value.priority }
                    return a.value.order < b.value.order
                }
                let popped = queue.popMin()
                #expect(popped?.slot == expected?.key)
                if let key = expected?.key { reference[key] = nil }
            }
            let expectedCount = reference.count
            #expect(queue.count == expectedCount)
            if step % 97 == 0 { queue._checkInvariants() }
        }
        queue._checkInvariants()
        // Removing everything leaves no trace.
        for slot in reference.keys { queue.remove(slot: slot) }
        #expect(queue.isEmpty)
        queue._checkInvariants()
    }
}
