import Foundation
import LinearAlgebra

/// The assignment (a permutation π of 0..<n) maximising Σᵢ score[i, π(i)] for a square `score` matrix: the
/// Hungarian method (Kuhn 1955, Munkres 1957) in its shortest-augmenting-path form with dual potentials
/// (Jonker & Volgenant 1987), O(n³).
///
/// Rows are added one at a time; for each, a Dijkstra-like search over columns on the reduced costs
/// c(i, j) − u(i) − v(j) ≥ 0 finds the cheapest augmenting path, and the potentials are shifted by the
/// smallest slack at each step so that reduced costs stay non-negative and the matched edges stay tight. At the
/// end the potentials certify optimality (complementary slackness). Ties are broken towards smaller column
/// indices, so the result is deterministic. Entries must be finite.
public func optimalAssignment(maximising score: Matrix<Double>) throws -> [Int] {
    guard score.rows == score.columns else {
        throw AlignmentError.shapeMismatch("assignment: the score matrix must be square, got \(score.rows) × \(score.columns)")
    }
    if let bad = score.firstNonFinite() {
        throw AlignmentError.nonFinite(what: "assignment scores", row: bad.row, column: bad.column, value: bad.value)
    }
    let n = score.rows
    if n == 0 { return [] }
    // Minimise cost = −score. Index 0 of the column arrays is a virtual column that holds the row being added.
    var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: n + 1)
    var rowOfColumn = [Int](repeating: 0, count: n + 1)   // 1-based row matched to column j (0: free)
    var previousColumn = [Int](repeating: 0, count: n + 1)
    for row in 1...n {
        rowOfColumn[0] = row
        var column = 0
        var slack = [Double](repeating: .infinity, count: n + 1)
        var visited = [Bool](repeating: false, count: n + 1)
        repeat {
            visited[column] = true
            let i = rowOfColumn[column]
            var delta = Double.infinity, nextColumn = 0
            for j in 1...n where !visited[j] {
                let reduced = -score[i - 1, j - 1] - u[i] - v[j]
                if reduced < slack[j] { slack[j] = reduced; previousColumn[j] = column }
                if slack[j] < delta { delta = slack[j]; nextColumn = j }
            }
            for j in 0...n {
                if visited[j] { u[rowOfColumn[j]] += delta; v[j] -= delta } else { slack[j] -= delta }
            }
            column = nextColumn
        } while rowOfColumn[column] != 0
        // Augment along the path back to the virtual column.
        repeat {
            let before = previousColumn[column]
            rowOfColumn[column] = rowOfColumn[before]
            column = before
        } while column != 0
    }
    var assignment = [Int](repeating: 0, count: n)
    for j in 1...n { assignment[rowOfColumn[j] - 1] = j - 1 }
    return assignment
}
