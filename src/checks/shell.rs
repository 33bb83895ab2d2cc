//! Shell operators in exec mode. Exec mode splits a step into words and runs the program
//! directly, so `prep && train` would run `prep` with the arguments `&&` and `train`: never
//! what was meant. Unquoted, these are errors that point to `--shell`; quoted, they stay
//! literal arguments.
//!
//! Operators are the control operators as whole words (`|`, `||`, `&&`, `;`, `;;`, `&`,
//! `|&`) and any redirection (an unquoted `<` or `>` anywhere in a word: `<in`, `2>err`,
//! `2>&1`, `>&2`, `&>log`), as `sh` would read them.

/// The first unquoted shell operator in `text`, as written (`&&`, `2>&1`), and the index of
/// the character it starts at.
pub fn first_unquoted_operator(text: &str) -> Option<(usize, String)> {
    words_with_quoting(text)
        .into_iter()
        .find(is_operator)
        .map(|word| (word.start, word.text))
}

const CONTROL_OPERATORS: [&str; 7] = ["|", "||", "&&", ";", ";;", "&", "|&"];

struct Word {
    /// Index of its first character in the text.
    start: usize,
    /// The word as written, quotes included.
    text: String,
    /// Whether every character of the word is outside quotes and not escaped.
    fully_unquoted: bool,
    /// Whether an unquoted, unescaped `<` or `>` occurs in the word.
    has_unquoted_redirection: bool,
}

fn is_operator(word: &Word) -> bool {
    word.has_unquoted_redirection
        || (word.fully_unquoted && CONTROL_OPERATORS.contains(&word.text.as_str()))
}

/// Splits like `sh` (and `shell-words`, which builds the argv): blanks separate words, `'...'`
/// and `"..."` quote, a backslash escapes, an unquoted `#` at the start of a word begins a
/// comment. Unbalanced quotes end the last word; the argv split reports them.
fn words_with_quoting(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<Word> = None;
    let mut chars = text.chars().enumerate();
    while let Some((position, c)) = chars.next() {
        if c.is_whitespace() {
            words.extend(current.take());
            continue;
        }
        if current.is_none() && c == '#' {
            break;
        }
        let word = current.get_or_insert_with(|| Word {
            start: position,
            text: String::new(),
            fully_unquoted: true,
            has_unquoted_redirection: false,
        });
        word.text.push(c);
        match c {
            '\\' => {
                word.fully_unquoted = false;
                word.text.extend(chars.next().map(|(_, c)| c));
            }
            '\'' => {
                word.fully_unquoted = false;
                for (_, quoted) in chars.by_ref() {
                    word.text.push(quoted);
                    if quoted == '\'' {
                        break;
                    }
                }
            }
            '"' => {
                word.fully_unquoted = false;
                while let Some((_, quoted)) = chars.next() {
                    word.text.push(quoted);
                    match quoted {
                        '"' => break,
                        '\\' => word.text.extend(chars.next().map(|(_, c)| c)),
                        _ => {}
                    }
                }
            }
            '<' | '>' => word.has_unquoted_redirection = true,
            _ => {}
        }
    }
    words.extend(current);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(text: &str) -> Option<String> {
        first_unquoted_operator(text).map(|(_, word)| word)
    }

    #[test]
    fn operators_are_located_by_character() {
        assert_eq!(
            first_unquoted_operator("écho 'ü' && b"),
            Some((9, "&&".to_string()))
        );
    }

    #[test]
    fn control_operators_as_whole_words() {
        assert_eq!(operator("prep && train").as_deref(), Some("&&"));
        assert_eq!(operator("cat a | wc -l").as_deref(), Some("|"));
        assert_eq!(operator("a || b").as_deref(), Some("||"));
        assert_eq!(operator("a ; b").as_deref(), Some(";"));
        assert_eq!(operator("serve &").as_deref(), Some("&"));
        assert_eq!(operator("a |& b").as_deref(), Some("|&"));
    }

    #[test]
    fn redirections_anywhere_in_a_word() {
        assert_eq!(operator("python a.py < in.txt").as_deref(), Some("<"));
        assert_eq!(operator("python a.py 2>&1").as_deref(), Some("2>&1"));
        assert_eq!(operator("python a.py 2> err").as_deref(), Some("2>"));
        assert_eq!(operator("echo hi >&2").as_deref(), Some(">&2"));
        assert_eq!(operator("python a.py &>log").as_deref(), Some("&>log"));
        assert_eq!(operator("python a.py >out").as_deref(), Some(">out"));
        assert_eq!(operator("sort <in").as_deref(), Some("<in"));
    }

    #[test]
    fn quoted_or_escaped_operators_stay_literal() {
        for literal in [
            "echo '&&' \"|\" \\; '>' \"2>&1\" a\\>b",
            "grep 'a|b' file",
            "python a.py --sep=';'",
            "curl http://x?a=1&b=2",
            "echo a|b",
            "echo done; # a comment && more",
            "python train.py --lr 0.1",
        ] {
            assert_eq!(operator(literal), None, "{literal}");
        }
    }

    #[test]
    fn mixed_quoting_in_one_word_still_redirects() {
        assert_eq!(operator("echo 'a'>out").as_deref(), Some("'a'>out"));
        assert_eq!(operator("echo \"unclosed >").as_deref(), None);
    }
}
