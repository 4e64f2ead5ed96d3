/// A failure of the node process that is not a command-line mistake: printed on stderr, exit 1.
struct NodeFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
