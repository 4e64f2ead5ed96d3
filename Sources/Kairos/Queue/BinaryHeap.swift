/// A plain binary min-heap of values ordered by a comparison given at creation: the executor's
/// out-of-order ready runs and the scheduler's run timeouts.
///
/// Unlike ``JobQueue`` it has no index (elements cannot be removed from the middle): its users
/// only ever pop the minimum.
///
/// Not thread-safe.
struct BinaryHeap<Element> {
    private var storage: [Element] = []
    private let precedes: (Element, Element) -> Bool

    /// Creates an empty heap; `precedes(a, b)` is true when `a` must come out before `b`.
    init(by precedes: @escaping (Element, Element) -> Bool) {
        self.precedes = precedes
    }

    var count: Int { storage.count }
    var isEmpty: Bool { storage.isEmpty }

    /// The minimum. - Complexity: O(1).
    var first: Element? { storage.first }

    /// Adds an element. - Complexity: O(log n).
    mutating func insert(_ element: Element) {
        storage.append(element)
        var index = storage.count - 1
        while index > 0 {
            let parent = (index - 1) / 2
            guard precedes(element, storage[parent]) else { break }
            storage[index] = storage[parent]
            index = parent
        }
        storage[index] = element
    }

    /// Removes and returns the minimum. - Complexity: O(log n).
    mutating func popFirst() -> Element? {
        guard let first = storage.first else { return nil }
        let last = storage.removeLast()
        guard !storage.isEmpty else { return first }
        var index = 0
        while true {
            let left = 2 * index + 1
            guard left < storage.count else { break }
            var child = left
            if left + 1 < storage.count, precedes(storage[left + 1], storage[left]) { child = left + 1 }
            guard precedes(storage[child], last) else { break }
            storage[index] = storage[child]
            index = child
        }
        storage[index] = last
        return first
    }
}
