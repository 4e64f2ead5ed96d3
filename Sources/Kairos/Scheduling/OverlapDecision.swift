/// What the overlap rules decide when a job comes due: a pure value computed from the policy and
/// the job's runs in flight and buffered fires, which the scheduler then applies. It touches no
/// scheduler state, so the rules are tested as tables.
enum OverlapDecision: Equatable {
    /// Start a run now.
    case start
    /// Drop the fire and count it in ``JobCounters/overlapSkipped``.
    case skip
    /// Buffer the fire behind the buffered ones.
    case buffer
    /// The buffer is full: drop the fire and count it in ``JobCounters/bufferDropped``.
    case dropFire
    /// Drop every buffered fire (counted in ``JobCounters/bufferDropped``) and buffer this one.
    case replaceBuffer
    /// Cancel the runs in flight, drop every buffered fire and buffer this one: it starts once
    /// the cancelled runs have returned.
    case cancelRunsAndReplaceBuffer

    /// The most runs of one job in flight at once (the record's counter is 16 bits).
    static let activeLimit = Int(UInt16.max)

    /// Decides for a fire of a job with `active` runs fired and not finished and `buffered`
    /// fires waiting behind them.
    init(policy: OverlapPolicy, active: Int, buffered: Int) {
        if active == 0 {
            self = .start
            return
        }
        guard active < Self.activeLimit else {
            self = .skip
            return
        }
        switch policy.kind {
        case .skip: self = .skip
        case .allowAll(let limit): self = active < limit ? .start : .skip
        case .bufferOne: self = .replaceBuffer
        case .bufferAll(let limit): self = buffered < limit ? .buffer : .dropFire
        case .cancelOther: self = .cancelRunsAndReplaceBuffer
        }
    }
}
