/// The executor's ready queue: fired runs waiting for a free slot, ordered by start date, then
/// priority, then fire order.
///
/// Runs almost always arrive in order (the scheduler fires them in queue order), so the queue is a
/// ring buffer with a binary heap beside it for the few that arrive out of order (a buffered fire
/// released late, a `runNow`). Pushing an in-order run and popping are O(1); an out-of-order run
/// costs O(log k) for the k out-of-order runs waiting.
///
/// A run withdrawn before it started (``withdraw(_:)``) stays where it is, marked, and is dropped
/// when it reaches the head: the head is never a withdrawn run, so withdrawing is O(1) amortized
/// and popping pays nothing while no run is withdrawn.
///
/// Not thread-safe: the executor guards it (and the runs' `isQueued`/`isWithdrawn` flags) with its
/// lock.
struct RunQueue {
    private var ring: ContiguousArray<JobRun?> = []
    private var head = 0
    private var ringCount = 0
    private var heap = BinaryHeap<JobRun>(by: JobRun.precedes)
    /// Withdrawn runs still held, behind the head.
    private var withdrawnCount = 0

    /// Runs waiting, withdrawn ones not included.
    var count: Int { ringCount + heap.count - withdrawnCount }
    var isEmpty: Bool { ringCount == 0 && heap.isEmpty }

    /// The run to start next. - Complexity: O(1).
    var first: JobRun? {
        let ringFirst = ringCount > 0 ? ring[head] : nil
        guard let heapFirst = heap.first else { return ringFirst }
        guard let ringFirst else { return heapFirst }
        return JobRun.precedes(heapFirst, ringFirst) ? heapFirst : ringFirst
    }

    /// Adds a run. - Complexity: amortized O(1) in order, O(log k) out of order.
    mutating func push(_ run: JobRun) {
        run.isQueued = true
        if ringCount > 0, let last = ring[(head + ringCount - 1) % ring.count], JobRun.precedes(run, last) {
            heap.insert(run)
            return
        }
        if ringCount == ring.count { grow() }
        ring[(head + ringCount) % ring.count] = run
        ringCount += 1
    }

    /// Removes and returns the run to start next. - Complexity: O(1), O(log k) from the heap.
    mutating func popFirst() -> JobRun? {
        guard let run = popHead() else { return nil }
        if withdrawnCount > 0 { dropWithdrawnHeads() }
        return run
    }

    /// Withdraws a waiting run: it will not be returned by ``popFirst()``. Returns `false` if the
    /// run is not waiting here (it was taken already, or withdrawn before).
    mutating func withdraw(_ run: JobRun) -> Bool {
        guard run.isQueued, !run.isWithdrawn else { return false }
        run.isWithdrawn = true
        withdrawnCount += 1
        dropWithdrawnHeads()
        return true
    }

    private mutating func dropWithdrawnHeads() {
        while let run = first, run.isWithdrawn {
            _ = popHead()
            withdrawnCount -= 1
        }
    }

    private mutating func popHead() -> JobRun? {
        let run = popRaw()
        run?.isQueued = false
        return run
    }

    private mutating func popRaw() -> JobRun? {
        let ringFirst = ringCount > 0 ? ring[head] : nil
        if let heapFirst = heap.first, ringFirst.map({ JobRun.precedes(heapFirst, $0) }) ?? true {
            return heap.popFirst()
        }
        guard let ringFirst else { return nil }
        ring[head] = nil
        head = (head + 1) % ring.count
        ringCount -= 1
        if ringCount == 0 { head = 0 }
        return ringFirst
    }

    /// Removes every run, returning them.
    mutating func removeAll() -> [JobRun] {
        var all: [JobRun] = []
        while let run = popFirst() { all.append(run) }
        return all
    }

    private mutating func grow() {
        let newCapacity = Swift.max(16, ring.count * 2)
        var newRing = ContiguousArray<JobRun?>(repeating: nil, count: newCapacity)
        for i in 0..<ringCount { newRing[i] = ring[(head + i) % ring.count] }
        ring = newRing
        head = 0
    }
}
