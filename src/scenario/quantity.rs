//! Exact parsing of Kubernetes resource quantities such as `500m`, `2`, `1.5Gi` or `2e3`.

// Semantics follow k8s.io/apimachinery/pkg/api/resource/quantity.go (`ParseQuantity`).

use std::fmt;
use std::str::FromStr;

/// Nanounits per whole unit.
const NANOS_PER_UNIT: i128 = 1_000_000_000;
/// Nanounits per milliunit.
const NANOS_PER_MILLI: i128 = 1_000_000;
/// Largest accepted magnitude, in nanounits: `i64::MAX` whole units.
const MAX_NANOS: u128 = (i64::MAX as u128) * 1_000_000_000;
/// Decimal exponents beyond this magnitude are clamped; the result is the same
/// (too large, or rounded up to one nanounit).
const EXP_CLAMP: i64 = 1_000_000;

/// A parsed resource quantity.
///
/// The value is held exactly as a signed count of nanounits (10^-9). Like
/// upstream, magnitudes finer than a nanounit are rounded away from zero at
/// parse time, so `1e-12` becomes `1n`. Magnitudes above `i64::MAX` whole
/// units are rejected with [`QuantityError::TooLarge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity {
    nanos: i128,
}

impl Quantity {
    /// The exact value in nanounits (10^-9 units).
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// Whether the value is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// Upstream `Value()`: whole units, rounded up (ceiling), or `TooLarge`.
    pub fn value(&self) -> Result<i64, QuantityError> {
        i64::try_from(ceil_div(self.nanos, NANOS_PER_UNIT)).map_err(|_| QuantityError::TooLarge)
    }

    /// Upstream `MilliValue()`: milliunits, rounded up (ceiling), or `TooLarge`.
    pub fn milli_value(&self) -> Result<i64, QuantityError> {
        i64::try_from(ceil_div(self.nanos, NANOS_PER_MILLI)).map_err(|_| QuantityError::TooLarge)
    }

    /// Like [`Quantity::value`], saturating at the `i64` bounds.
    pub fn value_ceil(&self) -> i64 {
        saturate(ceil_div(self.nanos, NANOS_PER_UNIT))
    }

    /// Like [`Quantity::milli_value`], saturating at the `i64` bounds.
    pub fn milli_value_ceil(&self) -> i64 {
        saturate(ceil_div(self.nanos, NANOS_PER_MILLI))
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_quantity(s)
    }
}

/// Why a quantity string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// The string was empty.
    Empty,
    /// The string contained whitespace.
    Whitespace,
    /// No digits before the suffix (e.g. `abc`, `Gi`, `-`).
    MissingDigits,
    /// The text after the number is not a known suffix (e.g. `Gb`, `e`, `.5`).
    InvalidSuffix(String),
    /// The value does not fit in a signed 64-bit integer.
    TooLarge,
}

impl QuantityError {
    /// A short suggestion on how to fix the input.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Empty | Self::MissingDigits => "Kubernetes quantities look like 500m, 2, 1.5Gi, 512Mi, 2e3",
            Self::Whitespace => "remove the spaces: write 5Gi, not 5 Gi",
            Self::InvalidSuffix(_) => {
                "valid suffixes are n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei \
                 or an exponent such as e3 (e.g. 500m, 1.5Gi, 512Mi, 2e3)"
            }
            Self::TooLarge => "the value must fit in a signed 64-bit integer (below 8Ei)",
        }
    }
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("quantity is empty"),
            Self::Whitespace => f.write_str("quantity must not contain whitespace"),
            Self::MissingDigits => f.write_str("quantity must start with a number"),
            Self::InvalidSuffix(suffix) => write!(f, "unknown quantity suffix {suffix:?}"),
            Self::TooLarge => f.write_str("quantity is too large"),
        }
    }
}

impl std::error::Error for QuantityError {}

/// Parses a Kubernetes quantity: `[+-]digits[.digits]suffix`.
pub fn parse_quantity(s: &str) -> Result<Quantity, QuantityError> {
    if s.is_empty() {
        return Err(QuantityError::Empty);
    }
    if s.chars().any(char::is_whitespace) {
        return Err(QuantityError::Whitespace);
    }
    let bytes = s.as_bytes();
    let (negative, mut pos) = match bytes[0] {
        b'-' => (true, 1),
        b'+' => (false, 1),
        _ => (false, 0),
    };
    let int_digits = take_digits(bytes, &mut pos);
    let frac_digits = if bytes.get(pos) == Some(&b'.') {
        pos += 1;
        take_digits(bytes, &mut pos)
    } else {
        &[]
    };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(QuantityError::MissingDigits);
    }
    // Everything consumed so far is ASCII, so `pos` is a char boundary.
    let (exp10, exp2) = parse_suffix(&s[pos..])?;

    let mut digits: Vec<u8> = int_digits.iter().chain(frac_digits).map(|b| b - b'0').collect();
    mul_pow2(&mut digits, exp2);
    let Some(first) = digits.iter().position(|&d| d != 0) else {
        return Ok(Quantity { nanos: 0 });
    };
    let digits = &digits[first..];

    // value = digits * 10^(exp10 - frac_len); nanounits shift by 9 more.
    let frac_len = i64::try_from(frac_digits.len()).unwrap_or(i64::MAX);
    let shift = exp10.saturating_sub(frac_len).saturating_add(9);
    let magnitude = if shift >= 0 {
        let zeros = u32::try_from(shift).map_err(|_| QuantityError::TooLarge)?;
        10u128.checked_pow(zeros).and_then(|p| digits_to_u128(digits)?.checked_mul(p)).ok_or(QuantityError::TooLarge)?
    } else {
        let drop = usize::try_from(shift.unsigned_abs()).unwrap_or(usize::MAX);
        let (whole, rest) = digits.split_at(digits.len().saturating_sub(drop));
        // Upstream rounds sub-nano magnitudes up (away from zero).
        let round_up = u128::from(rest.iter().any(|&d| d != 0));
        digits_to_u128(whole).and_then(|v| v.checked_add(round_up)).ok_or(QuantityError::TooLarge)?
    };
    if magnitude > MAX_NANOS {
        return Err(QuantityError::TooLarge);
    }
    let magnitude = i128::try_from(magnitude).map_err(|_| QuantityError::TooLarge)?;
    Ok(Quantity { nanos: if negative { -magnitude } else { magnitude } })
}

/// Advances `pos` over ASCII digits and returns them.
fn take_digits<'a>(bytes: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let start = *pos;
    while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
        *pos += 1;
    }
    &bytes[start..*pos]
}

/// Maps a suffix to `(decimal exponent, binary exponent)`.
fn parse_suffix(suffix: &str) -> Result<(i64, u32), QuantityError> {
    let pair = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => {
            // Upstream: `e`/`E` followed by strconv.ParseInt(rest, 10, 64).
            let exp = suffix
                .strip_prefix(['e', 'E'])
                .and_then(|rest| rest.parse::<i64>().ok())
                .ok_or_else(|| QuantityError::InvalidSuffix(suffix.to_string()))?;
            (exp.clamp(-EXP_CLAMP, EXP_CLAMP), 0)
        }
    };
    Ok(pair)
}

/// Multiplies a big-endian decimal digit vector by `2^exp` (`exp <= 60`).
fn mul_pow2(digits: &mut Vec<u8>, exp: u32) {
    if exp == 0 {
        return;
    }
    let factor = 1u128 << exp;
    let mut carry = 0u128;
    for d in digits.iter_mut().rev() {
        let v = u128::from(*d) * factor + carry;
        *d = digit(v);
        carry = v / 10;
    }
    let mut prefix = Vec::new();
    while carry > 0 {
        prefix.push(digit(carry));
        carry /= 10;
    }
    prefix.reverse();
    digits.splice(0..0, prefix);
}

/// The last decimal digit of `v`.
fn digit(v: u128) -> u8 {
    u8::try_from(v % 10).unwrap_or_default()
}

/// Converts decimal digits to a number, or `None` on overflow.
fn digits_to_u128(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |acc, &d| acc.checked_mul(10)?.checked_add(u128::from(d)))
}

/// Division rounding toward positive infinity (`d > 0`).
fn ceil_div(n: i128, d: i128) -> i128 {
    n.div_euclid(d) + i128::from(n.rem_euclid(d) != 0)
}

/// Clamps into the `i64` range.
fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        parse_quantity(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn err(s: &str) -> QuantityError {
        match parse_quantity(s) {
            Ok(v) => panic!("{s:?} should fail, got {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn decimal_si() {
        assert_eq!(q("500m").milli_value(), Ok(500));
        assert_eq!(q("500m").value(), Ok(1));
        assert_eq!(q("2").milli_value(), Ok(2000));
        assert_eq!(q("0.1").milli_value(), Ok(100));
        assert_eq!(q("1k").value(), Ok(1000));
        assert_eq!(q("1M").value(), Ok(1_000_000));
        assert_eq!(q("3G").value(), Ok(3_000_000_000));
        assert_eq!(q("1T").value(), Ok(1_000_000_000_000));
        assert_eq!(q("1P").value(), Ok(1_000_000_000_000_000));
        assert_eq!(q("1E").value(), Ok(1_000_000_000_000_000_000));
        assert_eq!(q("250u").nanos(), 250_000);
        assert_eq!(q("7n").nanos(), 7);
    }

    #[test]
    fn binary_si() {
        assert_eq!(q("1.5Gi").value(), Ok(1_610_612_736));
        assert_eq!(q("1.5Gi").milli_value(), Ok(1_610_612_736_000));
        assert_eq!(q("100Ki").value(), Ok(102_400));
        assert_eq!(q("512Mi").value(), Ok(536_870_912));
        assert_eq!(q("8Gi").value(), Ok(8_589_934_592));
        assert_eq!(q("1Ti").value(), Ok(1 << 40));
        assert_eq!(q("1Pi").value(), Ok(1 << 50));
        assert_eq!(q("7Ei").value(), Ok(7 << 60));
        assert_eq!(q("0.5Ki").value(), Ok(512));
        assert_eq!(q("0.001Ki").milli_value(), Ok(1024));
    }

    #[test]
    fn exponents() {
        assert_eq!(q("2e3").value(), Ok(2000));
        assert_eq!(q("2E3").value(), Ok(2000));
        assert_eq!(q("1e+3").value(), Ok(1000));
        assert_eq!(q("1E-2").milli_value(), Ok(10));
        assert_eq!(q("1e-3").milli_value(), Ok(1));
        assert_eq!(q("1.5e1").value(), Ok(15));
        assert_eq!(q("0e999999999999").nanos(), 0);
    }

    #[test]
    fn number_forms() {
        assert_eq!(q(".5").milli_value(), Ok(500));
        assert_eq!(q("5.").value(), Ok(5));
        assert_eq!(q("+1k").value(), Ok(1000));
        assert_eq!(q("007").value(), Ok(7));
        assert_eq!(q("0000000000000000000000000000000000000000001").value(), Ok(1));
        assert_eq!(q("1.000000000000000000000000000000000001").nanos(), 1_000_000_001);
        assert!(q("0").is_zero());
        assert!(!q("-0").is_negative());
    }

    #[test]
    fn ceiling_rounding() {
        assert_eq!(q("1u").milli_value_ceil(), 1);
        assert_eq!(q("1n").value_ceil(), 1);
        assert_eq!(q("1.0001").value(), Ok(2));
        assert_eq!(q("1500m").value(), Ok(2));
        // Sub-nano magnitudes round up to one nanounit, as upstream.
        assert_eq!(q("1e-12").nanos(), 1);
        assert_eq!(q("1e-999999999999").nanos(), 1);
    }

    #[test]
    fn negatives() {
        let v = q("-1");
        assert!(v.is_negative());
        assert_eq!(v.value(), Ok(-1));
        assert_eq!(v.milli_value(), Ok(-1000));
        assert_eq!(q("-1500m").value(), Ok(-1));
        assert_eq!(q("-1.5Gi").value(), Ok(-1_610_612_736));
        // Magnitude rounds away from zero to nanos first, as upstream.
        assert_eq!(q("-0.9999999995").value(), Ok(-1));
        assert_eq!(q("-1n").milli_value(), Ok(0));
    }

    #[test]
    fn limits() {
        assert_eq!(q("9223372036854775807").value(), Ok(i64::MAX));
        assert_eq!(q("-9223372036854775807").value(), Ok(-i64::MAX));
        assert_eq!(err("9223372036854775808"), QuantityError::TooLarge);
        assert_eq!(err("8Ei"), QuantityError::TooLarge);
        assert_eq!(err("99999999999999999999999Ei"), QuantityError::TooLarge);
        assert_eq!(err("1e999999999999"), QuantityError::TooLarge);
        assert_eq!(err("-1e40"), QuantityError::TooLarge);
        let big = q("10P");
        assert_eq!(big.value(), Ok(10_000_000_000_000_000));
        assert_eq!(big.milli_value(), Err(QuantityError::TooLarge));
        assert_eq!(big.milli_value_ceil(), i64::MAX);
        assert_eq!(q("-10P").milli_value_ceil(), i64::MIN);
    }

    #[test]
    fn errors() {
        assert_eq!(err(""), QuantityError::Empty);
        assert_eq!(err("abc"), QuantityError::MissingDigits);
        assert_eq!(err("Gi"), QuantityError::MissingDigits);
        assert_eq!(err("-"), QuantityError::MissingDigits);
        assert_eq!(err("."), QuantityError::MissingDigits);
        assert_eq!(err("1.5.5"), QuantityError::InvalidSuffix(".5".into()));
        assert_eq!(err("5 Gi"), QuantityError::Whitespace);
        assert_eq!(err(" 1"), QuantityError::Whitespace);
        assert_eq!(err("1\n"), QuantityError::Whitespace);
        assert_eq!(err("1Gb"), QuantityError::InvalidSuffix("Gb".into()));
        assert_eq!(err("1e"), QuantityError::InvalidSuffix("e".into()));
        assert_eq!(err("1K"), QuantityError::InvalidSuffix("K".into()));
        assert_eq!(err("1i"), QuantityError::InvalidSuffix("i".into()));
        assert_eq!(err("1e3Mi"), QuantityError::InvalidSuffix("e3Mi".into()));
        assert_eq!(err("1e1.5"), QuantityError::InvalidSuffix("e1.5".into()));
        assert_eq!(err("1e+"), QuantityError::InvalidSuffix("e+".into()));
        assert_eq!(err("1µ"), QuantityError::InvalidSuffix("µ".into()));
        assert_eq!(err("--1"), QuantityError::MissingDigits);
    }

    #[test]
    fn error_messages() {
        let e = err("1Gb");
        assert_eq!(e.to_string(), "unknown quantity suffix \"Gb\"");
        assert!(e.hint().contains("Gi"));
        assert!(err("").hint().contains("500m, 2, 1.5Gi, 512Mi, 2e3"));
        let boxed: Box<dyn std::error::Error> = Box::new(QuantityError::TooLarge);
        assert_eq!(boxed.to_string(), "quantity is too large");
    }

    #[test]
    fn from_str_and_ordering() {
        let a: Quantity = "1Gi".parse().expect("valid");
        let b: Quantity = "1G".parse().expect("valid");
        assert!(a > b);
        assert_eq!(q("1000m"), q("1"));
    }
}
