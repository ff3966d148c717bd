//! The size knobs: exactly the deals asked for, companies in proportion, and
//! roughly 1.5 tasks and 4 activities per deal.

use tsifra_core::Workspace;
use tsifra_demo::{company_count, generate};

use crate::common::{default_demo, moscow, now, options};

#[test]
fn default_size() {
    let ws = default_demo();
    assert_eq!(ws.deals.len(), 6_000);
    assert!(ws.companies.len() >= 1_000);
    assert_eq!(ws.users.len(), 12);
    assert_eq!(ws.teams.len(), 2);
    let per_deal = |n: usize| n as f64 / ws.deals.len() as f64;
    let contacts_per_company = ws.contacts.len() as f64 / ws.companies.len() as f64;
    assert!((1.3..=1.8).contains(&contacts_per_company), "{contacts_per_company}");
    assert!(
        (1.3..=1.8).contains(&per_deal(ws.tasks.len())),
        "tasks per deal {}",
        per_deal(ws.tasks.len())
    );
    assert!(
        (3.5..=4.6).contains(&per_deal(ws.activities.len())),
        "activities per deal {}",
        per_deal(ws.activities.len())
    );
}

#[test]
fn deal_count_is_exact() {
    let cal = moscow();
    for deals in [0, 1, 37, 2_345] {
        let ws: Workspace = generate(&options(3, deals, now()), &cal);
        assert_eq!(ws.deals.len(), deals);
        assert_eq!(ws.companies.len(), company_count(deals));
    }
    assert_eq!(company_count(6_000), 1_020);
    assert_eq!(company_count(100_000), 17_000);
}
