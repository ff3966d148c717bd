//! Tasks as managers write them: what to do (call, meeting, letter, other),
//! when it is due, when it was done and what came of it.

use tsifra_core::{EntityRef, Source, Task, TaskKind};

use crate::ctx::Ctx;
use crate::sample::{DemoRng, between, chance, pick};

const CALL: &[&str] = &[
    "Позвонить клиенту",
    "Перезвонить по КП",
    "Уточнить решение по договору",
    "Напомнить об оплате счёта",
    "Квалифицировать лид",
    "Связаться с ЛПР",
];
const MEETING: &[&str] = &["Встреча в офисе клиента", "Презентация решения", "Демонстрация оборудования"];
const EMAIL: &[&str] = &[
    "Отправить КП",
    "Выслать договор на согласование",
    "Отправить счёт",
    "Направить презентацию",
];
const OTHER: &[&str] = &[
    "Подготовить КП",
    "Согласовать скидку с руководителем",
    "Проверить оплату",
    "Заполнить карточку клиента",
];
const CALL_RESULTS: &[&str] = &[
    "Дозвонился, клиент думает до пятницы",
    "Не дозвонился, перезвоню завтра",
    "Договорились о встрече",
    "Клиент подтвердил интерес",
    "Клиент просит перезвонить через неделю",
    "ЛПР в отпуске",
];
const MEETING_RESULTS: &[&str] = &[
    "Встреча прошла, ждут КП",
    "Провели презентацию, вопросы по срокам поставки",
    "Клиент привёл технического специалиста",
];
const EMAIL_RESULTS: &[&str] = &["Отправлено", "КП отправлено на почту ЛПР", "Договор отправлен, ждём правки"];
const OTHER_RESULTS: &[&str] = &["Сделано", "Скидка 5% согласована", "Оплата поступила частично"];

/// A task in working minutes; `who` is a persona index, texts default by kind.
pub(crate) struct TaskSpec {
    pub entity: EntityRef,
    pub who: usize,
    pub kind: TaskKind,
    pub text: Option<&'static str>,
    pub result: Option<&'static str>,
    pub created: u32,
    pub due: u32,
    pub done: Option<u32>,
}

pub(crate) fn random_kind(rng: &mut DemoRng) -> TaskKind {
    [TaskKind::Call, TaskKind::Meeting, TaskKind::Email, TaskKind::Other][crate::sample::weighted(rng, &[0.6, 0.12, 0.15, 0.13])]
}

/// The task record; ids are given later, in output order.
pub(crate) fn task(ctx: &Ctx, rng: &mut DemoRng, spec: TaskSpec) -> Task {
    let (texts, results) = match spec.kind {
        TaskKind::Call => (CALL, CALL_RESULTS),
        TaskKind::Meeting => (MEETING, MEETING_RESULTS),
        TaskKind::Email => (EMAIL, EMAIL_RESULTS),
        TaskKind::Other => (OTHER, OTHER_RESULTS),
    };
    let text = match spec.text {
        Some(t) => t,
        None => *pick(rng, texts),
    };
    let grid = &ctx.grid;
    let result = match (spec.done, spec.result) {
        (Some(_), Some(r)) => Some(r.to_string()),
        // Some managers close tasks without writing what happened.
        (Some(_), None) if chance(rng, 0.8) => Some((*pick(rng, results)).to_string()),
        _ => None,
    };
    Task {
        id: 0,
        entity: Some(spec.entity),
        responsible_id: Some(ctx.staff[spec.who].id),
        kind: spec.kind,
        text: text.to_string(),
        created_at: grid.instant(spec.created, between(rng, 0, 59)),
        due_at: grid.instant(spec.due, 0),
        completed_at: spec.done.map(|w| grid.instant(w, between(rng, 0, 59))),
        result,
        source: Source::Amocrm,
    }
}
