//! How messages quote input: on one line, control characters escaped, so an error that
//! quotes a 20 MB line of bad input or a name with an escape sequence stays readable. Here,
//! at the bottom, because the model's own checks quote what they refuse.

/// The longest error line printed, in characters; a longer one loses its middle.
pub const MAX_LINE: usize = 1000;

/// Makes a message fit on one line of a terminal: line breaks become spaces, other control
/// characters are escaped (`\r`, `\u{1b}`), and past `MAX_LINE` characters the middle is
/// cut, so quoting a 20 MB line of bad input stays readable.
pub fn one_line(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let chars = text.chars().count();
    let (head, tail) = (MAX_LINE * 6 / 10, MAX_LINE * 3 / 10);
    let cut = (chars > MAX_LINE).then(|| head..chars - tail);
    let mut line = String::with_capacity(text.len().min(MAX_LINE * 2));
    for (i, c) in text.chars().enumerate() {
        if let Some(cut) = cut.as_ref().filter(|cut| cut.contains(&i)) {
            if i == cut.start {
                line.push_str(&format!(" [... {} characters cut ...] ", cut.len()));
            }
            continue;
        }
        match c {
            '\n' => line.push(' '),
            c if c.is_control() => line.extend(c.escape_debug()),
            c => line.push(c),
        }
    }
    line
}

/// A value as error messages quote it: control characters escaped (`\n`, `\u{7}`), so that
/// the quote shows what the input holds.
pub fn escape_controls(value: &str) -> String {
    let mut shown = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else {
            shown.push(c);
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_and_cuts() {
        let line = one_line("a\r\nb\nc\rd\te\u{1b}[0m\0");
        assert_eq!(line, "a b c\\rd\\te\\u{1b}[0m\\0");
        let long = format!("`f`: bad `{}` at line 1 column 9", "x".repeat(20_000_000));
        let line = one_line(&long);
        assert!(line.starts_with("`f`: bad `xxx") && line.ends_with("x` at line 1 column 9"));
        assert!(
            line.contains(" [... 19999130 characters cut ...] "),
            "{line}"
        );
        assert!(line.chars().count() < MAX_LINE + 40);
    }
}
