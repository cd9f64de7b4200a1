{%- set with_order_date -%}
    -- the order's date, for the ship-date expectation (null while the order is unknown)
    select
        current_versions.*,
        orders.order_date as _order_date
    from current_versions
    left join {{ ref('orders_history') }} as orders
        on
            current_versions.order_id = orders.order_id
            and orders.is_current
            and not orders.is_deleted
{%- endset -%}

{{ silver_checked('order_lines', candidates=with_order_date) }}
