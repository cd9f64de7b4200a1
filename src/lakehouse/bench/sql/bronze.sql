-- Baseline, bronze: the landing files not loaded yet, appended to one table per feed.
--
-- The benchmark's lower bound: plain DuckDB SQL, no dbt, no Jinja, run in one process by
-- `lakehouse baseline` (src/lakehouse/bench/baseline.py), which sets two variables first:
-- `landing` (the landing zone root) and `seeds` (the project's seeds folder). Every run is a
-- batch: `bronze.batches` numbers them, every row keeps its `_batch`, and the silver and gold
-- scripts work on the current batch only, so the same three scripts do the full build (batch 1
-- on an empty database) and each day's increment.
-- Left out on purpose, as a lower bound: the ingest ledger's content hashes, the quarantine
-- table, rescued data and schema evolution. Lines that are not change events or clickstream
-- events (tombstones, malformed JSON, missing keys) are skipped, as ours quarantines them.

create schema if not exists bronze;

create table if not exists bronze.batches (
    batch integer primary key,
    started_at timestamp,
    completed_at timestamp
);

-- statements commit one by one: a batch that did not reach its end leaves the layers out of
-- step, and no later batch can make them whole again
select error('baseline batch ' || batch || ' did not complete (failed or killed): rebuild the '
             || 'baseline database from an empty file')
from bronze.batches
where completed_at is null;

create table if not exists bronze.files (
    path varchar primary key,
    feed varchar,
    batch integer
);

set variable batch = (select coalesce(max(batch), 0) + 1 from bronze.batches);

insert into bronze.batches values (getvariable('batch'), now()::timestamp, null);

-- files: every landing file not yet loaded, with its feed (`full/part`, `cdc/orders`, `events`)
insert into bronze.files
select
    listed.file as path,
    regexp_extract(
        listed.file[length(getvariable('landing')) + 2:], '^(full/[a-z]+|cdc/[a-z]+|events)/', 1
    )
        as feed,
    getvariable('batch') as batch
from glob(getvariable('landing') || '/**/*') as listed
where
    regexp_matches(listed.file, '\.(parquet|jsonl)$')
    and not starts_with(parse_filename(listed.file), '.')
    and listed.file not in (select loaded.path from bronze.files as loaded);

create or replace temp macro new_files(wanted_feed) as (
    select coalesce(list(path order by path), []::varchar[])
    from bronze.files
    where feed = wanted_feed and batch = getvariable('batch')
);

create or replace temp macro extract_date(path) as
    try_cast(regexp_extract(path, '/(\d{4}-\d{2}-\d{2})/[^/]*$', 1) as date);

-- JSON values as real feeds encode them (Debezium's defaults and common alternatives)
create or replace temp macro json_date(v) as
    case
        when json_type(v) in ('BIGINT', 'UBIGINT') then date '1970-01-01' + try_cast(json_extract_string(v, '$') as integer)
        else try_cast(json_extract_string(v, '$') as date)
    end;

create or replace temp macro json_timestamp(v) as
    case
        when json_type(v) in ('BIGINT', 'UBIGINT') then make_timestamp(try_cast(json_extract_string(v, '$') as bigint) * 1000)
        else try_cast(try_cast(json_extract_string(v, '$') as timestamptz) as timestamp)
    end;

-- the lines of JSON-lines files (read_text, unlike read_json, accepts an empty list of files)
create or replace temp macro json_lines(files) as table
    select try_cast(line as json) as j
    from (
        select unnest(string_split(content, chr(10))) as line
        from read_text(files)
    ) as split
    where trim(line) <> '';

-- Debezium change events, with or without Kafka Connect's schema/payload wrapper: the
-- envelope `e`, its row image `img` (`after`, or `before` for a delete) and change metadata
create or replace temp macro debezium_events(files) as table
    with
    envelopes as (
        select
            case
                when json_exists(j, '$.payload') and json_exists(j, '$.schema') then json_extract(j, '$.payload')
                else j
            end as e
        from json_lines(files)
        where j is not null
    )

    select
        e,
        case when json_extract_string(e, '$.op') = 'd' then json_extract(e, '$.before') else json_extract(e, '$.after') end as img,
        json_extract_string(e, '$.op') as _op,
        try_cast(json_extract_string(e, '$.source.lsn') as bigint) as _lsn,
        make_timestamp(try_cast(json_extract_string(e, '$.source.ts_ms') as bigint) * 1000) as _changed_at
    from envelopes
    where
        json_type(e) = 'OBJECT'
        and json_extract_string(e, '$.op') in ('c', 'u', 'd', 'r')
        and try_cast(json_extract_string(e, '$.source.lsn') as bigint) is not null
        and try_cast(json_extract_string(e, '$.source.ts_ms') as bigint) is not null
        and json_type(case when json_extract_string(e, '$.op') = 'd' then json_extract(e, '$.before') else json_extract(e, '$.after') end) = 'OBJECT';

-- the new files of each feed, as variables: a table function's arguments cannot be subqueries.
-- read_parquet needs at least one file: with no new file for a Parquet feed, the feed's last
-- loaded file stands in, and the insert's `where len(...) > 0` reads none of it
create or replace temp macro parquet_files(wanted_feed) as (
    select if(len(new_files(wanted_feed)) > 0, new_files(wanted_feed), [max(path)])
    from bronze.files
    where feed = wanted_feed
);

set variable full_customer = parquet_files('full/customer');
set variable full_orders = parquet_files('full/orders');
set variable full_lineitem = parquet_files('full/lineitem');
set variable full_part = parquet_files('full/part');
set variable full_supplier = parquet_files('full/supplier');
set variable full_partsupp = parquet_files('full/partsupp');
set variable cdc_customer = new_files('cdc/customer');
set variable cdc_orders = new_files('cdc/orders');
set variable cdc_lineitem = new_files('cdc/lineitem');
set variable web_events = new_files('events');

-- ---------------------------------------------------------------------------- full extracts
create table if not exists bronze.full_customer (
    c_custkey bigint, c_name varchar, c_address varchar, c_nationkey integer, c_phone varchar,
    c_acctbal decimal(15, 2), c_mktsegment varchar, c_comment varchar,
    _extract_date date, _batch integer
);

create table if not exists bronze.full_orders (
    o_orderkey bigint, o_custkey bigint, o_orderstatus varchar, o_totalprice decimal(15, 2),
    o_orderdate date, o_orderpriority varchar, o_clerk varchar, o_shippriority integer,
    o_comment varchar,
    _extract_date date, _batch integer
);

create table if not exists bronze.full_lineitem (
    l_orderkey bigint, l_partkey bigint, l_suppkey bigint, l_linenumber bigint,
    l_quantity decimal(15, 2), l_extendedprice decimal(15, 2), l_discount decimal(15, 2),
    l_tax decimal(15, 2), l_returnflag varchar, l_linestatus varchar, l_shipdate date,
    l_commitdate date, l_receiptdate date, l_shipinstruct varchar, l_shipmode varchar,
    l_comment varchar,
    _extract_date date, _batch integer
);

create table if not exists bronze.full_part (
    p_partkey bigint, p_name varchar, p_mfgr varchar, p_brand varchar, p_type varchar,
    p_size integer, p_container varchar, p_retailprice decimal(15, 2), p_comment varchar,
    _extract_date date, _batch integer
);

create table if not exists bronze.full_supplier (
    s_suppkey bigint, s_name varchar, s_address varchar, s_nationkey integer, s_phone varchar,
    s_acctbal decimal(15, 2), s_comment varchar,
    _extract_date date, _batch integer
);

create table if not exists bronze.full_partsupp (
    ps_partkey bigint, ps_suppkey bigint, ps_availqty bigint, ps_supplycost decimal(15, 2),
    ps_comment varchar,
    _extract_date date, _batch integer
);

insert into bronze.full_customer by name
select * exclude (filename), extract_date(filename) as _extract_date, getvariable('batch') as _batch
from read_parquet(getvariable('full_customer'), filename = true, union_by_name = true)
where len(new_files('full/customer')) > 0;

insert into bronze.full_orders by name
select * exclude (filename), extract_date(filename) as _extract_date, getvariable('batch') as _batch
from read_parquet(getvariable('full_orders'), filename = true, union_by_name = true)
where len(new_files('full/orders')) > 0;

insert into bronze.full_lineitem by name
select * exclude (filename), extract_date(filename) as _extract_date, getvariable('batch') as _batch
from read_parquet(getvariable('full_lineitem'), filename = true, union_by_name = true)
where len(new_files('full/lineitem')) > 0;

insert into bronze.full_part by name
select * exclude (filename), extract_date(filename) as _extract_date, getvariable('batch') as _batch
from read_parquet(getvariable('full_part'), filename = true, union_by_name = true)
where len(new_files('full/part')) > 0;

insert into bronze.full_supplier by name
select * exclude (filename), extract_date(filename) as _extract_date, getvariable('batch') as _batch
from read_parquet(getvariable('full_supplier'), filename = true, union_by_name = true)
where len(new_files('full/supplier')) > 0;

insert into bronze.full_partsupp by name
select * exclude (filename), extract_date(filename) as _extract_date, getvariable('batch') as _batch
from read_parquet(getvariable('full_partsupp'), filename = true, union_by_name = true)
where len(new_files('full/partsupp')) > 0;

-- ---------------------------------------------------------------------------- change events
create table if not exists bronze.cdc_customer as
select
    * exclude (_extract_date),
    ''::varchar as _op,
    0::bigint as _lsn,
    null::timestamp as _changed_at
from bronze.full_customer
limit 0;

create table if not exists bronze.cdc_orders as
select
    * exclude (_extract_date),
    ''::varchar as _op,
    0::bigint as _lsn,
    null::timestamp as _changed_at
from bronze.full_orders
limit 0;

create table if not exists bronze.cdc_lineitem as
select
    * exclude (_extract_date),
    ''::varchar as _op,
    0::bigint as _lsn,
    null::timestamp as _changed_at
from bronze.full_lineitem
limit 0;

insert into bronze.cdc_customer by name
select
    try_cast(json_extract_string(img, '$.c_custkey') as bigint) as c_custkey,
    json_extract_string(img, '$.c_name') as c_name,
    json_extract_string(img, '$.c_address') as c_address,
    try_cast(json_extract_string(img, '$.c_nationkey') as integer) as c_nationkey,
    json_extract_string(img, '$.c_phone') as c_phone,
    try_cast(json_extract_string(img, '$.c_acctbal') as decimal(15, 2)) as c_acctbal,
    json_extract_string(img, '$.c_mktsegment') as c_mktsegment,
    json_extract_string(img, '$.c_comment') as c_comment,
    _op,
    _lsn,
    _changed_at,
    getvariable('batch') as _batch
from debezium_events(getvariable('cdc_customer'))
where try_cast(json_extract_string(img, '$.c_custkey') as bigint) is not null;

insert into bronze.cdc_orders by name
select
    try_cast(json_extract_string(img, '$.o_orderkey') as bigint) as o_orderkey,
    try_cast(json_extract_string(img, '$.o_custkey') as bigint) as o_custkey,
    json_extract_string(img, '$.o_orderstatus') as o_orderstatus,
    try_cast(json_extract_string(img, '$.o_totalprice') as decimal(15, 2)) as o_totalprice,
    json_date(json_extract(img, '$.o_orderdate')) as o_orderdate,
    json_extract_string(img, '$.o_orderpriority') as o_orderpriority,
    json_extract_string(img, '$.o_clerk') as o_clerk,
    try_cast(json_extract_string(img, '$.o_shippriority') as integer) as o_shippriority,
    json_extract_string(img, '$.o_comment') as o_comment,
    _op,
    _lsn,
    _changed_at,
    getvariable('batch') as _batch
from debezium_events(getvariable('cdc_orders'))
where try_cast(json_extract_string(img, '$.o_orderkey') as bigint) is not null;

insert into bronze.cdc_lineitem by name
select
    try_cast(json_extract_string(img, '$.l_orderkey') as bigint) as l_orderkey,
    try_cast(json_extract_string(img, '$.l_partkey') as bigint) as l_partkey,
    try_cast(json_extract_string(img, '$.l_suppkey') as bigint) as l_suppkey,
    try_cast(json_extract_string(img, '$.l_linenumber') as bigint) as l_linenumber,
    try_cast(json_extract_string(img, '$.l_quantity') as decimal(15, 2)) as l_quantity,
    try_cast(json_extract_string(img, '$.l_extendedprice') as decimal(15, 2)) as l_extendedprice,
    try_cast(json_extract_string(img, '$.l_discount') as decimal(15, 2)) as l_discount,
    try_cast(json_extract_string(img, '$.l_tax') as decimal(15, 2)) as l_tax,
    json_extract_string(img, '$.l_returnflag') as l_returnflag,
    json_extract_string(img, '$.l_linestatus') as l_linestatus,
    json_date(json_extract(img, '$.l_shipdate')) as l_shipdate,
    json_date(json_extract(img, '$.l_commitdate')) as l_commitdate,
    json_date(json_extract(img, '$.l_receiptdate')) as l_receiptdate,
    json_extract_string(img, '$.l_shipinstruct') as l_shipinstruct,
    json_extract_string(img, '$.l_shipmode') as l_shipmode,
    json_extract_string(img, '$.l_comment') as l_comment,
    _op,
    _lsn,
    _changed_at,
    getvariable('batch') as _batch
from debezium_events(getvariable('cdc_lineitem'))
where
    try_cast(json_extract_string(img, '$.l_orderkey') as bigint) is not null
    and try_cast(json_extract_string(img, '$.l_linenumber') as bigint) is not null;

-- ---------------------------------------------------------------------------- clickstream
create table if not exists bronze.web_events (
    event_id varchar, event_type varchar, session_id varchar, customer_key bigint,
    part_key bigint, ts timestamp, _batch integer
);

insert into bronze.web_events by name
select
    json_extract_string(j, '$.event_id') as event_id,
    json_extract_string(j, '$.event_type') as event_type,
    json_extract_string(j, '$.session_id') as session_id,
    try_cast(json_extract_string(j, '$.customer_key') as bigint) as customer_key,
    try_cast(json_extract_string(j, '$.part_key') as bigint) as part_key,
    json_timestamp(json_extract(j, '$.ts')) as ts,
    getvariable('batch') as _batch
from json_lines(getvariable('web_events'))
where
    json_type(j) = 'OBJECT'
    and json_extract_string(j, '$.event_id') is not null
    and json_extract_string(j, '$.event_type') is not null
    and json_extract_string(j, '$.ts') is not null;
