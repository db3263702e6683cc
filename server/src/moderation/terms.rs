//! Blocked-term matching that sees through look-alike spellings: compatibility
//! normalisation (full-width, ligatures, styled letters), accents stripped, case
//! folded, common digit/symbol and Cyrillic/Greek look-alikes mapped, and
//! separators and invisible characters dropped ("B.A.D", "ʙᴀᴅ", "bäd", "b@d").

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

fn look_alike(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        // Cyrillic and Greek letters that look Latin.
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        'с' | 'ς' => 'c',
        'е' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ι' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'н' | 'η' => 'n',
        'о' | 'ο' => 'o',
        'р' | 'ρ' => 'p',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'у' | 'υ' => 'y',
        'х' | 'χ' => 'x',
        // Small capitals.
        'ᴀ' => 'a',
        'ʙ' => 'b',
        'ᴄ' => 'c',
        'ᴅ' => 'd',
        'ᴇ' => 'e',
        'ɢ' => 'g',
        'ʜ' => 'h',
        'ɪ' => 'i',
        'ᴊ' => 'j',
        'ᴋ' => 'k',
        'ʟ' => 'l',
        'ᴍ' => 'm',
        'ɴ' => 'n',
        'ᴏ' => 'o',
        'ᴘ' => 'p',
        'ʀ' => 'r',
        'ᴛ' => 't',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ʏ' => 'y',
        'ᴢ' => 'z',
        other => other,
    }
}

/// The folded form both terms and messages are compared in.
pub fn fold(s: &str) -> String {
    s.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(look_alike)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The first blocked term the text contains, if any.
pub fn find_blocked<'t>(text: &str, terms: &'t [String]) -> Option<&'t str> {
    if terms.is_empty() {
        return None;
    }
    let folded = fold(text);
    terms
        .iter()
        .find(|t| {
            let ft = fold(t);
            !ft.is_empty() && folded.contains(&ft)
        })
        .map(String::as_str)
}

/// Cleans a moderator's list: trimmed, non-empty, at most 200 terms of 1..=50
/// characters, deduplicated by folded form.
pub fn normalise_list(terms: &[String]) -> Result<Vec<String>, String> {
    if terms.len() > 200 {
        return Err("at most 200 blocked terms".into());
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for t in terms {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 50 {
            return Err("blocked terms are at most 50 characters".into());
        }
        let f = fold(t);
        if f.is_empty() {
            return Err(format!("{t:?} has no letters or digits to match"));
        }
        if seen.insert(f) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn catches_look_alike_spellings() {
        let t = terms(&["badword"]);
        for text in [
            "a badword here",
            "BADWORD",
            "b.a.d.w.o.r.d",
            "b a d w o r d",
            "bädwörd",
            "ｂａｄｗｏｒｄ",
            "b@dw0rd",
            "ʙᴀᴅᴡᴏʀᴅ",
            "bаdwоrd", // Cyrillic а and о
            "bad\u{200b}word",
            "𝐛𝐚𝐝𝐰𝐨𝐫𝐝",
        ] {
            assert_eq!(find_blocked(text, &t), Some("badword"), "{text}");
        }
        assert_eq!(find_blocked("a good word", &t), None);
    }

    #[test]
    fn cleans_lists() {
        assert_eq!(
            normalise_list(&terms(&[" Bad ", "bad", "", "worse"])).unwrap(),
            terms(&["Bad", "worse"])
        );
        assert!(normalise_list(&terms(&["..."])).is_err());
        assert!(normalise_list(&terms(&[&"x".repeat(51)])).is_err());
    }
}
