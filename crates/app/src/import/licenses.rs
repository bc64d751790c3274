//! The license spreadsheet an SME already keeps: one `purchased` per row
//! (effective = its start), each row the same request as a purchase
//! recorded by hand ([`Write::Purchase`]). The id of each license is
//! generated (`L-0007`); the note is the row's notes followed by `import
//! <file> blake3:<hash>`.

use std::path::PathBuf;

use entitle_core::ledger::{Context, Draft};
use entitle_core::record::Event;
use entitle_core::Quantity;
use entitle_sheet::{Column, Schema};
use serde::{Deserialize, Serialize};

use super::sheet::{Cells, SheetFile};
use super::{
    open_for_check, open_for_write, refuse_if_imported, refused, BadRow, SheetOptions, Target,
};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::record::{Common, Purchase, Write};

/// `import licenses`: a license spreadsheet.
#[derive(Debug, Clone, Default)]
pub struct Licenses {
    /// The CSV file.
    pub file: PathBuf,
    /// How to read it.
    pub sheet: SheetOptions,
    /// Check only: record nothing, list what would be recorded.
    pub dry_run: bool,
}

/// What a license import recorded, or would record. Its JSON is `import
/// licenses --json`: `{"file","dry_run","rows","would_record"}` for a dry
/// run, `{"file","dry_run","rows","first_seq","last_seq","ids"}` otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LicensesImported {
    /// The file as named.
    pub file: String,
    /// Whether nothing was recorded on purpose.
    pub dry_run: bool,
    /// Good rows.
    pub rows: u64,
    /// A dry run: each row as it would be recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_record: Option<Vec<WouldRecord>>,
    /// A dry run: the bad rows (nothing would be recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_rows: Vec<BadRow>,
    /// How many rows are bad (more than listed when there are many).
    #[serde(skip)]
    pub bad_total: u64,
    /// The first event written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seq: Option<u64>,
    /// The last event written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<u64>,
    /// The ids of the licenses recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    /// What opening the store reported.
    #[serde(skip)]
    pub notices: Vec<String>,
}

impl LicensesImported {
    /// The error a dry run with bad rows stands for (what a real run
    /// would have failed with).
    #[must_use]
    pub fn refusal(&self) -> Option<Error> {
        (self.bad_total > 0).then(|| refused(&self.file, &self.bad_rows, self.bad_total, "row"))
    }
}

/// A row as it would be recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WouldRecord {
    /// Its line in the file.
    pub line: u64,
    /// The id it would get, when checked against a store.
    pub id: Option<String>,
    /// Always `purchased`.
    #[serde(rename = "type", deserialize_with = "crate::wire::static_str")]
    pub event_type: crate::wire::Static,
    /// Its effective date (the start).
    pub effective: Option<String>,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Metric.
    pub metric: String,
    /// Quantity.
    pub qty: Quantity,
    /// Start.
    pub start: String,
    /// End.
    pub end: Option<String>,
    /// Cost.
    pub cost: Option<String>,
    /// Currency.
    pub currency: Option<String>,
    /// Purchase order.
    pub po: Option<String>,
    /// Owner.
    pub owner: Option<String>,
    /// Notice days.
    pub notice_days: Option<u32>,
    /// Renews automatically.
    pub auto_renew: bool,
    /// The note it would carry.
    pub note: Option<String>,
}

impl WouldRecord {
    fn new(d: &Draft, line: u64, id: Option<String>) -> Option<Self> {
        let Event::Purchased(p) = &d.event else {
            return None;
        };
        Some(WouldRecord {
            line,
            id,
            event_type: "purchased",
            effective: d.effective.map(|e| e.to_string()),
            vendor: p.vendor.clone(),
            product: p.product.clone(),
            metric: p.metric.to_string(),
            qty: p.qty,
            start: p.start.to_string(),
            end: p.end.map(|e| e.to_string()),
            cost: p.cost.map(|c| c.to_string()),
            currency: p.currency.clone(),
            po: p.po.clone(),
            owner: p.owner.clone(),
            notice_days: p.notice_days,
            auto_renew: p.auto_renew,
            note: d.note.clone(),
        })
    }
}

fn schema() -> Schema {
    Schema::new([
        Column::required("vendor")
            .alias("Hersteller")
            .alias("Anbieter"),
        Column::required("product")
            .alias("Produkt")
            .alias("Software"),
        Column::required("metric")
            .alias("Metrik")
            .alias("Lizenzmetrik"),
        Column::required("quantity")
            .alias("qty")
            .alias("Menge")
            .alias("Anzahl")
            .alias("Lizenzen"),
        Column::required("start")
            .alias("Beginn")
            .alias("Laufzeitbeginn")
            .alias("Start date"),
        Column::optional("end")
            .alias("Ende")
            .alias("Laufzeitende")
            .alias("End date"),
        Column::optional("cost").alias("Kosten").alias("Preis"),
        Column::optional("currency").alias("Währung"),
        Column::optional("po")
            .alias("PO number")
            .alias("Bestellnummer")
            .alias("Bestellung"),
        Column::optional("owner")
            .alias("Verantwortlich")
            .alias("Ansprechpartner"),
        Column::optional("notice days")
            .alias("Kündigungsfrist")
            .alias("Kündigungsfrist Tage"),
        Column::optional("auto-renew")
            .alias("auto renewal")
            .alias("Automatische Verlängerung")
            .alias("Autoverlängerung"),
        Column::optional("count rule").alias("Zählregel"),
        Column::optional("notes")
            .alias("note")
            .alias("Bemerkung")
            .alias("Bemerkungen")
            .alias("Notizen"),
    ])
}

/// Imports a license spreadsheet: every row checked first (a bad file
/// opens no store), then recorded in one write, or nothing. A dry run
/// records nothing; with a store it lets the ledger judge the rows
/// against it and shows the ids they would get, and its result lists the
/// bad rows as data.
///
/// # Errors
///
/// For bad options, a file that cannot be read or has no rows, bad rows
/// (a real run; every one in the error's details), a file imported before
/// (kind conflict), or a store failure. Nothing is recorded.
pub fn licenses(
    target: Target<'_>,
    ctx: &Context,
    req: &Licenses,
    progress: &dyn Progress,
) -> Result<LicensesImported> {
    let mut target = target;
    let sheet = SheetFile::new(&req.file, schema(), &req.sheet)?;
    let marker = format!("import {} {}", sheet.file_name(), sheet.marker());
    let mut to_draft =
        |cells: &Cells<'_>, bad: &mut Vec<BadRow>| license_draft(cells, bad, &marker);
    let name = sheet.name().to_owned();
    let mut drafts = Vec::new();
    let mut lines = Vec::new();
    let (rows, bad) = sheet.check(ctx, &mut to_draft, progress, |d, line| {
        if req.dry_run {
            drafts.push(d);
            lines.push(line);
        }
    })?;
    let mut result = LicensesImported {
        file: name.clone(),
        dry_run: req.dry_run,
        rows,
        would_record: None,
        bad_rows: Vec::new(),
        bad_total: 0,
        first_seq: None,
        last_seq: None,
        ids: None,
        notices: Vec::new(),
    };
    if req.dry_run {
        let mut ids = vec![None; drafts.len()];
        let mut bad = bad;
        let mut slot = None;
        if bad.is_empty() {
            if let Some(store) = open_for_check(&mut target, &mut slot, progress)? {
                result.notices = store.notices().to_vec();
                refuse_if_imported(store, &name, &sheet.marker(), req.sheet.again)?;
                match store.check(drafts.clone(), ctx) {
                    Ok(would) => ids = would.into_iter().map(|w| w.id).collect(),
                    Err(entitle_store::AppendError::Rejected(list)) => {
                        for (i, r) in list {
                            bad.push(BadRow::from_error(lines[i], &Error::from(r)));
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        result.bad_total = bad.total;
        result.bad_rows = bad.listed;
        result.would_record = Some(
            drafts
                .iter()
                .zip(&lines)
                .zip(ids)
                .filter_map(|((d, line), id)| WouldRecord::new(d, *line, id))
                .collect(),
        );
        return Ok(result);
    }
    if !bad.is_empty() {
        return Err(refused(&name, &bad.listed, bad.total, "row"));
    }
    let mut slot = None;
    let store = open_for_write(&mut target, &mut slot, progress)?;
    result.notices = store.notices().to_vec();
    refuse_if_imported(store, &name, &sheet.marker(), req.sheet.again)?;
    let mut ids = Vec::new();
    let committed = sheet.write(store.appender(ctx), &mut to_draft, progress, |a| {
        if let Some(id) = &a.id {
            ids.push(id.clone());
        }
    })?;
    let committed = match committed {
        Ok(c) => c,
        Err(bad) => return Err(refused(&name, &bad.listed, bad.total, "row")),
    };
    let (first, last) = committed.seqs.unwrap_or_default();
    result.rows = committed.count;
    result.first_seq = Some(first);
    result.last_seq = Some(last);
    result.ids = Some(ids);
    Ok(result)
}

/// One row as a purchase request, drafted as `entitle purchase` drafts
/// it; its note is the row's notes followed by the import marker.
fn license_draft(cells: &Cells<'_>, bad: &mut Vec<BadRow>, marker: &str) -> Option<Draft> {
    let vendor = cells.text("vendor", bad);
    let product = cells.text("product", bad);
    let metric = cells.text("metric", bad);
    let qty = cells.text("quantity", bad).map(|_| cells.count("quantity"));
    let start = cells
        .text("start", bad)
        .and_then(|_| cells.date("start", bad));
    let end = cells.date("end", bad);
    let notice_days = match cells.count("notice days") {
        None => Some(None),
        Some(n) => match n.parse::<u32>() {
            Ok(d) => Some(Some(d)),
            Err(_) => {
                let value = cells.optional("notice days").unwrap_or_default();
                bad.push(cells.bad(
                    "notice days",
                    &value,
                    format!("column `notice days`: `{value}` is not a number of days"),
                ));
                None
            }
        },
    };
    let auto_renew = cells.boolean("auto-renew", bad);
    let (
        Some(vendor),
        Some(product),
        Some(metric),
        Some(Some(qty)),
        Some(Some(start)),
        Some(end),
        Some(notice_days),
        Some(auto_renew),
    ) = (
        vendor,
        product,
        metric,
        qty,
        start,
        end,
        notice_days,
        auto_renew,
    )
    else {
        return None;
    };
    let note = match cells.optional("notes") {
        Some(notes) => format!("{notes} ({marker})"),
        None => marker.to_owned(),
    };
    let write = Write::Purchase(Purchase {
        id: None,
        vendor,
        product,
        edition: None,
        metric,
        qty,
        start: start.clone(),
        end,
        maintenance_end: None,
        cost: cells.amount("cost"),
        currency: cells.optional("currency"),
        po: cells.optional("po"),
        reseller: None,
        owner: cells.optional("owner"),
        notice_days,
        auto_renew,
        renewal_months: None,
        tags: Vec::new(),
        count_rule: cells.optional("count rule"),
    });
    let common = Common {
        effective: Some(start),
        note: Some(note),
    };
    match write.draft(&common) {
        Ok(d) => Some(d),
        Err(e) => {
            bad.push(BadRow::from_error(cells.line(), &column_named(e)));
            None
        }
    }
}

/// An error of the request named by the file's column (`qty` is the
/// `quantity` column).
fn column_named(e: Error) -> Error {
    match e.field() {
        Some("qty") => e.at("quantity"),
        Some("notice_days") => e.at("notice days"),
        Some("count_rule") => e.at("count rule"),
        _ => e,
    }
}
