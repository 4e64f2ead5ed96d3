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
/// The storage is two flat arrays of plain values (24-byte entries and 4-byte positions), so the
/// queue allocates only when it grows. Heap layout as in swift-collections' `Heap` minus the
/// min-max levels: children of `i` are `2i + 1` and `2i + 2`.
///
/// Not thread-safe: the scheduler guards it with its lock.
package struct JobQueue: Sendable {
    /// One queued job.
    package struct Entry: Sendable, Equatable {
        /// The instant the job is due, as seconds since the reference date (`Date`'s own
        /// representation).
        package var date: Double
        /// Higher first at equal dates.
        package var priority: Int32
        /// The job's slot.
        package var slot: UInt32
        /// Insertion order, to keep equal keys first in, first out.
        package var sequence: UInt64

        @inline(__always)
        static func precedes(_ a: Entry, _ b: Entry) -> Bool {
            if a.date != b.date { return a.date < b.date }
            if a.priority != b.priority { return a.priority > b.priority }
            return a.sequence < b.sequence
        }
    }

    private var heap: ContiguousArray<Entry> = []
    private var positions: ContiguousArray<Int32> = []
    private var nextSequence: UInt64 = 0

    /// Creates an empty queue.
    package init() {}

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
        nextSequence &+= 1
        let entry = Entry(date: date, priority: priority, slot: slot, sequence: nextSequence)
        let index = Int(slot)
        if index >= positions.count {
            positions.append(contentsOf: repeatElement(-1, count: index - positions.count + 1))
        }
        let position = Int(positions[index])
        if position >= 0 {
            let old = heap[position]
            heap[position] = entry
            if Entry.precedes(entry, old) { return siftUp(position) == 0 }
            siftDown(position)
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
            if Entry.precedes(last, removed) { siftUp(position) } else { siftDown(position) }
        }
        return removed
    }

    @discardableResult
    private mutating func siftUp(_ start: Int) -> Int {
        heap.withUnsafeMutableBufferPointer { heap in
            positions.withUnsafeMutableBufferPointer { positions in
                var index = start
                let entry = heap[index]
                while index > 0 {
                    let parent = (index - 1) / 2
                    guard Entry.precedes(entry, heap[parent]) else { break }
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

    private mutating func siftDown(_ start: Int) {
        heap.withUnsafeMutableBufferPointer { heap in
            positions.withUnsafeMutableBufferPointer { positions in
                let count = heap.count
                var index = start
                let entry = heap[index]
                while true {
                    let left = 2 * index + 1
                    guard left < count else { break }
                    var child = left
                    let right = left + 1
                    if right < count, Entry.precedes(heap[right], heap[left]) { child = right }
                    guard Entry.precedes(heap[child], entry) else { break }
                    heap[index] = heap[child]
                    positions[Int(heap[index].slot)] = Int32(index)
                    index = child
                }
                heap[index] = entry
                positions[Int(entry.slot)] = Int32(index)
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
            if index > 0, Entry.precedes(entry, heap[(index - 1) / 2]) {
                violations.append("heap order broken at \(index)")
            }
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
