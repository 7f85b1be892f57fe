import Foundation

// `sue`: the command-line face of the package. See `CommandLineTool` for the dispatch and exit codes.
registerModelKinds()
exit(CommandLineTool.run(Array(CommandLine.arguments.dropFirst())))
