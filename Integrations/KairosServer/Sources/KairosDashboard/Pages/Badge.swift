import KairosHTTP

/// A status or outcome as a coloured label; the word is always written, so that colour is never
/// the only sign.
enum Badge {
    static func status(_ status: String) -> HTML {
        "<span class=\"badge status-\(status)\">\(status)</span>"
    }

    static func outcome(_ outcome: RunRecord.Outcome) -> HTML {
        "<span class=\"badge outcome-\(outcome.rawValue)\">\(DisplayText.outcome(outcome))</span>"
    }
}
