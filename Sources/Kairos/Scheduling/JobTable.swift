/// The slab of job records, indexed by slot.
///
/// Records live in fixed chunks of 4,096 that are allocated as the table grows and never move, so
/// growing costs no copying and leaves no freed buffers behind (a doubling array would copy every
/// record at each growth and, below glibc's mmap threshold, keep the old buffers resident).
/// Access is two array indexings; `table[slot].field = value` mutates in place.
///
/// Not thread-safe: the scheduler guards it with its lock. Call ``deallocate()`` exactly once.
struct JobTable {
    private static let chunkShift = 12
    private static let chunkMask = (1 << chunkShift) - 1

    private var chunks: [UnsafeMutablePointer<JobRecord>] = []

    /// The number of slots.
    private(set) var count = 0

    var indices: Range<Int> { 0..<count }

    subscript(index: Int) -> JobRecord {
        unsafeAddress {
            precondition(index >= 0 && index < count, "job slot \(index) out of range")
            return UnsafePointer(chunks[index >> Self.chunkShift] + (index & Self.chunkMask))
        }
        unsafeMutableAddress {
            precondition(index >= 0 && index < count, "job slot \(index) out of range")
            return chunks[index >> Self.chunkShift] + (index & Self.chunkMask)
        }
    }

    /// Adds a slot, moving `record` in. - Complexity: O(1).
    mutating func append(_ record: consuming JobRecord) {
        if count >> Self.chunkShift == chunks.count {
            chunks.append(.allocate(capacity: Self.chunkMask + 1))
        }
        (chunks[count >> Self.chunkShift] + (count & Self.chunkMask)).initialize(to: record)
        count += 1
    }

    /// Destroys every record and frees the chunks.
    mutating func deallocate() {
        for (number, chunk) in chunks.enumerated() {
            chunk.deinitialize(count: min(Self.chunkMask + 1, count - number << Self.chunkShift))
            chunk.deallocate()
        }
        chunks = []
        count = 0
    }
}
