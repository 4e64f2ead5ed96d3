#if canImport(Glibc)
import Glibc
#endif

/// The platform seam for Linux's `prctl(2)`, which Swift does not import (it is variadic).
package enum LinuxPrctl {
    /// `PR_SET_TIMERSLACK`: the calling thread's timer slack, in nanoseconds.
    package static let setTimerSlack: Int32 = 29
    /// `PR_SET_CHILD_SUBREAPER`: whether the process adopts its orphaned descendants.
    package static let setChildSubreaper: Int32 = 36

    /// Calls `prctl(option, argument, 0, 0, 0)`; returns whether it succeeded. Always `false`
    /// where there is no `prctl` (anything but Linux).
    @discardableResult
    package static func call(_ option: Int32, _ argument: UInt) -> Bool {
        #if canImport(Glibc)
        // On Linux (x86-64, arm64) passing the integer arguments through a fixed-arity pointer is
        // the same call as the variadic one.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return false }
        return unsafeBitCast(symbol, to: Prctl.self)(option, argument, 0, 0, 0) == 0
        #else
        return false
        #endif
    }
}
