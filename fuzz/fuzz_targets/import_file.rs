//! Any bytes through the importer's parser (the db-free half of an import:
//! decoding, delimiter sniffing, XLSX, header search, every preset and a
//! generic mapping): no panic, and every row is a conversion or a refusal
//! with a row number that grows.
#![no_main]

use affrank::imports::parse::Source;
use affrank::imports::presets::{Mapping, PRESETS};
use affrank::imports::parse_only;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let source = match PRESETS.get(pick as usize % (PRESETS.len() + 1)) {
        Some(preset) => Source::Preset(preset),
        None => Source::Columns(
            Mapping::parse("transaction_id=id,amount=amount,date=date,status=status,session_id=sub,network=net")
                .unwrap(),
        ),
    };
    if let Ok(rows) = parse_only(std::io::Cursor::new(file.to_vec()), &source) {
        let mut last = 0;
        for (row, _) in rows {
            assert!(row > last, "row numbers grow");
            last = row;
        }
    }
});
