//! CPython's float arithmetic where it differs from plain IEEE operators
//! (`Objects/floatobject.c`: `float_div`, `float_floor_div`, `float_pow`), for the
//! Countdown evaluator's `f64` regime ([`super::arith`]). `+`, `-` and `*` are plain IEEE
//! in CPython too (overflow gives `inf`, no error).

/// The exceptions these operations raise in Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatError {
    /// `ZeroDivisionError`: `x / 0.0`, `x // 0.0`, `0.0 ** -y`.
    ZeroDivision,
    /// `OverflowError`: a finite `**` whose result is out of range.
    Overflow,
    /// A negative base to a non-integer power: CPython returns a `complex`, not an error.
    Complex,
}

/// `a / b`.
pub fn div(a: f64, b: f64) -> Result<f64, FloatError> {
    if b == 0.0 {
        Err(FloatError::ZeroDivision)
    } else {
        Ok(a / b)
    }
}

/// `a // b`: the floor of `a / b` computed through `fmod`, as CPython does, so that
/// `22.0 // 1.1 == 19.0` (1.1 is slightly above 11/10 in binary).
pub fn floor_div(a: f64, b: f64) -> Result<f64, FloatError> {
    if b == 0.0 {
        return Err(FloatError::ZeroDivision);
    }
    let m = a % b; // C fmod
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div == 0.0 {
        return Ok(0.0f64.copysign(a / b));
    }
    let floor = div.floor();
    Ok(if div - floor > 0.5 {
        floor + 1.0
    } else {
        floor
    })
}

/// `a ** b`, with CPython's special cases in CPython's order.
pub fn pow(a: f64, b: f64) -> Result<f64, FloatError> {
    let is_odd_int = |x: f64| x.is_finite() && x.floor() == x && (x % 2.0).abs() == 1.0;
    if b == 0.0 {
        return Ok(1.0);
    }
    if a.is_nan() {
        return Ok(a);
    }
    if b.is_nan() {
        return Ok(if a == 1.0 { 1.0 } else { b });
    }
    if b.is_infinite() {
        let a = a.abs();
        return Ok(if a == 1.0 {
            1.0
        } else if (a > 1.0) == (b > 0.0) {
            f64::INFINITY
        } else {
            0.0
        });
    }
    if a.is_infinite() {
        return Ok(match (b > 0.0, is_odd_int(b)) {
            (true, true) => a,
            (true, false) => a.abs(),
            (false, true) => 0.0f64.copysign(a),
            (false, false) => 0.0,
        });
    }
    if a == 0.0 {
        if b < 0.0 {
            return Err(FloatError::ZeroDivision);
        }
        return Ok(if is_odd_int(b) { a } else { 0.0 });
    }
    if a < 0.0 && b.floor() != b {
        return Err(FloatError::Complex);
    }
    let r = a.abs().powf(b);
    if r.is_infinite() {
        return Err(FloatError::Overflow); // an underflow to 0 is not an error
    }
    Ok(if a < 0.0 && is_odd_int(b) { -r } else { r })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cpython() {
        // Values from CPython 3.11.
        assert_eq!(floor_div(22.0, 1.1), Ok(19.0));
        assert_eq!(floor_div(7.5, 2.0), Ok(3.0));
        assert_eq!(floor_div(-7.0, 2.0), Ok(-4.0));
        assert_eq!(floor_div(7.0, -2.0), Ok(-4.0));
        assert!(floor_div(-0.5, 2.0).unwrap().is_sign_negative()); // -0.0
        assert_eq!(floor_div(1.0, 0.0), Err(FloatError::ZeroDivision));
        assert_eq!(div(1.0, 0.0), Err(FloatError::ZeroDivision));
        assert_eq!(pow(-2.0, 3.0), Ok(-8.0));
        assert_eq!(pow(-8.0, 1.0 / 3.0), Err(FloatError::Complex));
        assert_eq!(pow(0.0, -1.0), Err(FloatError::ZeroDivision));
        assert_eq!(pow(10.0, 400.0), Err(FloatError::Overflow));
        assert_eq!(pow(10.0, -400.0), Ok(0.0));
        assert_eq!(pow(f64::NAN, 0.0), Ok(1.0));
        assert_eq!(pow(1.0, f64::NAN), Ok(1.0));
        assert_eq!(pow(0.5, f64::INFINITY), Ok(0.0));
        assert_eq!(pow(f64::NEG_INFINITY, 3.0), Ok(f64::NEG_INFINITY));
        assert_eq!(pow(4.0, 0.5), Ok(2.0));
    }
}
