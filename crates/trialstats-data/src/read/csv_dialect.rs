//! CSV dialects: the delimiter (detected), the decimal mark, the encoding and the missing tokens.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{DecimalMark, ReadOptions, TextEncoding};

/// How a delimited text file is written.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CsvDialect {
    /// The field delimiter; `None` detects it from the first lines (`,`, `;`, tab or `|`).
    pub delimiter: Option<u8>,
    /// The decimal mark.
    pub decimal: DecimalMark,
    /// The encoding.
    pub encoding: TextEncoding,
    /// Cell values that mean missing besides an empty cell, `NA` and a lone `.`.
    pub na: Vec<String>,
}

/// How one delimited-text cell reads.
pub(crate) enum Cell {
    /// Missing: empty, `NA`, `.` or a `--na` token.
    Missing,
    /// A number.
    Number(f64),
    /// Text.
    Text,
}

/// The delimiters detection chooses among, in order of preference on a tie.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Bytes looked at to detect the delimiter.
const SNIFF_BYTES: usize = 1 << 16;

impl CsvDialect {
    /// The dialect `options` ask for; a `.tsv` file is tab-separated unless told otherwise.
    pub fn for_path(path: &Path, options: &ReadOptions) -> Self {
        let tsv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
        CsvDialect {
            delimiter: options.delimiter.or(tsv.then_some(b'\t')),
            decimal: options.decimal,
            encoding: options.encoding,
            na: options.na.clone(),
        }
    }

    /// Whether a cell is missing: empty, `NA`, a lone `.` (SAS and Stata exports), or one of the
    /// extra tokens (a numeric token also matches by value).
    #[cfg(test)]
    pub(crate) fn is_missing(&self, cell: &str) -> bool {
        matches!(self.classify(cell), Cell::Missing)
    }

    /// How a cell reads: missing (see [`CsvDialect::is_missing`]), a number, or text. The cell
    /// is parsed once.
    pub(crate) fn classify(&self, cell: &str) -> Cell {
        if cell.is_empty() || cell == "NA" || cell == "." {
            return Cell::Missing;
        }
        if !self.na.is_empty() && self.na.iter().any(|t| t.trim() == cell) {
            return Cell::Missing;
        }
        match self.number(cell) {
            Some(v) if !self.na.is_empty() && super::na_number(&self.na, v) => Cell::Missing,
            Some(v) => Cell::Number(v),
            None => Cell::Text,
        }
    }

    /// The number a cell holds, with the dialect's decimal mark; `None` for text.
    pub(crate) fn number(&self, cell: &str) -> Option<f64> {
        match self.decimal {
            DecimalMark::Point => cell.parse().ok(),
            DecimalMark::Comma => {
                if cell.contains('.') {
                    return None;
                }
                cell.replacen(',', ".", 1).parse().ok()
            }
        }
    }
}

/// The text of a file as UTF-8, with a byte-order mark skipped and Latin-1 transcoded as it is
/// read (no copy of the file), and the delimiter (detected from the first
/// [`SNIFF_BYTES`] when `delimiter` is `None`).
pub(crate) fn utf8_reader<'a, R: Read + 'a>(
    reader: R,
    encoding: TextEncoding,
    delimiter: Option<u8>,
) -> std::io::Result<(Box<dyn Read + 'a>, u8)> {
    let mut text = decoded(reader, encoding);
    if let Some(d) = delimiter {
        return Ok((Box::new(text), d));
    }
    // Read the head (a decoder hands out small pieces), detect, then put it back in front.
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut text)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    let d = detect_delimiter(&mut &head[..]);
    Ok((Box::new(std::io::Cursor::new(head).chain(text)), d))
}

fn decoded<'a, R: Read + 'a>(reader: R, encoding: TextEncoding) -> BufReader<Box<dyn Read + 'a>> {
    let decoded: Box<dyn Read + 'a> = match encoding {
        TextEncoding::Utf8 => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .bom_sniffing(true)
                .bom_override(true)
                .utf8_passthru(true)
                .build(reader),
        ),
        TextEncoding::Latin1 => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::WINDOWS_1252))
                .build(reader),
        ),
    };
    BufReader::with_capacity(SNIFF_BYTES, decoded)
}

/// The delimiter of the first lines: among `,`, `;`, tab and `|`, the one that occurs the same
/// non-zero number of times (outside quotes) on every complete line seen, the most often; a
/// comma when none does.
pub(crate) fn detect_delimiter<R: BufRead>(reader: &mut R) -> u8 {
    let Ok(head) = reader.fill_buf() else {
        return b',';
    };
    let text = String::from_utf8_lossy(head);
    // Complete lines only (the buffer may end inside one), at most 20.
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => &text[..],
    };
    let lines: Vec<&str> = complete
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (b',', 0usize);
    for d in DELIMITERS {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first > 0 && counts.iter().all(|&c| c == first) && first > best.1 {
            best = (d, first);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line.as_bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected_from_consistent_counts() {
        let sniff = |s: &str| detect_delimiter(&mut s.as_bytes());
        assert_eq!(sniff("a;b;c\n1,5;2;3\n4;5,5;6\n"), b';');
        assert_eq!(sniff("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff("a,b\n\"x;y\",2\n"), b',');
        assert_eq!(sniff("single\n1\n2\n"), b',');
        assert_eq!(sniff("a|b|c\n1|2|3\n"), b'|');
    }

    #[test]
    fn decimal_commas_and_missing_tokens() {
        let d = CsvDialect {
            decimal: DecimalMark::Comma,
            na: vec!["-999".into(), "missing".into()],
            ..CsvDialect::default()
        };
        assert_eq!(d.number("7,5"), Some(7.5));
        assert_eq!(d.number("7.5"), None);
        assert!(d.is_missing("-999") && d.is_missing("-999,0") && d.is_missing("missing"));
        assert!(d.is_missing(".") && d.is_missing("NA") && !d.is_missing("0"));
    }
}
