import Foundation

/// The element types every kernel in this package is written for: `Float` and `Double`.
///
/// Generic code is convenient to read, but generics are only specialised across module boundaries when
/// they are `@inlinable`. Hot kernels therefore live in concrete `Float` and `Double` implementations and
/// are reached through the static requirements below, so that a generic caller pays one dynamic dispatch
/// per call, never per element.
public protocol MatrixScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable, LosslessStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// Short name of the element type, `"f32"` or `"f64"`, for messages and benchmark records.
    static var dtypeName: String { get }
    /// `eˣ`; a requirement because generic code cannot choose Foundation's per-type overload itself.
    static func exp(_ x: Self) -> Self
    /// Natural logarithm.
    static func log(_ x: Self) -> Self
    /// Hyperbolic tangent.
    static func tanh(_ x: Self) -> Self
    /// `xʸ`.
    static func pow(_ x: Self, _ y: Self) -> Self

    /// `C = alpha * op(A) * op(B) + beta * C`; see `gemm(_:_:alpha:_:_:beta:_:)`.
    static func gemmKernel(_ transA: Transpose, _ transB: Transpose, alpha: Self,
                           _ a: MatrixView<Self>, _ b: MatrixView<Self>, beta: Self, _ c: MutableMatrixView<Self>)
}

extension Float: MatrixScalar {
    /// `"f32"`.
    public static var dtypeName: String { "f32" }
    /// `eˣ` in single precision.
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    /// Natural logarithm in single precision.
    @inlinable public static func log(_ x: Float) -> Float { Foundation.log(x) }
    /// Hyperbolic tangent in single precision.
    @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
    /// `xʸ` in single precision.
    @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
}

extension Double: MatrixScalar {
    /// `"f64"`.
    public static var dtypeName: String { "f64" }
    /// `eˣ` in double precision.
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    /// Natural logarithm in double precision.
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    /// Hyperbolic tangent in double precision.
    @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    /// `xʸ` in double precision.
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}
