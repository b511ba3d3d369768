# A summary of merged JSON Lines (one smtpdoctor.report/v1 document per line), streamed:
#
#   cat shard-*.jsonl > results.jsonl
#   jq -n -f deploy/summary.jq results.jsonl
#
# Prints the number of targets, the worst exit code, the counts by verdict, how many targets
# were interrupted, and the ten findings found at the most targets (each counted once per
# target).
reduce inputs as $d (
  {targets: 0, exit_code: 0, verdicts: {}, interrupted: 0, findings: {}};
  .targets += 1
  | .exit_code = ([.exit_code, $d.exit_code] | max)
  | .verdicts[$d.verdict] += 1
  | .interrupted += (if $d.interrupted then 1 else 0 end)
  | reduce ([$d.findings[].id] | unique[]) as $id (.; .findings[$id] += 1)
)
| .findings |= (to_entries | sort_by(-.value, .key) | .[:10] | from_entries)
