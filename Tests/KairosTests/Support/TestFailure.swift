/// The error test bodies throw, compared by its message.
struct TestFailure: Error, Equatable, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }
    init(message: String) { self.message = message }

    var description: String { message }
}
