{{ web_session_funnel(window_start('started_at', 5), 'window_start') }}
