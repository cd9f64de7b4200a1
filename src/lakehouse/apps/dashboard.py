"""The executive dashboard (Streamlit). It reads only the published serving copy
(`$LAKEHOUSE_SERVING/lakehouse.duckdb`), read-only, so it never blocks a build and never sees
bronze, silver or unmasked personal data. Start it with `lakehouse dashboard`.

Every page load opens the serving file anew (a new in-memory DuckDB with the file attached
read-only, closed when the page is drawn): a publish swaps in a new file, and a connection kept
open, or `duckdb.connect(path)` (which hands back the instance already open in this process),
would go on showing the previous run."""

from __future__ import annotations

import calendar

import streamlit as st

from lakehouse.build.landing import feeds
from lakehouse.build.publish import connect_serving
from lakehouse.config import Settings

settings = Settings.from_env()
serving_db = settings.serving / "lakehouse.duckdb"  # type: ignore[operator]
MONEY = st.column_config.NumberColumn(format="dollar")

st.set_page_config(page_title="Lakehouse: executive dashboard", layout="wide")
st.title("Executive dashboard")

if not serving_db.exists():
    st.warning(f"Nothing published yet at {serving_db}: run `lakehouse run` first.")
    st.stop()

con = connect_serving(serving_db)  # read-only and locked down: no file but the copy


def frame(sql: str):
    return con.execute(sql).df()


try:
    published = con.execute("select run_id, published_at from ops.published").fetchone()
    ingested = set(con.execute("select path from ops.ingested_files").fetchall())
    landing_files = {(str(p.relative_to(settings.landing)),)
                     for patterns in feeds().values() for pattern in patterns
                     for p in settings.landing.glob(pattern)}
    pending = len(landing_files - ingested)
    totals = con.execute("""select sum(net_revenue), sum(orders), max(order_date)
                            from gold.mart_sales_daily""").fetchone()

    st.caption(f"Showing run {published[0]}, published {published[1]:%Y-%m-%d %H:%M:%S} UTC")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Net revenue (USD)", f"{totals[0]:,.2f}")
    c2.metric("Orders", f"{totals[1]:,}")
    c3.metric("Last publish (UTC)", f"{published[1]:%Y-%m-%d %H:%M}")
    c4.metric("Landing files pending", pending)

    st.subheader("Revenue trend")
    trend = frame("""select date_trunc('month', order_date)::date as month,
                            sum(net_revenue)::double as net_revenue
                     from gold.mart_sales_daily group by 1 order by 1""")
    st.line_chart(trend, x="month", y="net_revenue")
    last = totals[2]
    if last is not None and last.day < calendar.monthrange(last.year, last.month)[1]:
        st.caption(f"{last:%B %Y} is partial: orders through {last:%Y-%m-%d}, so its revenue "
                   "is lower than a full month's.")

    left, right = st.columns(2)
    with left:
        st.subheader("Revenue by region and nation")
        st.bar_chart(frame("""select region_name, sum(net_revenue)::double as net_revenue
                              from gold.mart_sales_daily group by 1 order by 1"""),
                     x="region_name", y="net_revenue")
        st.dataframe(frame("""select region_name, nation_name,
                                     sum(net_revenue)::double as net_revenue
                              from gold.mart_sales_daily group by 1, 2 order by 3 desc"""),
                     hide_index=True, column_config={"net_revenue": MONEY})
    with right:
        st.subheader("Revenue by market segment")
        st.bar_chart(frame("""select market_segment, sum(net_revenue)::double as net_revenue
                              from gold.mart_sales_daily group by 1 order by 1"""),
                     x="market_segment", y="net_revenue")
        st.subheader("Top customers")
        st.dataframe(frame("""select customer_id, customer_name, market_segment, nation_name,
                                     orders, net_revenue::double as net_revenue
                              from gold.mart_customer_lifetime
                              order by net_revenue desc limit 10"""),
                     hide_index=True, column_config={"net_revenue": MONEY})

    st.subheader("Web funnel")
    funnel = frame("""select sum(sessions) as sessions,
                             sum(sessions_with_product_view) as product_view,
                             sum(sessions_with_cart) as cart,
                             sum(sessions_with_checkout) as checkout,
                             sum(sessions_with_purchase) as purchase
                      from gold.mart_web_funnel_daily""")
    st.bar_chart(funnel.melt(var_name="step", value_name="session_count"), x="step",
                 y="session_count", sort=False)
    st.dataframe(frame("""select strftime(session_date, '%Y-%m-%d') as session_date,
                                 * exclude (session_date)
                          from gold.mart_web_funnel_daily order by 1"""), hide_index=True)

    st.subheader("Data quality (latest run of each model)")
    quality = frame("""select run_id as run, model_name, expectation_name, action, rows_checked,
                              failed_rows, quarantined_rows, checked_at
                       from ops.dq_latest order by failed_rows desc, model_name""")
    if len(quality):
        st.caption("For each model, the latest run that checked rows (`run` is the run id "
                   "of the run history below).")
    st.dataframe(quality, hide_index=True)

    st.subheader("Run history")
    st.dataframe(frame("""select run_id, started_at, ended_at, status, files_ingested,
                                 models_ok, models_failed, published
                          from ops.run_history order by started_at desc limit 20"""),
                 hide_index=True)
finally:
    con.close()
