// swift-tools-version:5.9
// SUE in pure Swift: no package dependencies, no C targets.
//
// Native builds are opt-in: `SUE_NATIVE=1 swift build -c release` compiles every target with
// `-target-cpu native` and defines `SUE_FMA`, which switches the micro-kernels to fused multiply-add.
// Without it the build targets baseline x86-64 and uses plain `acc += a * b` (a fused form would
// lower to a software call per lane there).
import PackageDescription
import Foundation

let native = ProcessInfo.processInfo.environment["SUE_NATIVE"].map { $0 == "1" || $0.lowercased() == "true" } ?? false

let swiftSettings: [SwiftSetting] = native
    ? [.unsafeFlags(["-target-cpu", "native"]), .define("SUE_FMA")]
    : []

let package = Package(
    name: "SUE",
    products: [
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
        .library(name: "Autodiff", targets: ["Autodiff"]),
        .library(name: "Spectral", targets: ["Spectral"]),
        .library(name: "SUE", targets: ["SUE"]),
        .library(name: "SUEFiles", targets: ["SUEFiles"]),
        .executable(name: "sue", targets: ["sue"]),
        .executable(name: "sue-bench", targets: ["sue-bench"]),
    ],
    targets: [
        .target(name: "LinearAlgebra", swiftSettings: swiftSettings),
        .target(name: "Autodiff", dependencies: ["LinearAlgebra"], swiftSettings: swiftSettings),
        .target(name: "Spectral", dependencies: ["LinearAlgebra"], swiftSettings: swiftSettings),
        .target(name: "SUEFiles", dependencies: ["LinearAlgebra"], swiftSettings: swiftSettings),
        .target(name: "SUE", dependencies: ["LinearAlgebra", "Autodiff", "Spectral", "SUEFiles"],
                resources: [.copy("Resources/demo")], swiftSettings: swiftSettings),
        .executableTarget(name: "sue", dependencies: ["SUE", "SUEFiles", "Spectral", "LinearAlgebra"],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "sue-bench", dependencies: ["SUE", "SUEFiles", "Spectral", "Autodiff", "LinearAlgebra"],
                          path: "Benchmarks/sue-bench", swiftSettings: swiftSettings),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "LinearAlgebra"]),
        .testTarget(name: "SpectralTests", dependencies: ["Spectral", "LinearAlgebra"]),
        .testTarget(name: "SUEFilesTests", dependencies: ["SUEFiles", "LinearAlgebra"]),
        .testTarget(name: "SUETests", dependencies: ["SUE", "Spectral", "Autodiff", "LinearAlgebra", "SUEFiles"]),
    ]
)
