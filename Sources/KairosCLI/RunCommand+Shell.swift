import Foundation
import Kairos
import KairosPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The log of `kairos run`: one line per event on standard output, each written whole (lines of
/// concurrent commands never interleave mid-line).
///
/// Format: `<UTC time> [<job>] <message>`; a command's own output lines are passed through as
/// `<UTC time> [<job>] <line>` on the stream they were written to.
package final class RunLog: Sendable {
    private let lock = NSLock()
    private let standardOutput: Int32
    private let standardError: Int32

    package init(standardOutput: Int32 = 1, standardError: Int32 = 2) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// Logs `message` about `label` (`line 3`, `kairos`).
    package func event(_ label: String, _ message: String) { write("[\(label)] \(message)", to: standardOutput) }

    /// Passes through one line of a command's output.
    package func output(_ label: String, _ line: String, fromStandardError: Bool) {
        write("[\(label)] \(line)", to: fromStandardError ? standardError : standardOutput)
    }

    /// Logs an error to standard error.
    package func error(_ label: String, _ message: String) { write("[\(label)] error: \(message)", to: standardError) }

    private func write(_ text: String, to descriptor: Int32) {
        var line = ISO8601Timestamp.string(for: Date(), in: .gmt) + " " + text + "\n"
        lock.lock()
        defer { lock.unlock() }
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, bytes, count)
    #else
    Darwin.write(descriptor, bytes, count)
    #endif
}

/// How a command ended.
package struct CommandTermination: Sendable, Equatable, CustomStringConvertible {
    /// The exit status, or the signal number if ``killedBySignal``.
    package var status: Int32
    /// Whether a signal ended it.
    package var killedBySignal: Bool

    package var succeeded: Bool { status == 0 && !killedBySignal }

    package var description: String { killedBySignal ? "killed by signal \(status)" : "exit status \(status)" }
}

/// Why a command's run counts as failed.
struct CommandFailed: Error, CustomStringConvertible {
    var termination: CommandTermination
    var description: String { termination.description }
}

/// Runs one crontab command through `/bin/sh -c`, passing its output through the log.
///
/// The shell is the leader of a new process group, with default signal dispositions and an
/// empty signal mask (whatever `kairos run` ignores or blocks), so that killing the group stops
/// the shell and everything it started.
enum ShellCommand {
    /// Runs `command` and returns how it ended, once it has exited and its output is logged.
    ///
    /// Cancelling the calling task kills the command's process group with SIGKILL (the
    /// graceful-stop timeout). With a `reaper`, the command is started and waited for through it,
    /// so that its exit status is not reaped as an orphan's.
    static func run(
        _ command: String, environment: [String: String], label: String, log: RunLog, reaper: OrphanReaper? = nil
    ) async -> CommandTermination {
        let spawned: SpawnedShell
        do throws(SpawnedShell.Failure) {
            let spawn = { () throws(SpawnedShell.Failure) in try SpawnedShell(command: command, environment: environment) }
            if let reaper { spawned = try reaper.launch(spawn) } else { spawned = try spawn() }
        } catch {
            log.error(label, "cannot start /bin/sh: \(error)")
            return CommandTermination(status: 127, killedBySignal: false)
        }
        let completion = Completion(parts: 3)
        let termination = LockedState(CommandTermination(status: 0, killedBySignal: false))
        let pid = spawned.pid
        // Blocking waits and reads get threads of their own: on the shared dispatch pool a few
        // long commands would starve the others.
        Thread.detachNewThread {
            termination.withLock { $0 = SpawnedShell.wait(for: pid) }
            reaper?.commandReaped(pid)
            completion.partDone()
        }
        for (descriptor, isError) in [(spawned.output, false), (spawned.errors, true)] {
            Thread.detachNewThread {
                var pending: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    if count <= 0 { break }
                    pending.append(contentsOf: buffer[0..<count])
                    while let newline = pending.firstIndex(of: 0x0A) {
                        log.output(label, String(decoding: pending[..<newline], as: UTF8.self), fromStandardError: isError)
                        pending.removeSubrange(...newline)
                    }
                }
                if !pending.isEmpty { log.output(label, String(decoding: pending, as: UTF8.self), fromStandardError: isError) }
                _ = close(descriptor)
                completion.partDone()
            }
        }
        await withTaskCancellationHandler {
            await completion.wait()
        } onCancel: {
            kill(-pid, SIGKILL)
        }
        return termination.withLock { $0 }
    }
}

/// A `/bin/sh -c` process started with `posix_spawn` in its own process group, with pipes for
/// its standard output and error (standard input is `/dev/null`).
struct SpawnedShell {
    struct Failure: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    let pid: pid_t
    /// The read ends of the pipes.
    let output: Int32
    let errors: Int32

    /// Held from creating a command's pipes to spawning it: `pipe` and setting close-on-exec are
    /// two calls, and a command spawned by another thread between them would inherit this job's
    /// pipe ends (its reader would then see end-of-file only when that other command ends).
    private static let spawnLock = NSLock()

    init(command: String, environment: [String: String]) throws(Failure) {
        Self.spawnLock.lock()
        defer { Self.spawnLock.unlock() }
        (pid, output, errors) = try Self.spawn(command: command, environment: environment)
    }

    private static func spawn(command: String, environment: [String: String]) throws(Failure) -> (pid_t, Int32, Int32) {
        let outputPipe = try Self.makePipe()
        let errorPipe = try Self.makePipe()
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe.write, 2)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let arguments: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { (text: String) in strdup(text) }
        let variables: [UnsafeMutablePointer<CChar>?] = environment.map { (pair: (key: String, value: String)) in strdup("\(pair.key)=\(pair.value)") }
        defer { for pointer in arguments + variables { free(pointer) } }
        var pid = pid_t()
        let result = (arguments + [nil]).withUnsafeBufferPointer { argv in
            (variables + [nil]).withUnsafeBufferPointer { envp in
                posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv.baseAddress!, envp.baseAddress!)
            }
        }
        _ = close(outputPipe.write)
        _ = close(errorPipe.write)
        guard result == 0 else {
            _ = close(outputPipe.read)
            _ = close(errorPipe.read)
            throw Failure(call: "posix_spawn", code: result)
        }
        return (pid, outputPipe.read, errorPipe.read)
    }

    /// A pipe whose ends are closed on exec (the child gets copies through `dup2`, which clears
    /// the flag), so that no other command inherits them and keeps them open.
    private static func makePipe() throws(Failure) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw Failure(call: "pipe", code: errno) }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return (descriptors[0], descriptors[1])
    }

    /// Waits for the process to exit and decodes its status.
    static func wait(for pid: pid_t) -> CommandTermination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return CommandTermination(status: 255, killedBySignal: false) }
        }
        let signal = status & 0x7F
        if signal == 0 { return CommandTermination(status: (status >> 8) & 0xFF, killedBySignal: false) }
        return CommandTermination(status: signal, killedBySignal: true)
    }
}

/// Resumes a waiting task once a number of parts (exit, end of each output) are done.
private final class Completion: Sendable {
    private let state: LockedState<(remaining: Int, waiter: CheckedContinuation<Void, Never>?)>

    init(parts: Int) { state = LockedState((parts, nil)) }

    func partDone() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.remaining -= 1
            guard state.remaining == 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.remaining == 0 { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }
}
