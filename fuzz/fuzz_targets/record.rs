//! A line of the log: any bytes are a record or an error; a record
//! written back reads as the same record.
#![no_main]
use entitle_core::Record;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = Record::from_bytes(data) {
        let bytes = record.to_bytes();
        let again = Record::from_bytes(&bytes).expect("a written record reads back");
        assert_eq!(again.to_bytes(), bytes);
    }
});
