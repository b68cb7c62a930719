//! Member passwords: bounded, never printed, wiped from memory when dropped.
use crate::Error;
use gridledger_api_types::ErrorCode;
use std::fmt;
use zeroize::Zeroizing;

/// Shortest and longest password, in characters (as the OpenAPI document's minLength and
/// maxLength count them; keypad digits are enough).
pub const PASSWORD_MIN: usize = 6;
pub const PASSWORD_MAX: usize = 64;

/// A member's password. `Debug` and `Display` show `***`.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Checks the length; the error never repeats the input.
    pub fn new(s: String) -> Result<Self, Error> {
        let s = Zeroizing::new(s);
        if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&s.chars().count()) {
            return Err(Error::refused(
                ErrorCode::WeakPassword,
                format!("a password is {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
            ));
        }
        Ok(Self(s))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

pub use gridledger_sdk::keystore::constant_time_eq;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_bounded_and_never_printed() {
        assert!(Password::new("12345".into()).is_err());
        assert!(Password::new("x".repeat(65)).is_err());
        // Characters, not bytes: 64 three-byte characters are a password, 5 are not.
        assert!(Password::new("\u{d55c}".repeat(64)).is_ok());
        assert!(Password::new("\u{d55c}".repeat(5)).is_err());
        let p = Password::new("246810".into()).unwrap();
        assert_eq!(format!("{p:?} {p}"), "*** ***");
        let e = Password::new("12".into()).err().unwrap().to_string();
        assert!(!e.contains("12 "), "{e}");
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
