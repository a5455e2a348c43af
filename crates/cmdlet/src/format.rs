//! How PowerShell prints objects, for the CLI's default output: a table (`Format-Table`, what a module's
//! format file declares) and a list (`Format-List`, what PowerShell shows for objects with more than
//! four properties and no format file). Values come from tokens and servers: each is made one printable
//! line first (tabs and line breaks become spaces, other controls go), so none can add rows or columns.

use auth_core::printable_line;

/// A URL as the modules' contexts show it: no trailing slash.
pub fn endpoint(url: &auth_core::Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// A table column: its label and, when the format file fixes one, its width.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header.
    pub label: &'static str,
    /// A fixed width; longer values are cut and end with `…`, as PowerShell does.
    pub width: Option<usize>,
}

impl Column {
    /// A column as wide as its widest value.
    pub const fn auto(label: &'static str) -> Self {
        Self { label, width: None }
    }

    /// A column of a fixed width.
    pub const fn fixed(label: &'static str, width: usize) -> Self {
        Self {
            label,
            width: Some(width),
        }
    }
}

fn cut(value: &str, width: usize) -> String {
    if value.chars().count() <= width {
        value.to_owned()
    } else {
        let mut cut: String = value.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// A table: headers, a dashed underline, then one line per row; columns are separated by one space and
/// the last column is not padded.
pub fn table(columns: &[Column], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| printable_line(cell).into_owned()).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            column.width.unwrap_or_else(|| {
                rows.iter()
                    .filter_map(|row| row.get(i))
                    .map(|v| v.chars().count())
                    .chain([column.label.chars().count()])
                    .max()
                    .unwrap_or_default()
            })
        })
        .collect();
    let line = |cells: Vec<String>| -> String {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            let cell = cut(&cell, widths[i]);
            if i == last {
                out.push_str(&cell);
            } else {
                // by hand: `format!`'s width panics beyond 65,535, and a claim can be longer
                out.push_str(&cell);
                let pad = widths[i].saturating_sub(cell.chars().count()) + 1;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.trim_end().to_owned()
    };
    let mut lines = vec![
        line(columns.iter().map(|c| c.label.to_owned()).collect()),
        line(
            columns
                .iter()
                .enumerate()
                .map(|(i, c)| "-".repeat(c.label.chars().count().min(widths[i])))
                .collect(),
        ),
    ];
    for row in &rows {
        lines.push(line(
            (0..columns.len())
                .map(|i| row.get(i).cloned().unwrap_or_default())
                .collect(),
        ));
    }
    lines.join("\n")
}

/// A list: one `Name : value` line per property, names padded to the longest; each value one line.
pub fn list(properties: &[(&str, String)]) -> String {
    let width = properties
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or_default();
    properties
        .iter()
        .map(|(name, value)| {
            format!("{name:<width$} : {}", printable_line(value))
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A collection as PowerShell prints it inside a table or list: `{a, b}`.
pub fn collection<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("{{{}}}", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_every_column_but_the_last_and_cut_fixed_ones() {
        let columns = [
            Column::fixed("Account", 10),
            Column::auto("Environment"),
            Column::auto("TenantId"),
        ];
        let rows = vec![vec![
            "admin@contoso.onmicrosoft.com".to_owned(),
            "AzureCloud".to_owned(),
            "contoso.com".to_owned(),
        ]];
        insta::assert_snapshot!(table(&columns, &rows), @r"
        Account    Environment TenantId
        -------    ----------- --------
        admin@con… AzureCloud  contoso.com
        ");
    }

    #[test]
    fn a_value_wider_than_format_allows_is_printed_whole() {
        // a server's claim is as long as it likes; `format!("{:<70000}")` panics
        let wide = "u".repeat(70_000);
        let text = table(
            &[Column::auto("Account"), Column::auto("TenantId")],
            &[vec![wide.clone(), "t".to_owned()]],
        );
        assert_eq!(text.lines().nth(2), Some(format!("{wide} t").as_str()));
    }

    #[test]
    fn a_value_cannot_add_rows_or_columns() {
        // issue 26 (L7): a token's upn with tabs and line breaks added rows to the context's table
        let text = table(
            &[Column::fixed("Account", 20), Column::auto("TenantId")],
            &[vec!["a\tb\nforged\r\nrow".to_owned(), "t\n1".to_owned()]],
        );
        insta::assert_snapshot!(text, @r"
        Account              TenantId
        -------              --------
        a b forged row       t 1
        ");
        insta::assert_snapshot!(list(&[("Account", "a\tb\nforged\r\nrow".into()), ("Tenant", "t".into())]), @r"
        Account : a b forged row
        Tenant  : t
        ");
    }

    #[test]
    fn lists_align_the_names() {
        insta::assert_snapshot!(list(&[("ClientId", "x".into()), ("Scopes", collection(&["a", "b"])), ("Account", String::new())]), @r"
        ClientId : x
        Scopes   : {a, b}
        Account  :
        ");
    }
}
