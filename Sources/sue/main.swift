import Foundation
import SUE

// `sue`: the command-line face of the package. See `CommandLineTool` for the dispatch and exit codes.
exit(CommandLineTool.run(Array(CommandLine.arguments.dropFirst())))
