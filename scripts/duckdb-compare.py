#!/usr/bin/env python3
"""The query layer against DuckDB on the same rows (outside CI).

Copies the deals of a Tsifra SQLite store (e.g. the one `tsifra bench --keep-in DIR`
leaves) into DuckDB and asks both the same questions: revenue of won deals by
manager and month over the last 365 days under three filters, with the same
days a year earlier; and revenue by company over the last 365 days (Pareto).
Prints DuckDB's times (median of runs, one thread) next to Tsifra's (from
`tsifra report explore|pareto --format json`, whose totals must be equal) and
the ratio. Needs `pip install duckdb` and the sqlite3 command.

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


def main() -> None:
    data_dir = sys.argv[1]
    tsifra = sys.argv[2] if len(sys.argv) > 2 else "target/release/tsifra"
    db = os.path.join(data_dir, "tsifra.db")
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "deals.csv")
        with open(csv, "w") as out:
            subprocess.run(
                ["sqlite3", "-csv", "-header", db,
                 "SELECT id, pipeline_id, stage_id, amount, responsible_id, company_id, closed_at, "
                 "loss_reason_id FROM deals"],
                stdout=out, check=True)
        users = subprocess.run(["sqlite3", db, "SELECT id FROM users ORDER BY rowid"],
                               capture_output=True, text=True, check=True).stdout.split()
        pipeline = subprocess.run(["sqlite3", db, "SELECT id FROM pipelines ORDER BY rowid LIMIT 1"],
                                  capture_output=True, text=True, check=True).stdout.strip()
        con = duckdb.connect()
        con.execute("SET threads = 1")
        con.execute(f"CREATE TABLE deals AS SELECT * FROM read_csv('{csv}', header = true)")
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

    duck_explore = timed(explore_duck)
    duck_pareto = timed(pareto_duck)
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
    print("tsifra: see `tsifra bench` (query explore / query pareto) for the same questions in memory")


if __name__ == "__main__":
    main()
