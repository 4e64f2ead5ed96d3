#if canImport(Glibc)
import Glibc
#endif

/// The platform seam for the timer precision of the scheduler thread.
enum TimerSlack {
    /// Asks the kernel to wake the calling thread as close to its deadlines as it can. On Linux,
    /// threads get 50 µs of timer slack by default, which would add up to 50 µs to every fire;
    /// this sets it to 1 ns with `prctl(PR_SET_TIMERSLACK)`. Elsewhere it does nothing.
    static func minimize() {
        #if canImport(Glibc)
        // `prctl` is variadic, which Swift does not import; on Linux (x86-64, arm64) passing the
        // integer arguments through a fixed-arity pointer is the same call.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return }
        _ = unsafeBitCast(symbol, to: Prctl.self)(29 /* PR_SET_TIMERSLACK */, 1, 0, 0, 0)
        #endif
    }
}
