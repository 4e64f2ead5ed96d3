import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `/bin/sh -c` in a process group of its own, collecting the tail of its output (stdout and
/// stderr together), and kills the whole group when the calling task is cancelled (a timeout, a
/// deleted schedule, shutdown) or when the shell exits (no orphan outlives its run).
enum ShellProcess {
    struct Result: Sendable {
        /// The exit status, or 128 + N when signal N ended the shell.
        var exitStatus: Int
        var outputTail: String
    }

    enum Failure: Error, CustomStringConvertible {
        case spawn(Int32)
        var description: String {
            switch self {
            case .spawn(let code): "could not start /bin/sh: \(String(cString: strerror(code)))"
            }
        }
    }

    /// How long a cancelled command has between SIGTERM and SIGKILL.
    static let terminationGrace = DispatchTimeInterval.seconds(5)

    /// The script that changes into the working directory (an argument, never quoted into the
    /// script) and runs the command.
    private static let launcher = #"if [ -n "$1" ]; then cd -- "$1" || exit 126; fi; exec /bin/sh -c "$2""#

    static func run(command: String, workingDirectory: String?, environment: [String: String], tailLimit: Int) async throws -> Result {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw Failure.spawn(errno) }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so that a timeout kills what the command started too; default
        // signal handling and an empty mask, whatever the server set for itself.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let arguments = ["/bin/sh", "-c", launcher, "sh", workingDirectory ?? "", command]
        let environmentLines = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(arguments) { argv in
            withCStrings(environmentLines) { envp in posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp) }
        }
        close(writeEnd)
        guard status == 0 else {
            close(readEnd)
            throw Failure.spawn(status)
        }

        let group = ProcessGroup(leader: pid)
        let output = OutputTail(limit: tailLimit)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    let reader = Thread { output.drain(readEnd) }
                    reader.start()
                    let status = group.waitForLeader()
                    output.waitUntilDrained()
                    close(readEnd)
                    continuation.resume(returning: Result(exitStatus: Self.exitStatus(status), outputTail: output.text))
                }
                thread.start()
            }
        } onCancel: {
            group.signal(SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + terminationGrace) { group.signal(SIGKILL) }
        }
    }

    private static func exitStatus(_ status: Int32) -> Int {
        let signal = status & 0x7f
        return signal == 0 ? Int((status >> 8) & 0xff) : 128 + Int(signal)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// The last `limit` bytes read from a pipe, filled by one thread and read by another.
private final class OutputTail: @unchecked Sendable {
    // `bytes` is written by the draining thread only, and read after `drained` is signalled.
    private var bytes: [UInt8] = []
    private let limit: Int
    private let drained = DispatchSemaphore(value: 0)

    init(limit: Int) { self.limit = limit }

    func drain(_ descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            if bytes.count > 2 * limit { bytes.removeFirst(bytes.count - limit) }
        }
        if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
        drained.signal()
    }

    func waitUntilDrained() { drained.wait() }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// A shell's process group: signalled as a whole, and never once the shell is reaped (from then
/// on its ID may name another group; until then the zombie keeps the ID taken).
private final class ProcessGroup: Sendable {
    private let leader: pid_t
    private let reaped = Mutex(false)

    init(leader: pid_t) { self.leader = leader }

    func signal(_ signal: Int32) {
        reaped.withLock { if !$0 { _ = kill(-leader, signal) } }
    }

    /// Waits for the shell to exit, kills what it left running in its group, reaps it and
    /// returns its wait status.
    func waitForLeader() -> Int32 {
        var info = siginfo_t()
        while waitid(P_PID, id_t(leader), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
        signal(SIGKILL)
        var status: Int32 = 0
        reaped.withLock { reaped in
            while waitpid(leader, &status, 0) == -1 && errno == EINTR {}
            reaped = true
        }
        return status
    }
}
