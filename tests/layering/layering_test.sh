#!/bin/bash
# Dependencies between our packages flow one way. For every library edge
# that crosses packages in the graph of what users build (library_edges),
# the depending package must be allowed to use the other one below. A new
# package, or a new kind of edge, fails here until this table says where it
# sits.
#
#   layering_test.sh GRAPH   (genquery --output=graph)
set -uo pipefail

declare -A allowed=(
  [//base]=""
  [//vm-memory]="//base"
  [//vm-device]="//base"
  [//linux-loader]="//base"
  [//acpi_tables]="//base"
  [//fw_cfg]="//base //vm-memory //vm-device"
  [//fw_cfg/config]="//base //fw_cfg"
  [//fw_cfg/linux_boot]="//base //linux-loader"
  [//fw_cfg/standard]="//base //vm-memory //fw_cfg //fw_cfg/config //fw_cfg/linux_boot //linux-loader"
  [//vmm/qtest]="//base //vm-memory //vm-device"
  [//vmm]="//base //vm-memory //vm-device //linux-loader //acpi_tables //fw_cfg //fw_cfg/config //fw_cfg/linux_boot //fw_cfg/standard //vmm/qtest"
  [//tools/fwcfg]="//base //fw_cfg"
)

graph="$1"
edges=0
violations=0
while read -r from to; do
  from_package="${from%%:*}"
  to_package="${to%%:*}"
  [[ "$from_package" == "$to_package" ]] && continue
  edges=$((edges + 1))
  if [[ ! -v "allowed[$from_package]" ]]; then
    echo "FAILED: $from: package $from_package is not in the layering table"
    violations=$((violations + 1))
  elif [[ " ${allowed[$from_package]} " != *" $to_package "* ]]; then
    echo "FAILED: $from -> $to: $from_package may not depend on $to_package"
    violations=$((violations + 1))
  fi
done < <(sed -n 's|^ *"\(//[^"]*\)" -> "\(//[^"]*\)"$|\1 \2|p' "$graph")

echo "$edges edges between our packages, $violations against the layering"
if ((edges == 0)); then
  echo "FAILED: no edge found: is $graph a --output=graph query result?"
  exit 1
fi
exit $((violations > 0))
