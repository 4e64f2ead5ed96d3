/// A per-slot value that most jobs leave at its default (a job's name, an ID given by the caller),
/// kept beside the job table rather than in every record.
///
/// Slots are grouped in chunks of 4,096, like the job table's; a chunk is allocated (filled with
/// the default) only when a slot in its range is first given a value, so a scheduler whose jobs
/// all keep the default pays nothing per job, and one whose jobs all set it pays the value's
/// size. Reading a slot of a missing chunk gives the default.
///
/// Not thread-safe: the scheduler guards it with its lock. Call ``deallocate()`` exactly once.
struct SparseSlotColumn<Element> {
    private static var chunkShift: Int { 12 }
    private static var chunkSize: Int { 1 << chunkShift }

    private let defaultValue: Element
    private var chunks: [UnsafeMutablePointer<Element>?] = []

    /// A column in which every slot holds `defaultValue`.
    init(defaultValue: Element) {
        self.defaultValue = defaultValue
    }

    /// Whether no slot was ever given a value: every slot holds the default.
    var isEmpty: Bool { chunks.isEmpty }

    /// The value of `slot`: the default unless ``set(_:at:)`` gave it another.
    subscript(slot: UInt32) -> Element {
        let chunk = Int(slot) >> Self.chunkShift
        guard chunk < chunks.count, let storage = chunks[chunk] else { return defaultValue }
        return storage[Int(slot) & (Self.chunkSize - 1)]
    }

    /// Gives `slot` a value, allocating its chunk if it has none.
    mutating func set(_ value: Element, at slot: UInt32) {
        let chunk = Int(slot) >> Self.chunkShift
        if chunk >= chunks.count { chunks.append(contentsOf: repeatElement(nil, count: chunk - chunks.count + 1)) }
        if chunks[chunk] == nil {
            let storage = UnsafeMutablePointer<Element>.allocate(capacity: Self.chunkSize)
            storage.initialize(repeating: defaultValue, count: Self.chunkSize)
            chunks[chunk] = storage
        }
        chunks[chunk].unsafelyUnwrapped[Int(slot) & (Self.chunkSize - 1)] = value
    }

    /// Puts the default back in `slot` (a freed job's), releasing what its value referenced;
    /// allocates nothing.
    mutating func reset(_ slot: UInt32) {
        let chunk = Int(slot) >> Self.chunkShift
        guard chunk < chunks.count, let storage = chunks[chunk] else { return }
        storage[Int(slot) & (Self.chunkSize - 1)] = defaultValue
    }

    /// Destroys every value and frees the chunks.
    mutating func deallocate() {
        for case let storage? in chunks {
            storage.deinitialize(count: Self.chunkSize)
            storage.deallocate()
        }
        chunks = []
    }
}
