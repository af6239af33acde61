// A goal of issue #20 (and the bench's own) beside the figure measured for it.

/**
 * `value` against `target` in `direction` ('at least' or 'at most'). Returns { goal, measured,
 * verdict }; the verdict says by how much a missed goal is missed. `describe` formats the value.
 */
export function goal(name, value, target, describe, direction = 'at least') {
  if (value === undefined || value === null || Number.isNaN(value))
    return { goal: name, measured: 'not measured', verdict: '–' };
  const met = direction === 'at least' ? value >= target : value <= target;
  let missBy;
  if (direction === 'at least') missBy = `${((1 - value / target) * 100).toFixed(0)}% short`;
  else missBy = target === 0 ? `${value} over` : `${((value / target - 1) * 100).toFixed(0)}% over`;
  return { goal: name, measured: describe(value), verdict: met ? 'met' : `missed (${missBy})` };
}

/** A goal that could not be measured in this run, with the reason. */
export const notMeasured = (name, reason) => ({ goal: name, measured: `not measured yet: ${reason}`, verdict: '–' });
