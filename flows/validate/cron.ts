/**
 * Checks the five fields of a cron schedule (minute hour day-of-month month day-of-week) as Cloudflare Cron
 * Triggers read them: lists, ranges, steps, names (JAN-DEC, SUN-SAT), `?`, and `L`, `W`, `#` where allowed.
 */

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Extra forms allowed in this field, besides numbers, ranges and steps. */
  special?: RegExp;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31, special: /^(\?|L|LW|L-[0-9]{1,2}|[0-9]{1,2}W)$/ },
  { name: "month", min: 1, max: 12, names: MONTHS },
  {
    name: "day of week",
    min: 0,
    max: 7,
    names: DAYS,
    special: /^(\?|L|[0-7]L|[0-7]#[1-5]|(SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/i,
  },
];

/** A problem in a schedule, with the offset of the offending field part. */
export interface CronProblem {
  offset: number;
  message: string;
}

function value(text: string, field: Field): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text);
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named !== -1) return field.min === 1 ? named + 1 : named;
  return undefined;
}

function checkPart(part: string, field: Field): string | undefined {
  if (field.special?.test(part)) return undefined;
  const [range = "", step, extra] = part.split("/");
  if (extra !== undefined) return `\`${part}\` has two \`/\``;
  if (step !== undefined && !/^[1-9][0-9]*$/.test(step))
    return `the step \`${step}\` must be a positive whole number`;
  if (range === "*") return undefined;
  const bounds = range.split("-");
  if (bounds.length > 2 || bounds.some((b) => b === ""))
    return `\`${part}\` is not a value, a range or a step`;
  const numbers: number[] = [];
  for (const b of bounds) {
    const n = value(b, field);
    const names = field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : "";
    if (n === undefined) return `\`${b}\` is not a ${field.name}: use ${field.min}-${field.max}${names}`;
    if (n < field.min || n > field.max)
      return `${field.name} \`${b}\` is out of range ${field.min}-${field.max}`;
    numbers.push(n);
  }
  if (numbers.length === 2 && numbers[0]! > numbers[1]!) return `the range \`${range}\` goes backwards`;
  return undefined;
}

/**
 * The problems of a five-field schedule, if any.
 * @example checkCron("0 25 * * *") // [{ offset: 2, message: "hour `25` is out of range 0-23" }]
 */
export function checkCron(schedule: string): CronProblem[] {
  const problems: CronProblem[] = [];
  const re = /\S+/g;
  let f = 0;
  for (let m = re.exec(schedule); m !== null; m = re.exec(schedule), f++) {
    const field = FIELDS[f];
    if (!field) {
      problems.push({
        offset: m.index,
        message: "a schedule has five fields: minute hour day-of-month month day-of-week",
      });
      break;
    }
    let offset = m.index;
    for (const part of m[0].split(",")) {
      const problem = part === "" ? "empty list item" : checkPart(part, field);
      if (problem) problems.push({ offset, message: problem });
      offset += part.length + 1;
    }
  }
  if (f < FIELDS.length && problems.length === 0) {
    problems.push({
      offset: schedule.length,
      message: "a schedule has five fields: minute hour day-of-month month day-of-week",
    });
  }
  return problems;
}
