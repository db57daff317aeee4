{#- Person-keyed incremental stay models (docs/incremental-refresh.md). A load records whose
    stays it can change (stg_platform__pending_persons). LPR2 stays of such a person are
    rebuilt whole. LPR3 stays are rebuilt from the earliest moment a change begins: a
    contact joins only stays that end at most `lpr3_chain_gap_hours` before it starts, so the
    person's stays that end earlier than that are kept, and the contacts after them are
    chained again; a stay crossing a month end, or a contact inside a long admission, comes
    out as a full rebuild would make it. On a full build every person is built. -#}

{#- Whether a person's stay of a register is to be rebuilt: `pending` is the person's row of
    stg_platform__pending_persons, `stay` a row with source_register and stay_end_date.
    An LPR3 stay removed upstream ended at most the chain gap before the change, and it
    ends on its start day unless it lasted 12 hours or more; both are under a day, so every
    such stay ends on or after the day before the change (the margin of int_stays). -#}
{% macro stay_is_rebuilt(pending, stay) -%}
    (
        ({{ stay }}.source_register = 'lpr2' and {{ pending }}.lpr2_pending)
        or (
            {{ stay }}.source_register = 'lpr3'
            and {{ pending }}.lpr3_pending
            and (
                {{ pending }}.lpr3_changed_from is null
                or {{ stay }}.stay_end_date
                >= {{ dbt.dateadd('day', -1, 'cast(' ~ pending ~ '.lpr3_changed_from as date)') }}
            )
        )
    )
{%- endmacro %}

{#- A pre-hook: drop the rows of {{ this }} of the pending persons for which `condition`
    holds (`pending` is the person's row of stg_platform__pending_persons, one per person).
    A join (`using`), not `where exists (...)`: with the condition's range inside it, DuckDB
    plans the subquery as a nested join, 27 times slower on 24 M stays (13.6 s against
    0.5 s at a quarter of national volume). -#}
{% macro delete_pending_rows(condition) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        using {{ ref('stg_platform__pending_persons') }} as pending
        where pending.person_key = {{ this }}.person_key and {{ condition }}
    {%- endif -%}
{%- endmacro %}

{#- int_stays__lpr2: the stays of the persons with an LPR2 change. -#}
{% macro delete_lpr2_pending() -%}
    {{ delete_pending_rows('pending.lpr2_pending') }}
{%- endmacro %}

{#- int_stays__lpr3_chained: the stays a change can reach, those ending at most the chain gap
    before its earliest moment, or all (moment unknown). -#}
{% macro delete_lpr3_pending() -%}
    {{ delete_pending_rows(
        "pending.lpr3_pending and (pending.lpr3_changed_from is null or " ~ this
        ~ ".ended_at >= pending.lpr3_changed_from - to_hours("
        ~ var('lpr3_chain_gap_hours') ~ "))") }}
{%- endmacro %}

{#- int_stays: the rows that the stay models rebuilt. -#}
{% macro delete_stays_pending() -%}
    {{ delete_pending_rows(stay_is_rebuilt('pending', this)) }}
{%- endmacro %}

{#- A filter that holds for every stay the stay models rebuilt, and for few others: its end
    is on or after the earliest stays_rebuilt_from of the pending persons. Checked before
    the join with the pending persons, it spares the join the rows of seven years. -#}
{% macro may_be_rebuilt(stay) -%}
    {{ stay }}.stay_end_date >= (
        select min(stays_rebuilt_from) from {{ ref('stg_platform__pending_persons') }}
    )
{%- endmacro %}

{#- The earliest moment of a person's changes of one register: NULL ("from the first") when
    one of them has none (stg_platform__pending_persons). -#}
{% macro register_changed_from(register) -%}
    case
        when
            count(case when register = '{{ register }}' then 1 end)
            = count(case when register = '{{ register }}' then changed_from end)
            then min(case when register = '{{ register }}' then changed_from end)
    end
{%- endmacro %}
