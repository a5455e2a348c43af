//! What goes to stdout: data only, as a table (what the module's PowerShell format file shows) or as JSON
//! with the PowerShell objects' property names. Prompts, progress and warnings go to stderr elsewhere.

use std::io::Write;

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
}

impl Format {
    /// The accepted values of `-o`.
    pub(crate) const NAMES: [&'static str; 2] = ["table", "json"];

    /// The format named `name` (one of [`Format::NAMES`], which clap has checked).
    pub(crate) fn from_name(name: &str) -> Self {
        if name.eq_ignore_ascii_case("json") {
            Self::Json
        } else {
            Self::Table
        }
    }
}

/// Writes `text` to stdout. A closed pipe (`msconnect … | head -0`) is not an error worth a message.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
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
/// widest cell, separated by one space, trailing spaces trimmed.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        format!("{}\n", padded.join(" ").trim_end())
    };
    let mut out = line(headers.iter().map(|h| (*h).to_owned()).collect());
    out.push_str(&line(
        headers.iter().map(|h| "-".repeat(h.chars().count())).collect(),
    ));
    for row in rows {
        out.push_str(&line(row.clone()));
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
}
