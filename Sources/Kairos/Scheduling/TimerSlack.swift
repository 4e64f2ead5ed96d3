import KairosPlatform

/// The platform seam for the timer precision of the scheduler thread.
enum TimerSlack {
    /// Asks the kernel to wake the calling thread as close to its deadlines as it can. On Linux,
    /// threads get 50 µs of timer slack by default, which would add up to 50 µs to every fire;
    /// this sets it to 1 ns with `prctl(PR_SET_TIMERSLACK)`. Elsewhere it does nothing.
    static func minimize() {
        LinuxPrctl.call(LinuxPrctl.setTimerSlack, 1)
    }
}
