//! Structured values read off the front of a fuzz input.

/// A cursor over fuzz bytes. Reading past the end yields zeros and empty
/// fields, so every input is usable whatever its length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a>(&'a [u8]);

/// Ends a [`Input::field`].
const SEPARATOR: u8 = 0;

impl<'a> Input<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self(data)
    }

    /// The next byte, 0 at the end.
    pub(crate) fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// The bytes up to the next NUL (consumed, not returned) or the end.
    pub(crate) fn field(&mut self) -> &'a [u8] {
        match self.0.iter().position(|&b| b == SEPARATOR) {
            Some(at) => {
                let (field, rest) = self.0.split_at(at);
                self.0 = &rest[1..];
                field
            }
            None => std::mem::take(&mut self.0),
        }
    }

    /// [`Input::field`] as text, invalid UTF-8 replaced.
    pub(crate) fn text(&mut self) -> String {
        String::from_utf8_lossy(self.field()).into_owned()
    }

    /// Everything not read yet.
    pub(crate) fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// `bytes` as printable ASCII (space to `~`), each byte folded into that range.
pub(crate) fn printable(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b' ' + b % 95)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_on_nul_and_run_dry_gracefully() {
        let mut input = Input::new(b"\x07ab\0cd");
        assert_eq!(input.byte(), 7);
        assert_eq!(input.field(), b"ab");
        assert_eq!(input.text(), "cd");
        assert_eq!(input.field(), b"");
        assert_eq!(input.byte(), 0);
        assert_eq!(printable(&[0, 94, 95]), " ~ ");
    }
}
