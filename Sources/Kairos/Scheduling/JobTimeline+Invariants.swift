extension JobTimeline {
    /// The broken invariants of the job table, the queue, the due list and the counters, each as
    /// a sentence; empty when the timeline is consistent. O(number of slots).
    ///
    /// Checked after every operation of the scheduler and every pass of its thread in builds with
    /// `-DKAIROS_INTERNAL_CHECKS` (`.ci/run` runs the scheduler suites so), as swift-collections
    /// does with its `_checkInvariants()`; the cheap O(1) ones are `assert`s in every debug build.
    func invariantViolations() -> [String] {
        var violations = queue.invariantViolations()
        var live = 0, paused = 0, active = 0, inDueList = 0, free = 0
        // Fields are read in place: copying each record would retain and release its references.
        for index in records.indices {
            let slot = UInt32(index)
            let state = records[index].state
            if state == .free {
                free += 1
                if records[index].active != 0 || records[index].activeRun != nil { violations.append("free slot \(slot) has runs") }
                if queue.contains(slot: slot) { violations.append("free slot \(slot) is queued") }
                continue
            }
            live += 1
            if state == .paused { paused += 1 }
            let running = Int(records[index].active)
            active += running
            let tracked = (records[index].activeRun == nil ? 0 : 1) + (records[index].extras?.otherActive.count ?? 0)
            if tracked != running { violations.append("slot \(slot) counts \(running) runs in flight and references \(tracked)") }
            let flags = records[index].flags
            let queued = queue.contains(slot: slot)
            if flags.contains(.inDueList) {
                inDueList += 1
                if queued { violations.append("slot \(slot) is in both the heap and the due list") }
            }
            if queued || flags.contains(.inDueList) {
                if state != .pending { violations.append("slot \(slot) is queued in state \(state)") }
                if records[index].nextDue.isNone { violations.append("slot \(slot) is queued without a due date") }
            }
            if flags.contains(.explicitID), explicitIDs[explicitIDsBySlot[slot]] != slot {
                violations.append("slot \(slot)'s explicit ID \(explicitIDsBySlot[slot]) is not mapped to it")
            }
        }
        if jobCount != live { violations.append("jobCount is \(jobCount) for \(live) jobs") }
        if pausedCount != paused { violations.append("pausedCount is \(pausedCount) for \(paused) paused jobs") }
        if activeRuns < active { violations.append("activeRuns is \(activeRuns) for \(active) runs in flight") }
        if free != freeSlots.count { violations.append("\(free) free slots and \(freeSlots.count) in the free list") }
        if Set(freeSlots).count != freeSlots.count { violations.append("the free list holds a slot twice") }
        for slot in freeSlots where Int(slot) >= records.count || records[Int(slot)].state != .free {
            violations.append("the free list holds slot \(slot), which is not free")
        }
        let pending = dueList.count - dueHead
        if pending != inDueList { violations.append("\(pending) due-list entries for \(inDueList) flagged slots") }
        for slot in dueList[dueHead...] where !records[Int(slot)].flags.contains(.inDueList) {
            violations.append("due-list slot \(slot) is not flagged")
        }
        for (id, slot) in explicitIDs
        where Int(slot) >= records.count || !records[Int(slot)].flags.contains(.explicitID) || explicitIDsBySlot[slot] != id {
            violations.append("explicit ID \(id) maps to slot \(slot), which holds another job")
        }
        return violations
    }

    /// Traps on a broken invariant in builds with `-DKAIROS_INTERNAL_CHECKS`; does nothing
    /// otherwise.
    @inline(__always)
    func checkInvariants() {
        #if KAIROS_INTERNAL_CHECKS
        let violations = invariantViolations()
        precondition(violations.isEmpty, "scheduler invariants broken: \(violations.joined(separator: "; "))")
        #endif
    }
}
