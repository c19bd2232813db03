//! Splits a template string into literal text and `${...}` references.

/// One piece of a template string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Literal text, copied as is.
    Text(&'a str),
    /// The text between `${` and its closing `}`.
    Ref(&'a str),
    /// A `${` with no closing `}`: the rest of the string, starting at `${`.
    Unterminated(&'a str),
}

/// Iterator over the [`Piece`]s of a template. `$${` yields `Text("${")` (the escape).
pub(crate) struct Pieces<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Pieces<'a> {
    /// Starts scanning `src`.
    pub(crate) fn new(src: &'a str) -> Self {
        Pieces { src, pos: 0 }
    }

    /// Emits the reference (or unterminated tail) starting at byte `start` (a `${`).
    fn reference_at(&mut self, start: usize) -> Piece<'a> {
        let body_start = start + 2;
        match closing_brace(self.src.get(body_start..).unwrap_or("")) {
            Some(len) => {
                self.pos = body_start + len + 1;
                Piece::Ref(self.src.get(body_start..body_start + len).unwrap_or(""))
            }
            None => {
                self.pos = self.src.len();
                Piece::Unterminated(self.src.get(start..).unwrap_or(""))
            }
        }
    }
}

/// Byte length of the reference body: the offset of the first `}` not inside a quoted string.
fn closing_brace(body: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (i, b) in body.bytes().enumerate() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'}' => return Some(i),
                _ => {}
            },
        }
    }
    None
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let rest = self.src.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let Some(dollar) = rest.find("${") else {
            self.pos = self.src.len();
            return Some(Piece::Text(rest));
        };
        let at = self.pos + dollar;
        if dollar > 0 && rest.as_bytes().get(dollar - 1) == Some(&b'$') {
            // `$${` is the escape for a literal `${`: emit the text before it first, then
            // (on the next call, when the escape starts `rest`) the literal `${`.
            if dollar == 1 {
                self.pos = at + 2;
                return Some(Piece::Text("${"));
            }
            self.pos = at - 1;
            return Some(Piece::Text(rest.get(..dollar - 1).unwrap_or("")));
        }
        if dollar == 0 {
            return Some(self.reference_at(at));
        }
        self.pos = at;
        Some(Piece::Text(rest.get(..dollar).unwrap_or("")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(s: &str) -> Vec<Piece<'_>> {
        Pieces::new(s).collect()
    }

    #[test]
    fn splits_text_references_escapes_and_unterminated_tails() {
        use Piece::*;
        assert_eq!(pieces(""), vec![]);
        assert_eq!(pieces("plain $ text"), vec![Text("plain $ text")]);
        assert_eq!(pieces("${a.b}"), vec![Ref("a.b")]);
        assert_eq!(
            pieces("x ${a} y ${b}"),
            vec![Text("x "), Ref("a"), Text(" y "), Ref("b")]
        );
        assert_eq!(pieces("${a}${b}"), vec![Ref("a"), Ref("b")]);
        assert_eq!(pieces("$${a}"), vec![Text("${"), Text("a}")]);
        assert_eq!(
            pieces("p $${a} ${b}"),
            vec![Text("p "), Text("${"), Text("a} "), Ref("b")]
        );
        assert_eq!(pieces("x ${a"), vec![Text("x "), Unterminated("${a")]);
        assert_eq!(pieces("${}"), vec![Ref("")]);
        assert_eq!(pieces("${a['}']}"), vec![Ref("a['}']")]);
        assert_eq!(
            pieces("${a[\"x\\\"}\"]}!"),
            vec![Ref("a[\"x\\\"}\"]"), Text("!")]
        );
    }
}
