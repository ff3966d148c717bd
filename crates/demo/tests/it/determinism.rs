//! The same seed, "now" and size give the same department; another seed a different one.

use tsifra_core::Workspace;
use tsifra_demo::{generate, plans_csv};

use crate::common::{moscow, now, options};

fn assert_same(a: &Workspace, b: &Workspace) {
    assert_eq!(a.account, b.account);
    assert_eq!(a.teams.as_slice(), b.teams.as_slice());
    assert_eq!(a.users.as_slice(), b.users.as_slice());
    assert_eq!(a.pipelines.as_slice(), b.pipelines.as_slice());
    assert_eq!(a.loss_reasons.as_slice(), b.loss_reasons.as_slice());
    assert_eq!(a.field_defs.as_slice(), b.field_defs.as_slice());
    assert_eq!(a.companies.as_slice(), b.companies.as_slice());
    assert_eq!(a.contacts.as_slice(), b.contacts.as_slice());
    assert_eq!(a.deals.as_slice(), b.deals.as_slice());
    assert_eq!(a.tasks.as_slice(), b.tasks.as_slice());
    assert_eq!(a.activities.as_slice(), b.activities.as_slice());
    assert_eq!(a.payments.as_slice(), b.payments.as_slice());
    assert_eq!(a.plans, b.plans);
}

#[test]
fn same_seed_same_department() {
    let cal = moscow();
    let a = generate(&options(7, 2_500, now()), &cal);
    let b = generate(&options(7, 2_500, now()), &cal);
    assert_same(&a, &b);
    assert_eq!(plans_csv(&a), plans_csv(&b));
}

#[test]
fn another_seed_another_department() {
    let cal = moscow();
    let a = generate(&options(7, 2_500, now()), &cal);
    let b = generate(&options(8, 2_500, now()), &cal);
    assert_ne!(a.deals.as_slice(), b.deals.as_slice());
    assert_ne!(a.companies.as_slice(), b.companies.as_slice());
    assert_ne!(a.activities.as_slice(), b.activities.as_slice());
    // The fixed parts stay: the same managers and pipelines, so configs carry over.
    assert_eq!(a.users.as_slice(), b.users.as_slice());
    assert_eq!(a.pipelines.as_slice(), b.pipelines.as_slice());
}
