-- Baseline, gold: the same star schema, marts and reports as models/gold, from silver. The two
-- facts are incremental (the lines, and the orders, whose line or order the batch touched are
-- replaced); every other table is rebuilt, as the dbt models are.

create schema if not exists gold;

create or replace table gold.dim_geography as
select
    nations.nation_id,
    nations.nation_name,
    regions.region_id,
    regions.region_name
from read_csv(getvariable('seeds') || '/nations.csv', header = true,
              columns = {'nation_id': 'integer', 'nation_name': 'varchar', 'region_id': 'integer',
                         'nation_comment': 'varchar'}) as nations
inner join read_csv(getvariable('seeds') || '/regions.csv', header = true,
                    columns = {'region_id': 'integer', 'region_name': 'varchar',
                               'region_comment': 'varchar'}) as regions
    on nations.region_id = regions.region_id;

-- SCD2 dimensions: one row per version (a deleted key has no version while deleted); the
-- first version of a key is effective from 1900-01-01 so that older facts join it
create or replace table gold.dim_customer as
select
    md5('customer|' || v.customer_id || '|' || cast(v.valid_from as varchar)) as customer_key,
    v.customer_id,
    v.customer_name,
    v.address,
    v.phone,
    v.comment,
    v.account_balance,
    v.market_segment,
    v.nation_id,
    g.nation_name,
    g.region_name,
    v.valid_from,
    v.valid_to,
    case
        when row_number() over (partition by v.customer_id order by v.valid_from) = 1
            then timestamp '1900-01-01'
        else v.valid_from
    end as effective_from,
    v.valid_to is null as is_current
from silver.customers_history as v
left join gold.dim_geography as g on v.nation_id = g.nation_id
where not v.is_deleted;

create or replace table gold.dim_part as
select
    md5('part|' || part_id || '|' || cast(valid_from as varchar)) as part_key,
    part_id,
    part_name,
    manufacturer,
    brand,
    part_type,
    size,
    container,
    retail_price,
    valid_from,
    valid_to,
    case
        when row_number() over (partition by part_id order by valid_from) = 1
            then timestamp '1900-01-01'
        else valid_from
    end as effective_from,
    valid_to is null as is_current
from silver.parts_history
where not is_deleted;

create or replace table gold.dim_supplier as
select
    md5('supplier|' || v.supplier_id || '|' || cast(v.valid_from as varchar)) as supplier_key,
    v.supplier_id,
    v.supplier_name,
    v.address,
    v.phone,
    v.comment,
    v.account_balance,
    v.nation_id,
    g.nation_name,
    g.region_name,
    v.valid_from,
    v.valid_to,
    case
        when row_number() over (partition by v.supplier_id order by v.valid_from) = 1
            then timestamp '1900-01-01'
        else v.valid_from
    end as effective_from,
    v.valid_to is null as is_current
from silver.suppliers_history as v
left join gold.dim_geography as g on v.nation_id = g.nation_id
where not v.is_deleted;

-- the order-line fact: dimension versions valid at the order date (point in time)
create table if not exists gold.fct_order_line (
    order_id bigint, line_number bigint, customer_key varchar, part_key varchar,
    supplier_key varchar, customer_id bigint, part_id bigint, supplier_id bigint,
    order_date date, ship_date date, commit_date date, receipt_date date,
    order_status varchar, order_priority varchar, ship_priority integer, clerk varchar,
    return_flag varchar, line_status varchar, ship_mode varchar, ship_instructions varchar,
    is_returned boolean, is_shipped boolean, is_late_delivery boolean,
    quantity decimal(15, 2), extended_price decimal(15, 2), discount decimal(15, 2),
    tax decimal(15, 2), net_revenue decimal(18, 4), gross_charge decimal(18, 6)
);

delete from gold.fct_order_line as f
using touched_lines as t
where f.order_id = t.order_id and f.line_number = t.line_number;

delete from gold.fct_order_line as f
using touched_orders as t
where f.order_id = t.order_id;

insert into gold.fct_order_line by name
with
touched as (
    -- lines the batch wrote, and every line of an order the batch touched
    select * from silver.order_lines
    where
        _batch = getvariable('batch')
        or order_id in (select t.order_id from touched_orders as t)
)

select
    touched.order_id,
    touched.line_number,
    customers.customer_key,
    parts.part_key,
    suppliers.supplier_key,
    orders.customer_id,
    touched.part_id,
    touched.supplier_id,
    orders.order_date,
    touched.ship_date,
    touched.commit_date,
    touched.receipt_date,
    orders.order_status,
    orders.order_priority,
    orders.ship_priority,
    orders.clerk,
    touched.return_flag,
    touched.line_status,
    touched.ship_mode,
    touched.ship_instructions,
    touched.return_flag = 'R' as is_returned,
    touched.line_status = 'F' as is_shipped,
    touched.receipt_date > touched.commit_date as is_late_delivery,
    touched.quantity,
    touched.extended_price,
    touched.discount,
    touched.tax,
    cast(touched.extended_price * (1 - touched.discount) as decimal(18, 4)) as net_revenue,
    cast(touched.extended_price * (1 - touched.discount) * (1 + touched.tax) as decimal(18, 6))
        as gross_charge
from touched
left join silver.orders as orders on touched.order_id = orders.order_id
left join gold.dim_customer as customers
    on
        customers.customer_id = orders.customer_id
        and cast(orders.order_date as timestamp) >= customers.effective_from
        and cast(orders.order_date as timestamp) < coalesce(customers.valid_to, timestamp '9999-12-31')
left join gold.dim_part as parts
    on
        parts.part_id = touched.part_id
        and cast(orders.order_date as timestamp) >= parts.effective_from
        and cast(orders.order_date as timestamp) < coalesce(parts.valid_to, timestamp '9999-12-31')
left join gold.dim_supplier as suppliers
    on
        suppliers.supplier_id = touched.supplier_id
        and cast(orders.order_date as timestamp) >= suppliers.effective_from
        and cast(orders.order_date as timestamp) < coalesce(suppliers.valid_to, timestamp '9999-12-31');

-- the order fact: the orders the batch touched (their order or any of their lines) replaced
create table if not exists gold.fct_orders (
    order_id bigint, customer_key varchar, customer_id bigint, order_date date,
    order_status varchar, order_priority varchar, ship_priority integer, clerk varchar,
    total_price decimal(15, 2), line_count bigint, shipped_line_count bigint,
    returned_line_count bigint, quantity decimal(38, 2), extended_price decimal(38, 2),
    net_revenue decimal(38, 4), gross_charge decimal(38, 6)
);

create or replace temp table touched_order_facts as
select order_id from touched_orders
union
select order_id from touched_lines;

delete from gold.fct_orders as f
using touched_order_facts as t
where f.order_id = t.order_id;

insert into gold.fct_orders by name
with
touched as (
    select * from silver.orders
    where
        getvariable('batch') = 1
        or order_id in (select t.order_id from touched_order_facts as t)
),

line_totals as (
    select
        order_id,
        count(*) as line_count,
        sum(quantity) as quantity,
        sum(extended_price) as extended_price,
        sum(net_revenue) as net_revenue,
        sum(gross_charge) as gross_charge,
        count(*) filter (where is_shipped) as shipped_line_count,
        count(*) filter (where is_returned) as returned_line_count
    from gold.fct_order_line
    where
        getvariable('batch') = 1
        or order_id in (select t.order_id from touched_order_facts as t)
    group by order_id
)

select
    touched.order_id,
    customers.customer_key,
    touched.customer_id,
    touched.order_date,
    touched.order_status,
    touched.order_priority,
    touched.ship_priority,
    touched.clerk,
    touched.total_price,
    coalesce(line_totals.line_count, 0) as line_count,
    coalesce(line_totals.shipped_line_count, 0) as shipped_line_count,
    coalesce(line_totals.returned_line_count, 0) as returned_line_count,
    coalesce(line_totals.quantity, 0) as quantity,
    coalesce(line_totals.extended_price, 0) as extended_price,
    coalesce(line_totals.net_revenue, 0) as net_revenue,
    coalesce(line_totals.gross_charge, 0) as gross_charge
from touched
left join line_totals on touched.order_id = line_totals.order_id
left join gold.dim_customer as customers
    on
        customers.customer_id = touched.customer_id
        and cast(touched.order_date as timestamp) >= customers.effective_from
        and cast(touched.order_date as timestamp) < coalesce(customers.valid_to, timestamp '9999-12-31');

create or replace table gold.dim_date as
with
every_date as (
    select order_date as date_day from silver.orders
    union all
    select ship_date from silver.order_lines
    union all
    select commit_date from silver.order_lines
    union all
    select receipt_date from silver.order_lines
    union all
    select cast(event_at as date) from silver.web_events
),

days as (
    select cast(unnest(generate_series(
        cast(min(date_day) as timestamp), cast(max(date_day) as timestamp), interval 1 day
    )) as date) as date_day
    from every_date
)

select
    date_day,
    cast(extract(year from date_day) as integer) as year_number,
    cast(extract(quarter from date_day) as integer) as quarter_number,
    cast(extract(month from date_day) as integer) as month_number,
    monthname(date_day) as month_name,
    cast(extract(week from date_day) as integer) as iso_week_number,
    cast(extract(isodow from date_day) as integer) as day_of_week_number,
    dayname(date_day) as day_name,
    extract(isodow from date_day) in (6, 7) as is_weekend,
    cast(date_trunc('month', date_day) as date) as month_start_date,
    cast(date_trunc('quarter', date_day) as date) as quarter_start_date
from days;

-- ---------------------------------------------------------------------------- marts
create or replace table gold.mart_sales_daily as
select
    f.order_date,
    c.nation_name,
    c.region_name,
    c.market_segment,
    count(distinct f.order_id) as orders,
    count(*) as order_lines,
    sum(f.quantity) as units,
    sum(f.extended_price) as extended_price,
    sum(f.net_revenue) as net_revenue,
    sum(f.gross_charge) as gross_charge
from gold.fct_order_line as f
left join gold.dim_customer as c on f.customer_key = c.customer_key
group by f.order_date, c.nation_name, c.region_name, c.market_segment;

create or replace table gold.mart_customer_lifetime as
with lifetime as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as orders,
        sum(net_revenue) as net_revenue,
        sum(total_price) as total_price
    from gold.fct_orders
    group by customer_id
)

select
    c.customer_id,
    c.customer_key,
    c.customer_name,
    c.market_segment,
    c.nation_name,
    c.region_name,
    lifetime.first_order_date,
    lifetime.last_order_date,
    coalesce(lifetime.orders, 0) as orders,
    coalesce(lifetime.net_revenue, 0) as net_revenue,
    coalesce(lifetime.total_price, 0) as total_price
from gold.dim_customer as c
left join lifetime on c.customer_id = lifetime.customer_id
where c.is_current;

-- sessions by the interval they started in, with the steps they reached
-- (models/gold/mart_web_funnel_*)
create or replace temp macro web_session_funnel(width) as table
with funnel as (
    select
        time_bucket(width, started_at) as grain_start,
        count(*) as sessions,
        count(*) filter (where product_views > 0) as sessions_with_product_view,
        count(*) filter (where add_to_carts > 0) as sessions_with_cart,
        count(*) filter (where checkouts > 0) as sessions_with_checkout,
        count(*) filter (where purchases > 0) as sessions_with_purchase,
        cast(sum(product_views) as bigint) as product_views,
        cast(sum(add_to_carts) as bigint) as add_to_carts,
        cast(sum(checkouts) as bigint) as checkouts,
        cast(sum(purchases) as bigint) as purchases
    from silver.web_sessions
    group by 1
)

select
    *,
    sessions_with_cart / nullif(sessions_with_product_view, 0) as view_to_cart_rate,
    sessions_with_checkout / nullif(sessions_with_cart, 0) as cart_to_checkout_rate,
    sessions_with_purchase / nullif(sessions_with_checkout, 0) as checkout_to_purchase_rate,
    sessions_with_purchase / nullif(sessions, 0) as conversion_rate
from funnel;

create or replace table gold.mart_web_funnel_daily as
select cast(grain_start as date) as session_date, * exclude (grain_start)
from web_session_funnel(interval 1 day);

create or replace table gold.mart_web_funnel_5m as
select grain_start as window_start, * exclude (grain_start)
from web_session_funnel(interval 5 minute);

-- the clickstream in tumbling event-time windows per product (models/gold/mart_web_activity_*)
create or replace temp macro web_activity_windows(minutes) as table
select
    time_bucket(to_minutes(minutes), e.event_at) as window_start,
    time_bucket(to_minutes(minutes), e.event_at) + to_minutes(minutes) as window_end,
    e.part_id,
    count(*) as events,
    count(*) filter (where e.event_type = 'page_view') as page_views,
    count(*) filter (where e.event_type = 'search') as searches,
    count(*) filter (where e.event_type = 'add_to_cart') as add_to_carts,
    count(*) filter (where e.event_type = 'checkout') as checkouts,
    count(*) filter (where e.event_type = 'purchase') as purchases,
    cast(coalesce(sum(p.retail_price) filter (where e.event_type = 'purchase'), 0)
        as decimal(15, 2)) as revenue,
    count(distinct e.session_id) as sessions
from silver.web_events as e
left join silver.parts_history as p
    on p.part_id = e.part_id and e.event_at >= p.valid_from
    and e.event_at < coalesce(p.valid_to, timestamp '9999-12-31')
group by all;

create or replace table gold.mart_web_activity_1m as select * from web_activity_windows(1);

create or replace table gold.mart_web_activity_5m as select * from web_activity_windows(5);

-- the clickstream's event rules: carts with no checkout within 30 minutes (once event time
-- has passed them), and minutes outside the trailing 60 active minutes' mean +- 3 sd (at
-- least 10 events away)
create or replace table gold.fct_cart_abandonments as
select
    c.event_id as cart_event_id, c.session_id, c.customer_id, c.part_id,
    c.event_at as added_at, c.event_at + interval 30 minute as abandoned_at
from silver.web_events as c
where
    c.event_type = 'add_to_cart'
    and c.event_at + interval 30 minute <= (select max(event_at) from silver.web_events)
    and not exists (
        select 1 from silver.web_events as k
        where k.event_type = 'checkout' and k.session_id = c.session_id
            and k.event_at >= c.event_at and k.event_at < c.event_at + interval 30 minute
    );

create or replace table gold.fct_web_activity_anomalies as
with per_minute as (
    select window_start, sum(events)::bigint as events
    from gold.mart_web_activity_1m group by window_start
),
with_trailing as (
    select
        window_start, events,
        avg(events) over w as trailing_mean,
        stddev_samp(events) over w as trailing_stddev,
        count(*) over w as trailing_count
    from per_minute
    window w as (order by window_start rows between 60 preceding and 1 preceding)
),
banded as (
    select *, greatest(3 * trailing_stddev, 10) as half_band
    from with_trailing where trailing_count >= 30
)
select
    window_start, events, trailing_mean, trailing_stddev,
    trailing_mean - half_band as lower_bound, trailing_mean + half_band as upper_bound,
    case when events > trailing_mean then 'spike' else 'drop' end as direction
from banded
where abs(events - trailing_mean) > half_band;

-- ---------------------------------------------------------------------------- TPC-H reports
create or replace table gold.rpt_tpch_q01 as
select
    return_flag,
    line_status,
    sum(quantity) as sum_qty,
    sum(extended_price) as sum_base_price,
    sum(extended_price * (1 - discount)) as sum_disc_price,
    sum(extended_price * (1 - discount) * (1 + tax)) as sum_charge,
    avg(quantity) as avg_qty,
    avg(extended_price) as avg_price,
    avg(discount) as avg_disc,
    count(*) as count_order
from gold.fct_order_line
where ship_date <= date '1998-09-02'
group by return_flag, line_status
order by return_flag, line_status;

create or replace table gold.rpt_tpch_q03 as
select
    f.order_id,
    sum(f.extended_price * (1 - f.discount)) as revenue,
    f.order_date,
    f.ship_priority
from gold.fct_order_line as f
inner join gold.dim_customer as c on f.customer_key = c.customer_key
where
    c.market_segment = 'BUILDING'
    and f.order_date < date '1995-03-15'
    and f.ship_date > date '1995-03-15'
group by f.order_id, f.order_date, f.ship_priority
order by revenue desc, f.order_date asc
limit 10;

create or replace table gold.rpt_tpch_q04 as
select
    o.order_priority,
    count(*) as order_count
from gold.fct_orders as o
inner join (
    select distinct order_id from gold.fct_order_line where commit_date < receipt_date
) as late_orders on o.order_id = late_orders.order_id
where o.order_date >= date '1993-07-01' and o.order_date < date '1993-10-01'
group by o.order_priority
order by o.order_priority;

create or replace table gold.rpt_tpch_q05 as
select
    c.nation_name,
    sum(f.extended_price * (1 - f.discount)) as revenue
from gold.fct_order_line as f
inner join gold.dim_customer as c on f.customer_key = c.customer_key
inner join gold.dim_supplier as s on f.supplier_key = s.supplier_key
where
    c.nation_id = s.nation_id
    and c.region_name = 'ASIA'
    and f.order_date >= date '1994-01-01'
    and f.order_date < date '1995-01-01'
group by c.nation_name
order by revenue desc;

create or replace table gold.rpt_tpch_q06 as
select sum(extended_price * discount) as revenue
from gold.fct_order_line
where
    ship_date >= date '1994-01-01'
    and ship_date < date '1995-01-01'
    and discount between 0.05 and 0.07
    and quantity < 24;

create or replace table gold.rpt_tpch_q10 as
select
    c.customer_id,
    c.customer_name,
    sum(f.extended_price * (1 - f.discount)) as revenue,
    c.account_balance,
    c.nation_name,
    c.address,
    c.phone,
    c.comment
from gold.fct_order_line as f
inner join gold.dim_customer as c on f.customer_key = c.customer_key
where
    f.order_date >= date '1993-10-01'
    and f.order_date < date '1994-01-01'
    and f.return_flag = 'R'
group by all
order by revenue desc
limit 20;

create or replace table gold.rpt_tpch_q12 as
select
    ship_mode,
    count(*) filter (where order_priority in ('1-URGENT', '2-HIGH')) as high_line_count,
    count(*) filter (where order_priority not in ('1-URGENT', '2-HIGH')) as low_line_count
from gold.fct_order_line
where
    ship_mode in ('MAIL', 'SHIP')
    and commit_date < receipt_date
    and ship_date < commit_date
    and receipt_date >= date '1994-01-01'
    and receipt_date < date '1995-01-01'
group by ship_mode
order by ship_mode;

create or replace table gold.rpt_tpch_q14 as
select
    100.00 * sum(
        case when p.part_type like 'PROMO%' then f.extended_price * (1 - f.discount) else 0 end
    ) / sum(f.extended_price * (1 - f.discount)) as promo_revenue
from gold.fct_order_line as f
inner join gold.dim_part as p on f.part_key = p.part_key
where f.ship_date >= date '1995-09-01' and f.ship_date < date '1995-10-01';

create or replace table gold.rpt_tpch_q18 as
select
    c.customer_name,
    c.customer_id,
    o.order_id,
    o.order_date,
    o.total_price,
    o.quantity as sum_qty
from gold.fct_orders as o
inner join gold.dim_customer as c on o.customer_key = c.customer_key
where o.quantity > 300
order by o.total_price desc, o.order_date asc
limit 100;
