{{ web_activity_windows(minutes=1) }}
