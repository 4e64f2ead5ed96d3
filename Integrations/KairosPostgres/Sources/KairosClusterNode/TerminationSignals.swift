import Dispatch
import Foundation
import Synchronization

/// SIGTERM and SIGINT as an event: the first one calls `onSignal` (the node stops claiming and
/// shuts down); if the process is still alive `graceMilliseconds` later, it exits with status 1 so
/// that a stop never hangs (the peer harness sends SIGKILL after 5 s).
final class TerminationSignals {
    private let sources: [any DispatchSourceSignal]

    init(graceMilliseconds: Int = 4500, onSignal: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "kairos-cluster-node.signals")
        let first = FirstSignal()
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                guard first.claim() else { return }
                onSignal(number)
                queue.asyncAfter(deadline: .now() + .milliseconds(graceMilliseconds)) {
                    FileHandle.standardError.write(
                        Data("kairos-cluster-node: still running \(graceMilliseconds) ms after the signal; exiting\n".utf8))
                    exit(1)
                }
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}

/// Whether a signal was handled already.
private final class FirstSignal: Sendable {
    private let handled = Mutex(false)

    /// True for the first call only.
    func claim() -> Bool {
        handled.withLock { handled in
            defer { handled = true }
            return !handled
        }
    }
}
