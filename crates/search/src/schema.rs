//! The index layout: fields and the text analysis behind them.
//!
//! The tokenizer names carry a version (`_v1`). They are recorded in the
//! schema tantivy stores with the index, so changing the analysis means
//! bumping the name: an old index then no longer matches [`build`]'s schema
//! and is reported as [`IndexError::SchemaMismatch`](crate::IndexError) so
//! the caller rebuilds it, instead of silently mixing two analyses.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, TokenizerManager,
};

/// German: lower-case, Snowball German stemmer. Snowball (3.x) itself maps
/// `ae`/`oe`/`ue` to umlauts, `ß` to `ss` and finally drops the umlaut marks,
/// so `Kündigungsfrist`, `Kuendigungsfrist` and `Kundigungsfrist` all end up
/// as `kundigungsfrist`.
pub(crate) const TOKENIZER_DE: &str = "entitle_de_v1";
/// English: lower-case, ASCII folding, Snowball English (Porter 2) stemmer.
pub(crate) const TOKENIZER_EN: &str = "entitle_en_v1";
/// Unstemmed words, lower-cased and ASCII-folded: the target of prefix
/// queries (`virtual*`), so a prefix matches real words, not stems.
pub(crate) const TOKENIZER_RAW: &str = "entitle_raw_v1";
/// Facet values (vendor, product, license id): the whole value, lower-cased.
pub(crate) const TOKENIZER_KEYWORD: &str = "entitle_keyword_v1";

/// Words longer than this (in bytes) are dropped from the index: they are
/// base64 blobs or table rules, not words anyone searches for.
const MAX_WORD_BYTES: usize = 64;

/// Handles to every field of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// BLAKE3 hex, the document's key (indexed untokenized, stored).
    pub hash: Field,
    /// Original filename (stored; its words are also indexed in the text fields).
    pub filename: Field,
    /// Document kind, lower-case (indexed untokenized, stored).
    pub kind: Field,
    /// License ids (multi-valued, case-insensitive, stored as given).
    pub license_ids: Field,
    /// Vendors (multi-valued, case-insensitive, stored as given).
    pub vendors: Field,
    /// Products (multi-valued, case-insensitive, stored as given).
    pub products: Field,
    /// The extracted text, stored only (for snippets).
    pub body: Field,
    /// Text analysed for German.
    pub text_de: Field,
    /// Text analysed for English.
    pub text_en: Field,
    /// Text, unstemmed (prefix queries).
    pub text_raw: Field,
}

/// Builds the schema and returns it with its field handles.
pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let keyword = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER_KEYWORD)
                .set_fieldnorms(false)
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_stored();
    let text = |tokenizer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(record),
        )
    };
    let fields = Fields {
        hash: b.add_text_field("hash", STRING | STORED),
        filename: b.add_text_field("filename", STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        license_ids: b.add_text_field("license_ids", keyword.clone()),
        vendors: b.add_text_field("vendors", keyword.clone()),
        products: b.add_text_field("products", keyword),
        body: b.add_text_field("body", STORED),
        text_de: b.add_text_field(
            "text_de",
            text(TOKENIZER_DE, IndexRecordOption::WithFreqsAndPositions),
        ),
        text_en: b.add_text_field(
            "text_en",
            text(TOKENIZER_EN, IndexRecordOption::WithFreqsAndPositions),
        ),
        text_raw: b.add_text_field(
            "text_raw",
            text(TOKENIZER_RAW, IndexRecordOption::WithFreqs),
        ),
    };
    (b.build(), fields)
}

/// The German analyzer.
pub(crate) fn analyzer_de() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::German))
        .build()
}

/// The English analyzer.
pub(crate) fn analyzer_en() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The unstemmed analyzer (prefix queries and their highlighting).
pub(crate) fn analyzer_raw() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers this crate's analyzers with an index's tokenizer manager
/// (tantivy does not persist tokenizers; every open must register them).
pub(crate) fn register(manager: &TokenizerManager) {
    manager.register(TOKENIZER_DE, analyzer_de());
    manager.register(TOKENIZER_EN, analyzer_en());
    manager.register(TOKENIZER_RAW, analyzer_raw());
    manager.register(
        TOKENIZER_KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

/// Normalises a facet value (vendor, product, license id, kind) for
/// matching: trimmed, lower-cased. Must agree with [`TOKENIZER_KEYWORD`]
/// applied to a trimmed value.
pub(crate) fn normalize_keyword(value: &str) -> String {
    value.trim().chars().flat_map(char::to_lowercase).collect()
}

/// Runs `analyzer` over `text` and returns the token texts with positions.
pub(crate) fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push((token.position, token.text.clone()));
    }
    out
}
