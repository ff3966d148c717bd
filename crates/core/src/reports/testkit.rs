//! Hand-built small workspaces whose right answers can be seen by eye.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Ctx, Facts, Report, ReportId, ReportParams};
use crate::calendar::{Instant, Period};
use crate::config::Config;
use crate::model::*;
use crate::money::Money;

pub const COLD: Id = 1;
pub const HOT: Id = 2;
pub const FIRST: Id = 10;
pub const NEGOTIATION: Id = 11;
pub const HOT_FIRST: Id = 20;

pub fn at(s: &str) -> Instant {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub struct Kit {
    pub ws: Workspace,
    pub config: Config,
    next_id: Id,
}

fn pipeline(id: Id, name: &str, first: Id) -> Pipeline {
    let stage = |id, name: &str, sort, kind| Stage {
        id,
        name: name.into(),
        sort,
        kind,
    };
    Pipeline {
        id,
        name: name.into(),
        sort: id as i32,
        is_main: id == COLD,
        stages: vec![
            stage(first, "Первичный контакт", 10, StageKind::Open),
            stage(first + 1, "Переговоры", 20, StageKind::Open),
            stage(AMOCRM_WON_STATUS, "Успешно реализовано", 10_000, StageKind::Won),
            stage(AMOCRM_LOST_STATUS, "Закрыто и не реализовано", 11_000, StageKind::Lost),
        ],
    }
}

impl Kit {
    pub fn new() -> Kit {
        let mut ws = Workspace {
            account: Some(Account {
                name: "Тест".into(),
                base_url: "https://test.amocrm.ru".into(),
                time_zone: "Europe/Moscow".into(),
                currency: "RUB".into(),
            }),
            ..Workspace::default()
        };
        ws.pipelines.upsert(pipeline(COLD, "Холодные продажи", FIRST));
        ws.pipelines.upsert(pipeline(HOT, "Горячие продажи", HOT_FIRST));
        Kit {
            ws,
            config: Config::default(),
            next_id: 100,
        }
    }

    pub fn id(&mut self) -> Id {
        self.next_id += 1;
        self.next_id
    }

    pub fn manager(&mut self, name: &str) -> Id {
        let id = self.id();
        self.ws.users.upsert(User {
            id,
            name: name.into(),
            email: None,
            team_id: None,
            active: true,
            source: Source::Amocrm,
        });
        id
    }

    pub fn company(&mut self, name: &str, responsible: Id) -> Id {
        let id = self.id();
        self.ws.companies.upsert(Company {
            id,
            name: name.into(),
            responsible_id: Some(responsible),
            created_at: at("2025-01-01T00:00:00Z"),
            updated_at: at("2025-01-01T00:00:00Z"),
            tax_id: None,
            phones: vec![],
            emails: vec![],
            fields: vec![],
            source: Source::Amocrm,
        });
        id
    }

    pub fn open_deal(&mut self, manager: Id, amount_major: i64, created: &str) -> Id {
        let id = self.id();
        let created = at(created);
        self.ws.deals.upsert(Deal {
            id,
            name: format!("Сделка {id}"),
            pipeline_id: COLD,
            stage_id: FIRST,
            amount: Money::from_major(amount_major),
            responsible_id: Some(manager),
            company_id: None,
            contact_ids: vec![],
            created_at: created,
            updated_at: created,
            closed_at: None,
            loss_reason_id: None,
            lead_source: None,
            tags: vec![],
            fields: vec![],
            responsible_changes: Vec::new(),
            history: vec![StageMove {
                at: created,
                pipeline_id: COLD,
                stage_id: FIRST,
                author_id: Some(manager),
            }],
            source: Source::Amocrm,
        });
        id
    }

    pub fn deal_mut(&mut self, id: Id) -> Deal {
        self.ws.deals.get(id).unwrap().clone()
    }

    fn move_deal(&mut self, id: Id, when: &str, pipeline: Id, stage: Id) {
        let mut d = self.deal_mut(id);
        let when = at(when);
        d.history.push(StageMove {
            at: when,
            pipeline_id: pipeline,
            stage_id: stage,
            author_id: d.responsible_id,
        });
        d.pipeline_id = pipeline;
        d.stage_id = stage;
        d.updated_at = when;
        d.closed_at = matches!(stage, AMOCRM_WON_STATUS | AMOCRM_LOST_STATUS).then_some(when);
        self.ws.deals.upsert(d);
    }

    pub fn win(&mut self, id: Id, when: &str) {
        let pipeline = self.ws.deals.get(id).unwrap().pipeline_id;
        self.move_deal(id, when, pipeline, AMOCRM_WON_STATUS);
    }

    pub fn advance(&mut self, id: Id, when: &str) {
        let pipeline = self.ws.deals.get(id).unwrap().pipeline_id;
        let stage = if pipeline == COLD { NEGOTIATION } else { HOT_FIRST + 1 };
        self.move_deal(id, when, pipeline, stage);
    }

    pub fn reopen(&mut self, id: Id, when: &str) {
        self.move_deal(id, when, COLD, NEGOTIATION);
    }

    pub fn move_to_hot_pipeline(&mut self, id: Id, when: &str) {
        self.move_deal(id, when, HOT, HOT_FIRST);
    }

    pub fn won_deal(&mut self, manager: Id, amount_major: i64, created: &str, won: &str) -> Id {
        let id = self.open_deal(manager, amount_major, created);
        self.win(id, won);
        id
    }

    pub fn set_company(&mut self, deal: Id, company: Id) {
        let mut d = self.deal_mut(deal);
        d.company_id = Some(company);
        self.ws.deals.upsert(d);
    }

    pub fn activity(&mut self, manager: Id, kind: ActivityKind, entity: Option<EntityRef>, when: &str, connected: bool) -> Id {
        let id = self.id();
        self.ws.activities.upsert(Activity {
            id,
            kind,
            manager_id: Some(manager),
            entity,
            at: at(when),
            duration_s: if connected { 60 } else { 0 },
            connected,
            source: Source::Amocrm,
        });
        id
    }

    pub fn call(&mut self, manager: Id, when: &str, connected: bool) -> Id {
        self.activity(manager, ActivityKind::CallOut, None, when, connected)
    }

    pub fn task(&mut self, manager: Id, entity: EntityRef, kind: TaskKind, due: &str, completed: Option<&str>) -> Id {
        let id = self.id();
        self.ws.tasks.upsert(Task {
            id,
            entity: Some(entity),
            responsible_id: Some(manager),
            kind,
            text: "Перезвонить".into(),
            created_at: at("2026-01-01T00:00:00Z"),
            due_at: at(due),
            completed_at: completed.map(at),
            result: None,
            source: Source::Amocrm,
        });
        id
    }

    /// A plan in whole roubles for money metrics, a count otherwise.
    pub fn plan(&mut self, manager: Option<Id>, key: &str, metric: Metric, target: i64) {
        let target = if metric.is_money() { target * 100 } else { target };
        self.ws.plans.push(Plan {
            manager_id: manager,
            period: Period::parse_key(key).unwrap(),
            metric,
            target,
            origin: "test".into(),
            imported_at: None,
        });
    }

    pub fn month_plan(&mut self, manager: Id, month: &str, metric: Metric, target: i64) {
        self.plan(Some(manager), month, metric, target);
    }

    pub fn report_with(&self, id: ReportId, as_of: &str, params: ReportParams) -> Report {
        let facts = Facts::build(&self.ws, &self.config);
        let calendar = self.config.calendar();
        let ctx = Ctx {
            ws: &self.ws,
            facts: &facts,
            config: &self.config,
            calendar: &calendar,
            as_of: at(as_of),
        };
        super::run(id, &ctx, &params)
    }

    pub fn report(&self, id: ReportId, as_of: &str) -> Report {
        self.report_with(id, as_of, ReportParams::default())
    }

    pub fn plan_fact(&self, as_of: &str, metric: Metric) -> super::plan_fact::PlanFact {
        match self.report_with(
            ReportId::PlanFact,
            as_of,
            ReportParams {
                metric: Some(metric),
                ..Default::default()
            },
        ) {
            Report::PlanFact(r) => r,
            _ => unreachable!(),
        }
    }
}
