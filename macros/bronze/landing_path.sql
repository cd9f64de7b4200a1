{#
    The landing zone's root, from `LAKEHOUSE_LANDING` (default `data/landing`, relative to the
    project directory). One place, so bronze models, hooks and docs agree.
#}
{% macro landing_path() %}
    {{ return(env_var('LAKEHOUSE_LANDING', 'data/landing').rstrip('/')) }}
{% endmacro %}
