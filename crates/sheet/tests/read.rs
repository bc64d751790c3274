//! Reading real files checked into tests/data.

use std::path::PathBuf;

use entitle_sheet::{
    Column, ColumnMap, DateFormat, NumberStyle, Problems, ReadOptions, Schema, SheetError,
    SheetReader, TextEncoding,
};
use jiff::civil::date;
use rust_decimal::Decimal;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Errors show paths as the caller gave them; tests give a short one.
fn open(
    name: &str,
    schema: &Schema,
    options: &ReadOptions,
) -> Result<SheetReader<std::fs::File>, SheetError> {
    let file = std::fs::File::open(data(name)).unwrap();
    SheetReader::from_reader(name, file, schema, options)
}

fn usage_schema() -> Schema {
    Schema::new([
        Column::required("vendor"),
        Column::required("product"),
        Column::required("metric"),
        Column::required("count"),
        Column::required("date"),
        Column::optional("notes"),
    ])
}

fn license_schema() -> Schema {
    Schema::new([
        Column::required("vendor").alias("Hersteller"),
        Column::required("product").alias("Produkt"),
        Column::required("metric").alias("Metrik"),
        Column::required("quantity").alias("Anzahl"),
        Column::required("start").alias("Beginn"),
        Column::optional("end").alias("Ende"),
        Column::optional("cost").alias("Kosten"),
        Column::optional("currency").alias("Währung"),
        Column::optional("po").alias("Bestellnummer"),
        Column::optional("owner").alias("Verantwortlich"),
        Column::optional("notice_days").alias("Kündigungsfrist Tage"),
        Column::optional("auto_renew"),
        Column::optional("notes").alias("Notizen"),
    ])
}

/// Reads every row, collecting values and errors as an importer would.
fn collect<T>(
    reader: SheetReader<std::fs::File>,
    mut f: impl FnMut(&entitle_sheet::Row) -> Result<T, SheetError>,
) -> (Vec<T>, Problems) {
    let mut problems = Problems::new(100);
    let mut out = Vec::new();
    for row in reader {
        if let Some(row) = problems.check(row) {
            if let Some(v) = problems.check(f(&row)) {
                out.push(v);
            }
        }
    }
    (out, problems)
}

#[test]
fn german_windows_1252_semicolon_export() {
    let options = ReadOptions {
        date_format: DateFormat::Dmy,
        map: "auto_renew=Autom. Verlängerung".parse().unwrap(),
        ..ReadOptions::default()
    };
    let reader = open("de_lizenzen_win1252.csv", &license_schema(), &options).unwrap();
    assert_eq!(reader.encoding(), TextEncoding::Windows1252);
    assert_eq!(reader.delimiter(), b';');
    assert_eq!(reader.number_style(), NumberStyle::DecimalComma);
    assert_eq!(
        reader.header_of("notice_days"),
        Some("Kündigungsfrist Tage")
    );
    assert!(reader.unused_headers().is_empty());
    let (rows, problems) = collect(reader, |r| {
        Ok((
            r.line(),
            r.text("vendor")?.to_owned(),
            r.count("quantity")?,
            r.date("start")?,
            r.optional_date("end")?,
            r.optional_money("cost")?,
            r.optional_text("owner").map(str::to_owned),
            r.optional_count("notice_days")?,
            r.boolean("auto_renew")?,
            r.optional_text("notes").map(str::to_owned),
        ))
    });
    assert!(problems.is_empty(), "{problems}");
    assert_eq!(rows.len(), 3, "the all-empty `;;;;` row is skipped");
    let (line, vendor, qty, start, end, cost, owner, notice, auto, notes) = &rows[0];
    assert_eq!(*line, 2);
    assert_eq!(vendor, "Microsoft");
    assert_eq!(*qty, 1250);
    assert_eq!(*start, date(2024, 1, 1));
    assert_eq!(*end, Some(date(2024, 12, 31)));
    assert_eq!(*cost, Some(Decimal::new(123_456, 2)));
    assert_eq!(owner.as_deref(), Some("Jürgen Müller"));
    assert_eq!(*notice, Some(90));
    assert!(*auto);
    assert_eq!(notes.as_deref(), Some("Rahmenvertrag über Händler"));
    assert_eq!(rows[1].1, "Lizenzmanager GmbH");
    assert_eq!(rows[1].5, Some(Decimal::new(12_000, 0)));
    assert_eq!(
        rows[1].9.as_deref(),
        Some("Preis inkl. Wartung; Verlängerung prüfen")
    );
    assert!(!rows[1].8);
    assert_eq!(rows[2].3, date(2024, 2, 29));
    assert_eq!(rows[2].5, Some(Decimal::new(49_875, 1)));
    assert_eq!(rows[2].7, None);
    assert!(rows[2].8, "x means yes");
}

#[test]
fn english_utf8_bom_comma_export() {
    let reader = open(
        "en_usage_utf8bom.csv",
        &usage_schema(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(reader.encoding(), TextEncoding::Utf8Bom);
    assert_eq!(reader.delimiter(), b',');
    assert_eq!(
        reader.headers()[0],
        "Vendor",
        "the BOM is not part of the first header"
    );
    let (rows, problems) = collect(reader, |r| {
        Ok((
            r.line(),
            r.text("product")?.to_owned(),
            r.count("count")?,
            r.date("date")?,
            r.get("notes").unwrap().to_owned(),
        ))
    });
    assert!(problems.is_empty(), "{problems}");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].2, 1180);
    assert_eq!(rows[1].4, "two seats over:\nask Jürgen");
    // The quoted note spans lines 3 and 4, so the next record starts on 5.
    let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(lines, [2, 3, 5]);
    assert_eq!(rows[2].3, date(2024, 6, 30));
}

#[test]
fn header_variants_match() {
    let schema = Schema::new([
        Column::required("vendor"),
        Column::required("product").alias("Product Name"),
        Column::required("metric"),
        Column::required("count").alias("installations"),
        Column::optional("notice_days"),
        Column::required("date"),
    ]);
    let reader = open("header_variants.csv", &schema, &ReadOptions::default()).unwrap();
    assert_eq!(reader.encoding(), TextEncoding::Utf8);
    let (rows, problems) = collect(reader, |r| {
        Ok((
            r.text("vendor")?.to_owned(),
            r.text("product")?.to_owned(),
            r.count("count")?,
            r.optional_count("notice_days")?,
        ))
    });
    assert!(problems.is_empty(), "{problems}");
    assert_eq!(
        rows,
        [("Oracle".to_owned(), "Database EE".to_owned(), 8, Some(90))]
    );
}

#[test]
fn map_overrides_headers() {
    let map: ColumnMap =
        "vendor=Publisher,product=Software,metric=License Type,count=Installs,date=scan_date"
            .parse()
            .unwrap();
    let options = ReadOptions {
        map,
        ..ReadOptions::default()
    };
    let reader = open("inventory_export.csv", &usage_schema(), &options).unwrap();
    let (rows, problems) = collect(reader, |r| {
        Ok((r.text("product")?.to_owned(), r.count("count")?))
    });
    assert!(problems.is_empty(), "{problems}");
    assert_eq!(rows, [("Visio Plan 2".to_owned(), 42)]);
}

#[test]
fn utf16_with_bom_and_tabs() {
    let reader = open("utf16le_tabs.txt", &usage_schema(), &ReadOptions::default()).unwrap();
    assert_eq!(reader.encoding(), TextEncoding::Utf16Le);
    assert_eq!(reader.delimiter(), b'\t');
    let (rows, problems) = collect(reader, |r| {
        Ok((r.line(), r.text("product")?.to_owned(), r.count("count")?))
    });
    assert!(problems.is_empty(), "{problems}");
    assert_eq!(rows, [(2, "Business One Lizenz für Müller".to_owned(), 5)]);
}

#[test]
fn every_bad_row_is_reported() {
    let reader = open("bad_rows.csv", &usage_schema(), &ReadOptions::default()).unwrap();
    let (rows, problems) = collect(reader, |r| Ok((r.count("count")?, r.date("date")?)));
    assert_eq!(rows, [(8, date(2024, 1, 2))]);
    assert_eq!(problems.total(), 6);
    assert_eq!(
        problems.to_string(),
        "bad_rows.csv:2: column `count`: `zwölf` is not a number; a count is a whole number such as 12 or 1.234
bad_rows.csv:3: column `count`: `-3` is negative; a count must be 0 or more
bad_rows.csv:4: column `date`: `2023-02-30` is not a date: February 2023 has 28 days
bad_rows.csv:5: this row has 6 fields but the header has 5; is there a `;` in a value that is not in double quotes?
bad_rows.csv:6: this row has 4 fields but the header has 5; is a field missing?
bad_rows.csv:7: column `count`: `12,5` is not a whole number (in a semicolon-separated file `,` is the decimal mark); a count is a whole number"
    );
    assert!(problems.errors().iter().all(SheetError::is_row_error));
    assert_eq!(problems.errors()[2].line(), Some(4));
}

#[test]
fn problems_are_bounded() {
    let reader = open("bad_rows.csv", &usage_schema(), &ReadOptions::default()).unwrap();
    let mut problems = Problems::new(2);
    for row in reader {
        if let Some(row) = problems.check(row) {
            problems.check(row.count("count"));
            problems.check(row.date("date"));
        }
    }
    assert_eq!(problems.total(), 7, "row 7 has a bad count and a dmy date");
    assert_eq!(problems.errors().len(), 2);
    assert!(problems.to_string().ends_with("\n… and 5 more errors"));
}

fn open_err(name: &str, options: &ReadOptions) -> String {
    open(name, &usage_schema(), options)
        .unwrap_err()
        .to_string()
}

#[test]
fn header_errors() {
    let d = ReadOptions::default();
    assert_eq!(
        open_err("missing_header.csv", &d),
        "missing_header.csv:1: missing required columns `vendor`, `product`, `count`; columns found: `Publisher`, `Software`, `Metric`, `Installs`, `Date`"
    );
    let e = open("missing_header.csv", &usage_schema(), &d).unwrap_err();
    assert_eq!(
        e.map_hint(),
        Some((
            "if one of them holds it, name it in the column map",
            "vendor=Publisher".to_owned()
        ))
    );
    assert_eq!(
        open_err("duplicate_header.csv", &d),
        "duplicate_header.csv:1: columns 4 (`count`) and 6 (`Count`) both mean `count`; remove or rename one of them"
    );
    let map = |s: &str| ReadOptions {
        map: s.parse().unwrap(),
        ..ReadOptions::default()
    };
    assert_eq!(
        open_err("missing_header.csv", &map("vendor=Publisher,product=Software,count=Installed")),
        "missing_header.csv:1: column map count=Installed: the file has no column `Installed`; columns found: `Publisher`, `Software`, `Metric`, `Installs`, `Date`"
    );
    assert_eq!(
        open_err("missing_header.csv", &map("seats=Installs")),
        "missing_header.csv:1: column map seats=Installs: `seats` is not a column of this import; its columns are vendor, product, metric, count, date, notes"
    );
    assert_eq!(
        open_err(
            "missing_header.csv",
            &map("vendor=Publisher,product=Software,count=Metric,metric=Metric")
        ),
        "missing_header.csv:1: column 3 (`Metric`) could mean `metric` or `count`"
    );
    assert_eq!(
        open_err("empty.csv", &d),
        "empty.csv: the file is empty; expected a header line naming the columns vendor, product, metric, count, date, notes"
    );
}

#[test]
fn encoding_errors() {
    let d = ReadOptions::default();
    assert_eq!(
        open_err("utf16_no_bom.csv", &d),
        "utf16_no_bom.csv:1: this is not a text file (NUL byte); if it is UTF-16 text, save it with a byte order mark, or as UTF-8"
    );
    assert_eq!(
        open_err("mixed_encoding.csv", &d),
        "mixed_encoding.csv:3: the file mixes encodings: line 2 is UTF-8 (`ü`) but this line has byte 0xFC, which is not; save the whole file as UTF-8"
    );
    assert_eq!(
        open_err("undecodable.csv", &d),
        "undecodable.csv:3: byte 0x81 is neither UTF-8 nor a Windows-1252 character; save the file as UTF-8"
    );
    let missing = SheetReader::open(data("no_such_file.csv"), &usage_schema(), &d).unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("no_such_file.csv: cannot read the file: "),
        "{missing}"
    );
}

#[test]
fn dmy_dates_need_the_flag() {
    let reader = open(
        "de_lizenzen_win1252.csv",
        &license_schema(),
        &ReadOptions::default(),
    )
    .unwrap();
    let (_, problems) = collect(reader, |r| r.date("start"));
    assert_eq!(
        problems.errors()[0].to_string(),
        "de_lizenzen_win1252.csv:2: column `start`: `01.01.2024` is not a date as year-month-day (2024-03-31); if the file writes day.month.year, use --date-format dmy"
    );
}
