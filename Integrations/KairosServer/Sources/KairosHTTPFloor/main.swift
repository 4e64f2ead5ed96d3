// The framework's floor for Scripts/wrk-benchmarks.sh: a plain Hummingbird hello-world, built
// with the same Hummingbird and configuration as kairos-server, so that the benchmark shows what
// the API costs over the framework itself. Not a product: nothing here is for users.
//
//   kairos-http-floor PORT    (0: any free port; prints "kairos-http-floor listening on HOST:PORT")
import Foundation
import Hummingbird

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
let router = Router()
router.get("/") { _, _ in "Hello, world!" }
let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "kairos-http-floor"),
    onServerRunning: { channel in
        FileHandle.standardOutput.write(Data("kairos-http-floor listening on 127.0.0.1:\(channel.localAddress?.port ?? 0)\n".utf8))
    })
try await app.runService()
