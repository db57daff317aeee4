{#- Person-keyed incremental models (docs/incremental-refresh.md). The stays of a person
    are rebuilt from all of that person's rows whenever a load touched one of them, so a
    stay that crosses a month end, or a contact inside a long admission, comes out as a full
    rebuild would make it. On a full build (the first, or `--full-refresh` when the logic
    changed) every person is built. The pending persons are the model
    stg_platform__pending_persons. -#}

{#- A filter for the model's input rows: only the pending persons on an incremental run. -#}
{% macro for_pending_persons(person_column) -%}
    {%- if is_incremental() -%}
        {{ person_column }} in (select person_key from {{ ref('stg_platform__pending_persons') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of a person-keyed model: drop the pending persons' rows, which the model
    then writes again from their current rows (strategy append). A person whose rows were
    all re-delivered away keeps none. -#}
{% macro delete_pending_persons() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where person_key in (select person_key from {{ ref('stg_platform__pending_persons') }})
    {%- endif -%}
{%- endmacro %}
