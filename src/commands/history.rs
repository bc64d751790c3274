//! `entitle history`

use std::process::ExitCode;

use anyhow::{bail, Result};
use entitle_store::Open;
use serde_json::{json, Value};

use crate::cli::{Cli, HistoryArgs};
use crate::output::{self, Align, Table};
use crate::request;

pub fn run(cli: &Cli, a: &HistoryArgs) -> Result<ExitCode> {
    let mut store = request::open(cli, Open::MustExist, "entitle history")?;
    let Some(timeline) = store.timeline(a.id.trim())? else {
        bail!(
            "unknown license id {:?}: `entitle state` lists the licenses",
            a.id
        );
    };
    let mut events = Vec::new();
    for entry in &timeline.entries {
        let record = store.record(entry.seq)?;
        let void = match entry.voided_by {
            Some(v) => Some(store.record(v)?),
            None => None,
        };
        events.push((record, void));
    }
    if a.json {
        let list: Vec<Value> = events
            .iter()
            .map(|(r, void)| {
                let record: Value = serde_json::from_slice(&r.to_bytes()).unwrap_or(Value::Null);
                json!({
                    "seq": r.seq,
                    "type": r.event.type_name(),
                    "recorded_at": r.recorded_at.to_string(),
                    "effective": r.effective.to_string(),
                    "actor": r.actor,
                    "note": r.note,
                    "voided_by": void.as_ref().map(|v| v.seq),
                    "void_note": void.as_ref().and_then(|v| v.note.clone()),
                    "record": record,
                })
            })
            .collect();
        output::json(&json!({ "id": timeline.id, "events": list }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("history of {}", timeline.id);
    let mut t = Table::new(&[
        ("SEQ", Align::Right, false),
        ("RECORDED", Align::Left, false),
        ("EFFECTIVE", Align::Left, false),
        ("EVENT", Align::Left, false),
        ("DETAILS", Align::Left, true),
    ]);
    for (r, void) in &events {
        let mut details = describe(r);
        if let Some(n) = &r.note {
            details.push_str(&format!(" — {n}"));
        }
        let mut what = r.event.type_name().to_owned();
        if let Some(v) = void {
            what = format!("{what} (VOIDED by #{})", v.seq);
            if let Some(n) = &v.note {
                details.push_str(&format!(" [void: {n}]"));
            }
        }
        t.row(vec![
            format!("#{}", r.seq),
            r.recorded_at.to_string(),
            r.effective.to_string(),
            what,
            details,
        ]);
    }
    t.print()?;
    Ok(ExitCode::SUCCESS)
}

fn describe(r: &entitle_core::Record) -> String {
    use entitle_core::Event;
    match &r.event {
        Event::Purchased(p) => format!(
            "{} / {}, {} {}, {} .. {}{}",
            p.vendor,
            p.product,
            p.qty,
            p.metric,
            p.start,
            p.end.map_or_else(|| "perpetual".into(), |e| e.to_string()),
            p.cost
                .map(|c| format!(", {c} {}", p.currency.as_deref().unwrap_or("")))
                .unwrap_or_default()
        ),
        Event::Extended(x) => format!(
            "until {}{}",
            x.until,
            x.qty.map(|q| format!(", qty {q}")).unwrap_or_default()
        ),
        Event::Adjusted(x) => format!("qty {}", x.qty),
        Event::Cancelled(_) => "cancelled".into(),
        Event::DocumentAttached(d) => format!(
            "{} ({}, {})",
            d.filename,
            d.kind,
            &d.hash[..12.min(d.hash.len())]
        ),
        Event::UsageRecorded(u) => format!("{} {}", u.count, u.metric),
        Event::Voided(v) => format!("voids #{}", v.voids),
    }
}
