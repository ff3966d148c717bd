//! What the loaded workspace holds, in one place for the home page and
//! `/api/workspace`: how many records of each kind, and which days its deals span.

use chrono::NaiveDate;
use tsifra_core::{BusinessCalendar, EntityKind, Workspace};

/// Something the home page counts: a model entity, or the imported plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Entity(EntityKind),
    Plan,
}

impl Counted {
    /// The order a reader scans in: the sales records first, the set-up last.
    pub const ORDER: [Counted; 12] = [
        Counted::Entity(EntityKind::Deal),
        Counted::Entity(EntityKind::Company),
        Counted::Entity(EntityKind::Contact),
        Counted::Entity(EntityKind::Task),
        Counted::Entity(EntityKind::Activity),
        Counted::Entity(EntityKind::Payment),
        Counted::Plan,
        Counted::Entity(EntityKind::User),
        Counted::Entity(EntityKind::Team),
        Counted::Entity(EntityKind::Pipeline),
        Counted::Entity(EntityKind::LossReason),
        Counted::Entity(EntityKind::FieldDef),
    ];

    /// The JSON key: the entity's own name, `plan` for plans.
    pub fn key(self) -> &'static str {
        match self {
            Counted::Entity(kind) => kind.as_str(),
            Counted::Plan => "plan",
        }
    }

    /// The key of its label in the text tables.
    pub fn text_key(self) -> &'static str {
        match self {
            Counted::Entity(EntityKind::User) => "entity.user",
            Counted::Entity(EntityKind::Team) => "entity.team",
            Counted::Entity(EntityKind::Pipeline) => "entity.pipeline",
            Counted::Entity(EntityKind::LossReason) => "entity.loss_reason",
            Counted::Entity(EntityKind::FieldDef) => "entity.field_def",
            Counted::Entity(EntityKind::Company) => "entity.company",
            Counted::Entity(EntityKind::Contact) => "entity.contact",
            Counted::Entity(EntityKind::Deal) => "entity.deal",
            Counted::Entity(EntityKind::Task) => "entity.task",
            Counted::Entity(EntityKind::Activity) => "entity.activity",
            Counted::Entity(EntityKind::Payment) => "entity.payment",
            Counted::Plan => "entity.plan",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceSummary {
    pub account: Option<String>,
    pub version: u64,
    /// In [`Counted::ORDER`].
    pub counts: Vec<(Counted, usize)>,
    /// Local dates (business zone) of the earliest and latest deal creation.
    pub deal_dates: Option<(NaiveDate, NaiveDate)>,
}

impl WorkspaceSummary {
    /// One pass over the deals: tens of milliseconds on a million, so the server
    /// keeps it per workspace version ([`crate::AppState::summary`]).
    pub fn of(ws: &Workspace, calendar: &BusinessCalendar) -> WorkspaceSummary {
        let entity_counts = ws.counts();
        let counts = Counted::ORDER
            .into_iter()
            .map(|c| {
                let n = match c {
                    Counted::Entity(kind) => entity_counts.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n),
                    // Plans overridden by a later import are not counted twice.
                    Counted::Plan => tsifra_core::model::plans_in_force(&ws.plans).len(),
                };
                (c, n)
            })
            .collect();
        let first = ws.deals.iter().map(|d| d.created_at).min();
        let last = ws.deals.iter().map(|d| d.created_at).max();
        WorkspaceSummary {
            account: ws.account.as_ref().map(|a| a.name.clone()),
            version: ws.version,
            counts,
            deal_dates: first.zip(last).map(|(f, l)| (calendar.local_date(f), calendar.local_date(l))),
        }
    }

    pub fn count(&self, what: Counted) -> usize {
        self.counts.iter().find(|(c, _)| *c == what).map_or(0, |(_, n)| *n)
    }

    /// Nothing loaded at all: the home page then says how to get data in.
    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|(_, n)| *n == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_kind_is_counted_once() {
        for kind in EntityKind::ALL {
            let n = Counted::ORDER.iter().filter(|c| **c == Counted::Entity(kind)).count();
            assert_eq!(n, 1, "{kind:?}");
        }
        assert_eq!(Counted::ORDER.len(), EntityKind::ALL.len() + 1);
    }

    #[test]
    fn plans_loaded_twice_under_two_file_names_count_once() {
        let plan = |origin: &str| tsifra_core::Plan {
            manager_id: Some(1),
            period: tsifra_core::Period::parse_key("2026-12").unwrap(),
            metric: tsifra_core::Metric::Revenue,
            target: 100,
            origin: origin.into(),
            imported_at: None,
        };
        let ws = Workspace {
            plans: vec![plan("plans.xlsx"), plan("plans (1).xlsx")],
            ..Workspace::default()
        };
        let summary = WorkspaceSummary::of(&ws, &tsifra_core::Config::default().calendar());
        let plans = summary.counts.iter().find(|(c, _)| *c == Counted::Plan).unwrap().1;
        assert_eq!(plans, 1);
    }
}
