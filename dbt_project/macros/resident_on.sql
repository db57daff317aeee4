{#- The join condition "the address covers day D" (docs/extract-contract.md, cpr/t_adresse: a
    person lives at an address on D when moved_in <= D and (moved_out missing or
    D < moved_out)), for int_residence__addresses aliased `residence`. Written with
    coalesce, not "valid_until is null or ...": an OR in a join condition stops DuckDB from
    planning a hash join on person_key (minutes instead of a fraction of a second, bench/). -#}
{% macro resident_on(day, residence='residence') -%}
    {{ day }} >= {{ residence }}.valid_from
    and {{ day }} < coalesce({{ residence }}.valid_until, date '9999-12-31')
{%- endmacro %}
