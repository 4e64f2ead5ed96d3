/// The state file's form of a job's counters: an object holding only the counters that are not
/// zero (most jobs have most counters at zero).
extension JobCounters {
    init(reading reader: inout JSONReader) throws(JSONReadError) {
        var counters = JobCounters()
        try reader.readObject { (reader: inout JSONReader, key: String) throws(JSONReadError) in
            switch key {
            case "runs": counters.runs = try reader.readInt()
            case "failures": counters.failures = try reader.readInt()
            case "timeouts": counters.timeouts = try reader.readInt()
            case "missed": counters.missed = try reader.readInt()
            case "overlapSkipped": counters.overlapSkipped = try reader.readInt()
            case "bufferDropped": counters.bufferDropped = try reader.readInt()
            default: _ = try reader.readValue()
            }
        }
        self = counters
    }

    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            if runs != 0 { writer.member("runs", runs) }
            if failures != 0 { writer.member("failures", failures) }
            if timeouts != 0 { writer.member("timeouts", timeouts) }
            if missed != 0 { writer.member("missed", missed) }
            if overlapSkipped != 0 { writer.member("overlapSkipped", overlapSkipped) }
            if bufferDropped != 0 { writer.member("bufferDropped", bufferDropped) }
        }
    }
}
