import Foundation
import SUEFiles

// `sue`: the command-line face of the package. See `CommandLineTool` for the dispatch and exit codes.
AtomicFile.removeTemporaryFilesOnInterrupt()   // an interrupted write leaves no temporary file behind
exit(CommandLineTool.run(Array(CommandLine.arguments.dropFirst())))
