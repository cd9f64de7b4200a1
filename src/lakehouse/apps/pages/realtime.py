"""The dashboard's Real-time page (Streamlit's `pages/`), redrawn every few seconds: the last
minutes of the clickstream's windows, the stream's events per second, consumer lag per
partition and end-to-end latency, and the latest anomalies and abandoned carts. The windows come
from the published serving copy (read-only, as the other pages: `lakehouse stream --publish`
publishes after every trigger), the stream's progress from the `stream.json` it writes beside
that copy after every trigger."""

from __future__ import annotations

import json

import streamlit as st

from lakehouse.build.landing import has_table
from lakehouse.build.publish import connect_serving
from lakehouse.config import Settings

settings = Settings.from_env()
serving_db = settings.serving_dir / "lakehouse.duckdb"
status_file = settings.serving_dir / "stream.json"
REFRESH_SECONDS = 5
MINUTES_SHOWN = 30

st.set_page_config(page_title="Lakehouse: real-time", layout="wide")
st.title("Real-time")


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def stream_status() -> None:
    if not status_file.exists():
        st.info(f"No stream has reported yet ({status_file}): run `lakehouse stream --publish`.")
        return
    status = json.loads(status_file.read_text())
    last = status.get("last_trigger") or {}
    latency = last.get("latency_seconds") or {}
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Events per second (last trigger)", f"{last.get('messages_per_second', 0):,.1f}")
    c2.metric("Messages consumed", f"{status['messages_total']:,}")
    c3.metric("Latency p50 (produced to built)", seconds(latency.get("p50")))
    c4.metric("Latency p95", seconds(latency.get("p95")))
    st.caption(f"Stream updated {status['updated_at']} UTC, trigger {status['triggers']}, "
               f"every {status['trigger_interval_seconds']:g} s; consumer group "
               f"`{status['group']}`; {status['builds']} build(s), "
               f"{status['failed_builds']} failed.")
    st.subheader("Consumer lag per partition")
    st.dataframe(status["partitions"], hide_index=True)


def windows() -> None:
    if not serving_db.exists():
        st.warning(f"Nothing published yet at {serving_db}: run `lakehouse stream --publish`.")
        return
    con = connect_serving(serving_db)
    try:
        if not has_table(con, "gold", "mart_web_activity_1m"):
            st.warning("The published copy has no clickstream windows yet.")
            return
        latest, published = con.execute(
            "select max(window_start), (select max(published_at) from ops.published) "
            "from gold.mart_web_activity_1m").fetchone()
        if latest is None:
            st.info("No clickstream event yet.")
            return
        st.caption(f"Event time up to {latest:%Y-%m-%d %H:%M} UTC; published "
                   f"{published:%Y-%m-%d %H:%M:%S} UTC.")
        st.subheader(f"The last {MINUTES_SHOWN} minutes of event time, per minute")
        recent = con.execute(f"""
            select window_start, sum(page_views) as page_views, sum(searches) as searches,
                   sum(add_to_carts) as add_to_carts, sum(checkouts) as checkouts,
                   sum(purchases) as purchases, sum(revenue)::double as revenue
            from gold.mart_web_activity_1m
            where window_start > ?::timestamp - interval {MINUTES_SHOWN} minute
            group by window_start order by window_start""", [latest]).df()
        st.bar_chart(recent.drop(columns=["revenue"]).melt(
            id_vars="window_start", var_name="event_type", value_name="events"),
            x="window_start", y="events", color="event_type")
        st.dataframe(recent.sort_values("window_start", ascending=False), hide_index=True)
        if has_table(con, "gold", "mart_web_funnel_5m"):
            st.subheader("Live session funnel, per 5-minute window of the sessions' start")
            st.dataframe(con.execute(f"""
                select window_start, sessions, sessions_with_product_view,
                       sessions_with_cart, sessions_with_checkout, sessions_with_purchase,
                       round(conversion_rate, 3) as conversion_rate
                from gold.mart_web_funnel_5m
                where window_start > ?::timestamp - interval {MINUTES_SHOWN} minute
                order by window_start desc""", [latest]).df(), hide_index=True)
        left, right = st.columns(2)
        with left:
            st.subheader("Latest anomalies")
            st.dataframe(con.execute("""
                select window_start, events, round(trailing_mean, 1) as trailing_mean,
                       round(upper_bound, 1) as upper_bound, direction
                from gold.fct_web_activity_anomalies
                order by window_start desc limit 10""").df(), hide_index=True)
        with right:
            st.subheader("Latest abandoned carts")
            st.dataframe(con.execute("""
                select abandoned_at, session_id, customer_id, part_id
                from gold.fct_cart_abandonments
                order by abandoned_at desc limit 10""").df(), hide_index=True)
    finally:
        con.close()


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    stream_status()
    windows()


live()
