import Foundation
import LinearAlgebra
import SUE
import SUEFiles

// Workload 'csls': CSLS mutual nearest neighbours between two point sets, the inner step of self-learning.
//
//   sue-bench csls --n 11500 --d 128 [--nq 11500] [--k 10] [--repeats 5] [--workspace] [--cache-limit N] [--json]
//                  [--decay 1] [--noise 1]      (P's column j scaled by decay^j; Q = P permuted plus noise, likewise scaled)
//   sue-bench csls --x X.npy --y Y.npy [--n 11500] [--d 128]     (first n rows, first d columns of real data)
//   sue-bench csls … --shortlist-rank 128 [--shortlist-candidates 24]
//
// With `--shortlist-rank` the call is the shortlisted matching (`MatchingShortlist`), and the exact matching is
// timed in the same run beside it: `exact_seconds_median`, the ratio `shortlist_time_ratio` and `agreement`, the
// fraction of the exact matching's pairs that the shortlisted one also finds.
// `--workspace` passes one `CSLSWorkspace` to every timed call (after one untimed call that sizes it), as
// self-learning does between its rounds; without it every call allocates and page-faults its similarity cache.
// `--cache-limit 0` forces the uncached path (similarities recomputed per row block in the second pass).
//
// Besides the call itself it times the similarity GEMM (|P| × |Q| × d) the matching is built on, twice:
// into a freshly allocated matrix (`gemm_*`: includes zero-filling and page-faulting |P|·|Q| floats) and into
// a reused, already touched buffer (`gemm_warm_*`: the arithmetic alone). The call minus `gemm_warm` is what
// the selection passes and the memory handling cost on top of the arithmetic. `user_/system_seconds_median`
// are the CPU seconds of one call (all threads). Medians are reported because
// the machine is shared; no peer: Benchmarks/tools/selflearn_prototype.py (numpy) is the reference.
func runCSLSBenchmark(_ args: BenchArguments) throws {
    let d = args.int("d") ?? 128, k = args.int("k") ?? 10
    let repeats = args.int("repeats") ?? 3
    var random = SeededRandom(seed: UInt64(args.int("seed") ?? 0))
    let p: Matrix<Float>, q: Matrix<Float>
    if let xPath = args.string("x"), let yPath = args.string("y") {
        let x = try NPYFile.read(URL(fileURLWithPath: xPath), as: Float.self)
        let y = try NPYFile.read(URL(fileURLWithPath: yPath), as: Float.self)
        let n = min(args.int("n") ?? x.rows, x.rows), nq = min(args.int("nq") ?? n, y.rows)
        let dx = min(d, x.columns), dy = min(d, y.columns), dd = min(dx, dy)
        p = Matrix(rows: n, columns: dd) { i, j in x[i, j] }
        q = Matrix(rows: nq, columns: dd) { i, j in y[i, j] }
    } else {
        let n = args.int("n") ?? 11500, nq = args.int("nq") ?? n
        // P's column j scaled by decay^j: the similarities' spectrum decays as real factors' do (1: flat).
        let decay = args.double("decay") ?? 1, noise = args.double("noise") ?? 1
        var scaled: Matrix<Float> = random.normalMatrix(n, d, std: 1)
        for j in 0..<d { let f = Float(pow(decay, Double(j))); for i in 0..<n { scaled[i, j] *= f } }
        p = scaled
        // Q: a noisy copy of P in another order, so that matches exist (extra rows are pure noise).
        let order = random.permutation(max(n, nq))
        var rows = Matrix<Float>(rows: nq, columns: d)
        for i in 0..<nq {
            for j in 0..<d { rows[i, j] = (order[i] < n ? p[order[i], j] : 0) + Float(noise * random.normal() * pow(decay, Double(j))) }
        }
        q = rows
    }
    let limit = args.int("cache-limit") ?? similarityCacheLimit
    let workspace = args.has("workspace") ? CSLSWorkspace() : nil
    let shortlist = args.int("shortlist-rank").map { MatchingShortlist(rank: $0, candidates: args.int("shortlist-candidates") ?? 24) }
    var matches = 0
    var found: MutualMatches? = nil
    var userSeconds: [Double] = [], systemSeconds: [Double] = []
    let times = try measure(repeats: repeats, warmup: workspace == nil ? 0 : 1) {
        let before = userAndSystemSeconds()
        let result = try cslsMutualNearestNeighbours(p, q, k: k, maxCachedSimilarities: limit, workspace: workspace,
                                                     shortlist: shortlist)
        matches = result.count
        found = result
        let after = userAndSystemSeconds()
        userSeconds.append(after.user - before.user)
        systemSeconds.append(after.system - before.system)
    }
    var comparison: [String: Any] = [:]
    if let shortlist, let found {
        var exact: MutualMatches? = nil
        let exactTimes = try measure(repeats: repeats, warmup: workspace == nil ? 0 : 1) {
            exact = try cslsMutualNearestNeighbours(p, q, k: k, maxCachedSimilarities: limit, workspace: workspace)
        }
        let exactPairs = Set(zip(exact!.x, exact!.y).map { Int64($0.0) << 32 | Int64($0.1) })
        let shared = zip(found.x, found.y).filter { exactPairs.contains(Int64($0.0) << 32 | Int64($0.1)) }.count
        comparison = ["shortlist_rank": shortlist.rank, "shortlist_candidates": shortlist.candidates,
                      "exact_matches": exactPairs.count, "exact_seconds_median": median(exactTimes),
                      "shortlist_time_ratio": median(times) / median(exactTimes),
                      "agreement": exactPairs.isEmpty ? 1 : Double(shared) / Double(exactPairs.count)]
    }
    var s = Matrix<Float>(rows: p.rows, columns: q.rows)
    let gemmTimes = measure(repeats: repeats, warmup: 0) {
        s = Matrix.multiply(p, .none, q, .transposed)
    }
    var warmCPU: [Double] = []
    let warmTimes = measure(repeats: repeats, warmup: 0) {
        let before = userAndSystemSeconds()
        s.withMutableView { c in p.withView { a in q.withView { b in gemm(.none, .transposed, a, b, c) } } }
        let after = userAndSystemSeconds()
        warmCPU.append(after.user + after.system - before.user - before.system)
    }
    _ = s
    emit(comparison.merging(["workload": "csls", "library": "sue-swift", "n": p.rows, "nq": q.rows, "d": p.columns, "k": k,
          "matches": matches, "workspace": workspace != nil, "cache_limit": limit,
          "seconds_min": times.min()!, "seconds_median": median(times),
          "seconds_all": times.map { ($0 * 1000).rounded() / 1000 },
          "user_seconds_median": median(userSeconds), "system_seconds_median": median(systemSeconds),
          "gemm_seconds_min": gemmTimes.min()!, "gemm_seconds_median": median(gemmTimes),
          "gemm_warm_seconds_median": median(warmTimes), "gemm_warm_cpu_seconds_median": median(warmCPU),
          "threads": Parallel.threadCount, "build": buildFlavour]) { $1 }, json: args.json)
}

/// User and system CPU seconds of the whole process so far (all threads). On a shared machine the CPU time of
/// a call is a steadier figure than its wall time: other processes delay the call but do not add to it.
private func userAndSystemSeconds() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + 1e-6 * Double(t.tv_usec) }
    return (seconds(usage.ru_utime), seconds(usage.ru_stime))
}
