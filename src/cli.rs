//! The command line, as clap sees it. Values are raw here; `setup` validates them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tsifra_core::reports::ReportId;

/// Tsifra: sales analytics for amoCRM/Kommo, Bitrix24 and 1C shops.
///
/// Plan vs fact for today, this week and this month; the best employee of the month;
/// CRM hygiene; whom to call next; overdue receivables. On desktop pages, the office TV
/// and the owner's phone.
///
/// Quick start: `tsifra demo` generates a realistic sales department and serves it on
/// http://127.0.0.1:8080.
#[derive(Debug, Parser)]
#[command(name = "tsifra", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Where the store, tokens and config live [default: ./tsifra-data; for `demo`: ./tsifra-demo]
    #[arg(long, global = true, env = "TSIFRA_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The config file [default: DATA_DIR/tsifra.toml if it exists; else built-in defaults]
    #[arg(long, global = true, env = "TSIFRA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print only errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Print debug logs (or set RUST_LOG).
    #[arg(long, short, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate the demo sales department (if absent) and serve it.
    Demo(DemoArgs),
    /// Serve the pages, the API and webhooks on the data dir's workspace, within the limits of
    /// [server] (header and request timeouts, open connections, body size, downloads built at
    /// once, the webhook backlog; README: Operating Tsifra → Limits).
    Serve(ServeArgs),
    /// Compute a report and print it as a table, JSON or CSV.
    Report(Box<ReportArgs>),
    /// Import data from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// See the loaded plan files (when imported, which periods, how many plans are in force or
    /// overridden by a later import) and take one out again.
    #[command(subcommand)]
    Plans(PlansCommand),
    /// Check or print the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The production calendar: load a year's official calendar, see where each year's
    /// working days come from (a built-in decree, an import, or the Labour Code alone).
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Pull the CRM's data: a first full load (a bar and the time left per list), then incremental
    /// runs; a killed run resumes where it stopped. Values no sum of money can hold are stored as
    /// not filled and listed at the end with their record and field.
    Sync(SyncArgs),
    /// Connect amoCRM / Kommo and inspect the account.
    #[command(subcommand)]
    Amocrm(AmocrmCommand),
    /// Tools for trying Tsifra without a real CRM.
    #[command(subcommand)]
    Dev(DevCommand),
    /// Measure generation, storage, loading and report speed on a generated workspace.
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Re-read everything (the nightly reconcile) instead of what changed
    #[arg(long)]
    pub full: bool,
}

#[derive(Debug, Subcommand)]
pub enum AmocrmCommand {
    /// Authorise Tsifra with OAuth2: prints the link to open, then takes the redirect URL
    /// (or the code) and stores the token pair in the data dir (owner-only permissions).
    Connect(ConnectArgs),
    /// List the account's custom fields with ids and types, to fill in [fields] in the config.
    Fields,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The redirect URL or the code from it (else it is asked for on the terminal)
    #[arg(long, value_name = "URL|CODE")]
    pub code: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Serve the data dir's workspace (e.g. the demo's) through a fake amoCRM API v4, with
    /// amoCRM's pagination, rate limit and quirks; prints the [amocrm] config to sync from it.
    FakeAmocrm(FakeArgs),
}

#[derive(Debug, Args)]
pub struct FakeArgs {
    #[arg(long, default_value = "127.0.0.1:8090", value_name = "ADDR")]
    pub bind: String,
    /// Requests per second before answering 429 (amoCRM: 7); 0 for no limit
    #[arg(long, default_value_t = 7)]
    pub rate_limit: u32,
    /// Serve no stage-change events, as an account whose leads were imported
    /// or whose events were never kept: only each lead's current stage and close date
    #[arg(long)]
    pub no_stage_events: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Random seed: the same seed and clock give the same department.
    #[arg(long, default_value_t = tsifra_demo::DemoOptions::DEFAULT_SEED)]
    pub seed: u64,
    /// How many deals to generate (companies, tasks and calls scale with it).
    #[arg(long, default_value_t = tsifra_demo::DemoOptions::DEFAULT_DEALS as i64, allow_negative_numbers = true)]
    pub deals: i64,
    /// How many managers work there, 12 to 40: the twelve with telling habits, then ordinary
    /// ones sharing the same deals (e.g. a 20-person floor for the office TV).
    #[arg(long, default_value_t = tsifra_demo::MIN_MANAGERS as i64, allow_negative_numbers = true)]
    pub managers: i64,
    /// Throw away an existing demo workspace and generate it anew.
    #[arg(long)]
    pub regenerate: bool,
    /// Generate only; do not start the server.
    #[arg(long)]
    pub no_serve: bool,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: server.bind from the config, 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Pretend "now" is this moment (2026-11-20T15:00 in the business zone, RFC 3339, or a date):
    /// for demos of a past day and for tests. The demo is generated up to it too.
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(help = report_ids_help())]
    pub id: String,
    /// Compute as of this moment: 2026-11-20T15:00 (business zone), RFC 3339, or a date (its end)
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<String>,
    #[arg(long, value_name = "NAME|ID", help = param_help("manager", "only this manager (name as in the CRM, or id)"))]
    pub manager: Option<String>,
    #[arg(long, help = param_help("metric", "what to count: revenue, margin, won_deals, calls"))]
    pub metric: Option<String>,
    #[arg(long, help = sort_help())]
    pub sort: Option<String>,
    #[arg(long, value_name = "NAME|ID", help = param_help("pipeline", "only this pipeline (name as in the CRM, or id); default: one funnel per pipeline"))]
    pub pipeline: Option<String>,
    #[arg(long, value_name = "NAME|ID", help = param_help("team", "only this team's managers (name as in the CRM, or id)"))]
    pub team: Option<String>,
    #[arg(long, value_name = "RULE", help = param_help("rule", "list only this rule's violations: open_deal_without_task, deal_without_company, \
        deal_without_contact, company_without_qualification, required_fields, overdue_task, stale_deal, zero_amount, \
        contact_without_phone_or_email, duplicate_companies (the counts stay whole)"))]
    pub rule: Option<String>,
    #[arg(long = "min-days", value_name = "DAYS", help = param_help("min_days", "list only violations open at least this many days"))]
    pub min_days: Option<String>,
    #[arg(long, value_name = "1|0", num_args = 0..=1, default_missing_value = "1", help = param_help("prospects",
        "the companies that never bought, instead of the clients who did (the default list: old clients \
        first, by what they bought and how long they have been silent)"))]
    pub prospects: Option<String>,
    /// explore, pareto: what to count: revenue, margin, won_deals, lost_deals, new_deals, win_rate,
    /// average_check, cycle_median, cycle_mean, calls, communications, tasks_done, tasks_overdue
    #[arg(long)]
    pub measure: Option<String>,
    /// explore: break down by (up to two): manager, team, pipeline, stage, company, contact,
    /// loss_reason, source, tag, day, week, month, quarter, year, product, client_type, industry,
    /// field:<name or id>. pareto: the one to rank (company, product, manager...)
    #[arg(long)]
    pub by: Vec<String>,
    /// explore, pareto: keep only rows whose DIMENSION is one of the values: `manager=Иванов`,
    /// `pipeline=Горячие продажи|Холодные продажи` (repeat for more filters)
    #[arg(long = "where", value_name = "DIMENSION=VALUE")]
    pub filters: Vec<String>,
    #[arg(long, help = param_help("period", "today, yesterday, this_week, last_week, this_month, last_month, \
        this_quarter, last_quarter, this_year, last_year, last_90_days, 2026-11, 2026-Q4, 2026, or \
        2026-01-01..2026-03-31 (explore and pareto too; defaults: plan-fact today, this week and this \
        month; leaderboard and explore this month; funnel the last 90 days, the deals that entered it then)"))]
    pub period: Option<String>,
    #[arg(long, help = param_help("compare", "compare with the previous period or the same one a year earlier \
        (previous, year_ago): the fact then, the change and the change in % (explore too)"))]
    pub compare: Option<String>,
    /// explore: rows shown before the rest are summed into "others" (default 20)
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Only this table of the report (its id: month, violations, debtors...; an unknown one is
    /// refused, naming those the report has). A CSV holds one table: a report of several needs
    /// this or --out
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// --format csv: write every table to its own file in DIR (made if missing),
    /// tsifra-REPORT-TABLE-DATE.csv, instead of printing one
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
}

/// The report ids, from the registry.
fn report_ids_help() -> String {
    format!(
        "{}; or explore (any measure by any slice: --measure, --by, --where, --period, --compare) and \
         pareto (ABC of --by company, product or manager). An option the report does not take is \
         refused, naming those it takes",
        ReportId::names()
    )
}

/// A report option's help, naming the reports that take it (from the registry).
fn param_help(param: &str, what: &str) -> String {
    let takers: Vec<&str> = ReportId::ALL.iter().filter(|r| r.def().takes(param)).map(|r| r.as_str()).collect();
    format!("{}: {what}", takers.join(", "))
}

/// `--sort`: each report's sort keys, the first its default (from the registry).
fn sort_help() -> String {
    let per_report: Vec<String> = ReportId::ALL
        .iter()
        .filter(|r| !r.def().sorts().is_empty())
        .map(|r| format!("{}: {} (default {})", r.as_str(), r.def().sorts().join(" or "), r.def().sorts()[0]))
        .collect();
    format!("The order of the rows: {}", per_report.join("; "))
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a plan spreadsheet (CSV or XLSX) and say what changed: plans replaced, unchanged, added.
    ///
    /// One row per plan (columns manager, period, metric, target; Russian headers too), or
    /// managers down and months across (Менеджер | янв 2027 | фев 2027 | …, the metric a column
    /// or revenue). Periods: 2026-12, 12.2026, декабрь 2026, Dec 2026, 2026-W48, 2026-12-01, 2026-Q4;
    /// a date Excel made of a month counts as that month when shown as one (дек.26) or when the
    /// other rows are months. A bad
    /// cell imports nothing and every problem is listed. Re-importing the same file replaces its
    /// plans in one step; where files overlap, the plan imported last is in force (see `tsifra plans`).
    /// A CSV is read as it streams in, with a progress bar on a terminal; a file with no plans
    /// is refused unless --allow-empty.
    Plans(PlansArgs),
}

#[derive(Debug, Subcommand)]
pub enum PlansCommand {
    /// Each loaded file or link: when imported, how many plans, which periods, how many are in
    /// force and how many overridden by a later import.
    List,
    /// Take a file's plans out; the plans it had overridden (from earlier imports) are in force again.
    Remove {
        /// The file name (or path, or link) as `tsifra plans list` shows it
        #[arg(value_name = "FILE")]
        file: String,
    },
}

#[derive(Debug, Args)]
pub struct PlansArgs {
    /// The CSV or XLSX file
    #[arg(required_unless_present = "url", conflicts_with = "url")]
    pub file: Option<PathBuf>,
    /// A published Google Sheets CSV link (File > Share > Publish to web > CSV) instead of a file
    #[arg(long)]
    pub url: Option<String>,
    /// Import a file with no plans (a header only), taking out every plan it brought before;
    /// without this such a file is refused (on a terminal, you are asked)
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Load official production calendars into the store; each year in a file replaces
    /// whatever was loaded for that year. Days it does not list are working days Monday to
    /// Friday, except the Labour Code's fixed holidays (1-8 January, 23 February...).
    ///
    /// XML as the open data portal and xmlcalendar.ru publish it: <calendar year="2027"> with
    /// <day d="MM.DD" t="1|2|3" f="MM.DD"/> (1 a day off, 2 a shortened working day,
    /// 3 a working weekend; f the day it was moved from). Or CSV, one day a line:
    /// `date;kind[;moved_from]`, dates as 2027-01-08 or 08.01.2027, kinds holiday/нерабочий,
    /// working/рабочий (a working weekend) or short/сокращённый.
    /// A bad line stores nothing from any file.
    Import(CalendarImportArgs),
    /// The years known (built-in decrees, imports, this year and next) with where their
    /// days come from and the working days of each month.
    List,
    /// One year: where its days come from, working days per month, and its weekdays off,
    /// working weekends and shortened days.
    Show(CalendarShowArgs),
}

#[derive(Debug, Args)]
pub struct CalendarImportArgs {
    /// XML or CSV files (told apart by their content)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CalendarShowArgs {
    /// The year, e.g. 2027
    pub year: i32,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Read the config (and TSIFRA_SECTION__KEY overrides) and say what is wrong with it, or that
    /// it is fine: what passes here, `serve` starts with (the sync schedule, the amoCRM address).
    Check,
    /// Print a commented sample config with every key at its default.
    Sample,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Deals to generate
    #[arg(long, default_value_t = 1_000_000, allow_negative_numbers = true)]
    pub deals: i64,
    #[arg(long, default_value_t = tsifra_demo::DemoOptions::DEFAULT_SEED)]
    pub seed: u64,
    /// Keep the generated store here instead of a temporary directory
    #[arg(long, value_name = "DIR")]
    pub keep_in: Option<PathBuf>,
    /// Time only this report (repeat for more; default: every report)
    #[arg(long = "report", value_name = "ID")]
    pub reports: Vec<String>,
    /// Internal: measure loading in a fresh process (peak memory is then loading's alone)
    #[arg(long, hide = true)]
    pub load_only: bool,
    /// Instead of the reports: serve the workspace and time the explore page's redraw
    /// after a click (each a new filter) with --clients users clicking at once; prints p50/p99
    #[arg(long)]
    pub cross_filter: bool,
    /// Users clicking at once (--cross-filter)
    #[arg(long, default_value_t = 20)]
    pub clients: usize,
    /// Clicks per user (--cross-filter)
    #[arg(long, default_value_t = 25)]
    pub clicks: usize,
    /// Mean pause between a user's clicks in milliseconds (--cross-filter; 0: back to back)
    #[arg(long, default_value_t = 0)]
    pub think_ms: u64,
    /// Time only how fast the boards' index and query layer take in a webhook's change
    /// (one deal won, one new deal, one task done, a deal or a task deleted) on the store already in --keep-in DIR
    #[arg(long, requires = "keep_in")]
    pub one_deal_change: bool,
    /// Time how a serving process takes in one deal won by another process
    /// (from that write to the plan-fact board showing it) and its peak memory
    /// meanwhile: `changes` reads the store's change log (what `tsifra serve`
    /// does), `reload` loads the whole store again (what it did before)
    #[arg(long, requires = "keep_in", value_name = "changes|reload")]
    pub store_watch: Option<String>,
}
