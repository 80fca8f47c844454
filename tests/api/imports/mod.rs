//! Report imports: the presets on their fixtures, the ledger's verdicts,
//! the API and the CLI.

mod presets;
