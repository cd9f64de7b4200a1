"""What runs as a server: the executive dashboard (Streamlit), the workflows (Dagster), and the
process groups both run in."""
