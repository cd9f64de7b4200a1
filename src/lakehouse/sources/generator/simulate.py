"""Source-system state and its daily changes, simulated in DuckDB.

The state starts as DuckDB's TPC-H dbgen output. Each simulated day first changes the catalog
tables (part, supplier, partsupp; delivered as full extracts) and then applies a day of
transactions to customer, orders and lineitem, recording every row change as an event with its
before and after images in `ev_<table>`. Transactions run in two phases (00:00-12:00 and
12:00-24:00); within a phase the batches touch disjoint keys, so applying them batch by batch
gives the same state as replaying the events in commit (LSN) order.

All randomness is `rnd(salt, key)`: a hash of the key, a salt and the seed, so a run is
deterministic for a given seed whatever the number of threads.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import duckdb

import lakehouse.sources.generator.rates as r

SEGMENTS = "['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY']"
PRIORITIES = "['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW']"
INSTRUCTIONS = "['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN']"
SHIP_MODE_NAMES = ("REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB")
SHIP_MODES = str(list(SHIP_MODE_NAMES))


@dataclass(frozen=True)
class Drift:
    """A reproducible change in the world the late-delivery model learned: from `from_day` on,
    deliveries in `ship_mode` take `delay_days` longer (the lines not received by that day, in
    transit or not shipped yet, moved on that day; after it, the open lines that ship and the
    lines of new orders), so more of its lines arrive after their commit date; a negative
    `delay_days` makes them faster (received at the earliest the day after shipping, and not
    before the drift's day), so fewer do. `lakehouse generate --drift-ship-mode MAIL`."""

    ship_mode: str
    from_day: int = 1
    delay_days: int = 20


def _n(rate: float, live: int) -> int:
    return max(1, math.ceil(rate * live)) if live else 0


class Simulation:
    """Holds the source state in one DuckDB connection and advances it day by day."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sf: float, seed: int,
                 change_scale: float = 1.0, drift: Drift | None = None) -> None:
        self.con = con
        self.drift = drift
        self.r = r.scaled(change_scale)
        self.sf = sf
        self.seed = seed
        self.lsn = 0
        self.txid = 0
        con.execute(f"call dbgen(sf = {sf})")
        con.execute(
            f"""
            create macro rnd(salt, k) as
                (hash(k, salt, {int(seed)}::bigint) % 1000000007)::double / 1000000007.0;
            create macro pick(list, u) as list[1 + floor(u * len(list))::int];
            create sequence eid_seq;
            """
        )
        for table in self.r.CDC_TABLES:
            con.execute(f"create table day0_{table} as select * from {table}")
            con.execute(
                f"""
                create table ev_{table} as
                select
                    0::bigint as eid, 0 as day, 0 as phase, ''::varchar as txn_key, 0 as step,
                    ''::varchar as op, 0::bigint as lsn, 0::bigint as txid, 0::bigint as ts_us,
                    t as before, t as after
                from {table} as t
                limit 0
                """
            )
        for table in self.r.CATALOG_TABLES:
            con.execute(f"create table ext_{table} as select 0 as day, t as img from {table} as t")

    # ------------------------------------------------------------------ helpers
    def _received(self, receipt: str, ship: str, day: int,
                  ship_mode: str = "l_shipmode") -> str:
        """SQL for the receipt date `receipt` of a line shipped on `ship` on `day`, moved by the
        drift's days when it is in the drifting ship mode (never before the day after
        shipping)."""
        if self.drift is None or day < self.drift.from_day:
            return receipt
        return (f"greatest({ship} + 1, {receipt} + (case when {ship_mode} = "
                f"'{self.drift.ship_mode}' then {int(self.drift.delay_days)} else 0 end))")

    def q(self, sql: str) -> None:
        self.con.execute(sql)

    def scalar(self, sql: str) -> int:
        row = self.con.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _record(self, table: str, day: int, phase: int, op: str, src: str, txn: str,
                step: str, before: str, after: str) -> None:
        """Append one event per row of `src` (a relation aliased `t`) to ev_<table>.

        `txn` and `step` are SQL expressions for the transaction key and the order of the event
        within it; `before` and `after` are the row images (`t`, `old` or `null`).
        """
        self.q(
            f"""
            insert into ev_{table}
            select nextval('eid_seq'), {day}, {phase}, {txn}, {step}, '{op}', 0, 0, 0,
                   {before}, {after}
            from {src}
            """
        )

    # ------------------------------------------------------------------ catalog
    def catalog_day(self, day: int) -> None:
        """Price changes, new and removed rows in part, supplier and partsupp; extract saved."""
        q, d = self.q, f"'d{day}'"
        n_part = self.scalar("select count(*) from part")
        n_supp = self.scalar("select count(*) from supplier")
        n_ps = self.scalar("select count(*) from partsupp")
        q(f"""update part set p_retailprice = round(p_retailprice
                  * (0.9 + 0.2 * rnd('part_price' || {d}, p_partkey)), 2)
              where rnd('part_price_pick' || {d}, p_partkey) < {self.r.PART_PRICE_CHANGE}""")
        q(f"""update supplier set s_acctbal = round(-999.99
                  + 10998.98 * rnd('supp_bal' || {d}, s_suppkey), 2)
              where rnd('supp_bal_pick' || {d}, s_suppkey) < {self.r.SUPPLIER_BALANCE_CHANGE}""")
        q(f"""update partsupp set ps_supplycost = round(ps_supplycost
                  * (0.9 + 0.2 * rnd('ps_cost' || {d}, ps_partkey * 100003 + ps_suppkey)), 2)
              where rnd('ps_cost_pick' || {d}, ps_partkey * 100003 + ps_suppkey)
                  < {self.r.PARTSUPP_COST_CHANGE}""")
        # removals: suppliers (with their partsupp rows), parts (with theirs), partsupp rows
        q(f"""create or replace temp table gone_supp as
              select s_suppkey from supplier
              order by rnd('supp_gone' || {d}, s_suppkey), s_suppkey
              limit {_n(self.r.SUPPLIER_REMOVED, n_supp)}""")
        q(f"""create or replace temp table gone_part as
              select p_partkey from part
              order by rnd('part_gone' || {d}, p_partkey), p_partkey
              limit {_n(self.r.PART_REMOVED, n_part)}""")
        q("delete from supplier where s_suppkey in (select s_suppkey from gone_supp)")
        q("delete from part where p_partkey in (select p_partkey from gone_part)")
        q("""delete from partsupp where ps_suppkey in (select s_suppkey from gone_supp)
                 or ps_partkey in (select p_partkey from gone_part)""")
        q(f"""delete from partsupp where (ps_partkey, ps_suppkey) in (
                  select (ps_partkey, ps_suppkey) from partsupp
                  order by rnd('ps_gone' || {d}, ps_partkey * 100003 + ps_suppkey),
                      ps_partkey, ps_suppkey
                  limit {_n(self.r.PARTSUPP_REMOVED, n_ps)})""")
        # new suppliers and parts copy a template row's descriptive attributes
        max_supp = self.scalar("select max(img.s_suppkey) from ext_supplier")
        q(f"""insert into supplier
              select {max_supp} + 1 + i.range,
                     'Supplier#' || lpad(({max_supp} + 1 + i.range)::varchar, 9, '0'),
                     s.s_address, s.s_nationkey, s.s_phone, s.s_acctbal, 'joined ' || {d}
              from range({_n(self.r.SUPPLIER_NEW, n_supp)}) as i
              join (select *, row_number() over (order by s_suppkey) - 1 as rn from supplier) as s
                  on s.rn = i.range""")
        max_part = self.scalar("select max(img.p_partkey) from ext_part")
        n_new_parts = _n(self.r.PART_NEW, n_part)
        q(f"""insert into part
              select {max_part} + 1 + i.range, p.p_name, p.p_mfgr, p.p_brand, p.p_type, p.p_size,
                     p.p_container, p.p_retailprice, 'launched ' || {d}
              from range({n_new_parts}) as i
              join (select *, row_number() over (order by p_partkey) - 1 as rn from part) as p
                  on p.rn = i.range""")
        q(f"""insert into partsupp
              with supp as (
                  select s_suppkey, row_number() over (order by s_suppkey) - 1 as rn
                  from supplier
              ),
              n as (select count(*) as n from supplier),
              slots as (
                  select i.range as i, j.range as j,
                         ({max_part} + i.range * 7 + j.range * (n.n // 4)) % n.n as rn
                  from range({n_new_parts}) as i
                  cross join range(4) as j
                  cross join n
              )
              select {max_part} + 1 + slots.i, s.s_suppkey,
                     1 + floor(9999 * rnd('ps_qty', slots.i * 4 + slots.j))::bigint,
                     round(1 + 999 * rnd('ps_cost_new' || {d}, slots.i * 4 + slots.j), 2),
                     'supplied since ' || {d}
              from slots
              join supp as s on s.rn = slots.rn""")
        for table in self.r.CATALOG_TABLES:
            q(f"insert into ext_{table} select {day}, t from {table} as t")

    # ------------------------------------------------------------------ CDC
    def cdc_day(self, day: int, date: dt.date) -> dict[str, int]:
        """One day of transactions on customer, orders and lineitem; returns defect counts."""
        q, d = self.q, f"'d{day}'"
        n_cust = self.scalar("select count(*) from customer")
        n_ord = self.scalar("select count(*) from orders")
        rec = self._record
        lo_dr = 0.5  # customers to delete and re-insert are drawn from u >= 0.5
        q(f"""create or replace temp table cslot as
              select c_custkey, rnd('cslot' || {d}, c_custkey) as u,
                     exists (select 1 from orders where o_custkey = c_custkey) as has_orders
              from customer""")
        q(f"""create or replace temp table oslot as
              select o_orderkey, rnd('oslot' || {d}, o_orderkey) as u from orders""")

        # -- phase 0: customer updates
        q(f"""create or replace temp table cust_upd as
              select c_custkey, rnd('ckind' || {d}, c_custkey) as kind from cslot
              where cslot.u < {self.r.CUSTOMER_UPDATE}""")
        self._update_customers("cust_upd", day, 0, "a")

        # -- phase 0: customers without orders deleted (re-inserted in phase 1)
        q(f"""create or replace temp table cust_dr as
              select c.* from customer as c join cslot using (c_custkey)
              where not cslot.has_orders and cslot.u >= {lo_dr}
              order by cslot.u, c_custkey
              limit {_n(self.r.CUSTOMER_DELETE_REINSERT, n_cust)}""")
        rec("customer", day, 0, "d", "cust_dr as t", "'cdel' || c_custkey", "0", "t", "null")
        q("delete from customer where c_custkey in (select c_custkey from cust_dr)")

        # -- phase 0: new customers
        max_cust = self.scalar("select max(c_custkey) from (select c_custkey from customer "
                               "union all select c_custkey from day0_customer "
                               "union all select after.c_custkey from ev_customer)")
        q(f"""create or replace temp table cust_new as
              select k as c_custkey,
                     'Customer#' || lpad(k::varchar, 9, '0') as c_name,
                     'addr ' || md5(k::varchar || {d})[1:20] as c_address,
                     floor(25 * rnd('cnat', k))::int as c_nationkey,
                     (10 + floor(25 * rnd('cnat', k))::int)::varchar || '-'
                         || lpad((100 + floor(900 * rnd('cph1', k)))::int::varchar, 3, '0') || '-'
                         || lpad((100 + floor(900 * rnd('cph2', k)))::int::varchar, 3, '0') || '-'
                         || lpad((1000 + floor(9000 * rnd('cph3', k)))::int::varchar, 4, '0')
                         as c_phone,
                     round(-999.99 + 10998.98 * rnd('cbal', k), 2)::decimal(15, 2) as c_acctbal,
                     pick({SEGMENTS}, rnd('cseg', k)) as c_mktsegment,
                     'signed up ' || {d} as c_comment
              from (select {max_cust} + 1 + range as k
                    from range({_n(self.r.CUSTOMER_NEW, n_cust)}))""")
        rec("customer", day, 0, "c", "cust_new as t", "'cnew' || c_custkey", "0", "null", "t")
        q("insert into customer select * from cust_new")

        # -- phase 0: the drift's first day: every line of its ship mode not received yet (in
        # transit, or not shipped: its receipt date is today or later) is moved by the delay,
        # as a carrier's slowdown moves what it holds; lines shipped from today on get it when
        # they ship (`_received`)
        if self.drift is not None and day == self.drift.from_day:
            q(f"""create or replace temp table line_drift as
                  select l.* replace (greatest(l_shipdate + 1, '{date}'::date,
                                               l_receiptdate + {int(self.drift.delay_days)})
                                      as l_receiptdate)
                  from lineitem as l
                  where l_shipmode = '{self.drift.ship_mode}'
                    and l_receiptdate >= '{date}'::date""")
            rec("lineitem", day, 0, "u",
                "line_drift as t join lineitem as old using (l_orderkey, l_linenumber)",
                "'drift' || l_orderkey", "l_linenumber", "old", "t")
            q("""update lineitem set l_receiptdate = u.l_receiptdate from line_drift as u
                 where lineitem.l_orderkey = u.l_orderkey
                   and lineitem.l_linenumber = u.l_linenumber""")

        # -- phase 0: new orders with lines (RF1); one line of each rule-breaking kind
        breakers = self._new_orders(day, date, n_ord)

        # -- phase 0: deleted orders with their lines (RF2), and orders to re-insert
        q(f"""create or replace temp table ord_del as
              select o.*, false as reinsert
              from orders as o join oslot using (o_orderkey)
              where oslot.u < {self.r.ORDER_DELETE}
              union all
              select * from (
                  select o.*, true as reinsert
                  from orders as o join oslot using (o_orderkey)
                  where oslot.u >= 0.3
                  order by oslot.u, o_orderkey
                  limit {_n(self.r.ORDER_DELETE_REINSERT, n_ord)})""")
        q("""create or replace temp table line_del as
             select l.*, d.reinsert from lineitem as l join ord_del as d on l_orderkey = o_orderkey""")
        rec("lineitem", day, 0, "d", "(select * exclude (reinsert) from line_del) as t",
            "'odel' || l_orderkey", "l_linenumber", "t", "null")
        rec("orders", day, 0, "d", "(select * exclude (reinsert) from ord_del) as t",
            "'odel' || o_orderkey", "100", "t", "null")
        q("delete from lineitem where l_orderkey in (select o_orderkey from ord_del)")
        q("delete from orders where o_orderkey in (select o_orderkey from ord_del)")

        # -- phase 0: order progress: open lines ship, shipped lines return; status follows
        q(f"""create or replace temp table prog_orders as
              select o_orderkey from oslot
              where oslot.u >= 0.5 and oslot.u < {0.5 + self.r.ORDER_LINE_PROGRESS}""")
        q(f"""create or replace temp table line_upd as
              select l.* replace (
                         case when l_linestatus = 'O' then 'F' else l_linestatus end as l_linestatus,
                         case when l_linestatus = 'O' and l_shipdate > '{date}'::date
                              then '{date}'::date else l_shipdate end as l_shipdate,
                         case when l_linestatus = 'O' and l_shipdate > '{date}'::date
                              then {self._received(
                                  f"'{date}'::date + 1 + floor(20 * rnd('rcpt', "
                                  "l_orderkey * 8 + l_linenumber))::int", f"'{date}'::date", day)}
                              else l_receiptdate end as l_receiptdate,
                         case when l_linestatus = 'F' and l_returnflag = 'N' then 'R'
                              else l_returnflag end as l_returnflag)
              from lineitem as l
              where l_orderkey in (select o_orderkey from prog_orders)
                and rnd('lprog' || {d}, l_orderkey * 8 + l_linenumber) < 0.6
                and (l_linestatus = 'O' or l_returnflag = 'N')""")
        rec("lineitem", day, 0, "u",
            "line_upd as t join lineitem as old using (l_orderkey, l_linenumber)",
            "'prog' || l_orderkey", "l_linenumber", "old", "t")
        q("""update lineitem set l_linestatus = u.l_linestatus, l_shipdate = u.l_shipdate,
                 l_receiptdate = u.l_receiptdate, l_returnflag = u.l_returnflag
             from line_upd as u
             where lineitem.l_orderkey = u.l_orderkey and lineitem.l_linenumber = u.l_linenumber""")
        q("""create or replace temp table ord_upd as
             select o.* replace (s.status as o_orderstatus)
             from orders as o
             join (select l_orderkey,
                          case when bool_and(l_linestatus = 'F') then 'F'
                               when bool_and(l_linestatus = 'O') then 'O' else 'P' end as status
                   from lineitem
                   where l_orderkey in (select distinct l_orderkey from line_upd)
                   group by l_orderkey) as s on s.l_orderkey = o.o_orderkey
             where s.status <> o.o_orderstatus""")
        rec("orders", day, 0, "u", "ord_upd as t join orders as old using (o_orderkey)",
            "'prog' || o_orderkey", "100", "old", "t")
        q("""update orders set o_orderstatus = u.o_orderstatus from ord_upd as u
             where orders.o_orderkey = u.o_orderkey""")

        # -- phase 1: second updates of some customers, re-inserts, a re-snapshot
        q(f"""create or replace temp table cust_upd as
              select c_custkey, rnd('ckind2' || {d}, c_custkey) as kind from cslot
              where cslot.u < {self.r.CUSTOMER_UPDATE * self.r.CUSTOMER_SECOND_UPDATE}""")
        self._update_customers("cust_upd", day, 1, "b")
        rec("customer", day, 1, "c", "cust_dr as t", "'cins' || c_custkey", "0", "null", "t")
        q("insert into customer select * from cust_dr")
        rec("orders", day, 1, "c", "(select * exclude (reinsert) from ord_del where reinsert) as t",
            "'oins' || o_orderkey", "0", "null", "t")
        rec("lineitem", day, 1, "c", "(select * exclude (reinsert) from line_del where reinsert) as t",
            "'oins' || l_orderkey", "l_linenumber", "null", "t")
        q("insert into orders select * exclude (reinsert) from ord_del where reinsert")
        q("insert into lineitem select * exclude (reinsert) from line_del where reinsert")
        resnapshot = 0
        if day == self.r.RESNAPSHOT_DAY:
            q(f"""create or replace temp table cust_snap as
                  select c.* from customer as c join cslot using (c_custkey)
                  where cslot.u >= 0.9
                  order by cslot.u, c_custkey
                  limit {_n(self.r.CUSTOMER_RESNAPSHOT, n_cust)}""")
            rec("customer", day, 1, "r", "cust_snap as t", "'snap' || c_custkey", "0", "null", "t")
            resnapshot = self.scalar("select count(*) from cust_snap")

        self._assign_lsn(day, date)
        return {
            "customer_delete_reinsert": self.scalar("select count(*) from cust_dr"),
            "order_delete_reinsert": self.scalar("select count(*) from ord_del where reinsert"),
            "resnapshot_reads": resnapshot,
            **breakers,
        }

    def _update_customers(self, src: str, day: int, phase: int, tag: str) -> None:
        d = f"'d{day}{tag}'"
        self.q(f"""create or replace temp table cust_upd_new as
              select c.* replace (
                  case when kind < 0.4 then 'addr ' || md5(c_custkey::varchar || {d})[1:20]
                       else c_address end as c_address,
                  case when kind < 0.4 then (10 + c_nationkey)::varchar || '-'
                           || lpad((100 + floor(900 * rnd('ph' || {d}, c_custkey)))::int::varchar,
                                   3, '0')
                           || '-555-'
                           || lpad((1000 + floor(9000 * rnd('ph2' || {d}, c_custkey)))::int::varchar,
                                   4, '0')
                       else c_phone end as c_phone,
                  case when kind >= 0.4 and kind < 0.7
                       then pick(list_filter({SEGMENTS}, s -> s <> c_mktsegment),
                                 rnd('seg' || {d}, c_custkey))
                       else c_mktsegment end as c_mktsegment,
                  case when kind >= 0.7
                       then round(-999.99 + 10998.98 * rnd('bal' || {d}, c_custkey), 2)::decimal(15, 2)
                       else c_acctbal end as c_acctbal)
              from customer as c join {src} as k using (c_custkey)""")
        self._record("customer", day, phase, "u",
                     "cust_upd_new as t join customer as old using (c_custkey)",
                     f"'cupd{tag}' || c_custkey", "0", "old", "t")
        self.q("""update customer set c_address = u.c_address, c_phone = u.c_phone,
                      c_mktsegment = u.c_mktsegment, c_acctbal = u.c_acctbal
                  from cust_upd_new as u where customer.c_custkey = u.c_custkey""")

    def _new_orders(self, day: int, date: dt.date, n_ord: int) -> dict[str, int]:
        q, d = self.q, f"'d{day}'"
        max_ord = self.scalar("select max(o_orderkey) from (select o_orderkey from orders "
                              "union all select o_orderkey from day0_orders "
                              "union all select after.o_orderkey from ev_orders)")
        q(f"""create or replace temp table ord_new_keys as
              with live_c as (
                  select c_custkey, row_number() over (order by c_custkey) - 1 as rn
                  from customer join cslot using (c_custkey)
                  where cslot.u < 0.5 or cslot.u >= 0.6
              ),
              -- the customer's rank is computed before the join, so the join is on equal
              -- keys (a hash join), not a nested loop over orders x customers
              picks as (
                  select i.range,
                         floor((select count(*) from live_c) * rnd('ocust' || {d}, i.range))::bigint
                             as rn
                  from range({_n(self.r.ORDER_NEW, n_ord)}) as i
              )
              select {max_ord} + 1 + i.range as o_orderkey, c.c_custkey as o_custkey
              from picks as i
              join live_c as c on c.rn = i.rn""")
        q(f"""create or replace temp table line_new as
              with ps as (
                  select ps_partkey, ps_suppkey, p_retailprice,
                         row_number() over (order by ps_partkey, ps_suppkey) - 1 as rn
                  from partsupp join part on p_partkey = ps_partkey
              ),
              lines as (
                  select o_orderkey, unnest(range(1, 2 + floor(7 * rnd('nl', o_orderkey))::int))
                      as l_linenumber
                  from ord_new_keys
              ),
              keyed as (
                  select *, o_orderkey * 8 + l_linenumber as lk,
                         floor((select count(*) from ps)
                               * rnd('ps' || {d}, o_orderkey * 8 + l_linenumber))::bigint as ps_rn,
                         (1 + floor(50 * rnd('qty', o_orderkey * 8 + l_linenumber)))::decimal(15, 2)
                             as qty,
                         '{date}'::date
                             + (1 + floor(121 * rnd('ship', o_orderkey * 8 + l_linenumber)))::int
                             as ship
                  from lines
              )
              select
                  k.o_orderkey as l_orderkey, ps.ps_partkey as l_partkey,
                  ps.ps_suppkey as l_suppkey, k.l_linenumber::bigint as l_linenumber,
                  k.qty as l_quantity,
                  (k.qty * ps.p_retailprice)::decimal(15, 2) as l_extendedprice,
                  (floor(11 * rnd('disc', k.lk)) / 100)::decimal(15, 2) as l_discount,
                  (floor(9 * rnd('tax', k.lk)) / 100)::decimal(15, 2) as l_tax,
                  'N' as l_returnflag, 'O' as l_linestatus, k.ship as l_shipdate,
                  '{date}'::date + (30 + floor(61 * rnd('commit', k.lk)))::int as l_commitdate,
                  {self._received("k.ship + (1 + floor(30 * rnd('rcpt', k.lk)))::int", "k.ship",
                                  day, f"pick({SHIP_MODES}, rnd('mode', k.lk))")}
                      as l_receiptdate,
                  pick({INSTRUCTIONS}, rnd('instr', k.lk)) as l_shipinstruct,
                  pick({SHIP_MODES}, rnd('mode', k.lk)) as l_shipmode,
                  'new line ' || md5(k.lk::varchar)[1:12] as l_comment,
                  row_number() over (order by rnd('breaker' || {d}, k.lk), k.lk) as breaker_rank
              from keyed as k
              join ps on ps.rn = k.ps_rn""")
        # rule breakers: rank 1 negative quantity, 2 unknown ship mode, 3 ship before order
        q(f"""update line_new set
                  l_quantity = case when breaker_rank = 1 then -l_quantity else l_quantity end,
                  l_extendedprice = case when breaker_rank = 1 then -l_extendedprice
                                         else l_extendedprice end,
                  l_shipmode = case when breaker_rank = 2 then '{self.r.UNKNOWN_SHIP_MODE}'
                                    else l_shipmode end,
                  l_shipdate = case when breaker_rank = 3 then '{date}'::date - 3
                                    else l_shipdate end
              where breaker_rank <= 3""")
        n_lines = self.scalar("select count(*) from line_new")
        q(f"""create or replace temp table ord_new as
              select k.o_orderkey, k.o_custkey, 'O' as o_orderstatus,
                     round(sum(l.l_extendedprice * (1 + l.l_tax) * (1 - l.l_discount)), 2)
                         ::decimal(15, 2) as o_totalprice,
                     '{date}'::date as o_orderdate,
                     pick({PRIORITIES}, rnd('prio', k.o_orderkey)) as o_orderpriority,
                     'Clerk#' || lpad((1 + floor({max(1, int(1000 * self.sf))}
                         * rnd('clerk', k.o_orderkey)))::int::varchar, 9, '0') as o_clerk,
                     0 as o_shippriority,
                     'placed ' || {d} as o_comment
              from ord_new_keys as k join line_new as l on l.l_orderkey = k.o_orderkey
              group by all""")
        rec = self._record
        rec("orders", day, 0, "c", "ord_new as t", "'onew' || o_orderkey", "0", "null", "t")
        rec("lineitem", day, 0, "c", "(select * exclude (breaker_rank) from line_new) as t",
            "'onew' || l_orderkey", "l_linenumber", "null", "t")
        q("insert into orders select * from ord_new")
        q("insert into lineitem select * exclude (breaker_rank) from line_new")
        return {kind: int(n_lines >= i + 1) for i, kind in enumerate(self.r.RULE_BREAKERS)}

    def _assign_lsn(self, day: int, date: dt.date) -> None:
        """Commit times, transaction ids and LSNs for the day's events, in commit order."""
        day_start_us = int(dt.datetime(date.year, date.month, date.day,
                                       tzinfo=dt.UTC).timestamp() * 1_000_000)
        half_day_us = 12 * 3600 * 1_000_000
        union = " union all ".join(
            f"select '{t}' as tbl, {i} as tbl_order, eid, phase, txn_key, step from ev_{t} "
            f"where day = {day}"
            for i, t in enumerate(self.r.CDC_TABLES)
        )
        self.q(f"""create or replace temp table lsn_map as
              with ev as ({union}),
              txn as (
                  select phase, txn_key,
                         {day_start_us} + phase * {half_day_us}
                             + 1000 * floor({half_day_us // 1000} * rnd('ts' || {day}, txn_key))::bigint
                             as ts_us
                  from ev group by phase, txn_key
              )
              select ev.tbl, ev.eid, txn.ts_us,
                     {self.txid} + dense_rank() over (order by txn.ts_us, txn.txn_key) as txid,
                     {self.lsn} + 8 * row_number() over (
                         order by txn.ts_us, txn.txn_key, ev.tbl_order, ev.step, ev.eid) as lsn
              from ev join txn using (phase, txn_key)""")
        for t in self.r.CDC_TABLES:
            self.q(f"""update ev_{t} set lsn = m.lsn, txid = m.txid, ts_us = m.ts_us
                       from lsn_map as m where m.tbl = '{t}' and m.eid = ev_{t}.eid""")
        self.lsn = max(self.lsn, self.scalar("select max(lsn) from lsn_map"))
        self.txid = max(self.txid, self.scalar("select max(txid) from lsn_map"))
