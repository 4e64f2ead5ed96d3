import Foundation
import Kairos

extension CommandContext {
    /// Runs `answer` for the expression given on the command line, or for each line of standard
    /// input when there is none, and returns the exit status.
    ///
    /// Single mode: an invalid expression prints `error: <message>` on standard error and gives
    /// status 1. Batch mode: an invalid line prints `error: <message>` as its output line, a
    /// blank (or all-whitespace) line prints a blank line, and the status is 1 if any line was
    /// invalid. `answer` writes the whole output line(s) for one expression; its second argument
    /// says whether it runs in batch mode.
    package func answer(expression text: String?, _ answer: (CronExpression, _ inBatch: Bool) -> Void) -> Int32 {
        if let text {
            do {
                answer(try CronExpression(text), false)
                return 0
            } catch {
                errorOutput.write("error: \(error)\n")
                return 1
            }
        }
        var failed = false
        while let line = input.nextLine() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty {
                output.write("\n")
                continue
            }
            do {
                answer(try CronExpression(text), true)
            } catch {
                failed = true
                output.write("error: \(error)\n")
            }
        }
        return failed ? 1 : 0
    }
}
