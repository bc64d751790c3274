//! The writer's output read back by the csv crate and by this crate's reader.

use entitle_sheet::{Column, CsvWriter, ReadOptions, Schema, SheetReader, TextEncoding};

#[test]
fn round_trip_through_csv_crate() {
    let rows = [
        vec!["vendor", "product", "note", "amount"],
        vec![
            "Müller & Söhne",
            "Lizenzmanager, Pro",
            "say \"hi\"",
            "1234.56",
        ],
        vec!["Straße", "multi\nline\r\nnote", "", "-5"],
        vec!["=HYPERLINK(\"x\")", "@SUM(A1)", "+49 30 1234", "-"],
    ];
    let mut w = CsvWriter::new(Vec::new()).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    let bytes = w.finish().unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("vendor,product,note,amount\r\n"));
    assert!(text.contains("\"Lizenzmanager, Pro\",\"say \"\"hi\"\"\""));

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    let back: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(back.len(), 4);
    assert_eq!(back[1], rows[1]);
    assert_eq!(back[2], rows[2]);
    // Would-be formulas are defused; plain negative numbers are not.
    assert_eq!(
        back[3],
        ["'=HYPERLINK(\"x\")", "'@SUM(A1)", "'+49 30 1234", "'-"]
    );
    assert_eq!(back[2][3], "-5");
}

#[test]
fn semicolon_output_reads_back_with_our_reader() {
    let mut w = CsvWriter::with_delimiter(Vec::new(), b';')
        .unwrap()
        .guard_formulas(false);
    w.write_record(["vendor", "count"]).unwrap();
    w.write_record(["Jürgen; Müller", "1.234"]).unwrap();
    let bytes = w.finish().unwrap();
    let schema = Schema::new([Column::required("vendor"), Column::required("count")]);
    let reader = SheetReader::from_reader(
        "out.csv",
        std::io::Cursor::new(bytes),
        &schema,
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(reader.encoding(), TextEncoding::Utf8Bom);
    let rows: Vec<_> = reader.map(|r| r.unwrap()).collect();
    assert_eq!(rows[0].get("vendor"), Some("Jürgen; Müller"));
    assert_eq!(rows[0].count("count").unwrap(), 1234);
}
