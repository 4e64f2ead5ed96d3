/// What happens when a job comes due while its previous run has not finished.
///
/// A run counts as "not finished" from the moment it is fired (it may still be waiting for executor
/// capacity) until its body returns.
public enum OverlapPolicy: Sendable, Hashable, Codable {
    /// Drop the new fire and count it in ``JobCounters/overlapSkipped`` (the default).
    case skip
    /// Keep the newest fire and run it when the current run finishes; an older buffered fire is
    /// replaced and counted in ``JobCounters/bufferDropped``.
    case bufferOne
    /// Queue fires (oldest first) and run them one after another; beyond `limit` queued fires the
    /// new fire is dropped and counted in ``JobCounters/bufferDropped``.
    case bufferAll(limit: Int)
    /// Cancel the running run (Swift task cancellation, cooperative) and start the new one; the new
    /// run starts only once the cancelled one has returned.
    case cancelOther
    /// Run concurrently, up to `limit` runs of this job at once; beyond that the fire is skipped and
    /// counted in ``JobCounters/overlapSkipped``.
    case allowAll(limit: Int)
}
