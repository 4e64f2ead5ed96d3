import Foundation

extension CommandContext {
    /// Runs `answer` for the expression given on the command line, or for each line of standard
    /// input when there is none, and returns the exit status.
    ///
    /// `answer` writes the whole output line(s) for one expression and returns its status (0, or
    /// ``KairosCommandLine/noResultStatus`` when the expression has no answer, such as no fire
    /// time left); its second argument says whether it runs in batch mode.
    ///
    /// Single mode: an invalid expression prints `error: <message>` on standard error and gives
    /// status 1; otherwise the status is `answer`'s. Batch mode: an invalid line prints
    /// `error: <message>` as its output line, a blank (or all-whitespace) line prints a blank
    /// line; the status is 1 if any line was invalid, else the highest status `answer` returned.
    package func answer(expression text: String?, _ answer: (CronExpression, _ inBatch: Bool) -> Int32) -> Int32 {
        if let text {
            do {
                return answer(try CronExpression(text), false)
            } catch {
                errorOutput.write("error: \(error)\n")
                return 1
            }
        }
        var failed = false
        var status: Int32 = 0
        while let line = input.nextLine() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty {
                output.write("\n")
                continue
            }
            do {
                status = max(status, answer(try CronExpression(text), true))
            } catch {
                failed = true
                output.write("error: \(error)\n")
            }
        }
        return failed ? 1 : status
    }
}
