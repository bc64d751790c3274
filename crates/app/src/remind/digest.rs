//! The digest's words: subject, plain text and simple HTML, in English or
//! German.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

use super::settings::RemindSettings;
use super::Item;

/// The language of a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// German.
    De,
}

impl Language {
    /// `en` or `de` (any case).
    #[must_use]
    pub fn parse(text: &str) -> Option<Language> {
        match text.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Language::En),
            "de" => Some(Language::De),
            _ => None,
        }
    }

    fn date(self, d: &str) -> String {
        match (self, d.parse::<Date>()) {
            (Language::De, Ok(d)) => d.strftime("%d.%m.%Y").to_string(),
            _ => d.to_owned(),
        }
    }

    /// An amount with two decimals and grouped thousands: 45,600.00 or
    /// 45.600,00.
    fn money(self, amount: &str, currency: &str) -> String {
        let Ok(d) = amount.parse::<Decimal>() else {
            return format!("{amount} {currency}");
        };
        let text = format!("{:.2}", d.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
        let (group, point) = match self {
            Language::En => (',', '.'),
            Language::De => ('.', ','),
        };
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i).is_multiple_of(3) {
                grouped.push(group);
            }
            grouped.push(c);
        }
        let sign = if d.is_sign_negative() { "-" } else { "" };
        format!("{sign}{grouped}{point}{frac} {currency}")
    }
}

/// " for 12 months" / " um 12 Monate" (nothing when unknown).
fn months(lang: Language, n: Option<u32>) -> String {
    match (lang, n) {
        (_, None) => String::new(),
        (Language::En, Some(1)) => " for 1 month".into(),
        (Language::En, Some(n)) => format!(" for {n} months"),
        (Language::De, Some(1)) => " um 1 Monat".into(),
        (Language::De, Some(n)) => format!(" um {n} Monate"),
    }
}

/// One item's lines: a heading, what to do, where to see it.
struct Lines {
    head: String,
    what: String,
    see: String,
}

fn lines(set: &RemindSettings, lang: Language, i: &Item) -> Lines {
    let de = lang == Language::De;
    let date = i.date.as_deref().map(|d| lang.date(d)).unwrap_or_default();
    let left = match (i.days_left, de) {
        (Some(0), false) => "today".to_owned(),
        (Some(0), true) => "heute".to_owned(),
        (Some(1), false) => "in 1 day".to_owned(),
        (Some(1), true) => "in 1 Tag".to_owned(),
        (Some(n), false) => format!("in {n} days"),
        (Some(n), true) => format!("in {n} Tagen"),
        (None, _) => String::new(),
    };
    let what_product = format!("{} {}", i.vendor, i.product);
    let license = i.license.as_deref().unwrap_or_default();
    let cost = match (&i.cost, &i.currency) {
        (Some(c), Some(cur)) => Some(lang.money(c, cur)),
        _ => None,
    };
    let (head, what) = match (i.kind, de) {
        ("cancel-by", false) => (
            format!("Cancel by {date} ({left}): {what_product}, license {license}"),
            format!(
                "Cancel by {date} or it renews{}{}.",
                months(lang, i.renewal_months),
                cost.as_deref().map(|c| format!(" at {c}")).unwrap_or_default()
            ) + &i
                .end
                .as_deref()
                .map(|e| format!(" The term ends on {}.", lang.date(e)))
                .unwrap_or_default(),
        ),
        ("cancel-by", true) => (
            format!("Kündigen bis {date} ({left}): {what_product}, Lizenz {license}"),
            format!(
                "Kündigen Sie bis {date}, sonst verlängert sie sich{}{}.",
                months(lang, i.renewal_months),
                cost.as_deref().map(|c| format!(" für {c}")).unwrap_or_default()
            ) + &i
                .end
                .as_deref()
                .map(|e| format!(" Die Laufzeit endet am {}.", lang.date(e)))
                .unwrap_or_default(),
        ),
        ("expiry", false) => (
            format!("Expires on {date} ({left}): {what_product}, license {license}"),
            "It does not renew automatically: renew it (entitle extend) or let it end.".to_owned(),
        ),
        ("expiry", true) => (
            format!("Läuft ab am {date} ({left}): {what_product}, Lizenz {license}"),
            "Sie verlängert sich nicht automatisch: verlängern (entitle extend) oder auslaufen lassen.".to_owned(),
        ),
        (kind, false) => (
            match kind {
                "under" => format!("Shortfall: {what_product}"),
                "metric-mismatch" => format!("Metric mismatch: {what_product}"),
                _ => format!("Usage count is stale: {what_product}"),
            },
            format!(
                "{} {} entitled, {} counted on {date}.",
                i.entitled.as_deref().unwrap_or("0"),
                i.metric.as_deref().unwrap_or_default(),
                i.used.unwrap_or(0)
            ),
        ),
        (kind, true) => (
            match kind {
                "under" => format!("Unterlizenzierung: {what_product}"),
                "metric-mismatch" => format!("Falsche Lizenzmetrik: {what_product}"),
                _ => format!("Nutzungszählung veraltet: {what_product}"),
            },
            format!(
                "{} {} lizenziert, {} gezählt am {date}.",
                i.entitled.as_deref().unwrap_or("0"),
                i.metric.as_deref().unwrap_or_default(),
                i.used.unwrap_or(0)
            ),
        ),
    };
    let see = match (&set.link, &i.license) {
        (Some(link), Some(id)) => link.replace("{id}", id),
        (_, Some(id)) => format!("entitle history {id}"),
        (_, None) => format!("entitle position --vendor {:?}", i.vendor),
    };
    Lines { head, what, see }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The subject, plain text and HTML of a digest of `items`.
pub(super) fn render(
    set: &RemindSettings,
    lang: Language,
    as_of: Date,
    items: &[Item],
) -> (String, String, String) {
    let de = lang == Language::De;
    let day = lang.date(&as_of.to_string());
    let n = items.len();
    let subject = match (de, n) {
        (false, 1) => format!("entitle: 1 reminder ({day})"),
        (false, _) => format!("entitle: {n} reminders ({day})"),
        (true, 1) => format!("entitle: 1 Erinnerung ({day})"),
        (true, _) => format!("entitle: {n} Erinnerungen ({day})"),
    };
    let intro = if de {
        format!("entitle erinnert Sie am {day} an:")
    } else {
        format!("entitle reminds you, as of {day}, of:")
    };
    let see_label = if de { "Ansehen" } else { "See it" };
    let outro = if de {
        "Diese Nachricht wurde von entitle remind gesendet; entitle remind log zeigt, was wann an wen ging."
    } else {
        "Sent by entitle remind; entitle remind log shows what was sent to whom and when."
    };
    let mut text = format!("{intro}\n\n");
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><body>\n<p>{}</p>\n<ol>\n",
        if de { "de" } else { "en" },
        escape(&intro)
    );
    for (k, i) in items.iter().enumerate() {
        let l = lines(set, lang, i);
        text.push_str(&format!(
            "{}. {}\n   {}\n   {see_label}: {}\n\n",
            k + 1,
            l.head,
            l.what,
            l.see
        ));
        let see = if l.see.starts_with("http") {
            format!("<a href=\"{0}\">{0}</a>", escape(&l.see))
        } else {
            format!("<code>{}</code>", escape(&l.see))
        };
        html.push_str(&format!(
            "<li><strong>{}</strong><br>{}<br>{see_label}: {see}</li>\n",
            escape(&l.head),
            escape(&l.what)
        ));
    }
    text.push_str(&format!("-- \n{outro}\n"));
    html.push_str(&format!(
        "</ol>\n<p><small>{}</small></p>\n</body></html>\n",
        escape(outro)
    ));
    (subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancel_by(months: Option<u32>, cost: Option<&str>) -> Item {
        Item {
            key: "cancel-by:ACRO:2027-12-02".into(),
            kind: "cancel-by",
            stage: 90,
            license: Some("ACRO".into()),
            vendor: "Adobe".into(),
            product: "Acrobat Pro".into(),
            date: Some("2027-12-02".into()),
            days_left: Some(90),
            end: Some("2028-03-01".into()),
            notice_days: Some(90),
            renewal_months: months,
            cost: cost.map(str::to_owned),
            currency: cost.map(|_| "EUR".to_owned()),
            metric: None,
            entitled: None,
            used: None,
            owners: Vec::new(),
        }
    }

    #[test]
    fn a_cancel_by_item_says_the_term_and_price_it_renews_for_in_both_languages() {
        let set = super::super::settings(&crate::config::Config::default()).unwrap();
        let en = lines(&set, Language::En, &cancel_by(Some(12), Some("45600")));
        assert_eq!(
            en.what,
            "Cancel by 2027-12-02 or it renews for 12 months at 45,600.00 EUR. The term ends on 2028-03-01."
        );
        let de = lines(&set, Language::De, &cancel_by(Some(12), Some("45600")));
        assert_eq!(
            de.what,
            "Kündigen Sie bis 02.12.2027, sonst verlängert sie sich um 12 Monate für 45.600,00 EUR. Die Laufzeit endet am 01.03.2028."
        );
        let one = lines(&set, Language::En, &cancel_by(Some(1), None));
        assert!(
            one.what
                .starts_with("Cancel by 2027-12-02 or it renews for 1 month."),
            "{}",
            one.what
        );
        let de = lines(&set, Language::De, &cancel_by(Some(1), None));
        assert!(de.what.contains("um 1 Monat."), "{}", de.what);
    }

    #[test]
    fn money_in_both_languages() {
        assert_eq!(Language::En.money("45600", "EUR"), "45,600.00 EUR");
        assert_eq!(Language::De.money("45600.5", "EUR"), "45.600,50 EUR");
        assert_eq!(Language::En.money("12", "EUR"), "12.00 EUR");
        assert_eq!(Language::De.money("1234567", "EUR"), "1.234.567,00 EUR");
    }
}
