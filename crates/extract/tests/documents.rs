//! The demo documents in `data/documents/`: each is sniffed as its format and
//! its known phrases come out of extraction (in process).

use std::path::PathBuf;

use entitle_extract::{
    extract_file, sniff, DOCX, EML, HTML, MARKDOWN, ODT, PDF, SNIFF_BYTES, TEXT,
};

fn documents() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/documents")
}

/// Runs of whitespace become one space, so phrases broken over lines match.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Sniffs and extracts `name`, checks its media type and that every phrase
/// occurs; returns the squashed text.
fn check(name: &str, media_type: &str, phrases: &[&str]) -> String {
    let path = documents().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        sniff(name, &bytes[..bytes.len().min(SNIFF_BYTES)]),
        media_type,
        "{name}"
    );
    let text = extract_file(&path, media_type).unwrap_or_else(|e| panic!("{name}: {e}"));
    let text = squash(&text);
    for phrase in phrases {
        assert!(text.contains(phrase), "{name}: {phrase:?} not in {text}");
    }
    text
}

#[test]
fn apache_license_pdf() {
    check(
        "apache-2.0.pdf",
        PDF,
        &[
            "Apache License",
            "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
            "Grant of Copyright License",
            "END OF TERMS AND CONDITIONS",
        ],
    );
}

#[test]
fn mozilla_public_license_docx() {
    check(
        "mpl-2.0.docx",
        DOCX,
        &[
            "Mozilla Public License Version 2.0",
            "\"Covered Software\" means",
            "Exhibit B - \"Incompatible With Secondary Licenses\" Notice",
        ],
    );
}

#[test]
fn gpl_odt() {
    check(
        "gpl-3.0.odt",
        ODT,
        &[
            "GNU GENERAL PUBLIC LICENSE",
            "Version 3, 29 June 2007",
            "END OF TERMS AND CONDITIONS",
        ],
    );
}

const GERMAN_PHRASES: &[&str] = &[
    "Rahmenvertrag über Softwarelizenzen",
    "Muster Maschinenbau GmbH",
    "Nordlicht Software AG",
    "Kündigungsfrist von 90 Tagen",
    "dieselben Kündigungsfristen",
    "§ 3 Virtualisierung",
    "Nutzungsrechte",
];

#[test]
fn german_framework_contract_markdown() {
    check("rahmenvertrag-nordlicht-cad.md", MARKDOWN, GERMAN_PHRASES);
}

#[test]
fn german_framework_contract_pdf() {
    check("rahmenvertrag-nordlicht-cad.pdf", PDF, GERMAN_PHRASES);
}

#[test]
fn english_subscription_terms_html() {
    let text = check(
        "nordlicht-subscription-terms.html",
        HTML,
        &[
            "Subscription Terms – Nordlicht CAD Professional",
            "The notice period is 90 days before the end of the current term.",
            "auto-renewal",
            "Renewals are invoiced",
            "4. Virtualisation",
        ],
    );
    assert!(!text.contains("do-not-index-this-script"), "{text}");
    assert!(!text.contains("font-family"), "{text}");
}

#[test]
fn order_confirmation_text() {
    check(
        "order-confirmation-nl-2024-0412.txt",
        TEXT,
        &[
            "ORDER CONFIRMATION NL-2024-0412",
            "The notice period for cancellation is 90 days",
        ],
    );
}

#[test]
fn windows_1252_letter() {
    check(
        "kuendigungsbestaetigung-nordlicht-pdm.txt",
        TEXT,
        &[
            "Bestätigung Ihrer Teilkündigung",
            "5.900,00 €",
            "Mit freundlichen Grüßen",
        ],
    );
}

#[test]
fn order_confirmation_email_with_pdf_attachment() {
    check(
        "order-confirmation-nl-2024-0412.eml",
        EML,
        &[
            "Subject: Auftragsbestätigung / Order confirmation NL-2024-0412 – Nordlicht CAD Professional",
            "From: Nordlicht Software AG Order Management <orders@nordlicht.invalid>",
            "Date: 2024-03-28T10:15:00+01:00",
            "Please note the notice period of 90 days",
            "Attachment: order-confirmation-nl-2024-0412.pdf",
            // From the attached PDF:
            "Net total 60,750.00 EUR",
        ],
    );
}

#[test]
fn every_demo_document_is_covered_and_small() {
    let mut total = 0;
    for entry in std::fs::read_dir(documents()).unwrap() {
        let entry = entry.unwrap();
        let size = entry.metadata().unwrap().len();
        total += size;
        assert!(size < 300 * 1024, "{:?} is {size} bytes", entry.file_name());
    }
    assert!(total < 2 * 1024 * 1024, "data/documents is {total} bytes");
}
