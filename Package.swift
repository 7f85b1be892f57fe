// swift-tools-version:6.0
// SUE in pure Swift: no package dependencies, no C targets, Swift 6 language mode.
//
// The manifest carries no unsafe flags, so the package works as a version-tagged dependency. The default build
// targets baseline x86-64 and its micro-kernels use plain `acc += a * b` (a fused form would lower to a software
// call per lane there). The native build is a command-line choice, never a manifest one:
//
//     swift build -c release -Xswiftc -target-cpu -Xswiftc native -Xswiftc -DSUE_FMA --scratch-path .build-native
//
// `-DSUE_FMA` switches the micro-kernels to fused multiply-add and the wider native tiles.
import PackageDescription

let swiftSettings: [SwiftSetting] = []

let package = Package(
    name: "SUE",
    products: [
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
        .library(name: "Autodiff", targets: ["Autodiff"]),
        .library(name: "Spectral", targets: ["Spectral"]),
        .library(name: "SUE", targets: ["SUE"]),
        .library(name: "SUEFiles", targets: ["SUEFiles"]),
        .library(name: "SUEModelFiles", targets: ["SUEModelFiles"]),
        .executable(name: "sue", targets: ["sue"]),
        .executable(name: "sue-bench", targets: ["sue-bench"]),
    ],
    targets: [
        // Numerics: each depends only on the layers above it.
        .target(name: "LinearAlgebra", swiftSettings: swiftSettings),
        .target(name: "Autodiff", dependencies: ["LinearAlgebra"], swiftSettings: swiftSettings),
        .target(name: "Spectral", dependencies: ["LinearAlgebra"], swiftSettings: swiftSettings),
        // The methods: no file formats.
        .target(name: "SUE", dependencies: ["LinearAlgebra", "Autodiff", "Spectral"], swiftSettings: swiftSettings),
        // Files: .npy, safetensors, pairs CSV, atomic writes; model files on top of them.
        .target(name: "SUEFiles", dependencies: ["LinearAlgebra"], swiftSettings: swiftSettings),
        .target(name: "SUEModelFiles", dependencies: ["SUE", "SUEFiles", "LinearAlgebra"], swiftSettings: swiftSettings),
        // The bundled demo data, used by the command-line tool only.
        .target(name: "SUEDemoData", dependencies: ["SUEFiles", "LinearAlgebra"], resources: [.copy("Resources/demo")],
                swiftSettings: swiftSettings),
        .executableTarget(name: "sue", dependencies: ["SUE", "SUEFiles", "SUEModelFiles", "SUEDemoData", "LinearAlgebra"],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "sue-bench", dependencies: ["SUE", "SUEFiles", "Spectral", "Autodiff", "LinearAlgebra"],
                          path: "Benchmarks/sue-bench", swiftSettings: swiftSettings),
        // The README's Swift example, built by the test command so that it cannot go stale.
        .executableTarget(name: "sue-example", dependencies: ["SUE", "SUEFiles", "SUEModelFiles", "LinearAlgebra"],
                          path: "Examples/QuickStart", swiftSettings: swiftSettings),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "LinearAlgebra"]),
        .testTarget(name: "SpectralTests", dependencies: ["Spectral", "LinearAlgebra"]),
        .testTarget(name: "SUETests", dependencies: ["SUE", "Spectral", "Autodiff", "LinearAlgebra", "SUEFiles"]),
        .testTarget(name: "SUEFilesTests", dependencies: ["SUEFiles", "LinearAlgebra"]),
        .testTarget(name: "SUEModelFilesTests", dependencies: ["SUEModelFiles", "SUE", "SUEFiles", "LinearAlgebra"]),
        .testTarget(name: "sueTests", dependencies: ["SUEDemoData", "SUE", "SUEFiles", "LinearAlgebra"]),
    ]
)
