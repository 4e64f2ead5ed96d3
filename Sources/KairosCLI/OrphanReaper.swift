import Dispatch
import Kairos
import KairosPlatform

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reaps the orphaned processes that `kairos run` adopts when it is PID 1 or a child subreaper
/// (`--reap-orphans`), without taking the exit status of the commands it waits for itself.
///
/// When a command starts a background process and exits, the kernel re-parents that process to
/// PID 1, or to the nearest ancestor that made itself a child subreaper; when it exits it stays a
/// zombie until that parent waits for it. The crontab commands' shells are waited for by their
/// own threads (`waitpid(pid)` in ``SpawnedShell/wait(for:)``), so the reaper must not reap them:
/// their exit status would be lost and their `waitpid` would fail with `ECHILD`.
///
/// Design: one lock guards the set of command PIDs that are spawned and not yet waited for.
/// - ``launch(_:)`` spawns a command and adds its PID while holding the lock, so no reap pass can
///   see a command that has exited before it is known to be a command.
/// - A reap pass (``reapOrphans()``), under the lock, peeks at one exited child with
///   `waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT)`, which leaves it a zombie. If it is not a
///   command, the pass reaps it with `waitpid(pid, WNOHANG)` and peeks again; it stops when no
///   child has exited, or at a command's zombie, which only that command's waiter may reap.
/// - ``commandReaped(_:)``, called by a command's waiter after its `waitpid` returned, removes the
///   PID and runs a pass: orphans that exited while the command's zombie hid them are reaped then.
/// - Passes run on every SIGCHLD (a Dispatch signal source: a signal that arrives during a pass
///   runs another one, so coalesced signals lose nothing) and once at ``start()``, for children
///   that exited before (a PID 1 inherits the children of the process it was `exec`ed from).
///
/// Every child the process starts must go through ``launch(_:)``: any other child would be reaped
/// as an orphan. `kairos run` starts no other children.
///
/// Thread safety: every method may be called from any thread. A pass holds the lock only for
/// non-blocking system calls.
final class OrphanReaper: Sendable {
    /// The commands spawned through ``launch(_:)`` that their waiters have not reaped yet. (A
    /// ``LockedState``, not a `Mutex`: SIGCHLD passes and command starts and ends contend for it.)
    private let commands = LockedState<Set<pid_t>>([])

    init() {}

    /// Makes the process the reaper of its orphaned descendants (Linux's
    /// `PR_SET_CHILD_SUBREAPER`), as PID 1 is of every process in its PID namespace. Returns
    /// whether that succeeded: always `false` where there are no child subreapers (not Linux).
    static func becomeChildSubreaper() -> Bool {
        LinuxPrctl.call(LinuxPrctl.setChildSubreaper, 1)
    }

    /// Starts reaping: passes on SIGCHLD from now on, and one pass now. Returns the signal source;
    /// cancel it to stop.
    ///
    /// It returns once the source is registered with the system, so that no SIGCHLD after the
    /// return is missed.
    func start(queue: DispatchQueue) -> any DispatchSourceSignal {
        let source = DispatchSource.makeSignalSource(signal: SIGCHLD, queue: queue)
        let registered = DispatchSemaphore(value: 0)
        source.setRegistrationHandler { registered.signal() }
        source.setEventHandler { [self] in reapOrphans() }
        source.resume()
        registered.wait()
        reapOrphans()
        return source
    }

    /// Runs `spawn` (which starts a command and returns it) with the lock held and records the
    /// command's PID, so that reap passes leave it to its waiter, who must call
    /// ``commandReaped(_:)`` after waiting for it.
    func launch(_ spawn: () throws(SpawnedShell.Failure) -> SpawnedShell) throws(SpawnedShell.Failure) -> SpawnedShell {
        try commands.withLock { commands throws(SpawnedShell.Failure) -> SpawnedShell in
            let shell = try spawn()
            commands.insert(shell.pid)
            return shell
        }
    }

    /// Tells the reaper that the command `pid` has been waited for; reaps the orphans that exited
    /// meanwhile.
    func commandReaped(_ pid: pid_t) {
        _ = commands.withLock { $0.remove(pid) }
        reapOrphans()
    }

    /// Reaps every exited child that is not a command, up to the first exited command.
    func reapOrphans() {
        commands.withLock { commands in
            while let pid = Self.exitedChild(), !commands.contains(pid) {
                var status: Int32 = 0
                var reaped = waitpid(pid, &status, WNOHANG)
                while reaped < 0, errno == EINTR { reaped = waitpid(pid, &status, WNOHANG) }
                if reaped <= 0 { return }
            }
        }
    }

    /// A child that has exited, left unreaped; `nil` if there is none.
    private static func exitedChild() -> pid_t? {
        var info = siginfo_t()
        while waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 {
            if errno != EINTR { return nil }  // ECHILD: no children at all
        }
        #if canImport(Glibc)
        let pid = info._sifields._sigchld.si_pid
        #else
        let pid = info.si_pid
        #endif
        return pid == 0 ? nil : pid
    }
}
