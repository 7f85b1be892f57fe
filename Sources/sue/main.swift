import Foundation
import SUE

// `sue`: the command-line face of the package. See `CommandLineTool` for the dispatch and exit codes.
registerPipelineMethods()  // sue, sue-numeric, sue-parametric, contrastive, mmd, ae next to the linear methods
exit(CommandLineTool.run(Array(CommandLine.arguments.dropFirst())))
