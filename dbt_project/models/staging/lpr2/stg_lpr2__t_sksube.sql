with source as (
    select * from {{ source('lpr2', 't_sksube') }}
    {{- only_pending_months() }}
)

select
    trim(v_recnum) as contact_key,
    -- docs/method.md, "Valid codes": codes are compared after trimming spaces and upper-casing.
    upper(trim(c_opr)) as procedure_code,
    c_opr as procedure_code_as_delivered,
    d_odto as procedure_date,
    _delivery_month as delivery_month,
    _source_file as source_file,
    _source_row as source_row
from source
