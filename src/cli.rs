//! The command line as clap sees it: flags and their help, nothing else.
//! Raw values are turned into requests in `src/commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// An audit-ready license ledger and contract archive.
///
/// Every purchase, extension, adjustment, cancellation and usage count is an
/// event in an append-only, hash-chained log. Ask for the license state and
/// the compliance position on any business date (--as-of), as the records
/// stood at any moment (--known-at).
#[derive(Debug, Parser)]
#[command(
    name = "entitle",
    version,
    after_help = "Example:\n  entitle demo\n  entitle purchase --vendor Microsoft --product \"Microsoft 365 E3\" --metric user --qty 200 --start 2024-01-01 --end 2024-12-31\n  entitle position --as-of 2024-06-30 --known-at 2024-09-02"
)]
pub struct Cli {
    /// The store directory [default: $ENTITLE_STORE, else the platform data directory]
    #[arg(long, global = true, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// The settings file [default: $ENTITLE_CONFIG, else <store>/entitle.toml if it exists]
    #[arg(long, global = true, value_name = "FILE", env = "ENTITLE_CONFIG")]
    pub config: Option<PathBuf>,

    /// Who records the events [default: $ENTITLE_ACTOR, else the OS user]
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,

    /// When to colour the status in tables (JSON and CSV never carry colour)
    #[arg(long, global = true, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// How long to wait for a store another entitle command is using, in
    /// seconds (0: fail at once). A store held by the server is never
    /// waited for.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        env = "ENTITLE_WAIT",
        default_value_t = 60,
        allow_negative_numbers = true,
        value_parser = whole::<u64>
    )]
    pub wait: u64,

    /// Run the command through a running `entitle serve` at this URL,
    /// with the API token in $ENTITLE_TOKEN (never on the command line)
    #[arg(long, global = true, value_name = "URL", env = "ENTITLE_SERVER")]
    pub server: Option<String>,

    /// Read the API token for --server from this file [default: $ENTITLE_TOKEN]
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// A count of days, months or seconds: a whole number, zero or more (a
/// negative one is read as a value, so that it is named as wrong rather
/// than taken for a flag).
fn whole<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    let t = text.trim();
    t.parse::<T>().map_err(|_| {
        if t.starts_with('-') && t[1..].bytes().all(|b| b.is_ascii_digit()) && t.len() > 1 {
            "must be zero or more".to_owned()
        } else if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            "is too large".to_owned()
        } else {
            "is not a whole number".to_owned()
        }
    })
}

/// How the command line names the fields and actions of the use cases in
/// messages.
#[derive(Debug, Clone, Copy)]
pub struct CliNames;

impl entitle_app::Names for CliNames {
    /// The flag that carries a field (`end` → `--end`), or the argument's
    /// name for the ones given by position (`seq` → `SEQ`).
    fn field(&self, field: &str) -> String {
        match field {
            // `audit verify PATH`.
            "pack" => "PATH".to_owned(),
            "seq" | "hash" | "file" | "query" | "license" | "shell" | "path" => {
                field.to_uppercase()
            }
            // `user add NAME`, `token revoke ID`.
            "account" => "NAME".to_owned(),
            "token" => "ID".to_owned(),
            other => format!("--{}", other.replace('_', "-")),
        }
    }

    /// The command that does it.
    fn action(&self, action: entitle_app::Action) -> String {
        use entitle_app::Action;
        let command = match action {
            Action::Verify => "entitle verify",
            Action::Rebuild => "entitle rebuild",
            Action::Reindex => "entitle reindex",
            Action::Demo => "entitle demo",
            Action::ListLicenses => "entitle state",
            Action::ListDocuments => "entitle doc list",
            Action::WaitLonger => return "pass a longer --wait SECONDS".to_owned(),
            Action::ImportAgain => return "pass --again".to_owned(),
            Action::AcceptLogHead => "entitle rebuild --accept-log-head",
            Action::Overwrite => return "pass --force".to_owned(),
            Action::VerifyAndRebuild => return "`entitle verify` and `entitle rebuild`".to_owned(),
            Action::ListAccounts => "entitle user list",
            Action::ListTokens => "entitle token list",
            Action::ThroughServer => {
                return "run the command through it: pass --server URL (or set ENTITLE_SERVER) \
                        with an API token in ENTITLE_TOKEN"
                    .to_owned()
            }
            _ => return action.words().to_owned(),
        };
        format!("`{command}`")
    }
}

/// `--format` and its shorthand `--json`, on every command that prints
/// rows.
#[derive(Debug, Clone, Copy, Args)]
pub struct OutputArgs {
    /// Print JSON (shorthand for --format json)
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output format: table, json, or csv (RFC 4180, UTF-8 with BOM, for Excel)
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

impl OutputArgs {
    /// The format asked for: `--format`, else JSON with `--json`, else a
    /// table.
    pub fn format(self) -> Format {
        match (self.format, self.json) {
            (Some(f), _) => f,
            (None, true) => Format::Json,
            (None, false) => Format::Table,
        }
    }
}

/// The values of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A plain-text table for people.
    Table,
    /// JSON with stable, documented field names.
    Json,
    /// RFC 4180 CSV, UTF-8 with BOM, for Excel (always with a header row).
    Csv,
}

/// The values of `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset or empty.
    Auto,
    /// Colour even when piped.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record a purchase: a new license exists.
    #[command(
        after_help = "Example:\n  entitle purchase --vendor Adobe --product \"Acrobat Pro\" --metric user --qty 25 \\\n    --start 2024-03-01 --end 2025-02-28 --cost 4500.00 --currency EUR --notice-days 30 --auto-renew"
    )]
    Purchase(Box<PurchaseArgs>),
    /// Move a license's term end later (a renewal), optionally with a new quantity and cost.
    #[command(
        after_help = "Example:\n  entitle extend L-0001 --until 2025-12-31 --cost 48000 --currency EUR"
    )]
    Extend(ExtendArgs),
    /// Change a license's quantity (a true-up, seats added or removed).
    #[command(
        after_help = "Example:\n  entitle adjust L-0001 --qty 230 --effective 2024-07-01 --note \"true-up after audit\""
    )]
    Adjust(AdjustArgs),
    /// Cancel a license: it stops counting from the effective date.
    #[command(
        after_help = "Example:\n  entitle cancel L-0004 --effective 2024-12-31 --note \"replaced by Microsoft Teams\""
    )]
    Cancel(CancelArgs),
    /// Correct a mistake: event SEQ no longer counts (for queries known at the void or later).
    #[command(
        after_help = "Example:\n  entitle void 17 --note \"typo: 300 instead of 200 seats\""
    )]
    Void(VoidArgs),
    /// Record usage counts.
    #[command(subcommand)]
    Usage(UsageCommand),
    /// Append events in bulk from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Installations: the hosts, their facts and their software on a date; `inventory import` records them.
    #[command(
        after_help = "Example:\n  entitle inventory --as-of 2025-06-30 --vendor Microsoft\n  entitle inventory --host db01 --known-at 2025-07-01\n  entitle inventory --format csv > inventory.csv\n  entitle inventory import servers.csv --date 2025-06-01 --snapshot"
    )]
    Inventory(InventoryArgs),
    /// The licenses on a business date, as the records stood at a moment.
    #[command(
        after_help = "Example:\n  entitle state --as-of 2024-06-30 --known-at 2024-09-02 --vendor Microsoft\n  entitle state --format csv > state.csv"
    )]
    State(QueryArgs),
    /// Entitled against used, per vendor, product and metric.
    #[command(
        after_help = "Money: unit_price = Σ latest cost ÷ Σ quantity it bought over the row's active licenses,\nper year when each paid-for term is at most 13 months (else per term, or perpetual);\nunder: shortfall_cost = shortfall × unit price; over: unused_cost = surplus × annual unit price.\nOne currency per row, never converted; otherwise null, with money_note saying why.\nUsage is compared only with licenses of the same metric (else status metric-mismatch);\na count older than --stale-after days is marked stale (* in the table).\n\nExample:\n  entitle position --as-of 2024-06-30 --known-at #40 --json\n  entitle position --stale-after 30 --format csv > position.csv"
    )]
    Position(PositionArgs),
    /// Terms ending soon, with the last day to cancel each (end − notice days).
    #[command(
        after_help = "Status: open (cancel_by not passed), deadline-passed (cancel_by < as-of), renewed-assumed\n(an auto-renewing term ended without extend or cancel; the end shown is the assumed one).\n\nExample:\n  entitle renewals --as-of 2027-11-15 --within 120 --ics deadlines.ics\n  entitle renewals --format csv > renewals.csv"
    )]
    Renewals(RenewalsArgs),
    /// Send the reminders due today by e-mail: cancel-by and expiry stages, shortfalls, stale usage.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "A stage (remind.stages, default 90, 30, 7 and 0 days before a deadline) is sent once per\nrecipient while its deadline is ahead; stages missed are superseded, never sent late. One digest\nper recipient; each accepted message is recorded in <store>/remind/sent.jsonl.\nSettings: [remind] and [smtp] in the settings file; the password in $ENTITLE_SMTP_PASSWORD or\nsmtp.password_file. Exit: 0 done, 1 an owner without an address, 2 an error or a refused message.\n\nExample:\n  entitle remind --dry-run\n  entitle remind --as-of 2027-11-25 --json\n  entitle remind log"
    )]
    Remind(RemindArgs),
    /// What was paid per vendor and product per calendar year, each currency separately.
    #[command(
        after_help = "Each purchase, extend or adjust with a cost counts in the calendar year of its effective date;\nvoided events are left out; currencies are summed separately, never converted.\n\nExample:\n  entitle spend --year 2024\n  entitle spend --vendor Microsoft --known-at 2025-01-31 --format csv > spend.csv"
    )]
    Spend(SpendArgs),
    /// A license's events with both times, voided ones marked.
    #[command(after_help = "Example:\n  entitle history L-0001")]
    History(HistoryArgs),
    /// The hash chain as JSON Lines: {"seq","digest","hash","record"} per event.
    #[command(after_help = "Example:\n  entitle export > chain.jsonl")]
    Export,
    /// Re-read the whole log and check the chain; exit 1 naming the first bad event.
    #[command(
        after_help = "With --against, also checks that the local log extends the latest backup in SRC (same events\nup to its seq, same chain head): a local log cut short or rewritten, even together with its\nderived state, is caught by the copy it cannot alter.\n\nExample:\n  entitle verify\n  entitle verify --against s3://entitle-backups/acme"
    )]
    Verify(VerifyArgs),
    /// Copy what is new in the store to a directory or s3://bucket/prefix (write-once, signed manifest last).
    #[command(
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        after_help = "Copies the committed log as segments named by their seq range, each document once under its\nhash, and a manifest signed with the store's key, written last; nothing in DEST is ever\nreplaced or deleted. A backup cut short leaves the previous manifest valid; the next run\nreuses what is complete. Quiet on success (exit 0); an error exits 2. On a terminal, a\nprogress bar shows on stderr while copying (not with --json or --quiet) and is gone at the end.\n\nFor S3, the endpoint and credentials come from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,\nAWS_SECRET_ACCESS_KEY (or endpoint/region in [backup] of entitle.toml); addressing is\npath-style. When the bucket has Object Lock configured, every object is written with a\nretention of --retain-days; documents above 64 MiB go up in parts.\n\nThe signing key is not copied unless --include-key: whoever can read the copy could then\nsign manifests and audit checkpoints as this store.\n\nExample:\n  entitle backup /mnt/offsite/entitle\n  entitle backup s3://entitle-backups/acme --retain-days 3650 --lock-mode compliance\n  entitle backup verify s3://entitle-backups/acme --signer store-key.pub"
    )]
    Backup(BackupArgs),
    /// Build a new store from a backup (optionally up to an earlier seq), checking every object.
    #[command(
        after_help = "DIR must be missing or empty. The store is built in a temporary directory beside DIR and\nrenamed to DIR once complete; its derived state and search index are rebuilt.\n\nExample:\n  entitle restore s3://entitle-backups/acme /srv/entitle-restored\n  entitle restore /mnt/offsite/entitle ./as-of-120 --seq 120"
    )]
    Restore(RestoreArgs),
    /// Serve the store over HTTP to signed-in people and API tokens (one process owns the store).
    #[command(
        after_help = "The first start without an account prints a one-time setup token (valid one hour) that\ncreates the first admin through POST /api/v1/setup. SIGTERM or Ctrl-C finishes the requests in\nflight and every queued write, then exits 0.\n\nExample:\n  entitle serve --store /srv/entitle\n  entitle serve --listen 127.0.0.1:8080 --behind-proxy 127.0.0.1\n  entitle serve --listen 0.0.0.0:8443 --tls-cert /etc/entitle/cert.pem --tls-key /etc/entitle/key.pem\n  entitle serve --replicate-to s3://entitle/prod --replicate-delay 10s\n\nEvery flag may instead be set in <store>/entitle.toml, section [server] (listen, behind_proxy,\ntls_cert, tls_key) or [backup] (replicate_to, replicate_delay); a flag or its ENTITLE_* variable\nbeats the file."
    )]
    Serve(ServeArgs),
    /// Drop all derived state and rebuild it from the log.
    #[command(
        after_help = "Example:\n  entitle rebuild\n  entitle rebuild --accept-log-head   # after restoring log/events.jsonl from an older copy on purpose"
    )]
    Rebuild(RebuildArgs),
    /// Load an example company's history into a fresh store and show what entitle answers.
    #[command(after_help = "Example:\n  entitle demo\n  entitle demo --store /tmp/entitle-demo")]
    Demo,
    /// Make an audit pack for one vendor: its events in full, the rest as digests, signed.
    #[command(
        after_help = "Example:\n  entitle audit-pack --vendor Microsoft --as-of 2024-06-30 --out microsoft-2024.zip\n  entitle audit-pack --vendor Microsoft --out pack --since last-year/checkpoint"
    )]
    AuditPack(AuditPackArgs),
    /// Check an audit pack.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The store's checkpoint signing key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Archive documents (contracts, invoices, …) and bind them to a license or a vendor.
    #[command(
        after_help = "Example:\n  entitle attach L-0001 EA-2024.pdf order-confirmation.eml --kind contract\n  entitle attach --vendor Microsoft audit-letter.pdf --kind correspondence"
    )]
    Attach(AttachArgs),
    /// The documents in the archive.
    #[command(subcommand)]
    Doc(DocCommand),
    /// Search inside archived documents (German and English; phrases, AND/OR/NOT, prefix*).
    #[command(
        after_help = "Example:\n  entitle search '\"notice period\"' --vendor \"Nordlicht Software AG\"\n  entitle search 'Kündigungsfrist OR virtual*' --kind contract --format csv > hits.csv"
    )]
    Search(SearchArgs),
    /// Rebuild the full-text index from the log and the archived documents.
    #[command(after_help = "Example:\n  entitle reindex")]
    Reindex,
    /// Accounts that may use the store through `entitle serve`, and the access log.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for scripts and other programs (`Authorization: Bearer`).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print shell completions.
    #[command(
        after_help = "Example:\n  entitle completions bash > ~/.local/share/bash-completion/completions/entitle"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct PurchaseArgs {
    /// Vendor, e.g. Microsoft
    #[arg(long)]
    pub vendor: String,
    /// Product, e.g. "Microsoft 365 E3"
    #[arg(long)]
    pub product: String,
    /// What the license counts: user, device, core, processor, concurrent, instance
    #[arg(long)]
    pub metric: String,
    /// How many (a whole number ≥ 1, or "unlimited" for a site agreement)
    #[arg(long, allow_hyphen_values = true)]
    pub qty: String,
    /// First day of the term (YYYY-MM-DD)
    #[arg(long)]
    pub start: String,
    /// Last day of the term, inclusive (none: perpetual)
    #[arg(long)]
    pub end: Option<String>,
    /// License id [default: generated, L-0001, L-0002, …]
    #[arg(long)]
    pub id: Option<String>,
    /// Edition, e.g. Enterprise
    #[arg(long)]
    pub edition: Option<String>,
    /// Price paid, exact decimal (needs --currency)
    #[arg(long, allow_hyphen_values = true)]
    pub cost: Option<String>,
    /// ISO 4217 currency, e.g. EUR
    #[arg(long)]
    pub currency: Option<String>,
    /// Purchase order or invoice reference
    #[arg(long)]
    pub po: Option<String>,
    /// Who sold it
    #[arg(long)]
    pub reseller: Option<String>,
    /// The person responsible
    #[arg(long)]
    pub owner: Option<String>,
    /// Days before the end by which it must be cancelled
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub notice_days: Option<u32>,
    /// Renews automatically unless cancelled
    #[arg(long)]
    pub auto_renew: bool,
    /// Months an automatic renewal adds [default: 12]
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub renewal_months: Option<u32>,
    /// Last day of maintenance / software assurance
    #[arg(long)]
    pub maintenance_end: Option<String>,
    /// A label (repeatable)
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Count usage from the installations by this rule: installations,
    /// physical-cores, sockets, microsoft-core, sql-server-core,
    /// oracle-processor, oracle-se2-socket
    #[arg(long)]
    pub count_rule: Option<String>,
    #[command(flatten)]
    pub common: WriteArgs,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Business date it takes effect [default: today; purchase: its start, if not later than today]
    #[arg(long)]
    pub effective: Option<String>,
    /// Why, where from
    #[arg(long)]
    pub note: Option<String>,
    /// Print {"seq":N,"id":…} as JSON
    #[arg(long)]
    pub json: bool,
    /// Archive a document and bind it to the license in the same write (repeatable)
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Kind of the --attach documents [default: contract for purchase and extend, order for adjust, correspondence for cancel]
    #[arg(long, value_name = "KIND")]
    pub attach_kind: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    /// License id
    pub id: String,
    /// New last day of the term, inclusive
    #[arg(long)]
    pub until: String,
    /// New quantity
    #[arg(long, allow_hyphen_values = true)]
    pub qty: Option<String>,
    /// Price paid for the extension (needs --currency)
    #[arg(long, allow_hyphen_values = true)]
    pub cost: Option<String>,
    /// ISO 4217 currency
    #[arg(long)]
    pub currency: Option<String>,
    /// Months an automatic renewal adds from now on
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub renewal_months: Option<u32>,
    #[command(flatten)]
    pub common: WriteArgs,
}

#[derive(Debug, Args)]
pub struct AdjustArgs {
    /// License id
    pub id: String,
    /// The new quantity (absolute, not a difference)
    #[arg(long, allow_hyphen_values = true)]
    pub qty: String,
    /// Price paid for the change (needs --currency)
    #[arg(long, allow_hyphen_values = true)]
    pub cost: Option<String>,
    /// ISO 4217 currency
    #[arg(long)]
    pub currency: Option<String>,
    #[command(flatten)]
    pub common: WriteArgs,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// License id
    pub id: String,
    #[command(flatten)]
    pub common: WriteArgs,
}

#[derive(Debug, Args)]
pub struct VoidArgs {
    /// The seq of the event that no longer counts (`entitle history` shows seqs)
    #[arg(allow_negative_numbers = true)]
    pub seq: String,
    /// Why (required)
    #[arg(long)]
    pub note: Option<String>,
    /// Print {"seq":N} as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Record one usage count.
    #[command(
        after_help = "Example:\n  entitle usage record --vendor Microsoft --product \"Microsoft 365 E3\" --metric user --count 212 --date 2024-06-30 --source \"Entra ID export\""
    )]
    Record(UsageRecordArgs),
    /// Import usage counts from a CSV file: every row is checked first; any error writes nothing.
    #[command(
        after_help = "Columns: vendor, product, metric, count, date (header names match ignoring case, spaces, _ and -).\nComma or semicolon separated; UTF-8 (with or without BOM) or Windows-1252; in a semicolon file\ncounts may be written as German Excel does (1.234). Importing the same file twice is refused\nunless --again is given: each event's note records `import <file> blake3:<hash of the file>`.\n\nExample:\n  entitle usage import inventory-2024-06.csv --source \"Baramundi export\"\n  entitle usage import sam.csv --map count=Installations,product=Software --dry-run"
    )]
    Import(UsageImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Record installations and host facts from an inventory export (CSV, one row per host × product; or osquery's JSON).
    #[command(
        after_help = "Columns (English or German headers): host (Rechner), vendor (Hersteller), product (Produkt),\nand optional edition, version, os (Betriebssystem), os_version, virtual (Virtuell), physical_host,\nsockets (Sockel), cores (Kerne: all sockets together), threads, vcpus, cpu (Prozessor), core_factor.\nOnly what changed is recorded, plus one hosts_seen per vendor.\nJSON (told by its content) is read as osquery's: an object of osqueryi --json results by table\n(system_info, os_version, programs, deb_packages, rpm_packages, cpu_info) for one host, or\nosqueryd's results log (JSON Lines, hostIdentifier) for many. A program is the licensed product of\nits publisher's vendor with the longest name within the program's name, followed only by a release\n(the version) or edition words; the others are skipped and counted.\n\nExample:\n  entitle inventory import servers.csv --date 2025-06-01 --snapshot\n  entitle inventory import osqueryd.results.log --snapshot --dry-run"
    )]
    Import(InventoryImportArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct InventoryArgs {
    #[command(subcommand)]
    pub command: Option<InventoryCommand>,
    #[command(flatten)]
    pub query: QueryArgs,
    /// Only this host (case-insensitive)
    #[arg(long)]
    pub host: Option<String>,
}

#[derive(Debug, Args)]
pub struct InventoryImportArgs {
    /// The CSV file, or osquery's JSON
    pub file: PathBuf,
    /// The date the inventory was taken (YYYY-MM-DD) [default: today]
    #[arg(long)]
    pub date: Option<String>,
    /// The file lists everything installed on its hosts: record the rest as removed
    #[arg(long)]
    pub snapshot: bool,
    /// Which header holds a column when its name differs, e.g. host=Computername
    #[arg(long, value_name = "COLUMN=HEADER,…")]
    pub map: Option<String>,
    /// Check the file and say what would be recorded; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Import even though this exact file was imported before
    #[arg(long)]
    pub again: bool,
    /// Print the counts as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UsageImportArgs {
    /// The CSV file
    pub file: PathBuf,
    /// Where the counts come from (stored with each count)
    #[arg(long)]
    pub source: Option<String>,
    /// Which header holds a column when its name differs, e.g. count=Installations,product=Software
    #[arg(long, value_name = "COLUMN=HEADER,…")]
    pub map: Option<String>,
    /// Check the file and say what would be recorded; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Import even though this exact file was imported before
    #[arg(long)]
    pub again: bool,
    /// Print {"file":…,"blake3":…,"rows":N,"first_seq":…,"last_seq":…,"dry_run":…} as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UsageRecordArgs {
    /// Vendor
    #[arg(long)]
    pub vendor: String,
    /// Product
    #[arg(long)]
    pub product: String,
    /// What was counted: user, device, core, processor, concurrent, instance
    #[arg(long)]
    pub metric: String,
    /// How many were in use (≥ 0)
    #[arg(long, allow_hyphen_values = true)]
    pub count: String,
    /// The date of the count (YYYY-MM-DD)
    #[arg(long)]
    pub date: String,
    /// Where the count comes from
    #[arg(long)]
    pub source: Option<String>,
    /// Why, where from
    #[arg(long)]
    pub note: Option<String>,
    /// Print {"seq":N} as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Append events from a JSON Lines file: all lines are checked first; any error writes nothing.
    #[command(
        after_help = "Each line is a record without v, seq, recorded_at and actor, e.g.\n  {\"type\":\"purchased\",\"vendor\":\"Acme\",\"product\":\"CAD\",\"metric\":\"user\",\"qty\":5,\"start\":\"2024-01-01\"}\n\nExample:\n  entitle import events history.jsonl"
    )]
    Events(ImportEventsArgs),
    /// Import the license spreadsheet you already keep: one `purchased` per row, all or nothing.
    #[command(
        after_help = "Columns: vendor, product, metric, quantity, start (required); end, cost, currency, po, owner,\nnotice days, auto-renew, notes (optional). Header names match ignoring case, spaces, _ and -;\nGerman headers work too (Hersteller, Produkt, Metrik, Menge, Beginn, Ende, Kosten, Währung,\nBestellnummer, Verantwortlich, Kündigungsfrist, Automatische Verlängerung, Bemerkung).\nComma or semicolon separated; UTF-8 (with or without BOM) or Windows-1252; a semicolon file\nwrites amounts as German Excel does (1.234,56). Each row's effective date is its start.\nImporting the same file twice is refused unless --again is given: each event's note ends\nwith `import <file> blake3:<hash of the file>`.\n\nExample:\n  entitle import licenses lizenzen.csv --date-format dmy --dry-run\n  entitle import licenses licenses.csv --map quantity=Seats,product=Software"
    )]
    Licenses(ImportLicensesArgs),
}

#[derive(Debug, Args)]
pub struct ImportLicensesArgs {
    /// The CSV file
    pub file: PathBuf,
    /// Check every row and print what would be recorded; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Dates besides ISO 2024-03-31: dmy (31.03.2024) or mdy (03/31/2024)
    #[arg(long, value_name = "FORMAT", default_value = "iso", value_parser = ["iso", "dmy", "mdy"])]
    pub date_format: String,
    /// Other header names: column=Header,… (e.g. quantity=Seats,product=Software)
    #[arg(long, value_name = "COLUMN=HEADER,…")]
    pub map: Option<String>,
    /// Import even though this exact file was imported before
    #[arg(long)]
    pub again: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportEventsArgs {
    /// The JSON Lines file (- for standard input)
    pub file: PathBuf,
    /// Check every line (against the store, if there is one); write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print {"first_seq":…,"last_seq":…,"events":N} as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The business date (YYYY-MM-DD) [default: today]
    #[arg(long)]
    pub as_of: Option<String>,
    /// Only what was recorded by then: an RFC 3339 time, a date (end of that day, UTC) or #N (event N) [default: everything]
    #[arg(long, allow_hyphen_values = true)]
    pub known_at: Option<String>,
    /// Only this vendor (case-insensitive)
    #[arg(long)]
    pub vendor: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SpendArgs {
    /// Only this calendar year
    #[arg(long)]
    pub year: Option<i16>,
    /// Only this vendor (case-insensitive)
    #[arg(long)]
    pub vendor: Option<String>,
    /// Only what was recorded by then: an RFC 3339 time, a date (end of that day, UTC) or #N (event N) [default: everything]
    #[arg(long, allow_hyphen_values = true)]
    pub known_at: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PositionArgs {
    #[command(flatten)]
    pub query: QueryArgs,
    /// Mark a usage count older than this many days on the as-of date as stale
    #[arg(long, value_name = "DAYS", default_value_t = entitle_core::position::DEFAULT_STALE_AFTER_DAYS, allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub stale_after: u32,
}

#[derive(Debug, Args)]
pub struct RenewalsArgs {
    /// The business date (YYYY-MM-DD) [default: today]
    #[arg(long)]
    pub as_of: Option<String>,
    /// Days after --as-of in which a term end is shown
    #[arg(long, default_value_t = 90, value_name = "DAYS", allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub within: u32,
    /// Only what was recorded by then: an RFC 3339 time, a date (end of that day, UTC) or #N [default: everything]
    #[arg(long, allow_hyphen_values = true)]
    pub known_at: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also write an iCalendar file (one all-day event per cancel-by and end date, reminders 30 and 7 days before)
    #[arg(long, value_name = "FILE")]
    pub ics: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[group(id = "what", required = true, args = ["id", "host"])]
pub struct HistoryArgs {
    /// License id
    pub id: Option<String>,
    /// A host's history instead: its facts, the software installed and removed, the inventories that saw it
    #[arg(long, conflicts_with = "id")]
    pub host: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AuditPackArgs {
    /// The vendor (case-insensitive)
    #[arg(long)]
    pub vendor: String,
    /// The business date of the position (YYYY-MM-DD) [default: today]
    #[arg(long)]
    pub as_of: Option<String>,
    /// Only what was recorded by then: an RFC 3339 time, a date or #N [default: everything]
    #[arg(long, allow_hyphen_values = true)]
    pub known_at: Option<String>,
    /// Where to write: a new directory, or a .zip or .tar file
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Replace an existing pack at --out
    #[arg(long)]
    pub force: bool,
    /// An older pack's checkpoint file that this log must extend
    #[arg(long, value_name = "OLD_CHECKPOINT")]
    pub since: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check a pack: sums, signature, chain, position; exit 1 naming each failure.
    #[command(
        after_help = "Example:\n  entitle audit verify microsoft-2024.zip --signer SHA256:…  # the fingerprint `entitle key show` printed\n  entitle audit verify microsoft-2024.zip --signer store-key.pub --since last-year/checkpoint"
    )]
    Verify(AuditVerifyArgs),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// The pack: a directory, .zip or .tar
    pub path: PathBuf,
    /// An older checkpoint file whose seq and hash must lie on this pack's chain
    #[arg(long, value_name = "OLD_CHECKPOINT")]
    pub since: Option<PathBuf>,
    /// The key you were given (`entitle key show`): a key file or its SHA256 fingerprint.
    /// Without it the pack's own allowed_signers is trusted.
    #[arg(long, value_name = "KEYFILE|FINGERPRINT")]
    pub signer: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print the public key and its fingerprint (creating the key if missing).
    #[command(after_help = "Example:\n  entitle key show")]
    Show,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The license id, then the files; with --vendor, only files
    #[arg(required = true, value_name = "ID | FILE")]
    pub args: Vec<String>,
    /// Bind the documents to this vendor instead of a license
    #[arg(long)]
    pub vendor: Option<String>,
    /// contract, invoice, order, eula, terms, usage-report, correspondence or other
    #[arg(long, default_value = "other")]
    pub kind: String,
    /// Why, where from
    #[arg(long)]
    pub note: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DocCommand {
    /// List archived documents.
    #[command(
        after_help = "Example:\n  entitle doc list --vendor Microsoft\n  entitle doc list --format csv > documents.csv"
    )]
    List(DocListArgs),
    /// A document's metadata, the events that bind it, and whether it is searchable.
    #[command(after_help = "Example:\n  entitle doc show 6437b3ac")]
    Show(DocShowArgs),
    /// The exact bytes of a document, checked against its hash.
    #[command(
        after_help = "The bytes are re-hashed while they are copied: a document changed in the archive is refused\n(run `entitle verify`). --out writes a temporary file beside the target and renames it into place,\nso a failure leaves nothing behind.\n\nExample:\n  entitle doc get 6437b3ac --out contract.pdf"
    )]
    Get(DocGetArgs),
}

#[derive(Debug, Args)]
pub struct DocListArgs {
    /// Only documents bound to this license
    #[arg(long)]
    pub license: Option<String>,
    /// Only documents bound to this vendor or its licenses
    #[arg(long)]
    pub vendor: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DocShowArgs {
    /// The document's hash (a unique prefix of 8+ characters will do)
    pub hash: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DocGetArgs {
    /// The document's hash (a unique prefix of 8+ characters will do)
    pub hash: String,
    /// Write to this file instead of standard output
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace --out if it exists (or is a symbolic link; the link is replaced, not followed)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: words, "a phrase", AND/OR/NOT, prefix*
    pub query: String,
    /// Only documents of this vendor
    #[arg(long)]
    pub vendor: Option<String>,
    /// Only documents of this product
    #[arg(long)]
    pub product: Option<String>,
    /// Only documents of this kind
    #[arg(long)]
    pub kind: Option<String>,
    /// Only documents bound to this license
    #[arg(long)]
    pub license: Option<String>,
    /// At most this many hits (1 to 1000)
    #[arg(long, default_value = "10", allow_hyphen_values = true)]
    pub limit: String,
    /// Skip the best this many hits: the next page (`--limit 10 --offset 10`)
    #[arg(long, allow_hyphen_values = true)]
    pub offset: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Also check that the log extends this backup (a directory or s3://bucket/prefix)
    #[arg(long, value_name = "SRC")]
    pub against: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// A directory or s3://bucket/prefix
    #[arg(required = true, value_name = "DEST")]
    pub dest: Option<String>,
    /// Object Lock retention in days, when the bucket has Object Lock [default: 3650]
    #[arg(long, value_name = "DAYS")]
    pub retain_days: Option<String>,
    /// Object Lock mode: compliance or governance [default: compliance]
    #[arg(long, value_name = "MODE")]
    pub lock_mode: Option<String>,
    /// Copy the private signing key too (see the risk below)
    #[arg(long)]
    pub include_key: bool,
    /// Say what was copied (default: quiet on success)
    #[arg(long, short)]
    pub verbose: bool,
    /// No progress bar, even on a terminal
    #[arg(long, short)]
    pub quiet: bool,
    /// Print a JSON summary
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Check a backup on its own: segments chain to the manifest's head, blobs re-hash, signature.
    #[command(
        after_help = "Exit 0 when everything holds, 1 naming each missing or altered object, 2 on an error.\n\nExample:\n  entitle backup verify s3://entitle-backups/acme --signer SHA256:…  # the fingerprint `entitle key show` printed"
    )]
    Verify(BackupVerifyArgs),
}

#[derive(Debug, Args)]
pub struct BackupVerifyArgs {
    /// The backup: a directory or s3://bucket/prefix
    pub src: String,
    /// The store's public key (`entitle key show`): a key file or its SHA256 fingerprint.
    /// Without it the signature is checked only against the key the manifest names.
    #[arg(long, value_name = "KEYFILE|FINGERPRINT")]
    pub signer: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup: a directory or s3://bucket/prefix
    pub src: String,
    /// The new store's directory (missing or empty)
    pub dir: PathBuf,
    /// Restore the events up to this seq only
    #[arg(long, value_name = "N")]
    pub seq: Option<String>,
    /// The store's public key: a key file or its SHA256 fingerprint
    #[arg(long, value_name = "KEYFILE|FINGERPRINT")]
    pub signer: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RebuildArgs {
    /// Accept the log as it is as the truth, although it does not end where
    /// entitle last wrote it (after restoring log/events.jsonl from an older
    /// copy on purpose); recorded in log/HEAD.accepted
    #[arg(long)]
    pub accept_log_head: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen: loopback, unless TLS is given or --behind-proxy names the TLS-terminating proxy [default: server.listen in the settings file, else 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR", env = "ENTITLE_LISTEN")]
    pub listen: Option<String>,
    /// The reverse proxy in front (its address): its X-Forwarded-For is believed, and a non-loopback --listen is allowed [default: server.behind_proxy]
    #[arg(long, value_name = "ADDR", env = "ENTITLE_BEHIND_PROXY")]
    pub behind_proxy: Option<String>,
    /// Serve HTTPS with this PEM certificate chain [default: server.tls_cert]
    #[arg(
        long,
        value_name = "FILE",
        env = "ENTITLE_TLS_CERT",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key, readable by its owner only [default: server.tls_key]
    #[arg(
        long,
        value_name = "FILE",
        env = "ENTITLE_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Copy every write to this directory or s3://bucket/prefix, as `entitle backup` would, within --replicate-delay [default: backup.replicate_to; unset: no copy]
    #[arg(long, value_name = "DEST", env = "ENTITLE_REPLICATE_TO")]
    pub replicate_to: Option<String>,
    /// How long after a write the copy starts; writes within it are copied together ("10s", "500ms", "2m") [default: backup.replicate_delay, else 10s]
    #[arg(long, value_name = "DELAY", env = "ENTITLE_REPLICATE_DELAY")]
    pub replicate_delay: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account; the password is asked twice (or read from standard input).
    #[command(
        after_help = "Roles: admin (everything, accounts), editor (record, attach, import, packs), viewer (read all),\nauditor (read only what concerns the --vendor names on the account).\nPasswords have at least 12 characters; they are never taken from the command line.\n\nExample:\n  entitle user add ada --role admin\n  entitle user add kpmg --role auditor --vendor Microsoft --vendor Oracle\n  printf '%s\\n' \"$PASSWORD\" | entitle user add ci --role editor --password-stdin"
    )]
    Add(UserAddArgs),
    /// The accounts.
    #[command(after_help = "Example:\n  entitle user list --json")]
    List(JsonArgs),
    /// Set an account's password.
    #[command(after_help = "Example:\n  entitle user passwd ada")]
    Passwd(UserPasswdArgs),
    /// Disable an account: no sign-in, its tokens and calendar link answer nothing.
    #[command(after_help = "Example:\n  entitle user disable bob")]
    Disable(UserNameArgs),
    /// Enable a disabled account again.
    #[command(after_help = "Example:\n  entitle user enable bob")]
    Enable(UserNameArgs),
    /// Give an account another role (and an auditor its vendors).
    #[command(after_help = "Example:\n  entitle user role kpmg --role auditor --vendor Microsoft")]
    Role(UserRoleArgs),
    /// Set an account's e-mail address: reminders of the licenses whose owner is the
    /// account's name go there (unless [remind.contacts] names the owner).
    #[command(
        after_help = "Example:\n  entitle user email ada ada@example.com\n  entitle user email ada --clear"
    )]
    Email(UserEmailArgs),
    /// The access log: every sign-in and every change to accounts and tokens.
    #[command(after_help = "Example:\n  entitle user log --json")]
    Log(JsonArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The account name (unique ignoring case, at most 64 characters)
    pub account: String,
    /// admin, editor, viewer or auditor
    #[arg(long)]
    pub role: String,
    /// A vendor an auditor may see (repeatable; auditors only)
    #[arg(long = "vendor", value_name = "VENDOR")]
    pub vendors: Vec<String>,
    /// Read the password from the first line of standard input instead of asking
    #[arg(long)]
    pub password_stdin: bool,
    /// The e-mail address reminders of the licenses this account owns go to
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
}

#[derive(Debug, Args)]
pub struct UserEmailArgs {
    /// The account name
    pub account: String,
    /// The address (ada@example.com)
    #[arg(required_unless_present = "clear", conflicts_with = "clear")]
    pub address: Option<String>,
    /// Remove the account's address
    #[arg(long)]
    pub clear: bool,
}

#[derive(Debug, Args)]
pub struct UserPasswdArgs {
    /// The account name
    pub account: String,
    /// Read the password from the first line of standard input instead of asking
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserNameArgs {
    /// The account name
    pub account: String,
}

#[derive(Debug, Args)]
pub struct UserRoleArgs {
    /// The account name
    pub account: String,
    /// admin, editor, viewer or auditor
    #[arg(long)]
    pub role: String,
    /// A vendor an auditor may see (repeatable; auditors only)
    #[arg(long = "vendor", value_name = "VENDOR")]
    pub vendors: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RemindArgs {
    /// Show what would be sent; send and record nothing
    #[arg(long)]
    pub dry_run: bool,
    /// The day to remind for (YYYY-MM-DD) [default: today]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<RemindCommand>,
}

#[derive(Debug, Subcommand)]
pub enum RemindCommand {
    /// What was sent, to whom, when, with which Message-ID (the sent-log).
    #[command(after_help = "Example:\n  entitle remind log --json")]
    Log(JsonArgs),
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token that acts for an account with its role and scope; the secret is shown once.
    #[command(
        after_help = "The secret goes to standard output alone, the rest to standard error, so that a script can\ncapture it. entitle keeps only its hash: store it now.\n\nExample:\n  entitle token create --user ci --name \"nightly usage import\" --expires 2027-06-30"
    )]
    Create(TokenCreateArgs),
    /// The tokens, revoked and expired ones too (never their secrets).
    #[command(after_help = "Example:\n  entitle token list")]
    List(JsonArgs),
    /// Revoke a token: it is refused from now on.
    #[command(after_help = "Example:\n  entitle token revoke T-0003")]
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The account it acts for
    #[arg(long)]
    pub user: String,
    /// What it is for
    #[arg(long)]
    pub name: String,
    /// Its last day, YYYY-MM-DD (UTC) [default: no expiry]
    #[arg(long)]
    pub expires: Option<String>,
    /// Print {"secret":…,"id":…,…} as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id, e.g. T-0001 (`entitle token list` shows them)
    #[arg(value_name = "ID")]
    pub token: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}
