/// Reads `read` again until `done` holds for what it returned, and returns that: the wait for what
/// happens on its own in a server or another process (a run, a pause taking effect, a file
/// written by a child). It waits for progress, not for a time budget: a wait that never ends is
/// ended by the suite's time limit.
func poll<Value>(
    every interval: Duration = .milliseconds(20), _ read: () async throws -> Value, until done: (Value) -> Bool
) async throws -> Value {
    while true {
        let value = try await read()
        if done(value) { return value }
        try await Task.sleep(for: interval)
    }
}

/// Waits until `condition` holds, checking it every `interval` (see ``poll(every:_:until:)``).
func waitUntil(every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool) async throws {
    _ = try await poll(every: interval, condition, until: { $0 })
}

extension Reply {
    /// Whether the reply's `runs` array has a run in it (`/v1/runs`, a schedule's runs).
    var listsRuns: Bool { !(self["runs"]?.arrayValue.isEmpty ?? true) }
}

extension Client {
    /// `GET`s `path` until `done` holds for the reply.
    func poll(_ path: String, until done: (Reply) -> Bool) async throws -> Reply {
        try await KairosHTTPTests.poll({ try await send(.get, path) }, until: done)
    }
}

extension ServerProcess {
    /// `GET`s `path` until `done` holds for the reply.
    func poll(_ path: String, until done: (Reply) -> Bool) async throws -> Reply {
        try await KairosHTTPTests.poll({ try await send(.GET, path) }, until: done)
    }
}
