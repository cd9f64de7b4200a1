"""The dashboard's Model monitoring page (Streamlit's `pages/`): how the late-delivery model's
versions do on the lines they predicted as the labels arrive, their calibration by decile, the
drift of their inputs and predictions against their training rows, the traffic of the serving
endpoint, and the ML alerts. From the published serving copy only (read-only, as the other
pages); the tables are `gold.ml_*` (docs/ml.md, "Monitoring")."""

from __future__ import annotations

import streamlit as st

from lakehouse.build.landing import has_table
from lakehouse.build.publish import connect_serving
from lakehouse.config import Settings

serving_db = Settings.from_env().serving / "lakehouse.duckdb"  # type: ignore[operator]

st.set_page_config(page_title="Lakehouse: model monitoring", layout="wide")
st.title("Model monitoring")
if not serving_db.exists():
    st.warning(f"Nothing published yet at {serving_db}: run `lakehouse run` first.")
    st.stop()

con = connect_serving(serving_db)


def frame(sql: str):
    return con.execute(sql).df()


try:
    if not has_table(con, "gold", "ml_model_performance"):
        st.info("No model monitored yet: `lakehouse train` registers a champion, and the next "
                "`lakehouse run` scores with it and starts monitoring it.")
        st.stop()
    champion = con.execute("select model_name, model_version, val_auc, val_log_loss "
                           "from gold.ml_model_versions where is_champion").fetchone()
    overall = frame("""
        select performance.model_version, performance.variant, performance.predictions,
               performance.labelled, round(performance.base_rate, 3) as late_rate,
               round(performance.mean_prediction, 3) as mean_prediction,
               round(performance.log_loss, 4) as log_loss,
               round(versions.val_log_loss, 4) as val_log_loss,
               round(performance.auc, 4) as auc, round(versions.val_auc, 4) as val_auc,
               round(performance.brier_score, 4) as brier_score, versions.is_champion
        from gold.ml_model_performance as performance
        left join gold.ml_model_versions as versions using (model_name, model_version)
        where performance.is_overall
        order by performance.model_version desc, performance.variant""")
    if champion:
        row = overall[(overall["model_version"] == champion[1])
                      & (overall["variant"] == "champion")]
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Champion", f"{champion[0]} v{champion[1]}")
        labelled = int(row["labelled"].iloc[0]) if len(row) else 0
        c2.metric("Labelled lines", f"{labelled:,}")
        if labelled and row["auc"].notna().iloc[0]:
            c3.metric("AUC (delta: against validation)", f"{row['auc'].iloc[0]:.3f}",
                      f"{row['auc'].iloc[0] - champion[2]:+.3f}")
            c4.metric("Log loss (delta: against validation)", f"{row['log_loss'].iloc[0]:.4f}",
                      f"{row['log_loss'].iloc[0] - champion[3]:+.4f}", delta_color="inverse")
        else:
            c3.metric("AUC", "no labels yet")
            c4.metric("Log loss", "no labels yet")

    st.subheader("Performance on the labelled lines, per version")
    st.dataframe(overall, hide_index=True)

    st.subheader("Performance by prediction date (the champion)")
    st.caption("Per order date of the lines it predicted: the share late among those labelled, "
               "its mean prediction for them, and its log loss.")
    daily = frame("""
        select prediction_date, labelled, base_rate as late_rate, mean_prediction, log_loss
        from gold.ml_model_performance
        where not is_overall and labelled > 0 and variant = 'champion'
          and model_version = (select model_version from gold.ml_model_versions
                               where is_champion)
        order by prediction_date""")
    st.line_chart(daily, x="prediction_date", y=["late_rate", "mean_prediction", "log_loss"])

    left, right = st.columns(2)
    with left:
        st.subheader("Calibration by decile")
        calibration = frame("""
            select decile, labelled, mean_prediction, observed_late_rate
            from gold.ml_model_calibration
            where variant = 'champion' and model_version = (
                select model_version from gold.ml_model_versions where is_champion)
            order by decile""")
        st.line_chart(calibration, x="decile", y=["mean_prediction", "observed_late_rate"])
    with right:
        st.subheader("Drift against the training rows (PSI)")
        st.caption("Below 0.1: no shift; above 0.25: a major one.")
        st.dataframe(frame("""
            select model_version, variant, feature, predictions, round(psi, 3) as psi
            from gold.ml_feature_drift
            where is_overall
            order by model_version desc, psi desc"""), hide_index=True)

    st.subheader("Slices (the champion, labels of the last four weeks)")
    st.caption("Per value of each categorical feature: the share late against the mean "
               "prediction. A gap beyond 4 standard errors (z) on 100+ lines pages "
               "(model_slice_miscalibrated): the model is wrong about that slice.")
    st.dataframe(frame("""
        select slice_feature, slice_value, labelled, round(observed_late_rate, 3) as late_rate,
               round(mean_prediction, 3) as mean_prediction,
               round(calibration_error, 3) as calibration_error,
               round(calibration_z, 1) as z, round(log_loss, 4) as log_loss
        from gold.ml_model_slices
        where variant = 'champion' and label_window = 'recent' and model_version = (
            select model_version from gold.ml_model_versions where is_champion)
        order by abs(calibration_z) desc nulls last"""), hide_index=True)

    st.subheader("The serving endpoint's traffic")
    st.dataframe(frame("""
        select cast(requested_at as date) as day, model_version, variant,
               count(distinct request_id) as requests, count(*) as records,
               round(quantile_cont(latency_ms, 0.5), 1) as latency_p50_ms,
               round(quantile_cont(latency_ms, 0.99), 1) as latency_p99_ms
        from gold.ml_inference_log
        where scored_by = 'endpoint'
        group by all order by day desc, model_version desc"""), hide_index=True)

    st.subheader("ML alerts")
    if has_table(con, "ops", "alert_history"):
        st.dataframe(frame("""
            select alert, state, evaluated_at, detail from ops.alert_history
            where alert like 'model%'
            qualify row_number() over (partition by alert order by evaluated_at desc) = 1
            order by alert"""), hide_index=True)
    else:
        st.info("No alert evaluated yet.")
finally:
    con.close()
