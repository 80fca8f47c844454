//! RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, a
//! quote or a line break, quotes doubled.
//!
//! Text that came from outside (keywords, URLs, networks) and starts with
//! `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so a
//! spreadsheet shows it instead of running it as a formula (OWASP's advice
//! on CSV injection). Figures are written by us and never start with one of
//! those, so they are not touched: "1234.50" stays a number.

#[derive(Default)]
pub struct Csv {
    out: String,
}

pub enum Cell<'a> {
    /// Anything that came from outside.
    Text(&'a str),
    /// A figure we formatted ourselves.
    Number(String),
    Empty,
}

impl Csv {
    pub fn new(header: &[&str]) -> Self {
        let mut csv = Self::default();
        csv.row(header.iter().map(|h| Cell::Text(h)));
        csv
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            match cell {
                Cell::Text(text) => self.text(text),
                Cell::Number(n) => self.out.push_str(&n),
                Cell::Empty => {}
            }
        }
        self.out.push_str("\r\n");
    }

    fn text(&mut self, text: &str) {
        let neutralised;
        let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            neutralised = format!("'{text}");
            &neutralised
        } else {
            text
        };
        if text.contains([',', '"', '\r', '\n']) {
            self.out.push('"');
            self.out.push_str(&text.replace('"', "\"\""));
            self.out.push('"');
        } else {
            self.out.push_str(text);
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cells: Vec<Cell>) -> String {
        let mut csv = Csv::default();
        csv.row(cells);
        csv.finish()
    }

    #[test]
    fn quotes_what_needs_quoting_and_ends_lines_with_crlf() {
        assert_eq!(
            line(vec![
                Cell::Text("a,b"),
                Cell::Text("say \"hi\""),
                Cell::Text("x\ny"),
                Cell::Text("plain")
            ]),
            "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",plain\r\n"
        );
        assert_eq!(
            Csv::new(&["keyword", "clicks"]).finish(),
            "keyword,clicks\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_but_figures_are_not() {
        assert_eq!(
            line(vec![
                Cell::Text("=HYPERLINK(\"http://x\")"),
                Cell::Text("+1"),
                Cell::Text("-2"),
                Cell::Text("@SUM(A1)"),
                Cell::Text("\tx"),
                Cell::Text("\rx"),
                Cell::Number("1234.50".into()),
                Cell::Empty,
                Cell::Text("a=b"),
            ]),
            "\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),'\tx,\"'\rx\",1234.50,,a=b\r\n"
        );
    }
}
