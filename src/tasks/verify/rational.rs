//! Exact rational numbers over `i128` with checked arithmetic.
//!
//! Every operation returns `None` on overflow instead of wrapping or panicking; callers
//! decide what overflow means (the Countdown evaluator falls back to `f64`, as Python's
//! own arithmetic would be approximate there too). Values are kept in lowest terms with a
//! positive denominator, so structural equality is numeric equality.

use std::cmp::Ordering;

/// `num / den` in lowest terms, `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    // Works on magnitudes; callers never pass i128::MIN (see `new`).
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ratio {
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `num / den` reduced; `None` if `den == 0` or a component is `i128::MIN` (whose
    /// magnitude does not fit, so we treat it as overflow).
    pub fn new(num: i128, den: i128) -> Option<Ratio> {
        if den == 0 || num == i128::MIN || den == i128::MIN {
            return None;
        }
        let g = gcd(num, den);
        let (mut num, mut den) = (num / g, den / g);
        if den < 0 {
            num = -num;
            den = -den;
        }
        Some(Ratio { num, den })
    }

    /// The integer `n`.
    pub fn int(n: i128) -> Option<Ratio> {
        Ratio::new(n, 1)
    }

    pub fn numer(self) -> i128 {
        self.num
    }

    pub fn denom(self) -> i128 {
        self.den
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    pub fn is_integer(self) -> bool {
        self.den == 1
    }

    pub fn checked_neg(self) -> Option<Ratio> {
        Some(Ratio {
            num: self.num.checked_neg()?,
            den: self.den,
        })
    }

    pub fn checked_add(self, o: Ratio) -> Option<Ratio> {
        let g = gcd(self.den, o.den);
        let (a, b) = (self.den / g, o.den / g);
        let num = self
            .num
            .checked_mul(b)?
            .checked_add(o.num.checked_mul(a)?)?;
        Ratio::new(num, a.checked_mul(o.den)?)
    }

    pub fn checked_sub(self, o: Ratio) -> Option<Ratio> {
        self.checked_add(o.checked_neg()?)
    }

    pub fn checked_mul(self, o: Ratio) -> Option<Ratio> {
        // Cross-reduce first so that products stay as small as possible.
        let g1 = gcd(self.num, o.den).max(1);
        let g2 = gcd(o.num, self.den).max(1);
        let num = (self.num / g1).checked_mul(o.num / g2)?;
        let den = (self.den / g2).checked_mul(o.den / g1)?;
        Ratio::new(num, den)
    }

    /// `self / o`; `None` when `o` is zero or on overflow (callers check for zero first
    /// when they need to tell the two apart).
    pub fn checked_div(self, o: Ratio) -> Option<Ratio> {
        if o.num == 0 {
            return None;
        }
        self.checked_mul(Ratio::new(o.den, o.num)?)
    }

    /// The largest integer `<= self`.
    pub fn floor(self) -> i128 {
        self.num.div_euclid(self.den)
    }

    /// `self ** exp` for an integer exponent, by repeated squaring with checked steps
    /// (at most ~2·128 multiplications before overflow). `None` on overflow or `0 ** -n`.
    pub fn checked_pow(self, exp: i128) -> Option<Ratio> {
        if exp < 0 {
            return Ratio::ONE
                .checked_div(self)?
                .checked_pow(exp.checked_neg()?);
        }
        if self.num == 0 || (self.num == 1 && self.den == 1) {
            return Some(if exp == 0 { Ratio::ONE } else { self });
        }
        if self.num == -1 && self.den == 1 {
            return Some(if exp % 2 == 0 { Ratio::ONE } else { self });
        }
        let (mut base, mut e, mut acc) = (self, exp, Ratio::ONE);
        while e > 0 {
            if e & 1 == 1 {
                acc = acc.checked_mul(base)?;
            }
            e >>= 1;
            if e > 0 {
                base = base.checked_mul(base)?;
            }
        }
        Some(acc)
    }

    /// The exact `q`-th root, if `self` is the `q`-th power of a rational (`q >= 1`).
    /// Negative values have no real even root; odd roots keep the sign.
    pub fn root(self, q: i128) -> Option<Ratio> {
        if q < 1 {
            return None;
        }
        if self.num < 0 {
            return if q % 2 == 1 {
                self.checked_neg()?.root(q)?.checked_neg()
            } else {
                None
            };
        }
        Ratio::new(int_root(self.num, q)?, int_root(self.den, q)?)
    }

    /// The exact value of a finite `f64`, if it fits (|x| < 2^127 and at most 126 binary
    /// fraction digits, i.e. every float from about 1e-38 upward).
    pub fn from_f64(x: f64) -> Option<Ratio> {
        if !x.is_finite() {
            return None;
        }
        if x == 0.0 {
            return Some(Ratio::ZERO);
        }
        // x = mantissa * 2^exponent with an integer mantissa below 2^53.
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = (bits & ((1u64 << 52) - 1)) as i128;
        let (mantissa, exponent) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1 << 52), biased - 1075)
        };
        let signed = if x < 0.0 { -mantissa } else { mantissa };
        if exponent >= 0 {
            let scale = 1i128
                .checked_shl(u32::try_from(exponent).ok()?)
                .filter(|s| *s > 0)?;
            Ratio::new(signed.checked_mul(scale)?, 1)
        } else {
            let shift = u32::try_from(-exponent).ok().filter(|s| *s <= 126)?;
            Ratio::new(signed, 1i128 << shift)
        }
    }

    /// Nearest `f64` (exact when numerator and denominator are below 2^53).
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Whether `|self - target| < 10^-5`, decided exactly.
    pub fn within_1e5_of(self, target: i128) -> bool {
        // self = n + r/den with 0 <= r < den; the distance is r/den (n == target) or
        // 1 - r/den (n == target - 1); it is >= 1 otherwise.
        let n = self.floor();
        let r = self.num.rem_euclid(self.den);
        let limit = (self.den - 1) / 100_000; // d < 1e-5 ⇔ d * den <= limit for integer d*den
        if n == target {
            r <= limit
        } else if n.checked_add(1) == Some(target) {
            self.den - r <= limit
        } else {
            false
        }
    }
}

/// The exact integer `q`-th root of `n >= 0`, if there is one.
fn int_root(n: i128, q: i128) -> Option<i128> {
    if n < 2 || q == 1 {
        return Some(n);
    }
    if q >= 128 {
        return None; // n >= 2 is then not a q-th power of an integer that fits
    }
    // Binary search for the largest r with r^q <= n; r < 2^(128/q + 1).
    let fits = |r: i128| {
        Ratio::int(r)
            .and_then(|r| r.checked_pow(q))
            .is_some_and(|p| p.numer() <= n)
    };
    let (mut lo, mut hi) = (1i128, 1i128 << (128 / q + 1).min(126));
    while lo < hi {
        let mid = lo + (hi - lo + 1) / 2;
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    (Ratio::int(lo)?.checked_pow(q)?.numer() == n).then_some(lo)
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Ratio) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Ratio) -> Ordering {
        // Compare n1/d1 with n2/d2 without overflow: floors first, then remainders.
        let (f1, f2) = (self.floor(), other.floor());
        if f1 != f2 {
            return f1.cmp(&f2);
        }
        let r1 = Ratio {
            num: self.num.rem_euclid(self.den),
            den: self.den,
        };
        let r2 = Ratio {
            num: other.num.rem_euclid(other.den),
            den: other.den,
        };
        if r1.num == 0 || r2.num == 0 {
            return r1.num.cmp(&r2.num);
        }
        // 0 < r < 1: compare reciprocals in reverse order.
        Ratio {
            num: r2.den,
            den: r2.num,
        }
        .cmp(&Ratio {
            num: r1.den,
            den: r1.num,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    #[test]
    fn arithmetic_in_lowest_terms() {
        assert_eq!(q(2, -4), q(-1, 2));
        assert_eq!(q(1, 3).checked_add(q(1, 6)), Some(q(1, 2)));
        assert_eq!(q(1, 3).checked_sub(q(1, 2)), Some(q(-1, 6)));
        assert_eq!(q(2, 3).checked_mul(q(9, 4)), Some(q(3, 2)));
        assert_eq!(q(2, 3).checked_div(q(4, 9)), Some(q(3, 2)));
        assert_eq!(q(2, 3).checked_div(Ratio::ZERO), None);
        assert_eq!(q(-7, 2).floor(), -4);
        assert_eq!(q(7, 2).floor(), 3);
    }

    #[test]
    fn powers_and_roots() {
        assert_eq!(q(2, 3).checked_pow(3), Some(q(8, 27)));
        assert_eq!(q(2, 1).checked_pow(-2), Some(q(1, 4)));
        assert_eq!(Ratio::ZERO.checked_pow(-1), None);
        assert_eq!(Ratio::ZERO.checked_pow(0), Some(Ratio::ONE));
        assert_eq!(q(-1, 1).checked_pow(i128::MAX), Some(q(-1, 1)));
        assert_eq!(q(2, 1).checked_pow(126).map(|r| r.numer()), Some(1 << 126));
        assert_eq!(q(2, 1).checked_pow(127), None); // overflow is reported, not wrapped
        assert_eq!(q(99, 1).checked_pow(i128::MAX), None); // and found fast
        assert_eq!(q(8, 27).root(3), Some(q(2, 3)));
        assert_eq!(q(-8, 1).root(3), Some(q(-2, 1)));
        assert_eq!(q(-4, 1).root(2), None);
        assert_eq!(q(2, 1).root(2), None);
        let big = (1i128 << 62) + 7;
        assert_eq!(q(big * big, 1).root(2), Some(q(big, 1)));
        assert_eq!(q(big * big + 1, 1).root(2), None);
        assert_eq!(q(1 << 120, 1).root(120), Some(q(2, 1)));
    }

    #[test]
    fn overflow_is_none() {
        let big = Ratio::int(i128::MAX).unwrap();
        assert_eq!(big.checked_add(Ratio::ONE), None);
        assert_eq!(big.checked_mul(q(2, 1)), None);
        assert_eq!(Ratio::new(i128::MIN, 1), None);
        assert_eq!(q(1, i128::MAX).checked_add(q(1, i128::MAX - 1)), None);
    }

    #[test]
    fn tolerance_is_exact() {
        assert!(q(98, 1).within_1e5_of(98));
        assert!(q(980_000_009, 10_000_000).within_1e5_of(98)); // 98.0000009
        assert!(!q(9_800_001, 100_000).within_1e5_of(98)); // exactly 1e-5 away
        assert!(q(97_999_991, 1_000_000).within_1e5_of(98)); // 97.999991
        assert!(!q(97_999_990, 1_000_000).within_1e5_of(98)); // 97.99999 (exactly 1e-5)
        assert!(!q(196, 3).within_1e5_of(65));
        assert!(q(-1, 1_000_000).within_1e5_of(0));
        assert!(!q(5, 1).within_1e5_of(i128::MIN));
        // Near the i128 edges nothing overflows.
        assert!(q(-(i128::MAX), i128::MAX - 1).within_1e5_of(-1)); // -1 - 1/(MAX-1)
        assert!(!q(-(i128::MAX), 2).within_1e5_of(i128::MIN + 1));
        assert!(q(-(i128::MAX), i128::MAX).within_1e5_of(-1));
    }

    #[test]
    fn exact_value_of_floats() {
        assert_eq!(Ratio::from_f64(3.5), Some(q(7, 2)));
        assert_eq!(Ratio::from_f64(-0.0), Some(Ratio::ZERO));
        // 0.1 is 3602879701896397 / 2^55 in binary, slightly above 1/10.
        assert_eq!(
            Ratio::from_f64(0.1),
            Some(q(3_602_879_701_896_397, 1 << 55))
        );
        assert!(Ratio::from_f64(0.1).unwrap() > q(1, 10));
        assert_eq!(Ratio::from_f64(2f64.powi(126)), Some(q(1 << 126, 1)));
        assert_eq!(Ratio::from_f64(2f64.powi(127)), None);
        assert_eq!(Ratio::from_f64(1e-300), None);
        assert_eq!(Ratio::from_f64(f64::NAN), None);
        for x in [1.1, 98.76, 1e20, 123456.789e-10, -7.25] {
            assert_eq!(Ratio::from_f64(x).unwrap().to_f64(), x);
        }
    }

    #[test]
    fn ordering_without_overflow() {
        assert!(q(1, 3) < q(1, 2));
        assert!(q(-1, 2) < q(-1, 3));
        assert!(q(i128::MAX, 3) > q(i128::MAX, 4));
        assert!(q(i128::MAX - 1, i128::MAX) < Ratio::ONE);
    }
}
