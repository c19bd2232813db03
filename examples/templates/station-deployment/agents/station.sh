#!/bin/sh
# Agent of the station-deployment template, served by `baton agent serve`, which (like
# the exec runner) sets BATON_TASK_REF and BATON_INPUT_<key> for every scalar input; the
# output is one JSON object on stdout.
set -eu
station="${BATON_INPUT_station:-}"
[ -n "$station" ] || { echo "no station name: pass --input station=NAME" >&2; exit 1; }
case "$station" in *[!A-Za-z0-9_-]*) echo "station name '$station' may hold letters, digits, - and _ only" >&2; exit 1;; esac
root="stations/$station"
case "$BATON_TASK_REF" in
  create_folder_structure)
    mkdir -p "$root/1N" "$root/0UT" "$root/archive" "$root/.3ox"
    echo "{\"root\": \"$root\"}" ;;
  initialize_3ox_index)
    printf 'station: %s\ncreated: %s\n' "$station" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$root/.3ox/index.yaml"
    echo "{\"index\": \"$root/.3ox/index.yaml\"}" ;;
  deploy_policies)
    policy="policies/${BATON_INPUT_policies:-default}.yaml"
    [ -f "$policy" ] || { echo "no policy file $policy (policies: $(ls policies | tr '\n' ' '))" >&2; exit 1; }
    cp "$policy" "$root/.3ox/policy.yaml"
    echo "{\"policy\": \"$root/.3ox/policy.yaml\"}" ;;
  configure_1n_0ut)
    printf 'inbox: 1N\noutbox: 0UT\narchive: archive\n' > "$root/.3ox/routing.yaml"
    echo "{\"routing\": \"$root/.3ox/routing.yaml\"}" ;;
  register_with_cmd_bridge)
    mkdir -p bridge
    touch bridge/registry.txt
    grep -qx "$station" bridge/registry.txt || echo "$station" >> bridge/registry.txt
    echo "{\"registered\": \"$station\", \"stations\": $(wc -l < bridge/registry.txt)}" ;;
  health_check_verification)
    for f in .3ox/index.yaml .3ox/policy.yaml .3ox/routing.yaml; do
      [ -f "$root/$f" ] || { echo "unhealthy: $root/$f is missing" >&2; exit 1; }
    done
    for d in 1N 0UT archive; do
      [ -d "$root/$d" ] || { echo "unhealthy: $root/$d is missing" >&2; exit 1; }
    done
    grep -qx "$station" bridge/registry.txt || { echo "unhealthy: $station is not registered" >&2; exit 1; }
    echo "{\"healthy\": true, \"station\": \"$station\"}" ;;
  *) echo "unknown task $BATON_TASK_REF" >&2; exit 1 ;;
esac
