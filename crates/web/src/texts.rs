//! Words the web pages need beyond the core's shared table: page titles,
//! board names and error messages, in Russian and English. Kept here until
//! another crate needs them; then they can move into `tsifra_core::i18n::TEXTS`.

use tsifra_core::Language;
use tsifra_core::i18n::text;

/// (key, Russian, English). Keys start with `web.` so they never shadow a core key.
pub const WEB_TEXTS: &[(&str, &str, &str)] = &[
    ("web.title.home", "Обзор", "Overview"),
    ("web.account", "Аккаунт CRM", "CRM account"),
    ("web.no_account", "не подключён", "not connected"),
    ("web.data_dir", "Папка данных", "Data directory"),
    ("web.data", "Данные", "Data"),
    ("web.no_deals", "сделок пока нет", "no deals yet"),
    ("web.as_of.from_url", "задано в адресе", "set in the address"),
    ("web.as_of.now", "показать на сейчас", "show as of now"),
    ("web.health", "Состояние сервера (JSON)", "Server health (JSON)"),
    ("web.board.plan_fact", "План-факт", "Plan vs fact"),
    ("web.board.leaderboard", "Рейтинг менеджеров", "Leaderboard"),
    ("web.board.hygiene", "Качество ведения CRM", "CRM hygiene"),
    ("web.board.call_priority", "Кому позвонить", "Whom to call next"),
    ("web.board.receivables", "Дебиторская задолженность", "Receivables"),
    ("web.board.funnel", "Воронка продаж", "Sales funnel"),
    (
        "web.board.funnel.about",
        "Конверсия по этапам, время на этапе, где и почему теряем, передача между воронками",
        "Stage conversion, time in stage, where and why deals are lost, hand-over between pipelines",
    ),
    (
        "web.board.plan_fact.about",
        "Сегодня, неделя и месяц: план, факт, выполнение и темп",
        "Today, this week and this month: plan, fact, % done, pace",
    ),
    (
        "web.board.leaderboard.about",
        "Лучший сотрудник месяца и отставание от места выше",
        "Best employee of the month and the gap to the place above",
    ),
    (
        "web.board.hygiene.about",
        "Нарушения по менеджерам и правилам, тренд за 30 дней",
        "Violations by manager and rule, the 30-day trend",
    ),
    (
        "web.board.call_priority.about",
        "Компании, которым пора позвонить, и почему",
        "Companies that deserve a call now, and why",
    ),
    (
        "web.board.receivables.about",
        "Просроченные платежи, должники и сроки",
        "Overdue payments, debtors and aging",
    ),
    (
        "web.owner.title.about",
        "Главные цифры на телефоне; устанавливается как приложение",
        "The few figures that matter, on a phone; installable",
    ),
    (
        "web.tv.title.about",
        "Отчёты по кругу на экране в офисе",
        "Boards in rotation on the office screen",
    ),
    ("web.back_home", "На главную", "Back to the overview"),
    ("web.nav.label", "Отчёты", "Boards"),
    ("web.nav.home", "Обзор", "Overview"),
    ("web.nav.plan_fact", "План-факт", "Plan/fact"),
    ("web.nav.leaderboard", "Рейтинг", "Leaderboard"),
    ("web.nav.hygiene", "Качество CRM", "CRM hygiene"),
    ("web.nav.call_priority", "Кому позвонить", "Whom to call"),
    ("web.nav.receivables", "Дебиторка", "Receivables"),
    ("web.nav.funnel", "Воронка", "Funnel"),
    (
        "web.kpi.funnel_conversion",
        "Конверсия в успех: {pipeline}",
        "Conversion to won: {pipeline}",
    ),
    (
        "web.kpi.funnel_detail",
        "вошли {entered} · успешно {won} · отказ {lost}",
        "entered {entered} · won {won} · lost {lost}",
    ),
    ("web.kpi.funnel_handed", " · передано {n}", " · handed over {n}"),
    ("web.fig.funnel", "Воронка", "Funnel"),
    (
        "web.fig.funnel_note",
        "Сделки, вошедшие в воронку за период; справа — сколько дошли до этапа и конверсия с прошлого этапа",
        "Deals that entered the pipeline in the period; on the right, how many reached the stage and the conversion from the stage before",
    ),
    ("web.filter.pipeline", "Воронка", "Pipeline"),
    ("web.filter.all_pipelines", "Все воронки", "All pipelines"),
    ("web.filter.team", "Отдел", "Team"),
    ("web.filter.all_teams", "Все отделы", "All teams"),
    ("web.filter.period", "Период", "Period"),
    (
        "web.board.plan_fact.default_period",
        "Сегодня, неделя и месяц",
        "Today, this week and this month",
    ),
    ("web.board.leaderboard.default_period", "Этот месяц", "This month"),
    ("web.board.funnel.default_period", "Последние 90 дней", "The last 90 days"),
    ("web.nav.owner", "Собственнику", "Owner"),
    ("web.nav.tv", "ТВ", "TV"),
    ("web.unit.thousand", "тыс.", "K"),
    ("web.unit.million", "млн", "M"),
    ("web.unit.billion", "млрд", "B"),
    // The explore and Pareto boards (crate::explore).
    ("web.board.explore", "Анализ продаж", "Explore"),
    (
        "web.board.explore.about",
        "Любой показатель по любому разрезу, с фильтрами и сравнением периодов",
        "Any measure by any slice, with filters and a comparison",
    ),
    ("web.board.pareto", "Парето / ABC", "Pareto / ABC"),
    (
        "web.board.pareto.about",
        "Какие компании, продукты или менеджеры дают 80 % результата",
        "Which companies, products or managers make 80% of the result",
    ),
    ("web.nav.explore", "Анализ", "Explore"),
    ("web.nav.pareto", "ABC", "ABC"),
    ("web.explore.measure", "Показатель", "Measure"),
    ("web.explore.period", "Период", "Period"),
    ("web.explore.from", "С", "From"),
    ("web.explore.to", "По", "To"),
    ("web.explore.by", "Разрез", "Slice by"),
    ("web.explore.by2", "Второй разрез", "Then by"),
    ("web.explore.no_slice", "— без разреза —", "— none —"),
    ("web.explore.compare", "Сравнить с", "Compare with"),
    ("web.explore.compare.none", "без сравнения", "no comparison"),
    ("web.explore.compare.previous", "предыдущим периодом", "the previous period"),
    (
        "web.explore.compare.year_ago",
        "тем же периодом год назад",
        "the same period a year ago",
    ),
    ("web.explore.period.today", "Сегодня", "Today"),
    ("web.explore.period.yesterday", "Вчера", "Yesterday"),
    ("web.explore.period.this_week", "Эта неделя", "This week"),
    ("web.explore.period.last_week", "Прошлая неделя", "Last week"),
    ("web.explore.period.this_month", "Этот месяц", "This month"),
    ("web.explore.period.last_month", "Прошлый месяц", "Last month"),
    ("web.explore.period.this_quarter", "Этот квартал", "This quarter"),
    ("web.explore.period.last_quarter", "Прошлый квартал", "Last quarter"),
    ("web.explore.period.this_year", "Этот год", "This year"),
    ("web.explore.period.last_year", "Прошлый год", "Last year"),
    ("web.explore.period.last_30_days", "Последние 30 дней", "Last 30 days"),
    ("web.explore.period.last_90_days", "Последние 90 дней", "Last 90 days"),
    ("web.explore.period.last_365_days", "Последние 365 дней", "Last 365 days"),
    ("web.explore.period.custom", "Свои даты (с … по)", "Dates (from … to)"),
    ("web.picker.label", "Период", "Period"),
    ("web.owner.all_boards", "Все доски", "All boards"),
    ("web.home.today", "Главное", "Key numbers"),
    ("web.home.score", "чистота CRM {percent}", "CRM hygiene {percent}"),
    ("web.home.system", "Система", "System"),
    ("web.picker.now", "Сейчас", "Now"),
    ("web.picker.as_of_day", "На дату", "As of day"),
    ("web.picker.yesterday", "Вчера", "End of yesterday"),
    ("web.picker.last_week_end", "Конец прошлой недели", "End of last week"),
    ("web.picker.last_month_end", "Конец прошлого месяца", "End of last month"),
    ("web.picker.last_quarter_end", "Конец прошлого квартала", "End of last quarter"),
    ("web.updated.just_now", "обновлено только что", "updated just now"),
    ("web.updated.minutes", "обновлено {n}\u{a0}мин назад", "updated {n}\u{a0}min ago"),
    ("web.updated.auto", "обновляется каждые {n}\u{a0}с", "refreshes every {n}\u{a0}s"),
    (
        "web.updated.paused",
        "данные на выбранную дату, без автообновления",
        "figures as of the chosen date, not refreshed",
    ),
    ("web.table.search", "Поиск по таблице", "Search the table"),
    ("web.table.found", "строк: {n} из {total}", "{n} of {total} rows"),
    ("web.explore.filters", "Фильтры", "Filters"),
    ("web.explore.remove", "Убрать фильтр", "Remove the filter"),
    ("web.explore.clear_all", "Сбросить все фильтры", "Clear every filter"),
    (
        "web.explore.no_filters",
        "Фильтров нет. Нажмите на столбец, название или строку таблицы — вся страница пересчитается по этому значению.",
        "No filters. Click a bar, a name or a table row to filter the whole page by it.",
    ),
    (
        "web.explore.click_note",
        "Название или полоса — отфильтровать всю страницу; число — записи за ним.",
        "A name or bar filters the whole page; a figure lists its records.",
    ),
    ("web.explore.compared_with", "период сравнения", "the compared period"),
    ("web.explore.change", "Изменение", "Change"),
    ("web.explore.days", "{n} дн.", "{n} days"),
    ("web.explore.points", "{n} п.п.", "{n} pp"),
    ("web.explore.series.day", "по дням", "by day"),
    ("web.explore.series.week", "по неделям", "by week"),
    ("web.explore.series.month", "по месяцам", "by month"),
    ("web.explore.series.quarter", "по кварталам", "by quarter"),
    ("web.explore.series.year", "по годам", "by year"),
    (
        "web.explore.series_note",
        "{period} против {compared}; столбец — открыть этот отрезок.",
        "{period} against {compared}; a column opens that stretch.",
    ),
    ("web.explore.legend.current", "текущий период", "this period"),
    ("web.explore.legend.compared", "период сравнения", "compared period"),
    ("web.explore.table_files", "Таблица ответа", "The answer's table"),
    (
        "web.explore.empty.won",
        "За период {period} нет успешных сделок",
        "No deals won in {period}",
    ),
    (
        "web.explore.empty.lost",
        "За период {period} нет проигранных сделок",
        "No deals lost in {period}",
    ),
    (
        "web.explore.empty.new",
        "За период {period} нет новых сделок",
        "No new deals in {period}",
    ),
    (
        "web.explore.empty.closed",
        "За период {period} нет закрытых сделок",
        "No deals closed in {period}",
    ),
    ("web.explore.empty.calls", "За период {period} нет звонков", "No calls in {period}"),
    (
        "web.explore.empty.communications",
        "За период {period} нет коммуникаций",
        "No communications in {period}",
    ),
    (
        "web.explore.empty.tasks_done",
        "За период {period} нет выполненных задач",
        "No tasks done in {period}",
    ),
    (
        "web.explore.empty.tasks_overdue",
        "За период {period} нет просроченных задач",
        "No tasks overdue in {period}",
    ),
    (
        "web.explore.empty.filtered",
        " при выбранных фильтрах.",
        " under the chosen filters.",
    ),
    ("web.explore.records_title", "Записи за цифрой", "Records behind a figure"),
    ("web.explore.back", "К анализу", "Back to the board"),
    (
        "web.explore.no_records",
        "За этой цифрой нет записей.",
        "No records behind this figure.",
    ),
    (
        "web.explore.records_range",
        "Записи {from}–{to} из {total}",
        "Records {from}–{to} of {total}",
    ),
    ("web.explore.col.deal", "Сделка", "Deal"),
    ("web.explore.col.what", "Что", "What"),
    ("web.explore.col.stage", "Воронка · этап сейчас", "Pipeline · stage now"),
    ("web.explore.col.about", "По сделке, компании, контакту", "Deal, company or contact"),
    ("web.explore.col.amount", "Сумма", "Amount"),
    ("web.explore.col.when", "Когда", "When"),
    ("web.explore.task", "Задача", "Task"),
    ("web.activity.call_in", "Входящий звонок", "Incoming call"),
    ("web.activity.call_out", "Исходящий звонок", "Outgoing call"),
    ("web.activity.email_in", "Входящее письмо", "Incoming e-mail"),
    ("web.activity.email_out", "Исходящее письмо", "Outgoing e-mail"),
    ("web.activity.chat_in", "Входящее сообщение", "Incoming message"),
    ("web.activity.chat_out", "Исходящее сообщение", "Outgoing message"),
    ("web.activity.meeting", "Встреча", "Meeting"),
    ("web.activity.note", "Примечание", "Note"),
    (
        "web.explore.bad_measure",
        "Неизвестный показатель «{value}». Подходят: {names}.",
        "Unknown measure \"{value}\"; expected one of: {names}.",
    ),
    (
        "web.explore.bad_dimension",
        "Неизвестный разрез «{value}». Подходят: {names}.",
        "Unknown dimension \"{value}\"; expected one of: {names}.",
    ),
    (
        "web.explore.bad_period",
        "Не удалось понять период «{value}». Подходят: today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter, this_year, last_year, last_N_days, 2026-11, 2026-Q4, 2026, 2026-11-20 или 2026-01-01..2026-03-31.",
        "Unknown period \"{value}\"; expected today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter, this_year, last_year, last_N_days, 2026-11, 2026-Q4, 2026, 2026-11-20 or 2026-01-01..2026-03-31.",
    ),
    (
        "web.explore.bad_compare",
        "Неизвестное сравнение «{value}». Подходят: previous, year_ago, none.",
        "Unknown comparison \"{value}\"; expected previous, year_ago or none.",
    ),
    (
        "web.explore.bad_limit",
        "limit={value}: нужно целое число от 1 до 1000.",
        "limit={value}: expected a whole number from 1 to 1000.",
    ),
    (
        "web.explore.both_dates",
        "Для своего периода нужны обе даты: «с» и «по».",
        "A period of your own needs both dates, from and to.",
    ),
    (
        "web.explore.bad_row",
        "row={value}: в ответе строк {n}; подходят номер строки от 0, others или total.",
        "row={value}: the answer has {n} rows; expected a row number from 0, others or total.",
    ),
    (
        "web.explore.no_others",
        "row=others: в ответе нет «Остальных», все строки показаны.",
        "row=others: the answer has no \"others\", every row is shown.",
    ),
    (
        "web.explore.bad_page",
        "page={value}: нужен номер страницы от 1.",
        "page={value}: expected a page number from 1.",
    ),
    ("web.pareto.a_count", "Класс A", "Class A"),
    (
        "web.pareto.no_filters",
        "Фильтров нет: весь отдел за период. Фильтры добавляются кликом на доске «Анализ»; ссылка оттуда переносит их сюда.",
        "No filters: the whole team over the period. Filters are added by a click on the Explore board; its link brings them here.",
    ),
    ("web.pareto.a_share", "дают {share} результата", "make {share} of the result"),
    ("web.pareto.b_count", "Класс B", "Class B"),
    ("web.pareto.c_count", "Класс C", "Class C"),
    (
        "web.pareto.legend",
        "столбцы — вклад каждого, от большего; линия — накопленная доля; A — до {a} %, B — до {b} %, C — остальное. Столбец — записи за ним.",
        "columns are each one's part, largest first; the line is the running share; A up to {a}%, B up to {b}%, C the rest. A column lists its records.",
    ),
    (
        "web.pareto.capped",
        "На графике первые {n} из {total}; все — в таблице и в CSV/XLSX.",
        "The chart shows the first {n} of {total}; all of them are in the table and the CSV/XLSX.",
    ),
    (
        "web.pareto.bad_measure",
        "{value}: для Парето нужен показатель, который складывается (revenue, margin, won_deals, calls…), а не доля или срок.",
        "{value}: a Pareto view adds contributions up; choose a sum or a count (revenue, margin, won_deals, calls...).",
    ),
    (
        "web.table.range",
        "Строки {from}–{to} из {total}; все строки — в CSV и XLSX.",
        "Rows {from}–{to} of {total}; all of them in the CSV and XLSX.",
    ),
    ("web.table.empty", "Нет строк.", "No rows."),
    ("web.table.pages", "Страницы таблицы", "Table pages"),
    ("web.table.prev", "Назад", "Previous"),
    ("web.table.next", "Дальше", "Next"),
    ("web.kpi.of_plan", "из {plan} · {percent}", "of {plan} · {percent}"),
    ("web.kpi.no_plan", "план не задан", "no plan set"),
    (
        "web.kpi.of_plan_partial",
        "план задан на {covered} из {days} раб. дн. ({dates}): {fact} из {plan} · {percent}",
        "plan covers {covered} of {days} working days ({dates}): {fact} of {plan} · {percent}",
    ),
    ("web.kpi.projection", "Месяц по темпу", "Month at this pace"),
    (
        "web.kpi.projection_of_plan",
        "{percent} плана к концу месяца",
        "{percent} of plan by month end",
    ),
    ("web.kpi.leader", "Лидер месяца", "Leader of the month"),
    ("web.kpi.change_on", "Изменение к периоду «{period}»", "Change on {period}"),
    ("web.kpi.leader_of_period", "Лидер периода", "Leader of the period"),
    ("web.fig.podium_of_period", "Лучшие за период", "The period's top three"),
    ("web.kpi.change_detail", "{percent} · тогда {then}", "{percent} · then {then}"),
    (
        "web.kpi.no_leader_yet",
        "В этом месяце ещё ни у кого нет результата",
        "Nobody has a result this month yet",
    ),
    ("web.kpi.won_deals", "сделок", "won deals"),
    ("web.kpi.trend", "Нарушений за {days} дн.", "Violations over {days} days"),
    ("web.kpi.cleaner", "CRM становится чище", "the CRM is getting cleaner"),
    ("web.kpi.dirtier", "нарушений становится больше", "violations are piling up"),
    ("web.kpi.score", "Качество CRM", "CRM hygiene score"),
    ("web.kpi.checked", "проверено записей: {checked}", "{checked} records checked"),
    ("web.kpi.violations", "Нарушений сейчас", "Violations now"),
    ("web.kpi.to_call", "Компаний к звонку", "Companies to call"),
    ("web.kpi.never_contacted", "Ни разу не связывались", "Never contacted"),
    ("web.kpi.over_90", "Просрочка 90+ дней", "Overdue 90+ days"),
    ("web.kpi.due_soon_detail", "{n} за {days}\u{a0}дн.", "{n} in {days} days"),
    ("web.fig.fact_and_plan", "факт и план по менеджерам", "fact and plan by manager"),
    (
        "web.fig.bar_title",
        "{name}: факт {fact} · план {plan} · {percent}",
        "{name}: fact {fact} · plan {plan} · {percent}",
    ),
    (
        "web.fig.plan_legend",
        "Черта — план месяца. Цвет — темп: зелёный успевает к плану, жёлтый близко, красный отстаёт, синий — плана нет.",
        "The tick is the month's plan. Colour is the pace: green on track, yellow close, red behind, blue no plan.",
    ),
    ("web.fig.podium", "Лучшие в этом месяце", "This month's top three"),
    ("web.fig.ranking", "Все менеджеры", "Every manager"),
    ("web.fig.trend", "Нарушения по дням, {days} дн.", "Violations per day, {days} days"),
    (
        "web.fig.recounted",
        "Дней без сохранённых итогов: {n}; они пересчитаны по текущим данным.",
        "{n} days have no stored tally; they are recounted from today's data.",
    ),
    ("web.fig.trend_aria", "Нарушения по дням", "Violations per day"),
    (
        "web.fig.violations_by_manager",
        "Нарушения и оценка по менеджерам",
        "Violations and score by manager",
    ),
    ("web.fig.next_calls", "Первый звонок каждого менеджера", "Each manager's first call"),
    ("web.fig.call_lists", "Кому звонить", "Whom to call"),
    ("web.call.clients", "Клиенты с покупками", "Clients who bought"),
    ("web.call.prospects", "Без покупок", "Never bought"),
    (
        "web.call.clients_note",
        "Сначала те, кто покупал больше и с кем давно не говорили; сделки и контакты за последние {days} дн. опускают клиента ниже.",
        "Those who bought more and have not been talked to for longer come first; deals and contacts in the last {days} days move a client down.",
    ),
    (
        "web.call.prospects_note",
        "Компании, которые ещё ни разу не покупали: сначала те, где меньше сделок и контактов за {days} дн. и дольше тишина.",
        "Companies that never bought: the fewest deals and contacts in the last {days} days and the longest silence first.",
    ),
    ("web.fig.days", "{range} дн.", "{range} days"),
    ("web.fig.days_overdue", "{n} дн.", "{n} days"),
    ("web.fig.top_debtors", "Крупнейшие должники", "Largest debtors"),
    ("web.filter.everyone", "Весь отдел", "Whole team"),
    ("web.filter.default_metric", "По умолчанию", "Default"),
    ("web.filter.sort", "Порядок", "Order"),
    ("web.filter.sort_amount", "по сумме", "by amount"),
    ("web.filter.sort_days", "по дням просрочки", "by days overdue"),
    ("web.filter.sort_open_days", "дольше открытые первыми", "longest open first"),
    ("web.filter.sort_open_days_asc", "свежие первыми", "newest first"),
    ("web.filter.sort_rule", "по правилу, А→Я", "by rule, A→Z"),
    ("web.filter.sort_rule_desc", "по правилу, Я→А", "by rule, Z→A"),
    ("web.filter.sort_record", "по записи, А→Я", "by record, A→Z"),
    ("web.filter.sort_record_desc", "по записи, Я→А", "by record, Z→A"),
    ("web.filter.sort_manager", "по менеджеру, А→Я", "by manager, A→Z"),
    ("web.filter.sort_manager_desc", "по менеджеру, Я→А", "by manager, Z→A"),
    ("web.filter.sort_detail", "по подробностям, А→Я", "by detail, A→Z"),
    ("web.filter.sort_detail_desc", "по подробностям, Я→А", "by detail, Z→A"),
    ("web.filter.rule", "Правило", "Rule"),
    ("web.filter.all_rules", "Все правила", "All rules"),
    ("web.filter.min_days", "Открыто дней, от", "Open days, at least"),
    ("web.hygiene.heat_title", "Нарушения по правилам", "Violations by rule"),
    ("web.hygiene.since_yesterday", "За день", "Since yesterday"),
    (
        "web.hygiene.legend",
        "Цвет — доля от худшего в столбце:",
        "Colour: share of the column's worst:",
    ),
    ("web.hygiene.legend_none", "нет", "none"),
    (
        "web.hygiene.most_fixed",
        "Больше всех исправил за неделю",
        "Fixed the most this week",
    ),
    ("web.hygiene.fixed_n", "исправлено {n} с {day}", "{n} fixed since {day}"),
    (
        "web.hygiene.nobody_fixed",
        "за неделю пока никто не исправил ни одного нарушения",
        "nobody has fixed a violation this week yet",
    ),
    (
        "web.hygiene.no_baseline",
        "исправления за неделю появятся, когда сохранится первый дневной итог",
        "fixes this week show once a daily tally is stored",
    ),
    (
        "web.hygiene.no_yesterday",
        "за вчера итога нет — изменение не показано",
        "no tally for yesterday: no change shown",
    ),
    ("web.hygiene.page", "стр. {n} из {of}", "page {n} of {of}"),
    (
        "web.hygiene.filtered",
        "Показаны {shown} из {total} нарушений",
        "Showing {shown} of {total} violations",
    ),
    ("web.filter.show", "Показать", "Show"),
    ("web.filter.clear", "весь отдел", "whole team"),
    ("web.download.all", "Весь отчёт в XLSX", "Whole report as XLSX"),
    ("web.owner.title", "Доска собственника", "Owner's board"),
    ("web.tv.title", "ТВ-режим", "TV mode"),
    (
        "web.tv.token_missing",
        "Для ТВ-режима нужна ссылка с токеном: /tv?token=… (значение [tv] token из конфигурации).",
        "TV mode needs the link with its token: /tv?token=... (the [tv] token from the config).",
    ),
    (
        "web.tv.token_wrong",
        "Токен в ссылке ТВ-режима не подходит. Возьмите ссылку с [tv] token из конфигурации.",
        "The TV link's token is wrong. Use the link with the [tv] token from the config.",
    ),
    ("web.tv.data_as_of", "данные на", "data as of"),
    ("web.tv.stale", "не удалось обновить данные", "could not refresh the figures"),
    ("web.tv.pf.manager", "Менеджер", "Manager"),
    ("web.tv.pf.managers_of", "{from}–{to} из {n}", "{from}–{to} of {n}"),
    ("web.tv.pf.today", "Сегодня, {date}", "Today, {date}"),
    ("web.tv.pf.week", "Неделя {days}", "Week {days}"),
    ("web.tv.pf.plan", "план", "plan"),
    ("web.tv.pf.fact", "факт", "fact"),
    ("web.tv.pf.diff", "разница", "difference"),
    ("web.tv.pf.no_plan", "без плана", "no plan"),
    ("web.tv.pf.gone", "не работает", "left"),
    (
        "web.tv.pf.partial",
        "* План недели есть только на {days}: факт и разница — за эти дни.",
        "* The week's plan covers only {days}: fact and difference are for those days.",
    ),
    ("web.error.forbidden", "Доступ запрещён", "Access denied"),
    ("web.app.name", "Tsifra — доска собственника", "Tsifra — owner's board"),
    (
        "web.app.description",
        "План, факт, дебиторка и качество CRM отдела продаж",
        "Plan, fact, receivables and CRM hygiene of the sales team",
    ),
    ("web.error.not_found", "Страница не найдена", "Page not found"),
    (
        "web.error.not_found.detail",
        "По адресу {path} ничего нет.",
        "There is nothing at {path}.",
    ),
    ("web.error.method", "Метод не поддерживается", "Method not allowed"),
    (
        "web.error.method.detail",
        "Этот адрес не принимает такой запрос.",
        "This address does not accept this kind of request.",
    ),
    ("web.error.bad_request", "Неверный запрос", "Bad request"),
    (
        "web.error.rejected.detail",
        "Не удалось прочитать запрос: проверьте параметры в адресе страницы.",
        "The request could not be read: check the parameters in the address.",
    ),
    (
        "web.error.seconds",
        "{name}=«{value}»: нужно число секунд от 0,05 до 86 400.",
        "{name}=\"{value}\": expected seconds from 0.05 to 86400.",
    ),
    (
        "web.error.tv_board_count",
        "boards: нужно от 1 до {max} досок.",
        "boards: expected 1 to {max} boards.",
    ),
    (
        "web.error.tv_board",
        "boards: «{value}» — нет такой доски или после двоеточия не число секунд от 0,05 до 86 400; доски: {boards}.",
        "boards: \"{value}\" is no board, or not seconds from 0.05 to 86400 after the colon; boards: {boards}.",
    ),
    (
        "web.error.page",
        "page=«{value}»: нужен номер страницы от 1.",
        "page=\"{value}\": expected a page number from 1.",
    ),
    (
        "web.error.limit",
        "limit=«{value}»: нужно целое число строк.",
        "limit=\"{value}\": expected a whole number of items.",
    ),
    ("web.error.internal", "Внутренняя ошибка", "Internal error"),
    (
        "web.error.internal.detail",
        "Что-то пошло не так. Подробности записаны в журнал сервера.",
        "Something went wrong. The details are in the server log.",
    ),
    (
        "web.as_of.malformed",
        "Не удалось понять as_of={value}. Подходят: 2026-11-20 (на конец этого дня), 2026-11-20T15:00 (время в часовом поясе компании), 2026-11-20T12:00:00Z или 2026-11-20T15:00:00+03:00.",
        "Could not read as_of={value}. Use 2026-11-20 (the end of that day), 2026-11-20T15:00 (business time zone), 2026-11-20T12:00:00Z or 2026-11-20T15:00:00+03:00.",
    ),
    (
        "web.as_of.no_such_time",
        "Времени as_of={value} нет в часовом поясе {tz}: в этот момент часы переводят вперёд.",
        "as_of={value} does not exist in {tz}: the clocks jump forward over it.",
    ),
    ("web.sync.title", "Синхронизация с amoCRM", "amoCRM sync"),
    ("web.sync.running", "Идёт синхронизация, начата", "Syncing, started"),
    ("web.sync.never", "Синхронизации ещё не было", "Not synced yet"),
    ("web.sync.last", "Последняя синхронизация", "Last sync"),
    ("web.sync.ok", "успешно", "ok"),
    ("web.sync.failed", "ошибка", "failed"),
    (
        "web.sync.internal",
        "Синхронизация остановилась на внутренней ошибке Tsifra. Всё, что она успела сохранить, сохранено; \
         следующий запуск продолжит с того же места. Подробности записаны в журнал сервера.",
        "The sync stopped on an internal error in Tsifra. What it had stored is kept; \
         the next run resumes from there. The details are in the server log.",
    ),
    (
        "web.sync.skipped",
        "пропущена: аккаунт в это время синхронизировал другой процесс",
        "skipped: another process was syncing the account",
    ),
    ("web.sync.records", "записей", "records"),
    ("web.sync.now", "Синхронизировать сейчас", "Sync now"),
    (
        "web.sync.not_configured",
        "amoCRM не подключена: раздел [amocrm] в tsifra.toml и tsifra amocrm connect (см. README).",
        "amoCRM is not connected: the [amocrm] section of tsifra.toml and tsifra amocrm connect (see the README).",
    ),
    (
        "web.as_of.repeated",
        "Параметр as_of указан больше одного раза.",
        "as_of is given more than once.",
    ),
];

/// The word for `key` in `lang`: this crate's table first, then the core's.
pub fn t(lang: Language, key: &str) -> &'static str {
    match WEB_TEXTS.iter().find(|(k, _, _)| *k == key) {
        Some((_, ru, en)) => match lang {
            Language::Ru => ru,
            Language::En => en,
        },
        None => text(lang, key),
    }
}

/// A text with `{name}` placeholders filled in (values are inserted raw; templates escape them).
pub fn t_with(lang: Language, key: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(t(lang, key).to_string(), |s, (name, value)| {
        s.replace(&format!("{{{name}}}"), value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsifra_core::i18n::TEXTS;

    #[test]
    fn every_web_text_has_both_languages_and_a_unique_key() {
        let mut keys: Vec<_> = WEB_TEXTS.iter().map(|t| t.0).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate web text keys");
        for (key, ru, en) in WEB_TEXTS {
            assert!(key.starts_with("web."), "{key} should start with web.");
            assert!(!ru.trim().is_empty() && !en.trim().is_empty(), "{key} lacks a language");
            assert!(!TEXTS.iter().any(|(core, _, _)| core == key), "{key} shadows a core text");
            // A placeholder in one language must be in the other, or a value silently disappears.
            for name in [
                "{value}",
                "{tz}",
                "{path}",
                "{from}",
                "{to}",
                "{total}",
                "{plan}",
                "{percent}",
                "{days}",
                "{checked}",
                "{n}",
                "{range}",
            ] {
                assert_eq!(ru.contains(name), en.contains(name), "{key}: {name} in only one language");
            }
        }
    }

    #[test]
    fn falls_back_to_core_texts_and_fills_placeholders() {
        assert_eq!(t(Language::Ru, "entity.deal"), "Сделки");
        assert_eq!(t(Language::En, "web.board.plan_fact"), "Plan vs fact");
        assert_eq!(
            t_with(Language::En, "web.error.not_found.detail", &[("path", "/x")]),
            "There is nothing at /x."
        );
    }
}
