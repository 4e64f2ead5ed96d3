/// The scheduler's queue of waiting jobs: an indexed binary min-heap keyed by
/// (fire date, priority, insertion sequence).
///
/// Each job occupies at most one entry, identified by its *slot* (the job's index in the
/// scheduler's job table). A side array maps every slot to its entry's position in the heap, so a
/// job can be removed or moved to a new date in O(log n) without searching, and a removed job
/// leaves nothing behind (no tombstones: memory follows the number of queued jobs).
///
/// Order: earlier dates first; at equal dates, higher priorities first; then first in, first out.
///
/// The storage is two flat arrays of plain values (16-byte entries and 4-byte positions), so the
/// queue allocates only when it grows. An entry holds the date, the slot and a 32-bit insertion
/// sequence; priorities, which only break ties between equal dates and are nearly always 0, are
/// kept per slot in a third array that exists only once a job has a priority other than 0. When
/// the sequence reaches its end (after 4 billion insertions), the queued entries are renumbered
/// in their order, which keeps first in, first out without a 64-bit sequence in every entry.
/// Heap layout as in swift-collections' `Heap` minus the min-max levels: children of `i` are
/// `2i + 1` and `2i + 2`.
///
/// Not thread-safe: the scheduler guards it with its lock.
package struct JobQueue: Sendable {
    /// One queued job.
    package struct Entry: Sendable, Equatable {
        /// The instant the job is due, as seconds since the reference date (`Date`'s own
        /// representation).
        package var date: Double
        /// The job's slot.
        package var slot: UInt32
        /// Insertion order, to keep equal dates and priorities first in, first out.
        var sequence: UInt32

        /// Whether `a` comes before `b`: the earlier date; at equal dates the higher priority
        /// (`priorities` by slot, empty when every priority is 0); then the earlier insertion.
        @inline(__always)
        static func precedes(_ a: Entry, _ b: Entry, _ priorities: UnsafeBufferPointer<Int32>) -> Bool {
            if a.date != b.date { return a.date < b.date }
            if !priorities.isEmpty {
                let first = priorities[Int(a.slot)]
                let second = priorities[Int(b.slot)]
                if first != second { return first > second }
            }
            return a.sequence < b.sequence
        }
    }

    private var heap: ContiguousArray<Entry> = []
    private var positions: ContiguousArray<Int32> = []
    /// The priority of each slot's latest insertion, as long as `positions`; empty while every
    /// insertion had priority 0.
    private var priorities: ContiguousArray<Int32> = []
    private var nextSequence: UInt32

    /// Creates an empty queue.
    package init() { nextSequence = 0 }

    /// An empty queue whose insertion sequence starts at `sequence`: for tests of its renumbering
    /// when the sequence reaches its end.
    init(nextSequence sequence: UInt32) { nextSequence = sequence }

    /// The number of queued jobs.
    package var count: Int { heap.count }

    /// Whether no job is queued.
    package var isEmpty: Bool { heap.isEmpty }

    /// The job due first, if any. - Complexity: O(1).
    package var min: Entry? { heap.first }

    /// Whether the job in `slot` is queued. - Complexity: O(1).
    package func contains(slot: UInt32) -> Bool {
        Int(slot) < positions.count && positions[Int(slot)] >= 0
    }

    /// The queued entry of `slot`, if any. - Complexity: O(1).
    package func entry(slot: UInt32) -> Entry? {
        guard contains(slot: slot) else { return nil }
        return heap[Int(positions[Int(slot)])]
    }

    /// The priority the job in `slot` was queued with (0 if it never had another).
    package func priority(slot: UInt32) -> Int32 {
        Int(slot) < priorities.count ? priorities[Int(slot)] : 0
    }

    /// Reserves room for `capacity` jobs and slots.
    package mutating func reserveCapacity(_ capacity: Int) {
        heap.reserveCapacity(capacity)
        positions.reserveCapacity(capacity)
    }

    /// Queues the job in `slot` at `date`, or moves it there if it is queued already.
    ///
    /// Returns whether the job is now at the head of the queue (the scheduler thread must then
    /// be woken if it waits for a later date).
    ///
    /// - Complexity: O(log n).
    @discardableResult
    package mutating func insert(slot: UInt32, date: Double, priority: Int32) -> Bool {
        if nextSequence == .max { renumber() }
        nextSequence += 1
        let entry = Entry(date: date, slot: slot, sequence: nextSequence)
        let index = Int(slot)
        if index >= positions.count {
            positions.append(contentsOf: repeatElement(-1, count: index - positions.count + 1))
            if !priorities.isEmpty { priorities.append(contentsOf: repeatElement(0, count: positions.count - priorities.count)) }
        }
        if priority != 0 || !priorities.isEmpty { setPriority(priority, slot: index) }
        let position = Int(positions[index])
        if position >= 0 {
            // Up if it now precedes its parent, otherwise down (its priority may have changed too).
            heap[position] = entry
            if siftUp(position) == position { siftDown(position) }
            return positions[index] == 0
        }
        heap.append(entry)
        positions[index] = Int32(heap.count - 1)
        return siftUp(heap.count - 1) == 0
    }

    /// Removes and returns the job due first. - Complexity: O(log n).
    package mutating func popMin() -> Entry? {
        guard !heap.isEmpty else { return nil }
        return remove(at: 0)
    }

    /// Removes and returns the job due first if it is due at or before `date`.
    /// - Complexity: O(log n).
    package mutating func popMin(dueAtOrBefore date: Double) -> Entry? {
        guard let first = heap.first, first.date <= date else { return nil }
        return remove(at: 0)
    }

    /// Removes the job in `slot` and returns its entry, or `nil` if it was not queued.
    /// - Complexity: O(log n).
    @discardableResult
    package mutating func remove(slot: UInt32) -> Entry? {
        guard contains(slot: slot) else { return nil }
        return remove(at: Int(positions[Int(slot)]))
    }

    private mutating func remove(at position: Int) -> Entry {
        let removed = heap[position]
        positions[Int(removed.slot)] = -1
        let last = heap.removeLast()
        if position < heap.count {
            heap[position] = last
            positions[Int(last.slot)] = Int32(position)
            if precedes(last, removed) { siftUp(position) } else { siftDown(position) }
        }
        return removed
    }

    private func precedes(_ a: Entry, _ b: Entry) -> Bool {
        priorities.withUnsafeBufferPointer { Entry.precedes(a, b, $0) }
    }

    /// Records a slot's priority, creating the priority array on the first one other than 0.
    private mutating func setPriority(_ priority: Int32, slot: Int) {
        if priorities.isEmpty { priorities = ContiguousArray(repeating: 0, count: positions.count) }
        priorities[slot] = priority
    }

    /// Numbers the queued entries' sequences 1, 2, … in their current order, so that the
    /// sequence can go on without wrapping around. The heap order does not change.
    /// - Complexity: O(n log n), once per 4 billion insertions.
    private mutating func renumber() {
        let byAge = heap.indices.sorted { heap[$0].sequence < heap[$1].sequence }
        for (rank, index) in byAge.enumerated() { heap[index].sequence = UInt32(rank + 1) }
        nextSequence = UInt32(heap.count)
    }

    @discardableResult
    private mutating func siftUp(_ start: Int) -> Int {
        heap.withUnsafeMutableBufferPointer { heap in
            positions.withUnsafeMutableBufferPointer { positions in
                priorities.withUnsafeBufferPointer { priorities in
                    var index = start
                    let entry = heap[index]
                    while index > 0 {
                        let parent = (index - 1) / 2
                        guard Entry.precedes(entry, heap[parent], priorities) else { break }
                        heap[index] = heap[parent]
                        positions[Int(heap[index].slot)] = Int32(index)
                        index = parent
                    }
                    heap[index] = entry
                    positions[Int(entry.slot)] = Int32(index)
                    return index
                }
            }
        }
    }

    private mutating func siftDown(_ start: Int) {
        heap.withUnsafeMutableBufferPointer { heap in
            positions.withUnsafeMutableBufferPointer { positions in
                priorities.withUnsafeBufferPointer { priorities in
                    let count = heap.count
                    var index = start
                    let entry = heap[index]
                    while true {
                        let left = 2 * index + 1
                        guard left < count else { break }
                        var child = left
                        let right = left + 1
                        if right < count, Entry.precedes(heap[right], heap[left], priorities) { child = right }
                        guard Entry.precedes(heap[child], entry, priorities) else { break }
                        heap[index] = heap[child]
                        positions[Int(heap[index].slot)] = Int32(index)
                        index = child
                    }
                    heap[index] = entry
                    positions[Int(entry.slot)] = Int32(index)
                }
            }
        }
    }

    /// The broken invariants of the heap order and the slot index, each as a sentence; empty
    /// when the queue is consistent. - Complexity: O(n + number of slots).
    package func invariantViolations() -> [String] {
        var violations: [String] = []
        for (index, entry) in heap.enumerated() {
            if Int(entry.slot) >= positions.count || positions[Int(entry.slot)] != Int32(index) {
                violations.append("slot \(entry.slot) indexes the wrong heap position")
            }
            if index > 0, precedes(entry, heap[(index - 1) / 2]) {
                violations.append("heap order broken at \(index)")
            }
        }
        if heap.contains(where: { $0.sequence > nextSequence }) {
            violations.append("an entry's sequence is beyond the latest one, \(nextSequence)")
        }
        if !priorities.isEmpty, priorities.count != positions.count {
            violations.append("\(priorities.count) priorities for \(positions.count) slots")
        }
        let queued = positions.count { $0 >= 0 }
        if queued != heap.count { violations.append("\(queued) slots marked queued for \(heap.count) entries") }
        return violations
    }

    /// Checks the heap order and the slot index; traps on the first violation. For tests.
    package func _checkInvariants() {
        let violations = invariantViolations()
        precondition(violations.isEmpty, violations.joined(separator: "; "))
    }
}
