//! The demo department's fixed parts: the account, two teams, twelve managers
//! with their habits, three pipelines, loss reasons and custom fields, all in
//! amoCRM's shapes (integer ids, statuses 142/143 in every pipeline).

use tsifra_core::{
    AMOCRM_LOST_STATUS, AMOCRM_WON_STATUS, Account, BusinessCalendar, EntityKind, FieldDef, FieldType, Id, LossReason, Pipeline, Source,
    Stage, StageKind, Team, User,
};

/// Where the demo's CRM card links point.
pub const DEMO_BASE_URL: &str = "https://tsifra-demo.amocrm.ru";

/// What a demo manager is like: the habit every later report should make visible.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Habit {
    /// Converts best of all; bigger checks; logs few calls and leaves company cards half empty.
    Closer,
    /// Calls the most, short calls, converts poorly and skips commercial proposals.
    BusyDialer,
    /// Forgets tasks: many open deals without a task, overdue and late tasks.
    ForgetsTasks,
    /// Dependable; the one whose week sits near 80% of plan at "now"; slow to first call.
    Steady,
    /// Started about two months ago; plans only from then; leaves amounts and contacts empty.
    Newcomer,
    /// Left about four months ago (inactive); historic deals, open ones handed to the steady manager.
    Fired,
    /// Leaves deals without a company.
    NoCompanies,
    /// Many small deals: the lowest average check.
    SmallCheck,
    /// Few, large, slow deals; many stalled ones.
    BigDeals,
    /// Writes rather than calls; fast first response; amounts often left at zero.
    Emailer,
    /// Average, but has no plan for the current month (the head of sales forgot him).
    NoPlanThisMonth,
    /// Opens many deals, wins fewer of them, neglects existing clients.
    Hunter,
    /// One of the department's norm, no habit of note: the managers past the
    /// first twelve of a bigger floor (`tsifra demo --managers 20`).
    Ordinary,
}

/// Behaviour knobs of one manager; 1.0 is the department's norm for multipliers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Persona {
    pub name: &'static str,
    pub email: &'static str,
    pub team: usize,
    pub habit: Habit,
    /// Share of new deals.
    pub volume: f64,
    pub win: f64,
    pub amount: f64,
    pub cycle: f64,
    pub calls: f64,
    /// Probability an outgoing call connects.
    pub connect: f64,
    /// Median connected call length, seconds.
    pub call_secs: f64,
    pub emails: f64,
    pub meetings: f64,
    /// Probability an open deal has no open task.
    pub forget_task: f64,
    /// Probability an open deal's task is overdue.
    pub overdue: f64,
    /// Probability a completed task was done after its due time.
    pub late_done: f64,
    pub no_company: f64,
    pub no_contact: f64,
    pub skip_proposal: f64,
    pub no_loss_reason: f64,
    pub zero_amount: f64,
    pub stall: f64,
    pub margin_missing: f64,
    pub empty_card_fields: f64,
    /// Mean working minutes from a new deal to the first outgoing call.
    pub response_minutes: f64,
    /// Multiplier of calls and e-mails to clients outside deals.
    pub client_care: f64,
}

const NORM: Persona = Persona {
    name: "",
    email: "",
    team: 0,
    habit: Habit::Steady,
    volume: 1.0,
    win: 1.0,
    amount: 1.0,
    cycle: 1.0,
    calls: 1.0,
    connect: 0.68,
    call_secs: 150.0,
    emails: 1.0,
    meetings: 1.0,
    forget_task: 0.08,
    overdue: 0.14,
    late_done: 0.12,
    no_company: 0.04,
    no_contact: 0.05,
    skip_proposal: 0.08,
    no_loss_reason: 0.04,
    zero_amount: 0.02,
    stall: 1.0,
    margin_missing: 0.1,
    empty_card_fields: 0.1,
    response_minutes: 45.0,
    client_care: 1.0,
};

/// The managers, in user id order. Nobody is perfect.
pub(crate) const PERSONAS: [Persona; 12] = [
    Persona {
        name: "Смирнова Анна Викторовна",
        email: "a.smirnova@vektor.ru",
        team: 0,
        habit: Habit::Closer,
        win: 1.4,
        amount: 1.25,
        calls: 0.6,
        meetings: 1.8,
        empty_card_fields: 0.4,
        client_care: 0.7,
        ..NORM
    },
    Persona {
        name: "Козлов Дмитрий Сергеевич",
        email: "d.kozlov@vektor.ru",
        team: 0,
        habit: Habit::BusyDialer,
        win: 0.62,
        calls: 3.6,
        connect: 0.45,
        call_secs: 38.0,
        emails: 0.4,
        skip_proposal: 0.6,
        response_minutes: 12.0,
        client_care: 2.2,
        ..NORM
    },
    Persona {
        name: "Петров Игорь Александрович",
        email: "i.petrov@vektor.ru",
        team: 0,
        habit: Habit::ForgetsTasks,
        win: 0.95,
        forget_task: 0.5,
        overdue: 0.55,
        late_done: 0.45,
        stall: 1.6,
        ..NORM
    },
    Persona {
        name: "Лебедева Ольга Дмитриевна",
        email: "o.lebedeva@vektor.ru",
        team: 0,
        habit: Habit::Steady,
        win: 1.1,
        volume: 1.05,
        response_minutes: 150.0,
        margin_missing: 0.2,
        ..NORM
    },
    Persona {
        name: "Новиков Артём Павлович",
        email: "a.novikov@vektor.ru",
        team: 0,
        habit: Habit::Newcomer,
        win: 0.75,
        amount: 0.8,
        zero_amount: 0.12,
        no_contact: 0.2,
        overdue: 0.25,
        client_care: 0.5,
        ..NORM
    },
    Persona {
        name: "Соколов Андрей Николаевич",
        email: "a.sokolov@vektor.ru",
        team: 0,
        habit: Habit::Fired,
        win: 0.85,
        no_loss_reason: 0.3,
        margin_missing: 0.3,
        ..NORM
    },
    Persona {
        name: "Волков Максим Андреевич",
        email: "m.volkov@vektor.ru",
        team: 1,
        habit: Habit::NoCompanies,
        no_company: 0.42,
        no_contact: 0.12,
        ..NORM
    },
    Persona {
        name: "Морозова Елена Игоревна",
        email: "e.morozova@vektor.ru",
        team: 1,
        habit: Habit::SmallCheck,
        volume: 1.4,
        win: 1.05,
        amount: 0.3,
        cycle: 0.7,
        emails: 1.3,
        ..NORM
    },
    Persona {
        name: "Кузнецов Павел Олегович",
        email: "p.kuznetsov@vektor.ru",
        team: 1,
        habit: Habit::BigDeals,
        volume: 0.65,
        amount: 2.3,
        cycle: 1.7,
        stall: 2.5,
        meetings: 2.0,
        emails: 0.6,
        ..NORM
    },
    Persona {
        name: "Фёдорова Мария Сергеевна",
        email: "m.fedorova@vektor.ru",
        team: 1,
        habit: Habit::Emailer,
        calls: 0.7,
        emails: 2.6,
        meetings: 0.4,
        zero_amount: 0.15,
        response_minutes: 8.0,
        ..NORM
    },
    Persona {
        name: "Егоров Сергей Викторович",
        email: "s.egorov@vektor.ru",
        team: 1,
        habit: Habit::NoPlanThisMonth,
        no_loss_reason: 0.25,
        no_contact: 0.18,
        ..NORM
    },
    Persona {
        name: "Попова Наталья Алексеевна",
        email: "n.popova@vektor.ru",
        team: 1,
        habit: Habit::Hunter,
        volume: 1.25,
        win: 0.85,
        client_care: 0.35,
        response_minutes: 90.0,
        ..NORM
    },
];

/// A department's size: the twelve with habits, and up to this many in all.
pub const MIN_MANAGERS: usize = PERSONAS.len();
pub const MAX_MANAGERS: usize = PERSONAS.len() + EXTRA_PERSONAS.len();

const fn ordinary(name: &'static str, email: &'static str, team: usize) -> Persona {
    Persona {
        name,
        email,
        team,
        habit: Habit::Ordinary,
        ..NORM
    }
}

/// The managers of a bigger floor after the first twelve, ordinary ones, in both teams.
const EXTRA_PERSONAS: [Persona; 28] = [
    ordinary("Васильева Ирина Петровна", "i.vasilieva@vektor.ru", 0),
    ordinary("Зайцев Роман Игоревич", "r.zaitsev@vektor.ru", 1),
    ordinary("Павлова Дарья Андреевна", "d.pavlova@vektor.ru", 0),
    ordinary("Семёнов Кирилл Олегович", "k.semenov@vektor.ru", 1),
    ordinary("Голубева Татьяна Юрьевна", "t.golubeva@vektor.ru", 0),
    ordinary("Виноградов Алексей Михайлович", "a.vinogradov@vektor.ru", 1),
    ordinary("Богданова Светлана Викторовна", "s.bogdanova@vektor.ru", 0),
    ordinary("Воробьёв Никита Сергеевич", "n.vorobiev@vektor.ru", 1),
    ordinary("Фролова Юлия Александровна", "y.frolova@vektor.ru", 0),
    ordinary("Михайлов Денис Валерьевич", "d.mikhailov@vektor.ru", 1),
    ordinary("Белова Ксения Павловна", "k.belova@vektor.ru", 0),
    ordinary("Тарасов Евгений Николаевич", "e.tarasov@vektor.ru", 1),
    ordinary("Комарова Алина Денисовна", "a.komarova@vektor.ru", 0),
    ordinary("Орлов Владимир Ильич", "v.orlov@vektor.ru", 1),
    ordinary("Киселёва Вероника Олеговна", "v.kiseleva@vektor.ru", 0),
    ordinary("Макаров Георгий Романович", "g.makarov@vektor.ru", 1),
    ordinary("Андреева Полина Сергеевна", "p.andreeva@vektor.ru", 0),
    ordinary("Ковалёв Илья Дмитриевич", "i.kovalev@vektor.ru", 1),
    ordinary("Ильина Екатерина Борисовна", "e.ilina@vektor.ru", 0),
    ordinary("Гусев Антон Викторович", "a.gusev@vektor.ru", 1),
    ordinary("Титова Маргарита Ивановна", "m.titova@vektor.ru", 0),
    ordinary("Кудрявцев Степан Алексеевич", "s.kudryavtsev@vektor.ru", 1),
    ordinary("Баранова Любовь Геннадьевна", "l.baranova@vektor.ru", 0),
    ordinary("Куликов Олег Станиславович", "o.kulikov@vektor.ru", 1),
    ordinary("Алексеева Валерия Максимовна", "v.alekseeva@vektor.ru", 0),
    ordinary("Степанов Тимур Русланович", "t.stepanov@vektor.ru", 1),
    ordinary("Яковлева Софья Артёмовна", "s.yakovleva@vektor.ru", 0),
    ordinary("Сорокин Глеб Евгеньевич", "g.sorokin@vektor.ru", 1),
];

/// The first `n` managers' personas: the twelve with habits, then ordinary ones.
pub(crate) fn personas(n: usize) -> impl Iterator<Item = &'static Persona> {
    PERSONAS
        .iter()
        .chain(EXTRA_PERSONAS.iter())
        .take(n.clamp(MIN_MANAGERS, MAX_MANAGERS))
}

/// Days before "now" the newcomer started and the fired manager left.
pub(crate) const NEWCOMER_DAYS: u64 = 61;
pub(crate) const FIRED_DAYS: u64 = 130;

pub(crate) const USER_BASE: Id = 7_000_001;
pub(crate) const TEAM_BASE: Id = 401;

pub(crate) fn persona_index(habit: Habit) -> usize {
    PERSONAS.iter().position(|p| p.habit == habit).expect("every habit has a manager")
}

/// The demo's managers: (user id, full name, habit), in id order.
pub fn managers() -> impl Iterator<Item = (Id, &'static str, Habit)> {
    managers_of(MIN_MANAGERS)
}

/// The managers of a demo of `n` managers (12 to 40), in id order.
pub fn managers_of(n: usize) -> impl Iterator<Item = (Id, &'static str, Habit)> {
    personas(n).enumerate().map(|(i, p)| (USER_BASE + i as Id, p.name, p.habit))
}

/// The user id of the manager with this habit.
pub fn manager_with(habit: Habit) -> Id {
    USER_BASE + persona_index(habit) as Id
}

pub(crate) fn account(calendar: &BusinessCalendar) -> Account {
    Account {
        name: "ООО «Вектор»".into(),
        base_url: DEMO_BASE_URL.into(),
        time_zone: calendar.tz().name().into(),
        currency: "RUB".into(),
    }
}

pub(crate) fn teams() -> Vec<Team> {
    ["Отдел продаж — Москва", "Отдел продаж — Регионы"]
        .iter()
        .enumerate()
        .map(|(i, name)| Team {
            id: TEAM_BASE + i as Id,
            name: (*name).into(),
        })
        .collect()
}

pub(crate) fn users(n: usize) -> Vec<User> {
    personas(n)
        .enumerate()
        .map(|(i, p)| User {
            id: USER_BASE + i as Id,
            name: p.name.into(),
            email: Some(p.email.into()),
            team_id: Some(TEAM_BASE + p.team as Id),
            active: p.habit != Habit::Fired,
            source: Source::Amocrm,
        })
        .collect()
}

pub(crate) const COLD: usize = 0;
pub(crate) const HOT: usize = 1;
pub(crate) const QUALITY: usize = 2;

pub(crate) const PIPELINE_BASE: Id = 8_000_001;
const STAGE_BASE: Id = 61_000_001;

const PIPELINES: [(&str, &[&str]); 3] = [
    (
        "Холодные продажи",
        &[
            "Новый лид",
            "Первичный контакт",
            "Квалификация",
            "Выявление потребности",
            "КП отправлено",
            "Переговоры",
            "Счёт выставлен",
        ],
    ),
    (
        "Горячие продажи",
        &[
            "Новая заявка",
            "Выявление потребности",
            "Презентация",
            "КП отправлено",
            "Переговоры",
            "Согласование договора",
            "Счёт выставлен",
        ],
    ),
    (
        "Контроль качества",
        &[
            "Передано в отдел качества",
            "Звонок качества",
            "Обратная связь получена",
            "Предложение допродажи",
            "КП отправлено",
            "Счёт выставлен",
        ],
    ),
];

/// Where a cold deal passed to hot sales leaves the cold pipeline and enters the hot one.
pub(crate) const TRANSFER_FROM_COLD_STAGE: u8 = 2; // Квалификация
pub(crate) const TRANSFER_TO_HOT_STAGE: u8 = 1; // Выявление потребности

/// A pipeline as the generator sees it: stages by index, open ones first.
pub(crate) struct PipeMeta {
    pub id: Id,
    /// Open stages, then won, then lost.
    pub stage_ids: Vec<Id>,
    pub n_open: u8,
    pub proposal: u8,
    /// Base probability that a closed deal here is won.
    pub win_rate: f64,
    /// Median working days from creation to close.
    pub cycle_days: f64,
    /// Median amount, roubles.
    pub median_amount: f64,
}

impl PipeMeta {
    pub(crate) fn won(&self) -> u8 {
        self.n_open
    }
    pub(crate) fn lost(&self) -> u8 {
        self.n_open + 1
    }
    pub(crate) fn kind(&self, stage: u8) -> StageKind {
        if stage < self.n_open {
            StageKind::Open
        } else if stage == self.won() {
            StageKind::Won
        } else {
            StageKind::Lost
        }
    }
}

pub(crate) fn pipelines() -> (Vec<Pipeline>, Vec<PipeMeta>) {
    let mut next_stage = STAGE_BASE;
    let mut out = Vec::new();
    let mut metas = Vec::new();
    let params = [(0.23, 12.0, 120_000.0), (0.35, 8.0, 220_000.0), (0.33, 5.0, 90_000.0)];
    for (p, (name, open)) in PIPELINES.iter().enumerate() {
        let mut stages: Vec<Stage> = open
            .iter()
            .enumerate()
            .map(|(i, stage)| {
                next_stage += 1;
                Stage {
                    id: next_stage - 1,
                    name: (*stage).into(),
                    sort: 10 * (i as i32 + 1),
                    kind: StageKind::Open,
                }
            })
            .collect();
        stages.push(Stage {
            id: AMOCRM_WON_STATUS,
            name: "Успешно реализовано".into(),
            sort: 10_000,
            kind: StageKind::Won,
        });
        stages.push(Stage {
            id: AMOCRM_LOST_STATUS,
            name: "Закрыто и не реализовано".into(),
            sort: 11_000,
            kind: StageKind::Lost,
        });
        let (win_rate, cycle_days, median_amount) = params[p];
        metas.push(PipeMeta {
            id: PIPELINE_BASE + p as Id,
            stage_ids: stages.iter().map(|s| s.id).collect(),
            n_open: open.len() as u8,
            proposal: open
                .iter()
                .position(|s| *s == "КП отправлено")
                .expect("every pipeline sends proposals") as u8,
            win_rate,
            cycle_days,
            median_amount,
        });
        out.push(Pipeline {
            id: PIPELINE_BASE + p as Id,
            name: (*name).into(),
            sort: p as i32 + 1,
            is_main: p == COLD,
            stages,
        });
    }
    (out, metas)
}

pub(crate) const LOSS_REASON_BASE: Id = 9_100_001;
pub(crate) const LOSS_REASONS: [&str; 7] = [
    "Дорого",
    "Выбрали конкурента",
    "Нет бюджета",
    "Не отвечает",
    "Неактуально",
    "Не устроили сроки",
    "Дубль",
];
/// How often each reason ends a deal lost at an early stage and at a late one.
pub(crate) const LOSS_WEIGHTS_EARLY: [f64; 7] = [0.05, 0.05, 0.2, 0.35, 0.25, 0.02, 0.08];
pub(crate) const LOSS_WEIGHTS_LATE: [f64; 7] = [0.35, 0.28, 0.15, 0.05, 0.07, 0.1, 0.0];

pub(crate) fn loss_reasons() -> Vec<LossReason> {
    LOSS_REASONS
        .iter()
        .enumerate()
        .map(|(i, name)| LossReason {
            id: LOSS_REASON_BASE + i as Id,
            name: (*name).into(),
        })
        .collect()
}

/// Custom field ids, for a config that maps them by id.
pub const FIELD_MARGIN: Id = 1_100_001;
pub const FIELD_PRODUCT_TYPE: Id = 1_100_002;
pub const FIELD_PAYMENT_DUE: Id = 1_100_003;
pub const FIELD_PAID_DATE: Id = 1_100_004;
pub const FIELD_PAID_AMOUNT: Id = 1_100_005;
pub const FIELD_PROPOSAL_SENT: Id = 1_100_006;
pub const FIELD_CLIENT_TYPE: Id = 1_100_101;
pub const FIELD_INDUSTRY: Id = 1_100_102;
pub const FIELD_QUALIFICATION: Id = 1_100_103;
pub const FIELD_POSITION: Id = 1_100_201;

pub(crate) const PRODUCTS: [&str; 5] = [
    "Оборудование",
    "Расходные материалы",
    "Программное обеспечение",
    "Сервисное обслуживание",
    "Монтаж и пусконаладка",
];
pub(crate) const PRODUCT_WEIGHTS: [f64; 5] = [0.3, 0.25, 0.15, 0.2, 0.1];
/// Typical margin of each product, share of the amount.
pub(crate) const PRODUCT_MARGIN: [f64; 5] = [0.18, 0.27, 0.4, 0.36, 0.3];
pub(crate) const CLIENT_TYPES: [&str; 3] = ["Новый", "Постоянный", "VIP"];
pub(crate) const INDUSTRIES: [&str; 10] = [
    "Розничная торговля",
    "Оптовая торговля",
    "Производство",
    "Строительство",
    "Логистика",
    "IT и телеком",
    "HoReCa",
    "Медицина",
    "Образование",
    "Сельское хозяйство",
];
pub(crate) const QUALIFICATIONS: [&str; 3] = ["A", "B", "C"];

pub(crate) fn field_defs() -> Vec<FieldDef> {
    let def = |id: Id, entity: EntityKind, name: &str, field_type: FieldType, options: &[&str]| FieldDef {
        id,
        entity,
        name: name.into(),
        code: None,
        field_type,
        options: options.iter().map(|o| (*o).into()).collect(),
    };
    vec![
        def(FIELD_MARGIN, EntityKind::Deal, "Маржа", FieldType::Money, &[]),
        def(FIELD_PRODUCT_TYPE, EntityKind::Deal, "Тип продукта", FieldType::Select, &PRODUCTS),
        def(FIELD_PAYMENT_DUE, EntityKind::Deal, "Срок оплаты", FieldType::Date, &[]),
        def(FIELD_PAID_DATE, EntityKind::Deal, "Дата оплаты", FieldType::Date, &[]),
        def(FIELD_PAID_AMOUNT, EntityKind::Deal, "Сумма оплаты", FieldType::Money, &[]),
        def(FIELD_PROPOSAL_SENT, EntityKind::Deal, "КП отправлено", FieldType::Checkbox, &[]),
        def(
            FIELD_CLIENT_TYPE,
            EntityKind::Company,
            "Тип клиента",
            FieldType::Select,
            &CLIENT_TYPES,
        ),
        def(FIELD_INDUSTRY, EntityKind::Company, "Отрасль", FieldType::Select, &INDUSTRIES),
        def(
            FIELD_QUALIFICATION,
            EntityKind::Company,
            "Квалификация",
            FieldType::Select,
            &QUALIFICATIONS,
        ),
        def(FIELD_POSITION, EntityKind::Contact, "Должность", FieldType::Text, &[]),
    ]
}

/// The field mapping a config for the demo uses (by field name, as a user would write it).
// The update keeps this compiling when the config grows new meanings.
#[allow(clippy::needless_update)]
pub fn field_mapping() -> tsifra_core::config::FieldMapping {
    tsifra_core::config::FieldMapping {
        margin: "Маржа".into(),
        payment_due_date: "Срок оплаты".into(),
        paid_date: "Дата оплаты".into(),
        paid_amount: "Сумма оплаты".into(),
        client_type: "Тип клиента".into(),
        product_type: "Тип продукта".into(),
        company_qualification: "Квалификация".into(),
        proposal_sent: "КП отправлено".into(),
        industry: "Отрасль".into(),
        ..Default::default()
    }
}

pub(crate) const LEAD_SOURCES: [&[&str]; 3] = [
    &["Холодный обзвон", "База 2ГИС", "Выставка"],
    &["Сайт", "Яндекс.Директ", "Входящий звонок", "Рекомендация", "Авито"],
    &["Повторная продажа"],
];
pub(crate) const TAGS: [&str; 5] = ["Тендер", "Срочно", "Повторный клиент", "Выставка", "VIP"];
