//! A spreadsheet export as `usage import` reads it: every byte sequence
//! is rows or errors naming a line, in any encoding guess.
#![no_main]
use std::io::Cursor;

use entitle_sheet::{Column, ReadOptions, Schema, SheetReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let schema = Schema::new([
        Column::required("vendor"),
        Column::required("product"),
        Column::required("count"),
        Column::optional("date"),
    ]);
    let Ok(reader) = SheetReader::from_reader(
        "fuzz.csv",
        Cursor::new(data),
        &schema,
        &ReadOptions::default(),
    ) else {
        return;
    };
    for row in reader.take(10_000) {
        let _ = row;
    }
});
