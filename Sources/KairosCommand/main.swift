import Foundation
import KairosCLI

exit(KairosCommandLine.run(Array(CommandLine.arguments.dropFirst()), context: .system()))
