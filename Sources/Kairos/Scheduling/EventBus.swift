import KairosPlatform
import Synchronization

/// Delivers scheduler events to handlers and `AsyncStream`s.
///
/// ``isListening`` is one relaxed atomic load, so the scheduler builds no event at all while
/// nobody listens (the hot path of a million firings a second).
final class EventBus: Sendable {
    private struct State {
        var handlers: [UInt64: @Sendable (SchedulerEvent) -> Void] = [:]
        var streams: [UInt64: AsyncStream<SchedulerEvent>.Continuation] = [:]
        var nextID: UInt64 = 0
    }

    private let state = LockedState(State())
    private let listening = Atomic<Bool>(false)

    var isListening: Bool { listening.load(ordering: .relaxed) }

    func addHandler(_ handler: @escaping @Sendable (SchedulerEvent) -> Void) -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            state.handlers[state.nextID] = handler
            listening.store(true, ordering: .relaxed)
            return state.nextID
        }
    }

    func removeHandler(_ id: UInt64) {
        state.withLock { state in
            state.handlers[id] = nil
            listening.store(!state.handlers.isEmpty || !state.streams.isEmpty, ordering: .relaxed)
        }
    }

    func makeStream(bufferSize: Int) -> AsyncStream<SchedulerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: SchedulerEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let id = state.withLock { state in
            state.nextID += 1
            state.streams[state.nextID] = continuation
            listening.store(true, ordering: .relaxed)
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.state.withLock { state in
                state.streams[id] = nil
                self.listening.store(!state.handlers.isEmpty || !state.streams.isEmpty, ordering: .relaxed)
            }
        }
        return stream
    }

    func emit(_ events: [SchedulerEvent]) {
        guard !events.isEmpty else { return }
        let (handlers, streams) = state.withLock { (Array($0.handlers.sorted { $0.key < $1.key }.map(\.value)), Array($0.streams.values)) }
        for event in events {
            for handler in handlers { handler(event) }
            for stream in streams { stream.yield(event) }
        }
    }

    func finishStreams() {
        let streams = state.withLock { state in
            let streams = Array(state.streams.values)
            state.streams.removeAll()
            listening.store(!state.handlers.isEmpty, ordering: .relaxed)
            return streams
        }
        for stream in streams { stream.finish() }
    }
}
