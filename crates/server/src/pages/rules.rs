//! The ledger's refusals in German. The rules word them in English (the
//! command line's and the API's language); a German form puts these
//! sentences beside its fields instead, each saying what to do.

use entitle_core::{InputError, Rejection, MAX_QUANTITY};

use super::i18n::Lang;

/// The refusal `r` in German, or `None` where only the rule's English
/// words say it well (a problem the rule words itself, such as an
/// inventory fact's).
pub(crate) fn german(r: &Rejection) -> Option<String> {
    let de = Lang::De;
    let date = |d: &jiff::civil::Date| de.date(*d);
    Some(match r {
        Rejection::Input(e) => return input(e),
        Rejection::UnknownLicense(id) => format!("Es gibt keine Lizenz mit der ID „{id}“."),
        Rejection::LicenseVoided { id, purchase, void } => format!(
            "Die Lizenz {id} zählt nicht mehr: Ihr Kauf #{purchase} wurde durch #{void} storniert."
        ),
        Rejection::LicenseCancelled {
            id,
            cancel,
            effective,
        } => format!(
            "Die Lizenz {id} wurde durch #{cancel} zum {} gekündigt; stornieren Sie #{cancel}, falls die Kündigung ein Irrtum war.",
            date(effective)
        ),
        Rejection::DuplicateId { id, seq } => {
            format!("Die ID „{id}“ ist schon durch #{seq} vergeben; wählen Sie eine andere.")
        }
        Rejection::ExtendNotLater { id, until, end } => format!(
            "{} liegt nicht nach dem bisherigen Ende {} von {id}; eine Verlängerung schiebt das Ende nach hinten.",
            date(until),
            date(end)
        ),
        Rejection::ExtendPerpetual(id) => {
            format!("Die Lizenz {id} ist unbefristet; es gibt nichts zu verlängern.")
        }
        Rejection::UntilBeforeStart { id, until, start } => format!(
            "{} liegt vor dem Beginn {} von {id}; geben Sie ein Datum nach dem Beginn ein.",
            date(until),
            date(start)
        ),
        Rejection::UnknownSeq { seq, last } => {
            format!("Es gibt kein Ereignis #{seq} (das Protokoll endet bei #{last}).")
        }
        Rejection::VoidOfVoid(seq) => format!(
            "#{seq} ist selbst eine Stornierung und kann nicht storniert werden; erfassen Sie das Ereignis stattdessen neu."
        ),
        Rejection::AlreadyVoided { seq, by } => {
            format!("#{seq} wurde schon durch #{by} storniert.")
        }
        Rejection::VendorNotOfLicense { vendor, id, of } => format!(
            "„{vendor}“ ist nicht der Hersteller von {id} („{of}“); lassen Sie den Hersteller leer, wenn das Dokument zu einer Lizenz gehört."
        ),
        _ => return None,
    })
}

/// A value refused on its own, in German.
fn input(e: &InputError) -> Option<String> {
    let de = Lang::De;
    Some(match e {
        InputError::UnknownMetric(v) => format!(
            "„{v}“ ist keine bekannte Metrik; wählen Sie user, device, core, processor, concurrent oder instance."
        ),
        InputError::QuantityNotPositive(_) => {
            "Die Menge muss mindestens 1 sein (oder „unlimited“ für eine unbegrenzte Lizenz).".into()
        }
        InputError::QuantityNotANumber(_) => {
            "Geben Sie die Menge als ganze Zahl ein (oder „unlimited“ für eine unbegrenzte Lizenz)."
                .into()
        }
        InputError::TooLarge { .. } => format!(
            "Die Zahl ist größer als die größte, die entitle annimmt ({}).",
            de.number(i64::try_from(MAX_QUANTITY).unwrap_or(i64::MAX))
        ),
        InputError::CostWithoutCurrency(_) => {
            "Zu den Kosten gehört eine Währung; geben Sie einen Code wie EUR ein.".into()
        }
        InputError::CurrencyWithoutCost(_) => {
            "Zur Währung gehören Kosten; geben Sie den Betrag ein oder lassen Sie die Währung leer."
                .into()
        }
        InputError::CostNotANumber(_) => {
            "Geben Sie den Betrag als Dezimalzahl ein, z. B. 1234.50.".into()
        }
        InputError::CostTooPrecise(_) => {
            "Der Betrag hat mehr als 4 Nachkommastellen; schreiben Sie ihn z. B. als 1234.50.".into()
        }
        InputError::CostNegative(_) => "Der Betrag darf nicht negativ sein.".into(),
        InputError::BadCurrency(v) => format!(
            "„{v}“ ist kein ISO-4217-Währungscode; verwenden Sie z. B. EUR, USD oder CHF."
        ),
        InputError::BadDate { value, .. } => format!(
            "„{value}“ ist kein gültiges Datum; schreiben Sie JJJJ-MM-TT, z. B. 2024-06-30."
        ),
        InputError::EndBeforeStart { start, end } => format!(
            "Das Ende {} liegt vor dem Beginn {}; geben Sie ein Ende nach dem Beginn ein.",
            de.date(*end),
            de.date(*start)
        ),
        InputError::MaintenanceBeforeStart { start, end } => format!(
            "Das Wartungsende {} liegt vor dem Beginn {}; geben Sie ein Datum nach dem Beginn ein.",
            de.date(*end),
            de.date(*start)
        ),
        InputError::CountNegative(_) => "Die Anzahl darf nicht negativ sein.".into(),
        InputError::CountNotANumber(_) => "Geben Sie die Anzahl als ganze Zahl ein.".into(),
        InputError::Empty(_) => "Dieses Feld darf nicht leer sein.".into(),
        InputError::BadId(_) => {
            "Die ID darf nur Buchstaben, Ziffern, „-“, „_“ und „.“ enthalten (höchstens 64 Zeichen)."
                .into()
        }
        InputError::VoidWithoutReason => {
            "Eine Stornierung braucht eine Notiz: Schreiben Sie, warum das Ereignis nicht mehr gilt."
                .into()
        }
        InputError::BadRenewalMonths(_) => {
            "Die Verlängerung muss zwischen 1 und 120 Monaten liegen.".into()
        }
        InputError::UnknownKind(v) => format!("„{v}“ ist keine Dokumentart."),
        InputError::BadHash(_) => {
            "Das ist kein BLAKE3-Hash (64 Hexadezimalziffern in Kleinbuchstaben, wie b3sum ihn ausgibt)."
                .into()
        }
        InputError::BadFilename { value, .. } => format!(
            "Der Dateiname „{value}“ geht nicht: Er ist leer, ein Pfad oder enthält Steuerzeichen."
        ),
        InputError::BadText { .. } => "Der Text enthält ein unsichtbares Zeichen, das verändert, was man liest; tippen Sie ihn neu ein (aus Webseiten und PDFs kopierter Text enthält solche Zeichen oft).".into(),
        InputError::TooLong { chars, max, .. } => format!(
            "Der Text ist {} Zeichen lang; höchstens {} werden gespeichert. Kürzen Sie ihn.",
            de.number(i64::try_from(*chars).unwrap_or(i64::MAX)),
            de.number(i64::try_from(*max).unwrap_or(i64::MAX))
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledgers_refusals_read_in_german_with_german_dates() {
        let d = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        let r = Rejection::ExtendNotLater {
            id: "L-1".into(),
            until: d("2024-03-01"),
            end: d("2024-12-31"),
        };
        assert_eq!(
            german(&r).unwrap(),
            "01.03.2024 liegt nicht nach dem bisherigen Ende 31.12.2024 von L-1; eine Verlängerung schiebt das Ende nach hinten."
        );
        let e = Rejection::Input(InputError::EndBeforeStart {
            start: d("2024-06-01"),
            end: d("2024-02-01"),
        });
        assert!(german(&e)
            .unwrap()
            .starts_with("Das Ende 01.02.2024 liegt vor dem Beginn 01.06.2024"));
        assert_eq!(
            german(&Rejection::VoidOfVoid(7)).unwrap(),
            "#7 ist selbst eine Stornierung und kann nicht storniert werden; erfassen Sie das Ereignis stattdessen neu."
        );
        assert!(german(&Rejection::Backing("x".into())).is_none());
    }
}
