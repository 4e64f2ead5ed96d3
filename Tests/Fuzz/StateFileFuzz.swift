// libFuzzer target for the state-file readers: the snapshot, the journal (each input is also
// wrapped as a correctly checksummed journal record, so that the record reader is reached), the
// stored triggers and options (of jobs and DAG jobs), and the crontab parser of `kairos run`.
// Built by run.sh together with the Kairos sources into one module.
import Foundation

/// Like `precondition`, but prints the message in optimized builds too.
private func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        FileHandle.standardError.write(Data(("invariant failed: " + message() + "\n").utf8))
        abort()
    }
}

private func checksummedLine(_ json: Data) -> Data {
    let checksum = String(CRC32.checksum(json), radix: 16)
    return Data((String(repeating: "0", count: 8 - checksum.utf8.count) + checksum + " ").utf8) + json + Data([0x0A])
}

/// A stored job's trigger and options are rebuilt at restore; bad ones must be refused with a
/// reason, never trap.
private func rebuild(_ job: PersistedJob) {
    do {
        let trigger = try SchedulerValueCoding.trigger(job.trigger).makeTrigger()
        _ = trigger.nextFireDate(after: Date(timeIntervalSince1970: 1_767_225_600))
    } catch {
        check(!"\(error)".isEmpty, "a trigger refused without a reason")
    }
    do {
        _ = try SchedulerValueCoding.options(job.options)
    } catch {
        check(!error.description.isEmpty, "options refused without a reason")
    }
}

/// A stored DAG job's trigger and options were checked when read: rebuilding them must work.
private func rebuild(_ job: PersistedDAGJob) {
    do {
        _ = try job.dependencyOptions()
    } catch {
        check(false, "DAG job options accepted when read but refused when rebuilt: \(error)")
    }
    if let trigger = job.trigger {
        do {
            _ = try SchedulerValueCoding.trigger(trigger).makeTrigger().nextFireDate(after: Date(timeIntervalSince1970: 1_767_225_600))
        } catch {
            check(!"\(error)".isEmpty, "a DAG trigger refused without a reason")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func stateFileFuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)

    // As a snapshot: refused with the file named, or read; what is read writes back to itself.
    do {
        let document = try StateFileFormat.decodeSnapshot(data, file: "fuzz.json")
        let again = try StateFileFormat.decodeSnapshot(StateFileFormat.encodeSnapshot(document), file: "fuzz.json")
        check(again == document, "snapshot changed on a write and read back")
        for job in document.jobs.values { rebuild(job) }
        for job in document.dag.jobs.values { rebuild(job) }
    } catch {
        check(error.description.contains("fuzz.json"), "snapshot error without the file: \(error)")
    }

    // As a journal record behind a valid header.
    let journal = StateFileFormat.journalHeaderLine() + checksummedLine(data)
    do {
        let content = try StateFileFormat.decodeJournal(journal, file: "fuzz.journal")
        var document = StateDocument()
        for record in content.records {
            let rewritten = StateFileFormat.journalHeaderLine() + StateFileFormat.encodeRecord(record)
            let reread = try StateFileFormat.decodeJournal(rewritten, file: "fuzz.journal")
            check(
                reread.records.count == 1 && reread.records[0].changes == record.changes,
                "journal record changed on a write and read back")
            do {
                try document.apply(record.changes)
            } catch {
                check(!error.description.isEmpty, "a change refused without a reason")
            }
        }
        for job in document.jobs.values { rebuild(job) }
        for job in document.dag.jobs.values { rebuild(job) }
    } catch {
        check(error.description.contains("fuzz.journal"), "journal error without the file: \(error)")
    }

    // As a crontab.
    let text = String(decoding: data, as: UTF8.self)
    do {
        _ = try Crontab.parse(text, timeZone: TimeZone(identifier: "UTC")!)
    } catch {
        check(!error.description.isEmpty, "crontab refused without a reason")
    }
    return 0
}
