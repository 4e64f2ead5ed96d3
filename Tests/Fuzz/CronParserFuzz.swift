// libFuzzer target for the cron parser and engine. Built by run.sh together with the Kairos
// sources into one module (so it is not part of the SwiftPM test target).
import Foundation

private let zones = ["America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC"].map { TimeZone(identifier: $0)! }

/// Like `precondition`, but prints the message in optimized builds too.
private func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        FileHandle.standardError.write(Data(("invariant failed: " + message() + "\n").utf8))
        abort()
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func cronParserFuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    let expression: CronExpression
    do {
        expression = try CronExpression(text)
    } catch {
        // Every rejection carries a message and points inside the input.
        check(!error.description.isEmpty, "empty message for \(text.debugDescription)")
        check(error.offset >= 0 && error.offset <= text.count, "offset \(error.offset) outside \(text.debugDescription)")
        return 0
    }
    // parse → description → parse gives an equal expression with the same text.
    let normalized = expression.description
    guard let reparsed = try? CronExpression(normalized) else {
        check(false, "\(text.debugDescription) normalized to unparsable \(normalized.debugDescription)")
        return 0
    }
    check(reparsed == expression, "\(text.debugDescription) → \(normalized.debugDescription) changed meaning")
    check(reparsed.description == normalized, "\(normalized.debugDescription) is not a fixed point")
    check(!expression.explanation.isEmpty, "empty explanation for \(text.debugDescription)")

    // Fire times are strictly later, match, and previousDate mirrors nextDate.
    var hash: UInt64 = 1469598103934665603
    for byte in UnsafeBufferPointer(start: bytes, count: count) { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
    let zone = zones[Int(hash % UInt64(zones.count))]
    let start = Date(timeIntervalSince1970: 1_700_000_000 + Double(hash % 400_000_000) + 0.5)
    if let next = expression.nextDate(after: start, in: zone) {
        check(next > start, "\(text.debugDescription): next \(next) not after \(start)")
        check(expression.matches(next, in: zone), "\(text.debugDescription): next \(next) does not match in \(zone.identifier)")
        let back = expression.previousDate(before: next, in: zone)
        check(back.map { $0 <= start } ?? true, "\(text.debugDescription): previous of \(next) is \(String(describing: back)), after \(start)")
    }
    if let previous = expression.previousDate(before: start, in: zone) {
        check(previous < start, "\(text.debugDescription): previous \(previous) not before \(start)")
        check(expression.matches(previous, in: zone), "\(text.debugDescription): previous \(previous) does not match in \(zone.identifier)")
        let forward = expression.nextDate(after: previous, in: zone)
        check(
            forward.map { $0 >= start } ?? (expression.nextDate(after: start, in: zone) == nil),
            "\(text.debugDescription): next of \(previous) is \(String(describing: forward)), before \(start)")
    }
    return 0
}
