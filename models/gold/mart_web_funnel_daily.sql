{{ web_session_funnel('cast(started_at as date)', 'session_date') }}
