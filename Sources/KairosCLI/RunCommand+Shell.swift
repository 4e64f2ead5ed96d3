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
///
/// A run ends when the shell exits, as in cron: a process the command leaves in the background
/// (`sleep 60 &`) holds the output pipes open, but it is not part of the run. Its output is still
/// passed through, with the run's label, until it closes them or exits; it is never signalled by
/// `kairos`.
enum ShellCommand {
    /// Runs `command` and returns how its shell ended, once the shell has exited and everything
    /// the shell wrote is logged.
    ///
    /// Cancelling the calling task while the shell runs kills its process group with SIGKILL
    /// (the graceful-stop timeout). With a `reaper`, the command is started and waited for
    /// through it, so that its exit status is not reaped as an orphan's.
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
        let completion = Completion()
        // The shell's status once it has been waited for; from then on its PID (the process
        // group's ID) may only name the processes it left in the background.
        let termination = LockedState<CommandTermination?>(nil)
        let pid = spawned.pid
        // Blocking waits and reads get threads of their own: on the shared dispatch pool a few
        // long commands would starve the others.
        Thread.detachNewThread {
            let status = SpawnedShell.wait(for: pid)
            termination.withLock { $0 = status }
            reaper?.commandReaped(pid)
            spawned.shellExited()
        }
        Thread.detachNewThread {
            OutputRelay(shell: spawned, label: label, log: log).run(shellDone: completion.done)
        }
        await withTaskCancellationHandler {
            await completion.wait()
        } onCancel: {
            termination.withLock { if $0 == nil { kill(-pid, SIGKILL) } }
        }
        return termination.withLock { $0 } ?? CommandTermination(status: 255, killedBySignal: false)
    }
}

/// Passes a command's standard output and error through the log, line by line, until both reach
/// end-of-file, and tells when the shell's own output is all logged.
///
/// One thread polls the two pipes and the shell's exit pipe. When the shell has exited, the
/// pipes are drained of what is in them (everything the shell wrote: its writes completed before
/// it exited), unfinished lines are logged, and `shellDone` is called; the relay then goes on
/// for the processes left in the background, which may hold the pipes open much longer.
private struct OutputRelay {
    let shell: SpawnedShell
    let label: String
    let log: RunLog

    private struct Stream {
        var descriptor: Int32
        var isError: Bool
        var pending: [UInt8] = []
    }

    func run(shellDone: () -> Void) {
        var streams = [Stream(descriptor: shell.output, isError: false), Stream(descriptor: shell.errors, isError: true)]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var exitPipe = shell.exitNotice
        while exitPipe >= 0 || streams.contains(where: { $0.descriptor >= 0 }) {
            var descriptors =
                streams.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
                + [pollfd(fd: exitPipe, events: Int16(POLLIN), revents: 0)]
            if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in streams.indices where descriptors[index].revents != 0 {
                relay(&streams[index], buffer: &buffer, drain: false)
            }
            if exitPipe >= 0, descriptors[2].revents != 0 {
                endOfShell(&exitPipe, streams: &streams, buffer: &buffer, shellDone: shellDone)
            }
        }
        // Only if `poll` itself failed: the run still ends when the shell does.
        if exitPipe >= 0 {
            var byte: UInt8 = 0
            while read(exitPipe, &byte, 1) < 0, errno == EINTR {}
            endOfShell(&exitPipe, streams: &streams, buffer: &buffer, shellDone: shellDone)
        }
        for index in streams.indices where streams[index].descriptor >= 0 {
            flushPending(&streams[index])
            _ = close(streams[index].descriptor)
        }
    }

    /// The shell has exited: logs what it left in the pipes, then ends the run.
    private func endOfShell(_ exitPipe: inout Int32, streams: inout [Stream], buffer: inout [UInt8], shellDone: () -> Void) {
        _ = close(exitPipe)
        exitPipe = -1
        for index in streams.indices {
            relay(&streams[index], buffer: &buffer, drain: true)
            flushPending(&streams[index])
        }
        shellDone()
    }

    /// Reads what the (non-blocking) pipe holds: one read, or with `drain` until it is empty.
    /// Logs each complete line; at end-of-file, logs the rest and closes the pipe.
    ///
    /// A drain stops after ``drainLimit`` bytes: what the shell wrote fits in the pipe's buffer,
    /// and a background process that writes without pause must not keep the run from ending.
    private func relay(_ stream: inout Stream, buffer: inout [UInt8], drain: Bool) {
        var budget = drain ? Self.drainLimit : 1
        while stream.descriptor >= 0, budget > 0 {
            let count = buffer.withUnsafeMutableBytes { read(stream.descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
            }
            if count <= 0 {
                flushPending(&stream)
                _ = close(stream.descriptor)
                stream.descriptor = -1
                return
            }
            budget -= drain ? count : 1
            stream.pending.append(contentsOf: buffer[0..<count])
            while let newline = stream.pending.firstIndex(of: 0x0A) {
                log.output(label, String(decoding: stream.pending[..<newline], as: UTF8.self), fromStandardError: stream.isError)
                stream.pending.removeSubrange(...newline)
            }
        }
    }

    /// The most a pipe's buffer holds unless raised by the administrator (Linux's
    /// `pipe-max-size`; 64 KiB by default on Linux and Darwin).
    private static let drainLimit = 1 << 20

    private func flushPending(_ stream: inout Stream) {
        guard !stream.pending.isEmpty else { return }
        log.output(label, String(decoding: stream.pending, as: UTF8.self), fromStandardError: stream.isError)
        stream.pending.removeAll()
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
    /// The read ends of the pipes, non-blocking.
    let output: Int32
    let errors: Int32
    /// The read end of a pipe of `kairos`'s own that becomes readable once ``shellExited()`` is
    /// called: what the output relay polls for the shell's exit.
    let exitNotice: Int32
    private let exitNoticeWriter: Int32

    /// Held from creating a command's pipes to spawning it: `pipe` and setting close-on-exec are
    /// two calls, and a command spawned by another thread between them would inherit this job's
    /// pipe ends (its reader would then see end-of-file only when that other command ends).
    private static let spawnLock = NSLock()

    init(command: String, environment: [String: String]) throws(Failure) {
        Self.spawnLock.lock()
        defer { Self.spawnLock.unlock() }
        let notice = try Self.makePipe()
        do throws(Failure) {
            (pid, output, errors) = try Self.spawn(command: command, environment: environment)
        } catch {
            _ = close(notice.read)
            _ = close(notice.write)
            throw error
        }
        (exitNotice, exitNoticeWriter) = notice
        for descriptor in [output, errors] { _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) }
    }

    /// Tells the output relay that the shell has exited and been waited for (once).
    func shellExited() {
        _ = close(exitNoticeWriter)
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

    /// Marks every descriptor above standard error close-on-exec, so that commands get only the
    /// three standard streams, as from cron.
    ///
    /// `kairos` may inherit descriptors from whatever started it (a socket by which a parent
    /// process watches for its exit, a systemd listening socket); a background process that a
    /// command leaves running would hold them open for as long as it lives. Called once when
    /// `kairos run` starts, before any command; the descriptors `kairos` opens itself are
    /// close-on-exec already.
    static func closeInheritedDescriptorsOnExec() {
        var descriptors: [Int32] = []
        if let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            descriptors = names.compactMap { Int32($0) }
        } else {
            descriptors = Array(3..<Int32(min(getdtablesize(), 65_536)))
        }
        for descriptor in descriptors where descriptor > 2 {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
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

/// Resumes a waiting task once ``done()`` has been called (before or after the wait began).
private final class Completion: Sendable {
    private let state = LockedState<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func done() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.done = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.done { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }
}
