{{ web_activity_windows(minutes=5) }}
