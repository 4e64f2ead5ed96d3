import Foundation

// kairos-cluster-node: one node of a Kairos cluster on PostgreSQL, and the peer benchmarks' setup
// commands. See NodeCommand.usage.

let command: NodeCommand
do {
    command = try NodeCommand.parse(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
} catch {
    FileHandle.standardError.write(Data("kairos-cluster-node: \(error)\n\(NodeCommand.usage)\n".utf8))
    exit(64)
}

do {
    switch command.action {
    case .node(let name):
        try await ClusterNode(command: command, name: name).run()
    default:
        try await PeerSetup(command: command).run()
    }
} catch {
    FileHandle.standardError.write(Data("kairos-cluster-node: \(error)\n".utf8))
    exit(1)
}
