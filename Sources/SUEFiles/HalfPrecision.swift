/// IEEE 754 binary16 ("half", NumPy's `float16`, safetensors' `F16`) and bfloat16 decoding by bit
/// manipulation, so that reading does not depend on `Float16` being available on the host platform.
///
/// binary16 is 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits. Every half value is exactly
/// representable as a `Float` (8 exponent bits, bias 127, 23 fraction bits), so the conversion is exact:
/// normal numbers re-bias the exponent by 127 − 15 = 112 and shift the fraction left by 23 − 10 = 13;
/// subnormal halves (exponent field 0) are `fraction × 2⁻²⁴` and become normal floats; the all-ones
/// exponent (Inf/NaN) maps to the all-ones float exponent with the fraction (the NaN payload) kept.
@inline(__always)
func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32((h >> 10) & 0x1F)
    let fraction = UInt32(h & 0x03FF)
    switch exponent {
    case 0:
        // Zero or subnormal: fraction × 2⁻²⁴ is exact in Float (at most 10 significant bits).
        let magnitude = Float(fraction) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
    default:
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (fraction << 13))
    }
}

/// bfloat16 is the upper half of a binary32 pattern, so widening is a 16-bit shift.
@inline(__always)
func floatFromBFloat16Bits(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}
