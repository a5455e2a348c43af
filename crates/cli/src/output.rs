//! What goes to stdout: data only, as a table (what the module's PowerShell format file shows) or as JSON
//! with the PowerShell objects' property names. Prompts, progress and warnings go to stderr elsewhere.
//! Everything printed passes through auth-core's `printable`: values come from servers (claims, error
//! descriptions) and files (environment names, contexts), and must not drive the terminal.

use std::io::Write;

use auth_core::{printable, printable_line};
use serde_json::Value;

use crate::exit::Failure;

/// `-o, --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Format {
    /// Columns with a header, as PowerShell's `Format-Table`.
    #[default]
    Table,
    /// Pretty-printed JSON.
    Json,
    /// kubectl's `ExecCredential` (`token` only).
    ExecCredential,
}

impl Format {
    /// The accepted values of `-o`.
    pub(crate) const NAMES: [&'static str; 3] = ["table", "json", "exec-credential"];

    /// The format named `name` (one of [`Format::NAMES`], which clap has checked).
    pub(crate) fn from_name(name: &str) -> Self {
        if name.eq_ignore_ascii_case("json") {
            Self::Json
        } else if name.eq_ignore_ascii_case("exec-credential") {
            Self::ExecCredential
        } else {
            Self::Table
        }
    }
}

/// Writes `text` to stdout, without escape sequences or control characters (JSON has its own escapes for
/// them). A closed pipe (`msconnect … | head -0`) is not an error worth a message.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let text = printable(text);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Failed(format!("writing to stdout: {e}"))),
    }
}

/// Pretty JSON and a newline.
pub(crate) fn json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// A table: a header row, a row of dashes under each header, then the rows; columns as wide as their
/// widest cell, separated by one space, trailing spaces trimmed. A cell is one line of printable text
/// (a value holding a line break or an escape sequence cannot add rows or move the cursor), and any
/// width works: padding is written by hand, since `format!`'s width stops at 65,535 and panics beyond.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| printable_line(cell).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let mut text = String::new();
        for (cell, width) in cells.iter().zip(&widths) {
            text.push_str(cell);
            let pad = width.saturating_sub(cell.chars().count()) + 1;
            text.extend(std::iter::repeat_n(' ', pad));
        }
        format!("{}\n", text.trim_end())
    };
    let mut out = line(headers.iter().map(|h| (*h).to_owned()).collect());
    out.push_str(&line(
        headers.iter().map(|h| "-".repeat(h.chars().count())).collect(),
    ));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_under_dashed_headers() {
        let rows = vec![
            vec![
                "admin@contoso.com".to_owned(),
                "AzureCloud".to_owned(),
                "t1".to_owned(),
            ],
            vec!["app".to_owned(), "".to_owned(), "tenant-two".to_owned()],
        ];
        insta::assert_snapshot!(table(&["Account", "Environment", "TenantId"], &rows), @r"
        Account           Environment TenantId
        -------           ----------- --------
        admin@contoso.com AzureCloud  t1
        app                           tenant-two
        ");
    }

    #[test]
    fn a_cell_wider_than_format_allows_is_printed_whole() {
        // `format!("{:<70000}")` panics: the widest name `environment add` ever accepted was listed so
        let wide = "n".repeat(70_000);
        let text = table(
            &["Name", "Type"],
            &[vec![wide.clone(), "User-defined".to_owned()]],
        );
        assert_eq!(text.lines().nth(2), Some(format!("{wide} User-defined").as_str()));
        assert_eq!(
            text.lines().next(),
            Some(format!("Name{} Type", " ".repeat(69_996)).as_str())
        );
    }

    #[test]
    fn cells_are_one_printable_line() {
        let rows = vec![vec![
            "evil\u{1b}]0;owned\u{7}\u{1b}[2J\nname".to_owned(),
            "x".to_owned(),
        ]];
        insta::assert_snapshot!(table(&["Name", "Type"], &rows), @r"
        Name      Type
        ----      ----
        evil name x
        ");
    }
}
