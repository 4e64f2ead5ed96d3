import Foundation
import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct RunQueueTests {
    private func run(_ start: Double, priority: Int32 = 0, sequence: UInt64) -> JobRun {
        JobRun(
            jobID: JobID(rawValue: sequence), slot: 0, name: "", dueDate: Date(timeIntervalSinceReferenceDate: start),
            startAfter: start, priority: priority, sequence: sequence, attempt: 1, payload: nil, body: .empty,
            timeout: nil, completion: .none)
    }

    @Test func outOfOrderRunsComeOutInStartThenPriorityOrder() {
        var queue = RunQueue()
        let pushed = [
            run(10, sequence: 1), run(20, sequence: 2), run(5, sequence: 3), run(20, priority: 5, sequence: 4),
            run(30, sequence: 5), run(1, sequence: 6), run(30, sequence: 7),
        ]
        for item in pushed { queue.push(item) }
        #expect(queue.count == pushed.count)
        var order: [UInt64] = []
        while let item = queue.popFirst() { order.append(item.sequence) }
        #expect(order == [6, 3, 1, 4, 2, 5, 7])
        #expect(queue.isEmpty)
    }

    @Test func inOrderRunsSurviveRingGrowthAndWraparound() {
        var queue = RunQueue()
        var next: UInt64 = 0
        var expected: UInt64 = 1
        for round in 0..<50 {
            for _ in 0..<(round % 7 + 3) {
                next += 1
                queue.push(run(Double(next), sequence: next))
            }
            for _ in 0..<(round % 5 + 1) {
                #expect(queue.popFirst()?.sequence == expected)
                expected += 1
            }
        }
        while let item = queue.popFirst() {
            #expect(item.sequence == expected)
            expected += 1
        }
        #expect(expected == next + 1)
    }

    @Test func withdrawnRunsAreNeverPoppedNorCounted() {
        var queue = RunQueue()
        let runs = (1...6).map { run(Double($0), sequence: UInt64($0)) }
        let late = run(0.5, sequence: 7)  // out of order: waits in the heap
        for item in runs { queue.push(item) }
        queue.push(late)
        let withdrawnBehind = queue.withdraw(runs[2])
        let withdrawnHead = queue.withdraw(late)
        let withdrawnTwice = queue.withdraw(late)
        #expect(withdrawnBehind && withdrawnHead && !withdrawnTwice)
        #expect(queue.count == 5)
        #expect(queue.first === runs[0])
        let popped = queue.popFirst()
        #expect(popped === runs[0])
        let withdrawnNewHead = queue.withdraw(runs[1])  // with a withdrawn run right behind it
        #expect(withdrawnNewHead)
        #expect(queue.first === runs[3])
        #expect(queue.count == 3)
        var order: [UInt64] = []
        while let item = queue.popFirst() { order.append(item.sequence) }
        #expect(order == [4, 5, 6])
        #expect(queue.isEmpty && queue.count == 0)
        let withdrawnTaken = queue.withdraw(runs[3])
        #expect(!withdrawnTaken)
        #expect(runs.allSatisfy { !$0.isQueued })
    }
}
