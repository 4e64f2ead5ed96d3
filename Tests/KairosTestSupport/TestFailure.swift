/// The error test bodies throw, compared by its message.
public struct TestFailure: Error, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }
    public init(message: String) { self.message = message }

    public var description: String { message }
}
