-- Support functions the dual-write platform calls through the API with the service_role key.

-- Keeps a serial key's sequence at or above a key written with an explicit value (a row copied from the
-- other store), so this store never hands out a key the other store already used. Never moves it back.
create or replace function public.dw_keep_sequence_above(table_name text, column_name text, at_least bigint)
returns bigint
language plpgsql
security definer
set search_path = public
as $$
declare
  sequence_name text := pg_get_serial_sequence(format('public.%I', table_name), column_name);
begin
  if sequence_name is null then
    raise exception 'public.%.% has no sequence', table_name, column_name using errcode = '42704';
  end if;
  return setval(sequence_name, greatest(at_least, coalesce(pg_sequence_last_value(sequence_name::regclass), 0), 1));
end;
$$;

revoke all on function public.dw_keep_sequence_above(text, text, bigint) from public, anon, authenticated;
grant execute on function public.dw_keep_sequence_above(text, text, bigint) to service_role;
