// The state file's own commit rate for Scripts/wrk-benchmarks.sh: what `POST /v1/schedules`
// could reach if the server cost nothing. Declares COUNT schedules as kairos-server does (a key
// per schedule, the shell action's stored arguments, a cron trigger that does not fire during the
// run) from THREADS threads at once on a new state file, and prints the rate. Not a product.
//
//   kairos-store-commit-rate STATE_FILE COUNT THREADS [keyed|unkeyed]
import Foundation
import Kairos
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count >= 4, let count = Int(arguments[2]), let threads = Int(arguments[3]), count > 0, threads > 0 else {
    FileHandle.standardError.write(Data("usage: kairos-store-commit-rate STATE_FILE COUNT THREADS [keyed|unkeyed]\n".utf8))
    exit(64)
}
let keyed = arguments.count < 5 || arguments[4] == "keyed"
let scheduler = try PersistentScheduler(stateFile: arguments[1])
scheduler.register("kairos.shell") { _, _ in }
scheduler.start()
let trigger = try CronTrigger("0 0 1 1 *", timeZone: TimeZone(identifier: "UTC")!)
let stored: JSONValue = ["command": "true", "environment": [:], "timeout": nil]

let done = DispatchGroup()
let failures = Mutex(0)
let start = ContinuousClock.now
for thread in 0..<threads {
    done.enter()
    Thread.detachNewThread {
        for index in stride(from: thread, to: count, by: threads) {
            do {
                if keyed {
                    try scheduler.schedule(key: "s-\(index)", name: "bench", function: "kairos.shell", arguments: stored, trigger: trigger)
                } else {
                    try scheduler.schedule(name: "bench", function: "kairos.shell", arguments: stored, trigger: trigger)
                }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        done.leave()
    }
}
done.wait()
let seconds = (ContinuousClock.now - start) / .seconds(1)
print(
    "\(count) \(keyed ? "keyed" : "unkeyed") declarations from \(threads) threads in \(String(format: "%.2f", seconds)) s: "
        + "\(Int(Double(count) / seconds))/s, \(failures.withLock { $0 }) failed")
scheduler.close()
