#!/usr/bin/env python3
"""The query layer and the reports against DuckDB on the same rows (outside CI).

Copies a Tsifra SQLite store (e.g. the one `tsifra bench --keep-in DIR` leaves)
into DuckDB: deals, their stage moves (the `history` column, one row per move),
stages, tasks, activities and payments. Asks DuckDB the questions `tsifra bench`
times: revenue of won deals by manager and month over the last 365 days under
three filters, with the same days a year earlier; revenue by company over the
last 365 days (Pareto); the funnel of the last 90 days (deals entering each
pipeline, how many reached each stage, days in each stage, where they were lost);
and each floor report's core as of 30 days ago (plan/fact and leaderboard: won
revenue per manager in the day, week and month; hygiene: open deals without an
open task, stale deals, overdue tasks per manager; call priority: per company,
deals in play, recent communications and the last contact; receivables: overdue
payments per company in aging buckets). Prints DuckDB's times (median of runs,
one thread) and checks the totals it can against `tsifra report ... --format json`.
Needs `pip install duckdb` and the sqlite3 command.

    scripts/duckdb-compare.py DIR [path/to/tsifra]
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb


def copy_store(con, db: str, csv: str, tmp: str) -> None:
    """The store's tables into DuckDB."""
    con.execute(f"CREATE TABLE deals AS SELECT * FROM read_csv('{csv}', header = true)")

    def copy(table, sql):
        path = os.path.join(tmp, f"{table}.csv")
        with open(path, "w") as out:
            subprocess.run(["sqlite3", "-csv", "-header", db, sql], stdout=out, check=True)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', header = true)")

    copy("history", "SELECT id AS deal_id, created_at, history FROM deals")
    # "at,pipeline,stage,author;..." -> one row per move, in the deal's order.
    con.execute("""
        CREATE TABLE moves AS
        SELECT deal_id, seq, CAST(p[1] AS BIGINT) AS t, CAST(p[2] AS BIGINT) AS pipeline_id,
               CAST(p[3] AS BIGINT) AS stage_id
        FROM (SELECT deal_id, generate_subscripts(string_split(history, ';'), 1) AS seq,
                     string_split(unnest(string_split(history, ';')), ',') AS p
              FROM history WHERE history <> '')""")
    copy("stages", "SELECT pipeline_id, stage_id, sort, kind FROM pipeline_stages")
    copy("tasks", "SELECT id, entity_kind, entity_id, responsible_id, kind, created_at, due_at, completed_at FROM tasks")
    copy("activities", "SELECT id, kind, manager_id, entity_kind, entity_id, at AS t, connected FROM activities")
    copy("payments", "SELECT id, deal_id, company_id, amount_due, due_date, amount_paid, paid_date FROM payments")
    copy("companies", "SELECT id, responsible_id, created_at FROM companies")
    copy_names(con, db, tmp)


def copy_names(con, db: str, tmp: str) -> None:
    """What the receivables rows are named by (a copy cached before them lacks these)."""
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for table, sql in [("users", "SELECT id, name FROM users"),
                       ("company_names", "SELECT id, name, source FROM companies"),
                       ("deal_sources", "SELECT id, source FROM deals")]:
        if table in have:
            continue
        path = os.path.join(tmp, f"{table}.csv")
        with open(path, "w") as out:
            subprocess.run(["sqlite3", "-csv", "-header", db, sql], stdout=out, check=True)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', header = true)")


def main() -> None:
    data_dir = sys.argv[1]
    tsifra = sys.argv[2] if len(sys.argv) > 2 else "target/release/tsifra"
    db = os.path.join(data_dir, "tsifra.db")
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "deals.csv")
        with open(csv, "w") as out:
            subprocess.run(
                ["sqlite3", "-csv", "-header", db,
                 "SELECT id, pipeline_id, stage_id, amount, responsible_id, company_id, created_at, closed_at, "
                 "loss_reason_id FROM deals"],
                stdout=out, check=True)
        users = subprocess.run(["sqlite3", db, "SELECT id FROM users ORDER BY rowid"],
                               capture_output=True, text=True, check=True).stdout.split()
        pipeline = subprocess.run(["sqlite3", db, "SELECT id FROM pipelines ORDER BY rowid LIMIT 1"],
                                  capture_output=True, text=True, check=True).stdout.strip()
        # DUCKDB_CACHE=FILE keeps the copy between runs (the copy takes minutes on a million deals).
        cache = os.environ.get("DUCKDB_CACHE")
        cached = cache is not None and os.path.exists(cache)
        con = duckdb.connect(cache or ":memory:")
        con.execute("SET threads = 1")
        if cached:
            print(f"reading the copy in {cache}")
            copy_names(con, db, tmp)
        else:
            copy_store(con, db, csv, tmp)

    managers = users[: max(1, (len(users) + 1) // 2)]
    now = int(time.time())
    # The business day in Moscow (UTC+3, no DST) and the 365 days up to it.
    today = (now + 3 * 3600) // 86400
    start = (today - 364) * 86400 - 3 * 3600
    end = (today + 1) * 86400 - 3 * 3600
    won = 142
    explore_sql = f"""
        SELECT responsible_id, date_trunc('month', to_timestamp(closed_at + 3 * 3600)) AS month, sum(amount)
        FROM deals
        WHERE stage_id = {won} AND closed_at >= ? AND closed_at < ? AND closed_at <= {now}
          AND pipeline_id = {pipeline} AND responsible_id IN ({",".join(managers)})
          AND loss_reason_id IS NULL
        GROUP BY 1, 2"""
    pareto_sql = f"""
        SELECT company_id, sum(amount) AS revenue FROM deals
        WHERE stage_id = {won} AND closed_at >= ? AND closed_at < ? AND closed_at <= {now}
          AND company_id IS NOT NULL
        GROUP BY 1 ORDER BY 2 DESC"""
    year = 365 * 86400

    def explore_duck():
        a = con.execute(explore_sql, [start, end]).fetchall()
        b = con.execute(explore_sql, [start - year, end - year]).fetchall()
        return a, b

    def pareto_duck():
        return con.execute(pareto_sql, [start, end]).fetchall()

    def timed(f, runs=30):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            f()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times)

    # The funnel of the last 90 days, as of now: deals whose first move into a
    # pipeline falls in the period, followed through its stages.
    f_start = (today - 89) * 86400 - 3 * 3600
    funnel_sql = f"""
        WITH m AS (
            SELECT deal_id, t, pipeline_id, stage_id,
                   lead(t) OVER (PARTITION BY deal_id ORDER BY t, seq) AS next_at,
                   lag(stage_id) OVER (PARTITION BY deal_id ORDER BY t, seq) AS prev_stage
            FROM moves WHERE t <= {now}),
        e AS (SELECT deal_id, pipeline_id FROM m GROUP BY 1, 2 HAVING min(t) >= {f_start} AND min(t) < {end}),
        x AS (SELECT m.*, s.sort, s.kind FROM m JOIN e USING (deal_id, pipeline_id) JOIN stages s USING (pipeline_id, stage_id)),
        d AS (SELECT deal_id, pipeline_id, max(sort) FILTER (WHERE kind = 'open') AS furthest,
                     arg_max(kind, t) AS final_kind FROM x GROUP BY 1, 2),
        reached AS (SELECT s.pipeline_id, s.stage_id, count(*) AS n, count(*) FILTER (WHERE final_kind = 'won') AS won
                    FROM d JOIN stages s ON s.pipeline_id = d.pipeline_id AND s.kind = 'open' AND s.sort <= d.furthest
                    GROUP BY 1, 2),
        days AS (SELECT pipeline_id, stage_id, median(days) AS med, quantile_cont(days, 0.8) AS p80
                 FROM (SELECT deal_id, pipeline_id, stage_id, sum(coalesce(next_at, {now}) - t) / 86400.0 AS days
                       FROM x WHERE kind = 'open' GROUP BY 1, 2, 3) GROUP BY 1, 2),
        lost AS (SELECT pipeline_id, prev_stage, count(*) AS n FROM x WHERE kind = 'lost' GROUP BY 1, 2),
        entered AS (SELECT pipeline_id, count(*) AS n FROM d GROUP BY 1)
        SELECT 'entered', pipeline_id, NULL, n, NULL FROM entered
        UNION ALL SELECT 'reached', pipeline_id, stage_id, n, won FROM reached
        UNION ALL SELECT 'days', pipeline_id, stage_id, med, p80 FROM days
        UNION ALL SELECT 'lost', pipeline_id, prev_stage, n, NULL FROM lost"""

    # The floor reports as of 30 days ago.
    past = now - 30 * 86400
    past_day = (past + 3 * 3600) // 86400
    day_start = past_day * 86400 - 3 * 3600
    week_start = (past_day - (past_day + 3) % 7) * 86400 - 3 * 3600  # Monday (1970-01-01 was a Thursday)
    month_start = int(time.mktime(time.strptime(time.strftime("%Y-%m-01", time.gmtime(past + 3 * 3600)), "%Y-%m-%d"))) - time.timezone - 3 * 3600
    stage_at = f"""
        SELECT m.deal_id, arg_max(m.stage_id, m.t) AS stage_id, arg_max(m.pipeline_id, m.t) AS pipeline_id,
               max(m.t) AS moved_at
        FROM moves m WHERE m.t <= {past} GROUP BY 1"""
    plan_fact_sql = f"""
        WITH won AS (SELECT m.deal_id, min(m.t) AS t FROM moves m JOIN stages s USING (pipeline_id, stage_id)
                     WHERE s.kind = 'won' AND m.t >= {month_start} AND m.t <= {past} GROUP BY 1)
        SELECT d.responsible_id,
               sum(d.amount) FILTER (WHERE won.t >= {day_start}),
               sum(d.amount) FILTER (WHERE won.t >= {week_start}),
               sum(d.amount), count(*)
        FROM won JOIN deals d ON d.id = won.deal_id GROUP BY 1"""
    hygiene_sql = f"""
        WITH now_in AS ({stage_at}),
        open_deals AS (SELECT n.deal_id, n.moved_at, d.responsible_id, d.company_id, d.amount
                       FROM now_in n JOIN stages s ON s.pipeline_id = n.pipeline_id AND s.stage_id = n.stage_id
                       JOIN deals d ON d.id = n.deal_id
                       WHERE s.kind = 'open'),
        open_tasks AS (SELECT entity_id AS deal_id, count(*) AS n FROM tasks
                       WHERE entity_kind = 'deal' AND created_at <= {past} AND (completed_at IS NULL OR completed_at > {past})
                       GROUP BY 1),
        touched AS (SELECT entity_id AS deal_id, max(t) AS t FROM activities
                    WHERE entity_kind = 'deal' AND t <= {past} AND kind <> 'note' GROUP BY 1),
        overdue AS (SELECT responsible_id, count(*) AS n FROM tasks
                    WHERE created_at <= {past} AND (completed_at IS NULL OR completed_at > {past}) AND due_at < {past}
                    GROUP BY 1)
        SELECT o.responsible_id, count(*) AS open,
               count(*) FILTER (WHERE t.n IS NULL) AS without_task,
               count(*) FILTER (WHERE o.company_id IS NULL) AS without_company,
               count(*) FILTER (WHERE greatest(o.moved_at, coalesce(a.t, 0)) < {past} - 14 * 86400) AS stale,
               count(*) FILTER (WHERE o.amount = 0) AS zero_amount,
               any_value(ov.n) AS overdue
        FROM open_deals o LEFT JOIN open_tasks t USING (deal_id) LEFT JOIN touched a USING (deal_id)
        LEFT JOIN overdue ov ON ov.responsible_id = o.responsible_id
        GROUP BY 1"""
    call_sql = f"""
        WITH now_in AS ({stage_at}),
        per_company AS (SELECT d.company_id, count(*) FILTER (WHERE d.created_at >= {past} - 90 * 86400) AS recent_deals,
                               bool_or(s.kind = 'open') AS in_play,
                               coalesce(sum(d.amount) FILTER (WHERE s.kind = 'won'), 0) AS revenue
                        FROM now_in n JOIN deals d ON d.id = n.deal_id
                        JOIN stages s ON s.pipeline_id = n.pipeline_id AND s.stage_id = n.stage_id
                        WHERE d.company_id IS NOT NULL GROUP BY 1),
        comms AS (SELECT coalesce(CASE WHEN a.entity_kind = 'company' THEN a.entity_id END, d.company_id) AS company_id,
                         count(*) FILTER (WHERE a.t >= {past} - 90 * 86400) AS recent, max(a.t) AS last_contact
                  FROM activities a LEFT JOIN deals d ON a.entity_kind = 'deal' AND d.id = a.entity_id
                  WHERE a.t <= {past} AND a.kind <> 'note' GROUP BY 1),
        ranked AS (SELECT c.responsible_id, c.id, row_number() OVER (
                          PARTITION BY c.responsible_id
                          ORDER BY coalesce(p.recent_deals, 0), coalesce(m.recent, 0),
                                   coalesce(m.last_contact, c.created_at), coalesce(p.revenue, 0) DESC, c.id) AS rank
                   FROM companies c LEFT JOIN per_company p ON p.company_id = c.id LEFT JOIN comms m ON m.company_id = c.id
                   WHERE c.responsible_id IS NOT NULL AND c.created_at <= {past} AND NOT coalesce(p.in_play, false))
        SELECT * FROM ranked WHERE rank <= 20"""
    past_date = time.strftime("%Y-%m-%d", time.gmtime(past + 3 * 3600))
    # Receivables asks what Tsifra's report answers: every payment outstanding on
    # that day (a payment made later was not made yet; one part-paid without a
    # date counts its part), its company taken from the deal when the payment has
    # none, its manager the deal's (else the company's), with names and the
    # deal's card link; then the debtors (a company under one manager, else one
    # deal, else the payment alone) with owed, longest overdue and count, sorted;
    # the aging buckets; the overdue payments sorted by amount; what falls due in
    # the next 7 days; and the payments with no due date. The lists stay in
    # DuckDB's memory (temporary tables), as Tsifra's stay in its own.
    receivables_sqls = [f"""
        CREATE OR REPLACE TEMP TABLE owed AS
        SELECT p.id, p.deal_id, coalesce(p.company_id, d.company_id) AS company_id,
               coalesce(cn.name, 'без компании') AS company,
               coalesce(d.responsible_id, c.responsible_id) AS manager_id, coalesce(u.name, 'без менеджера') AS manager,
               CASE WHEN p.deal_id IS NOT NULL THEN 'https://example.amocrm.ru/leads/detail/' || p.deal_id END AS deal_url,
               p.amount_due, p.amount_due - CASE WHEN p.paid_date > '{past_date}' THEN 0 ELSE p.amount_paid END AS outstanding,
               CAST(p.due_date AS DATE) AS due_date,
               coalesce(date_diff('day', CAST(p.due_date AS DATE), DATE '{past_date}'), 0) AS days
        FROM payments p LEFT JOIN deals d ON d.id = p.deal_id
        LEFT JOIN companies c ON c.id = coalesce(p.company_id, d.company_id)
        LEFT JOIN company_names cn ON cn.id = coalesce(p.company_id, d.company_id)
        LEFT JOIN users u ON u.id = coalesce(d.responsible_id, c.responsible_id)
        WHERE (p.amount_paid < p.amount_due OR p.paid_date > '{past_date}')
          AND (p.due_date IS NULL OR CAST(p.due_date AS DATE) <= DATE '{past_date}' + 7)
          AND p.amount_due - CASE WHEN p.paid_date > '{past_date}' THEN 0 ELSE p.amount_paid END > 0""",
        """
        CREATE OR REPLACE TEMP TABLE debtors AS
        SELECT company_id, CASE WHEN company_id IS NULL THEN deal_id END AS deal_id,
               CASE WHEN company_id IS NULL AND deal_id IS NULL THEN id END AS payment_id, manager_id,
               any_value(company) AS company, any_value(manager) AS manager,
               sum(outstanding) AS owed, max(days) AS max_days, count(*) AS n
        FROM owed WHERE days > 0 GROUP BY 1, 2, 3, 4 ORDER BY owed DESC, max_days DESC, company, company_id""",
        """
        SELECT CASE WHEN days <= 30 THEN '1-30' WHEN days <= 60 THEN '31-60' WHEN days <= 90 THEN '61-90' ELSE '90+' END,
               sum(outstanding), count(*)
        FROM owed WHERE days > 0 GROUP BY 1""",
        "CREATE OR REPLACE TEMP TABLE overdue AS SELECT * FROM owed WHERE days > 0 ORDER BY outstanding DESC, days DESC, id",
        "CREATE OR REPLACE TEMP TABLE due_soon AS SELECT * FROM owed WHERE due_date IS NOT NULL AND days <= 0 ORDER BY due_date, outstanding DESC, id",
        "CREATE OR REPLACE TEMP TABLE no_due AS SELECT * FROM owed WHERE due_date IS NULL ORDER BY outstanding DESC, id",
    ]

    def receivables_duck():
        for sql in receivables_sqls:
            con.execute(sql).fetchall()

    duck_explore = timed(explore_duck)
    duck_pareto = timed(pareto_duck)
    funnel_rows = con.execute(funnel_sql).fetchall()
    duck_funnel = timed(lambda: con.execute(funnel_sql).fetchall(), runs=10)
    duck_floor = {name: timed(lambda sql=sql: con.execute(sql).fetchall(), runs=10)
                  for name, sql in [("plan-fact", plan_fact_sql), ("leaderboard", plan_fact_sql),
                                    ("hygiene", hygiene_sql), ("call-priority", call_sql)]}
    duck_floor["receivables"] = timed(receivables_duck, runs=10)
    receivables_rows = con.execute(
        "SELECT count(*), sum(outstanding) FROM overdue").fetchone()
    total_duck = sum(r[2] for r in explore_duck()[0])

    filters = [f"pipeline={pipeline}", "manager=" + "|".join(managers), "loss_reason=-"]
    args = [tsifra, "--data-dir", data_dir, "report", "explore", "--measure", "revenue", "--by", "manager",
            "--by", "month", "--period", "last_365_days", "--compare", "year_ago", "--format", "json"]
    for f in filters:
        args += ["--where", f]
    answer = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    total_tsifra = answer["total"]["value"]
    print(f"rows: {con.execute('SELECT count(*) FROM deals').fetchone()[0]} deals")
    print(f"explore total: tsifra {total_tsifra} kopecks, duckdb {total_duck} kopecks"
          f" ({'equal' if total_tsifra == total_duck else 'DIFFERENT'})")
    print(f"duckdb explore (two slices, three filters, year-ago comparison): {duck_explore:.2f} ms median, one thread")
    print(f"duckdb pareto (revenue by company): {duck_pareto:.2f} ms median, one thread")
    funnel = json.loads(subprocess.run([tsifra, "--data-dir", data_dir, "report", "funnel", "--format", "json"],
                                       capture_output=True, text=True, check=True).stdout)
    entered_tsifra = sum(p["entered"] for p in funnel["pipelines"])
    entered_duck = sum(r[3] for r in funnel_rows if r[0] == "entered")
    print(f"funnel entered (last 90 days): tsifra {entered_tsifra}, duckdb {entered_duck}"
          f" ({'equal' if entered_tsifra == entered_duck else 'DIFFERENT'})")
    print(f"duckdb funnel (entered, reached, days in stage, lost by stage): {duck_funnel:.2f} ms median, one thread")
    for name, ms in duck_floor.items():
        print(f"duckdb {name} as of 30 days ago: {ms:.2f} ms median, one thread")
    receivables = json.loads(subprocess.run([tsifra, "--data-dir", data_dir, "report", "receivables", "--as-of",
                                             time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(past)), "--format", "json"],
                                            capture_output=True, text=True, check=True).stdout)
    overdue_tsifra = (len(receivables["overdue"]), receivables["total_overdue"])
    print(f"receivables overdue 30 days ago (payments, kopecks): tsifra {overdue_tsifra}, duckdb {tuple(receivables_rows)}"
          f" ({'equal' if overdue_tsifra == tuple(receivables_rows) else 'DIFFERENT'})")
    print("tsifra: see `tsifra bench` (query explore / pareto, report ... month ago) for the same questions in memory")


if __name__ == "__main__":
    main()
