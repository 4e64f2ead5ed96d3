import Foundation
import Kairos

exit(KairosCommandLine.run(Array(CommandLine.arguments.dropFirst()), context: .system()))
