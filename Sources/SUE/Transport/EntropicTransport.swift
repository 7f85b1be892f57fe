import Foundation
import LinearAlgebra

/// Entropic optimal transport between two sets of points with uniform masses: the plan T (m × n) minimising
/// `⟨T, C⟩ − ε·H(T)` with row sums 1/m and column sums 1/n, by Sinkhorn's matrix scaling (Cuturi 2013).
///
/// **Stabilised scaling.** The optimal plan is `T_ij = exp((f_i + g_j − C_ij)/ε)` for dual potentials f, g. With a
/// small ε the plain kernel `exp(−C/ε)` underflows (C/ε in the hundreds), so the potentials are kept in the log
/// domain and only the scalings around them are iterated (Schmitzer 2019, *Stabilized sparse scaling algorithms
/// for entropy regularized transport problems*):
/// - each block of `refreshInterval` iterations starts with one exact log-domain update of f, then of g
///   (log-sum-exp, with the largest term factored out), so every row and column of the kernel built from them
///   holds mass that cannot underflow;
/// - the block then iterates `u ← a / (K·v)`, `v ← b / (Kᵀ·u)` on that kernel, which costs one multiply-add per
///   entry instead of one exponential, and absorbs the scalings into the potentials (`f += ε·log u`) when the block
///   ends or a scaling stops being a positive finite number.
///
/// The potentials persist in `potentials`, so a sequence of related problems (the rounds of a Gromov–Wasserstein
/// solve) starts each one warm. Every loop hands fixed row blocks to the threads and sums each row in a fixed
/// order, so the plan does not depend on the thread count.
struct EntropicTransport {
    /// The regularisation ε, in the units of the cost.
    let epsilon: Double
    /// Scaling iterations per solve.
    let iterations: Int
    /// Iterations between exact log-domain updates of the potentials.
    let refreshInterval = 25

    /// The dual potentials f (one per row) and g (one per column), carried between solves.
    var potentials: (f: [Double], g: [Double])

    /// A solver for an m × n problem, starting from zero potentials.
    init(rows m: Int, columns n: Int, epsilon: Double, iterations: Int) {
        self.epsilon = epsilon
        self.iterations = iterations
        potentials = ([Double](repeating: 0, count: m), [Double](repeating: 0, count: n))
    }

    /// The plan for `cost` (m × n, finite), with its rows summing to 1/m and, to the solver's accuracy, its
    /// columns to 1/n.
    mutating func plan(_ cost: Matrix<Double>) -> Matrix<Double> {
        let m = cost.rows, n = cost.columns
        let costT = cost.transposed
        var f = potentials.f, g = potentials.g
        let logA = Foundation.log(1 / Double(m)), logB = Foundation.log(1 / Double(n))
        var done = 0
        while done < iterations {
            logDomainUpdate(&f, other: g, cost: cost, logMass: logA)
            logDomainUpdate(&g, other: f, cost: costT, logMass: logB)
            done += 1
            let steps = min(refreshInterval, iterations - done)
            guard steps > 0 else { break }
            let kernel = gibbsKernel(cost, f, g), kernelT = kernel.transposed
            var u = [Double](repeating: 1, count: m), v = [Double](repeating: 1, count: n)
            for _ in 0..<steps {
                guard let nu = scaling(kernel, by: v, mass: 1 / Double(m)) else { break }
                u = nu
                guard let nv = scaling(kernelT, by: u, mass: 1 / Double(n)) else { break }
                v = nv
                done += 1
            }
            for i in 0..<m { f[i] += epsilon * Foundation.log(u[i]) }
            for j in 0..<n { g[j] += epsilon * Foundation.log(v[j]) }
        }
        // The final update makes the rows exact.
        logDomainUpdate(&f, other: g, cost: cost, logMass: logA)
        potentials = (f, g)
        return gibbsKernel(cost, f, g)
    }

    /// `f_i ← ε·log a − ε·log Σ_j exp((g_j − C_ij)/ε)` for every row i of `cost`.
    private func logDomainUpdate(_ f: inout [Double], other g: [Double], cost: Matrix<Double>, logMass: Double) {
        let n = cost.columns, eps = epsilon
        f.withUnsafeMutableBufferPointer { out in
            let out = out
            cost.elements.withUnsafeBufferPointer { c in
                g.withUnsafeBufferPointer { g in
                    Parallel.forEachChunk(cost.rows, chunk: 16) { block in
                        for i in block {
                            let row = c.baseAddress! + i * n
                            var top = -Double.infinity
                            for j in 0..<n { top = max(top, (g[j] - row[j]) / eps) }
                            var total = 0.0
                            for j in 0..<n { total += Foundation.exp((g[j] - row[j]) / eps - top) }
                            out[i] = eps * (logMass - top - Foundation.log(total))
                        }
                    }
                }
            }
        }
    }

    /// `exp((f_i + g_j − C_ij)/ε)`.
    private func gibbsKernel(_ cost: Matrix<Double>, _ f: [Double], _ g: [Double]) -> Matrix<Double> {
        var kernel = cost
        let n = cost.columns, eps = epsilon
        kernel.elements.withUnsafeMutableBufferPointer { k in
            let k = k
            Parallel.forEachChunk(cost.rows, chunk: 16) { block in
                for i in block {
                    for j in 0..<n { k[i * n + j] = Foundation.exp((f[i] + g[j] - k[i * n + j]) / eps) }
                }
            }
        }
        return kernel
    }

    /// `mass / (K·v)` row by row, or nil if an entry is not a positive finite number.
    private func scaling(_ kernel: Matrix<Double>, by v: [Double], mass: Double) -> [Double]? {
        let n = kernel.columns
        var out = [Double](repeating: 0, count: kernel.rows)
        out.withUnsafeMutableBufferPointer { out in
            let out = out
            kernel.elements.withUnsafeBufferPointer { k in
                v.withUnsafeBufferPointer { v in
                    Parallel.forEachChunk(kernel.rows, chunk: 32) { block in
                        for i in block { out[i] = mass / dot(k.baseAddress! + i * n, v.baseAddress!, count: n) }
                    }
                }
            }
        }
        return out.allSatisfy({ $0.isFinite && $0 > 0 }) ? out : nil
    }
}
