"""The dashboard's Operations page (Streamlit's `pages/`): what the runs cost and how the
platform is doing, from the published serving copy only (read-only, as the executive page):
runs over time by layer, the most expensive models and their trend, what each run cost, the
storage of each layer and the tables that grew most, SLA status per gold table and exposure,
open incidents and recent alerts."""

from __future__ import annotations

import streamlit as st

from lakehouse.build.landing import has_table
from lakehouse.build.publish import connect_serving
from lakehouse.config import Settings

serving_db = Settings.from_env().serving / "lakehouse.duckdb"  # type: ignore[operator]
# the run history's per-node figures, one row per node of each run
NODES = """
    select runs.run_id, runs.started_at, m.node, m.seconds, m.layer,
           split_part(m.node, '.', 3) as model
    from ops.run_history as runs,
         unnest(from_json(runs.models, '[{"node": "VARCHAR", "status": "VARCHAR",
                "seconds": "DOUBLE", "layer": "VARCHAR"}]')) as t(m)
"""

st.set_page_config(page_title="Lakehouse: operations", layout="wide")
st.title("Operations")
if not serving_db.exists():
    st.warning(f"Nothing published yet at {serving_db}: run `lakehouse run` first.")
    st.stop()

con = connect_serving(serving_db)


def frame(sql: str):
    return con.execute(sql).df()


def has(table: str) -> bool:
    return has_table(con, "ops", table)


try:
    nodes = NODES
    st.subheader("Runs over time by layer")
    st.caption("Seconds of dbt node time per layer, per run (runs that built something).")
    by_layer = frame(f"""select started_at, layer, sum(seconds) as seconds from ({nodes})
                         where layer is not null and node like 'model.%'
                         group by all order by 1""")
    st.bar_chart(by_layer, x="started_at", y="seconds", color="layer")

    st.subheader("The ten most expensive models")
    st.dataframe(frame(f"""with per_model as (select model, started_at, seconds from ({nodes})
                                                  where node like 'model.%')
                           select model, round(sum(seconds), 1) as total_seconds,
                                  round(avg(seconds), 2) as mean_seconds,
                                  round(arg_max(seconds, started_at), 2) as latest_seconds,
                                  count(*) as runs
                           from per_model group by model order by total_seconds desc limit 10"""),
                 hide_index=True)
    top = frame(f"""with per_model as (select model, started_at, seconds from ({nodes})
                                           where node like 'model.%'),
                         top as (select model from per_model group by model
                                 order by sum(seconds) desc limit 10)
                    select started_at, model, seconds from per_model semi join top using (model)
                    order by 1""")
    st.line_chart(top, x="started_at", y="seconds", color="model")

    st.subheader("What each run cost")
    st.dataframe(frame("""select run_id, started_at, status, cpu_seconds, dbt_seconds,
                                 round(peak_rss_bytes / 2^20) as peak_mib, files_ingested
                          from ops.run_history where cpu_seconds is not null
                          order by started_at desc limit 20"""), hide_index=True)

    st.subheader("Storage and its growth")
    if has("table_storage"):
        st.caption("Bytes on disk per layer after each run, and the tables that grew most in "
                   "the latest run (against the run before).")
        st.area_chart(frame("""select recorded_at, table_schema as layer,
                                      sum(bytes) / 2^20 as mib
                               from ops.table_storage group by all order by 1"""),
                      x="recorded_at", y="mib", color="layer")
        st.dataframe(frame("""with sized as (
                                  select *,
                                         bytes - lag(bytes) over per_table as growth,
                                         row_count - lag(row_count) over per_table as rows_added
                                  from ops.table_storage
                                  window per_table as (partition by table_schema, table_name
                                                       order by recorded_at))
                              select table_schema || '.' || table_name as "table",
                                     round(bytes / 2^20, 2) as mib,
                                     round(growth / 2^20, 2) as growth_mib,
                                     row_count, rows_added
                              from sized
                              where run_id = (select arg_max(run_id, recorded_at)
                                              from ops.table_storage)
                              order by growth desc nulls last, bytes desc limit 10"""),
                     hide_index=True)
    else:
        st.info("No run has recorded its tables' storage yet.")

    left, right = st.columns(2)
    with left:
        st.subheader("SLA status")
        if has("alert_history"):
            st.dataframe(frame("""select alert, state, evaluated_at, detail
                                  from ops.alert_history
                                  where alert in (select alert from ops.alert_history
                                                  where detail like 'name=%age_seconds%'
                                                     or alert like '%sla%'
                                                     or alert like '%stale%'
                                                     or alert like '%publish%')
                                  qualify row_number() over (partition by alert
                                                             order by evaluated_at desc) = 1
                                  order by alert"""), hide_index=True)
        else:
            st.info("No alert evaluated yet.")
        st.subheader("Open incidents")
        if has("incidents"):
            st.dataframe(frame("""select incident_id, alert, severity, owner, opened_at,
                                         acknowledged_by, detail
                                  from ops.incidents where resolved_at is null
                                  order by incident_id desc"""), hide_index=True)
        else:
            st.info("No incident.")
    with right:
        st.subheader("Recent alerts")
        if has("alert_history"):
            st.dataframe(frame("""select evaluated_at, alert, severity, transition, detail
                                  from ops.alert_history where transition is not null
                                  order by evaluated_at desc limit 20"""), hide_index=True)
        else:
            st.info("No alert evaluated yet.")
finally:
    con.close()
